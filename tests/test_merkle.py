"""RFC 9162 tree hashing and proofs (property tests), and the C2SP checkpoint / signed-note formats."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workstation import checkpoint as cp
from workstation import letter_checkpoint, merkle
from workstation.keys import primitives as p


def leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(f"entry {i}".encode()) for i in range(n)]


def mth(hashes: list[bytes]) -> bytes:
    """RFC 9162 MTH written from the text, recursively (the reference the stored-node code is held to)."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = 1 << ((len(hashes) - 1).bit_length() - 1)
    return merkle.node_hash(mth(hashes[:k]), mth(hashes[k:]))


def flip(h: bytes) -> bytes:
    return bytes([h[0] ^ 1]) + h[1:]


@given(st.integers(min_value=0, max_value=300))
def test_roots_match_the_rfc_definition(n: int) -> None:
    hs = leaves(n)
    assert merkle.root(merkle.list_source(hs), n) == mth(hs)
    frontier = merkle.Frontier()
    emitted = {}
    for h in hs:
        emitted.update({(lv, i): x for lv, i, x in frontier.add(h)})
    assert frontier.root() == mth(hs)
    nodes = merkle.list_source(hs)
    assert all(nodes(lv, i) == x for (lv, i), x in emitted.items())      # every completed node, right


@settings(max_examples=300)
@given(st.data())
def test_inclusion_proofs_verify_and_fail_on_any_changed_hash(data: st.DataObject) -> None:
    n = data.draw(st.integers(min_value=1, max_value=600), label="size")
    index = data.draw(st.integers(min_value=0, max_value=n - 1), label="index")
    hs = leaves(n)
    root = mth(hs)
    path = merkle.inclusion_proof(merkle.list_source(hs), index, n)
    assert merkle.verify_inclusion(hs[index], index, n, path, root)
    assert not merkle.verify_inclusion(flip(hs[index]), index, n, path, root)
    assert not merkle.verify_inclusion(hs[index], index, n, path, flip(root))
    if path:
        k = data.draw(st.integers(min_value=0, max_value=len(path) - 1), label="changed")
        assert not merkle.verify_inclusion(hs[index], index, n, [*path[:k], flip(path[k]), *path[k + 1:]], root)
        assert not merkle.verify_inclusion(hs[index], index, n, path[:-1], root)
    if n > 1:
        assert not merkle.verify_inclusion(hs[index], (index + 1) % n, n, path, root)


@settings(max_examples=300)
@given(st.data())
def test_consistency_proofs_verify_and_fail_on_any_changed_hash(data: st.DataObject) -> None:
    n = data.draw(st.integers(min_value=0, max_value=600), label="new size")
    m = data.draw(st.integers(min_value=0, max_value=n), label="old size")
    hs = leaves(n)
    old_root, new_root = mth(hs[:m]), mth(hs)
    proof = merkle.consistency_proof(merkle.list_source(hs), m, n)
    assert merkle.verify_consistency(m, n, old_root, new_root, proof)
    if m > 0:       # every tree extends the empty one, whatever its root
        assert not merkle.verify_consistency(m, n, old_root, flip(new_root), proof)
        assert not merkle.verify_consistency(m, n, flip(old_root), new_root, proof)
    if proof:
        k = data.draw(st.integers(min_value=0, max_value=len(proof) - 1), label="changed")
        assert not merkle.verify_consistency(m, n, old_root, new_root, [*proof[:k], flip(proof[k]), *proof[k + 1:]])
    if 0 < m < n:   # a log whose first m entries differ is not consistent with the old root
        other = hs[:]
        other[data.draw(st.integers(min_value=0, max_value=m - 1), label="rewritten")] = merkle.leaf_hash(b"x")
        forged = merkle.consistency_proof(merkle.list_source(other), m, n)
        assert not merkle.verify_consistency(m, n, old_root, mth(other), forged)


def test_large_tree_proofs_need_only_log_n_nodes() -> None:
    calls = []

    def nodes(level: int, index: int) -> bytes:
        calls.append((level, index))
        return hashlib.sha256(f"{level}/{index}".encode()).digest()

    merkle.consistency_proof(nodes, 500_000, 1_000_000)
    merkle.inclusion_proof(nodes, 123_456, 1_000_000)
    assert len(calls) < 400


