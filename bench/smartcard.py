"""Keys on a PKCS#11 token (issue 14): what signing on a SoftHSM2 token costs (target: one letter <= 100 ms).

    .venv/bin/python bench/smartcard.py [--runs 30] [--work DIR] [--keep]

A SoftHSM2 token with a P-256 signing key and an Ed25519 checkpoint key is made in the work folder
(tests/tokens.py: `softhsm2-util --init-token`, keys generated with python-pkcs11), a small demo store gets a
reviewer whose key is on it, and then, each measured --runs times (median and worst):
* `card: open + sign + close`: what every signature by a card user costs: load the token, C_Login with the
  PIN, find the key, CKM_ECDSA over the SHA-256 digest of a decision-sized document, C_Logout;
* `card: sign only`: one more signature on a card already open;
* `software: unwrap + sign`: the same signature by a key in the keyslot, for comparison (the passphrase's
  re-check by the keyslot KDF, which a card user does not pay, is left out);
* `decide on the card, end to end`: `Session.decide` with the PIN (fresh store copy each run);
* `decide in software, end to end`: `Session.decide` by a keyslot user with the passphrase.
* `issue a letter on the card, end to end`: `Session.letter` with the PIN (PIN check on the card, checkpoint
  signed on the card, render, PAdES signature, store), on a fresh copy of a store with the decision approved;
* `PAdES signature on the card`: the letter's signature alone (`letters.pades.sign` with the card's signer:
  pyHanko reads the rendered PDF, the card signs the CMS attributes' digest, the incremental update is
  written), the card already open;
and the figure read against the target, "SoftHSM signing of one letter <= 100 ms": opening the card with the
PIN (`card: open + sign + close`) plus the PAdES signature on it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))        # tests/tokens.py makes SoftHSM2 tokens the way the tests do

PIN = "bench-card-pin"
TARGET_MS = 100.0
PASSPHRASE = "bench-card-user-passphrase"


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), max(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    from tokens import Token, make_tokens, softhsm_module

    module = softhsm_module()
    if module is None:
        print("SoftHSM2 is not installed (apt-get install softhsm2)", file=sys.stderr)
        return 1
    work = args.work or Path(tempfile.mkdtemp(prefix="dws-bench-pkcs11-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        return run(work, module, args.runs, Token, make_tokens)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def run(work: Path, module: str, runs: int, token_cls, make_tokens) -> int:  # type: ignore[no-untyped-def]
    import os

    os.environ["DWS_NO_KEYRING"] = "1"
    hsm = make_tokens(work / "softhsm", module, [token_cls("bench-card", PIN, ("ec:sign", "ed:sign-checkpoint"))])
    os.environ["SOFTHSM2_CONF"] = str(hsm.conf)

    from workstation.demo_store import create_demo_store, demo_passphrase
    from workstation.keys import primitives as p
    from workstation.keys.pkcs11 import Card, TokenRef, TokenSigner
    from workstation.keys.signer import SoftwareSigner
    from workstation.service import Workstation

    template = work / "template"
    if not template.exists():
        create_demo_store(template, taxpayers=1000, bulk_subjects=150, seed=7)
    ref = TokenRef(module, "bench-card", "sign")
    with Workstation(template).unlock("admin", demo_passphrase("admin")) as admin:
        if "tara" not in {u.name for u in admin.users()}:
            admin.add_token_user("tara", "reviewer", PASSPHRASE, ref, PIN)
        document = admin.conn.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()[0].encode() * 40
    figures: dict[str, tuple[float, float]] = {}

    def card_sign() -> None:
        with TokenSigner.open(ref, PIN) as signer:
            assert p.verify(signer.public_key, signer.sign(document), document)

    figures["card: open + sign + close"] = timed(card_sign, runs)
    with Card(ref, PIN) as card:
        signer = TokenSigner(card, pin=PIN, owns_card=False)
        figures["card: sign only"] = timed(lambda: signer.sign(document), runs)
    private, _public = p.new_ecdsa_key()
    figures["software: unwrap + sign"] = timed(lambda: SoftwareSigner(private).sign(document), runs)

    def decide(user: str, secret: str) -> Callable[[], None]:
        def one() -> None:
            store = work / "copy"
            shutil.rmtree(store, ignore_errors=True)
            shutil.copytree(template, store)
            with Workstation(store).unlock(user, PASSPHRASE if user == "tara" else demo_passphrase(user)) as s:
                s.evaluate("DEMO-I2-VALID")
                t = time.perf_counter()
                s.decide("DEMO-I2-VALID", "grant", None, secret)
                one.elapsed.append((time.perf_counter() - t) * 1000)   # type: ignore[attr-defined]
        one.elapsed = []  # type: ignore[attr-defined]
        return one

    small = max(3, runs // 6)
    for label, user, secret in (("decide on the card, end to end", "tara", PIN),
                                ("decide in software, end to end", "rita", demo_passphrase("rita"))):
        job = decide(user, secret)
        for _ in range(small):
            job()
        figures[label] = (statistics.median(job.elapsed), max(job.elapsed))  # type: ignore[attr-defined]
    figures.update(letters(work, template, ref, small))

    opening, pades_ms = figures["card: open + sign + close"][0], figures["PAdES signature on the card"][0]
    letter = opening + pades_ms        # the PIN opens the card (C_Login), then the letter's signature is made
    print(f"SoftHSM2 {module}; {runs} runs ({small} for the end-to-end decisions and letters); milliseconds")
    print(f"{'what':<40} {'median':>8} {'worst':>8}")
    for label, (median, worst) in figures.items():
        print(f"{label:<40} {median:8.1f} {worst:8.1f}")
    verdict = "OK" if letter <= TARGET_MS else "OVER"
    print(f"\nSoftHSM signing of one letter: the card opened with the PIN ({opening:.1f}) + the letter's PAdES "
          f"signature on it ({pades_ms:.1f}) = {letter:.1f} ms, target <= {TARGET_MS:.0f} ms: {verdict}")
    print("JSON " + json.dumps({"runs": runs, "target_ms": TARGET_MS, "letter_signature_ms": round(letter, 2),
                                "figures_ms": {k: {"median": round(m, 2), "worst": round(w, 2)}
                                               for k, (m, w) in figures.items()}}))
    return 0 if letter <= TARGET_MS else 1


def letters(work: Path, template: Path, ref, runs: int) -> dict[str, tuple[float, float]]:  # type: ignore[no-untyped-def]
    """A one-request letter issued by the card user (`Session.letter` with the PIN), each run on a fresh copy
    of a store where the decision is signed and approved: the whole issue, and its PAdES signature alone
    (pyHanko reading the rendered PDF, the card's ECDSA signature, the incremental update), the card opened
    with the PIN just before. The first issue in the process pays for importing pyHanko: it is not counted."""
    from workstation.demo_store import demo_passphrase
    from workstation.letters import pades
    from workstation.service import Workstation

    decided = work / "decided"
    if not decided.exists():
        shutil.copytree(template, decided)
        with Workstation(decided).unlock("tara", PASSPHRASE) as s:
            s.decide("DEMO-I2-VALID", "grant", None, PIN)
        with Workstation(decided).unlock("alex", demo_passphrase("alex")) as s:
            s.approve("DEMO-I2-VALID", demo_passphrase("alex"))
    real, signing = pades.sign, []

    def timed(*args: object, **kwargs: object) -> bytes:
        t = time.perf_counter()
        try:
            return real(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            signing.append((time.perf_counter() - t) * 1000)

    pades.sign = timed  # type: ignore[assignment]
    whole: list[float] = []
    try:
        for _ in range(runs + 1):
            store = work / "letter-copy"
            shutil.rmtree(store, ignore_errors=True)
            shutil.copytree(decided, store)
            with Workstation(store).unlock("tara", PASSPHRASE) as s:
                t = time.perf_counter()
                letter = s.letter("DEMO-I2-VALID", PIN)
                whole.append((time.perf_counter() - t) * 1000)
                assert letter.new
    finally:
        pades.sign = real  # type: ignore[assignment]
    whole, signing = whole[1:], signing[1:]
    return {"issue a letter on the card, end to end": (statistics.median(whole), max(whole)),
            "PAdES signature on the card": (statistics.median(signing), max(signing))}


if __name__ == "__main__":
    sys.exit(main())
