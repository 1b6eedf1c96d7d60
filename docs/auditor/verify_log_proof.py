#!/usr/bin/env python3
"""Check a Disclosure Workstation inclusion proof without the product: Python's standard library plus the
`openssl` binary (1.1.1 or later, for Ed25519).

    python3 verify_log_proof.py PROOF.json VERIFIER_KEY

PROOF.json is what `dws log prove --entry SEQ -o PROOF.json` wrote (one `dws.inclusion/1` document), or
what `dws log prove --request ID` / `--tin-file FILE` wrote (a list of {"seq", "entry", "proof"}; each
entry's bytes are then also checked against its leaf hash). VERIFIER_KEY is the signer's key as
`dws log key USER` prints it (`<name>+<key id>+<base64>`), or a file holding it. Obtain it from the office
by a channel you trust, not from the proof. Exit status 0: every proof holds; 1: one does not.

What is checked: (1) the checkpoint's signed-note signature by that key (C2SP signed-note, Ed25519), and
(2) the leaf's audit path up to the checkpoint's root hash (RFC 9162 section 2.1.3.2).
"""

import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile

DASH = "\u2014"
ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")


def fail(message):
    print(f"FAIL: {message}")
    return False


def parse_key(vkey):
    name, hash16, key64 = vkey.strip().split("+", 2)
    key = base64.b64decode(key64, validate=True)
    if len(key) != 33 or key[0] != 1:
        raise ValueError("not an Ed25519 signed-note verifier key")
    kid = hashlib.sha256(name.encode() + b"\n" + key).digest()[:4]
    if kid.hex() != hash16.lower():
        raise ValueError("the key id does not match the key")
    return name, kid, key[1:]


def openssl_verify(public, signature, message):
    pem = b"-----BEGIN PUBLIC KEY-----\n" + base64.encodebytes(ED25519_SPKI_PREFIX + public) + \
        b"-----END PUBLIC KEY-----\n"
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for label, data in (("key.pem", pem), ("msg", message), ("sig", signature)):
            paths[label] = os.path.join(tmp, label)
            with open(paths[label], "wb") as fh:
                fh.write(data)
        run = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", paths["key.pem"], "-rawin",
                              "-in", paths["msg"], "-sigfile", paths["sig"]], capture_output=True)
    return run.returncode == 0


def check_checkpoint(note, key):
    """(size, root) of a checkpoint whose signature by `key` verifies, else None."""
    name, kid, public = key
    text, sep, sigs = note.partition("\n\n")
    lines = text.split("\n")
    if not sep or len(lines) < 3:
        return fail("the checkpoint is malformed")
    text += "\n"
    for line in sigs.split("\n"):
        parts = line.split(" ")
        if len(parts) == 3 and parts[0] == DASH and parts[1] == name:
            raw = base64.b64decode(parts[2], validate=True)
            if raw[:4] == kid and openssl_verify(public, raw[4:], text.encode("utf-8")):
                return int(lines[1]), base64.b64decode(lines[2], validate=True)
    return fail(f"the checkpoint carries no valid signature by {name}")


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_path(leaf, index, size, path):
    """RFC 9162 section 2.1.3.2: the root the audit path leads to, or None."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def check_proof(proof, key, entry=None):
    if proof.get("format") != "dws.inclusion/1":
        return fail("not a dws.inclusion/1 proof")
    signed = check_checkpoint(proof["checkpoint"], key)
    if not signed:
        return False
    size, root = signed
    leaf = bytes.fromhex(proof["leaf_hash"])
    where = f"leaf {proof['leaf_index']} (log entry {proof['leaf_index'] + 1})"
    if entry is not None and hashlib.sha256(b"\x00" + entry.encode("utf-8")).digest() != leaf:
        return fail(f"{where}: the entry's bytes do not hash to the leaf hash")
    path = [bytes.fromhex(h) for h in proof["path"]]
    if root_from_path(leaf, proof["leaf_index"], size, path) != root:
        return fail(f"{where}: the audit path does not lead to the checkpoint's root")
    print(f"OK: {where} is in the log of {size} entries signed by {key[0]}")
    return True


def main(argv):
    if len(argv) != 3:
        print(__doc__.split("\n\n")[1])
        return 2
    vkey = argv[2]
    if os.path.isfile(vkey):
        with open(vkey, encoding="utf-8") as fh:
            vkey = fh.read()
    try:
        key = parse_key(vkey)
        with open(argv[1], encoding="utf-8") as fh:
            doc = json.load(fh)
        items = [(d["proof"], d["entry"]) for d in doc] if isinstance(doc, list) else [(doc, None)]
        results = [check_proof(proof, key, entry) for proof, entry in items]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"FAIL: cannot read the proof or the key ({exc.__class__.__name__}: {exc})")
        return 1
    return 0 if results and all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