# --- signed notes: the Go sumdb/note package's own test vectors (golang.org/x/mod/sumdb/note) -------------

GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY_SEED = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_SIGNED = GO_TEXT + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfq" \
    "dngotpRZb6KE6RyyBwJnAM=\n"


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 70), st.integers(0, 40))
def test_a_saved_frontier_restored_grows_to_the_same_roots(n: int, more: int) -> None:
    hashes = leaves(n + more)
    tree = merkle.Frontier()
    for leaf in hashes[:n]:
        tree.add_fast(leaf)
    size, stack = tree.state()
    again = merkle.Frontier.restored(size, stack)
    for leaf in hashes[n:]:
        again.add_fast(leaf)
    assert size == n and again.size == n + more and again.root() == mth(hashes)
    bad = [(n | 1 << 10, stack), (n, (*stack, b"\0" * 32)), (-1, ())]
    bad += [(n, (stack[0][:31], *stack[1:]))] if n else []
    for wrong in bad:
        with pytest.raises(ValueError, match="not a Merkle frontier"):
            merkle.Frontier.restored(*wrong)


def test_key_id_verifier_key_and_signature_are_those_of_go_sumdb_note() -> None:
    public = p.public_from_private(GO_SKEY_SEED)
    assert cp.verifier_key("PeterNeumann", public) == GO_VKEY
    assert cp.parse_verifier_key(GO_VKEY) == ("PeterNeumann", public)
    sig = cp.sign(GO_TEXT, "PeterNeumann", GO_SKEY_SEED)
    line = f"\u2014 PeterNeumann {base64.b64encode(sig.key_id + sig.signature).decode()}\n"
    assert GO_TEXT + "\n" + line == GO_SIGNED


@pytest.mark.parametrize("bad", [GO_VKEY.replace("c74f20a3", "c74f20a4"), GO_VKEY[:-4], "Peter+c74f20a3",
                                 GO_VKEY.replace("+ARpc", "+AhRpc")])
def test_malformed_verifier_keys_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        cp.parse_verifier_key(bad)


def test_a_checkpoint_is_the_tlog_checkpoint_text_and_round_trips() -> None:
    private, public = p.new_signing_key()
    root = hashlib.sha256(b"root").digest()
    c = cp.make(cp.origin("ab12"), 42, root, cp.key_name("rita", "ab12"), private)
    lines = c.note.split("\n")
    assert lines[:4] == ["disclosure-workstation/ab12", "42", base64.b64encode(root).decode(), ""]
    assert lines[4].startswith("\u2014 rita@ab12 ") and lines[5] == "" and len(lines) == 6
    assert base64.b64decode(lines[4].split(" ")[2])[:4] == cp.key_id("rita@ab12", public)
    back = cp.parse(c.note)
    assert back == c and back.verify("rita@ab12", public) and back.store_id == "ab12"
    assert cp.parse(c.note.replace("\n", "\r\n")) == c
    assert not cp.parse(c.note.replace("\n42\n", "\n43\n")).verify("rita@ab12", public)


@pytest.mark.parametrize("text, what", [
    ("origin\n1\nAAAA\n\n\u2014 a b\n", "base64 SHA-256 root"),
    ("origin\nx\n" + base64.b64encode(bytes(32)).decode() + "\n\n\u2014 a AAAAAAAA\n", "tree size"),
    ("origin\n1\n" + base64.b64encode(bytes(32)).decode() + "\n", "no empty line"),
    ("origin\n1\n" + base64.b64encode(bytes(32)).decode() + "\n\n", "no signature"),
    ("origin\n1\n" + base64.b64encode(bytes(32)).decode() + "\n\n- a AAAAAAAA\n", "signature line"),
])
def test_malformed_checkpoints_say_what_is_wrong(text: str, what: str) -> None:
    with pytest.raises(cp.CheckpointFormatError, match=what):
        cp.parse(text)


def test_the_letter_checkpoint_property_reads_back() -> None:
    note = "disclosure-workstation/ab\n3\n" + base64.b64encode(bytes(32)).decode() + "\n\n\u2014 a@b AAAAAAAA\n"
    xmp = letter_checkpoint.xmp_property(note).encode()
    assert letter_checkpoint.find(b"%PDF-1.7\n" + xmp + b"\n%%EOF") == [note]
