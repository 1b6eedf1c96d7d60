"""Real PKCS#11 tokens for the tests: SoftHSM2 with a private configuration and token folder.

`make_tokens` initialises each token with `softhsm2-util --init-token --free` and generates its keys with
python-pkcs11 in a child process (SoftHSM reads its token folder once, when a process first loads it: every
token of the test session is made before the tests load the module themselves). Run as a script, it makes
the keys of one token: `python tokens.py MODULE LABEL PIN SPEC...`, SPEC being `ec:<label>`,
`ec-always:<label>` (CKA_ALWAYS_AUTHENTICATE, as PIV's signature key), `ed:<label>` or `rsa:<label>`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

MODULES = ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
           "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so", "/usr/local/lib/softhsm/libsofthsm2.so")
SO_PIN = "so-pin-12345678"


def softhsm_module() -> str | None:
    if shutil.which("softhsm2-util") is None:
        return None
    return next((m for m in MODULES if Path(m).exists()), None)


@dataclass(frozen=True)
class Token:
    label: str
    pin: str
    keys: tuple[str, ...]                  # SPECs, see the module docstring


@dataclass
class SoftHsm:
    conf: Path
    module: str
    tokens: dict[str, Token] = field(default_factory=dict)

    def empty_conf(self, where: Path) -> Path:
        """A configuration whose token folder is empty: every token 'removed'."""
        return write_conf(where, where / "no-tokens")

    def delete(self, label: str) -> None:
        """Take the token out (its folder deleted): what a process that loaded SoftHSM sees as a card pulled."""
        subprocess.run(["softhsm2-util", "--delete-token", "--token", label], check=True, capture_output=True,
                       env=dict(os.environ, SOFTHSM2_CONF=str(self.conf)))


def write_conf(where: Path, token_dir: Path) -> Path:
    token_dir.mkdir(parents=True, exist_ok=True)
    conf = where / f"softhsm2-{token_dir.name}.conf"
    conf.write_text(f"directories.tokendir = {token_dir}\nobjectstore.backend = file\nlog.level = ERROR\n"
                    "slots.removable = false\n")
    return conf


def make_tokens(where: Path, module: str, tokens: list[Token]) -> SoftHsm:
    conf = write_conf(where, where / "tokens")
    env = dict(os.environ, SOFTHSM2_CONF=str(conf))
    for token in tokens:
        subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", token.label, "--pin", token.pin,
                        "--so-pin", SO_PIN], check=True, capture_output=True, env=env)
    specs = [[t.label, t.pin, *t.keys] for t in tokens]
    subprocess.run([sys.executable, __file__, module, json.dumps(specs)], check=True, env=env)
    return SoftHsm(conf, module, {t.label: t for t in tokens})


def _generate(module: str, specs: list[list[str]]) -> None:
    import pkcs11
    from pkcs11 import Attribute, KeyType, Mechanism
    from pkcs11.util.ec import encode_named_curve_parameters

    lib = pkcs11.lib(module)
    for label, pin, *keys in specs:
        with lib.get_token(token_label=label).open(rw=True, user_pin=pin) as session:
            for n, spec in enumerate(keys, start=1):
                kind, _, key_label = spec.partition(":")
                key_id = bytes([n])
                if kind in ("ec", "ec-always"):
                    params = session.create_domain_parameters(
                        KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True)
                    params.generate_keypair(store=True, label=key_label, id=key_id, private_template={
                        Attribute.ALWAYS_AUTHENTICATE: kind == "ec-always", Attribute.SIGN: True})
                elif kind == "ed":
                    params = session.create_domain_parameters(
                        KeyType.EC_EDWARDS, {Attribute.EC_PARAMS: encode_named_curve_parameters("1.3.101.112")},
                        local=True)
                    params.generate_keypair(store=True, label=key_label, id=key_id,
                                            mechanism=Mechanism.EC_EDWARDS_KEY_PAIR_GEN)
                elif kind == "rsa":
                    session.generate_keypair(KeyType.RSA, 2048, store=True, label=key_label, id=key_id)
                else:
                    raise SystemExit(f"unknown key kind {kind!r}")


if __name__ == "__main__":
    _generate(sys.argv[1], json.loads(sys.argv[2]))
