"""RFC 9162 §2.1 Merkle tree hashing, inclusion and consistency proofs (pure functions, no store).

leaf hash = SHA-256(0x00 || entry bytes); node hash = SHA-256(0x01 || left || right); the hash of an empty
tree is SHA-256 of nothing. A tree's nodes are addressed as (level, index): node (L, i) is the root of the
perfect subtree over leaves [i * 2**L, (i + 1) * 2**L). Proofs are built from any `NodeSource`, so the same
code runs over the store's stored nodes and over a plain list of leaves (the property tests).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .crypto.digest import sha256

EMPTY_ROOT = sha256(b"")

NodeSource = Callable[[int, int], bytes]    # (level, index) -> hash of that perfect subtree


def leaf_hash(entry: bytes) -> bytes:
    return sha256(b"\x00" + entry)


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def perfect_subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """(level, index) of the perfect subtrees that make up leaves [start, end), left to right, for a range
    whose start is a multiple of a power of two at least its length (every range RFC 9162 recurses into)."""
    out = []
    while start < end:
        level = (end - start).bit_length() - 1
        while start % (1 << level):
            level -= 1
        out.append((level, start >> level))
        start += 1 << level
    return out


def subtree_root(nodes: NodeSource, start: int, end: int) -> bytes:
    """MTH(D[start:end]) from stored perfect subtrees: at most log2(n) look-ups."""
    if start >= end:
        return EMPTY_ROOT
    parts = [nodes(level, index) for level, index in perfect_subtrees(start, end)]
    h = parts[-1]
    for left in reversed(parts[:-1]):
        h = node_hash(left, h)
    return h


def root(nodes: NodeSource, size: int) -> bytes:
    return subtree_root(nodes, 0, size)


def inclusion_proof(nodes: NodeSource, index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 9162 §2.1.3.1, leaf to root."""
    if not 0 <= index < size:
        raise ValueError("leaf index outside the tree")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index - start < k:
            path.append(subtree_root(nodes, start + k, end))
            end = start + k
        else:
            path.append(subtree_root(nodes, start, start + k))
            start += k
    path.reverse()
    return path


def consistency_proof(nodes: NodeSource, old: int, new: int) -> list[bytes]:
    """PROOF(old, D[0:new]) of RFC 9162 §2.1.4.1 (empty when old is 0 or old == new)."""
    if not 0 <= old <= new:
        raise ValueError("the old size is larger than the new one")
    if old == 0 or old == new:
        return []
    proof: list[bytes] = []
    start, end, m, whole = 0, new, old, True
    while True:
        n = end - start
        if m == n:
            if not whole:
                proof.append(subtree_root(nodes, start, end))
            break
        k = _split(n)
        if m <= k:
            proof.append(subtree_root(nodes, start + k, end))
            end = start + k
        else:
            proof.append(subtree_root(nodes, start, start + k))
            start, m, whole = start + k, m - k, False
    proof.reverse()
    return proof


def verify_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes], expected_root: bytes) -> bool:
    """RFC 9162 §2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected_root


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2, with its two edge cases: old == new (empty proof, equal roots) and old == 0."""
    if not 0 <= old <= new:
        return False
    if old == new:
        return not proof and old_root == new_root
    if old == 0:
        return not proof and old_root == EMPTY_ROOT
    path = list(proof)
    if not path:
        return False
    if old & (old - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


class Frontier:
    """The right edge of a growing tree (one perfect-subtree root per set bit of its size): adding a leaf
    costs O(1) amortised and reports every node it completes, so a stream of leaves builds or checks a whole
    stored tree in one pass."""

    __slots__ = ("_stack", "size")

    def __init__(self, size: int = 0, stack: Sequence[bytes] = ()) -> None:
        self.size = size
        self._stack = list(stack)       # the perfect subtrees of `size`, largest (leftmost) first

    @classmethod
    def of(cls, nodes: NodeSource, size: int) -> Frontier:
        return cls(size, [nodes(level, index) for level, index in perfect_subtrees(0, size)])

    @classmethod
    def restored(cls, size: int, stack: Sequence[bytes]) -> Frontier:
        """A frontier from its `state()`, saved earlier; ValueError when it cannot be one (a negative size, or
        not one 32-byte hash per set bit of the size). Whether the hashes are the tree's is the saver's to say."""
        if size < 0 or len(stack) != size.bit_count() or any(len(h) != 32 for h in stack):
            raise ValueError("not a Merkle frontier")
        return cls(size, [bytes(h) for h in stack])

    def state(self) -> tuple[int, tuple[bytes, ...]]:
        """(size, the perfect subtrees' roots, largest first): all a frontier is, for `restored`."""
        return self.size, tuple(self._stack)

    def add(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Append a leaf hash; returns the (level, index, hash) of every node it completes, leaf first."""
        n = self.size
        out = [(0, n, leaf)]
        h, level, stack = leaf, 0, self._stack
        while n & 1:
            h = node_hash(stack.pop(), h)
            n >>= 1
            level += 1
            out.append((level, n, h))
        stack.append(h)
        self.size += 1
        return out

    def add_fast(self, leaf: bytes) -> None:
        """Like add, without reporting the nodes (the verifier's hot loop)."""
        n, h, stack = self.size, leaf, self._stack
        while n & 1:
            h = sha256(b"\x01" + stack.pop() + h)
            n >>= 1
        stack.append(h)
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        h = self._stack[-1]
        for left in reversed(self._stack[:-1]):
            h = node_hash(left, h)
        return h


def list_source(leaves: Sequence[bytes]) -> NodeSource:
    """A NodeSource over leaf hashes held in memory (tests and small tools)."""
    cache: dict[tuple[int, int], bytes] = {}

    def nodes(level: int, index: int) -> bytes:
        if level == 0:
            return leaves[index]
        key = (level, index)
        if key not in cache:
            cache[key] = node_hash(nodes(level - 1, 2 * index), nodes(level - 1, 2 * index + 1))
        return cache[key]

    return nodes
