"""`make package-test`: two builds of one checkout compared, file by file.

    python packaging/compare_builds.py FIRST DIST

FIRST holds the first build's sums (wheelhouse.SHA256SUMS, bundle.SHA256SUMS), DIST the second build
(DIST/wheelhouse/SHA256SUMS, DIST/disclosure-workstation/SHA256SUMS). Prints the sha256 of each SHA256SUMS (one
hash for a whole folder: equal when every file is), and every file that differs; adds the figures to
DIST/package-test-figures.json. Exit 0 when both folders are the same, byte for byte; 1 otherwise.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path


def sums(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text("utf-8").splitlines():
        digest, name = line.split("  ", 1)
        out[name] = digest
    return out


def compare(first: Path, dist: Path) -> int:
    figures_path = dist / "package-test-figures.json"
    figures = json.loads(figures_path.read_text("utf-8")) if figures_path.exists() else {}
    failed = 0
    for label, folder in (("wheelhouse", "wheelhouse"), ("bundle", "disclosure-workstation")):
        a_path, b_path = first / f"{label}.SHA256SUMS", dist / folder / "SHA256SUMS"
        a, b = sums(a_path), sums(b_path)
        ha, hb = (hashlib.sha256(p.read_bytes()).hexdigest() for p in (a_path, b_path))
        differ = sorted(n for n in a.keys() | b.keys() if a.get(n) != b.get(n))
        figures[f"reproducible_{label}"] = {"first_build_sha256sums": ha, "second_build_sha256sums": hb,
                                            "files": len(b), "files_that_differ": differ[:20]}
        if differ:
            failed = 1
            print(f"{label}: the two builds differ in {len(differ)} of {len(b)} files: {', '.join(differ[:10])}")
        else:
            print(f"{label}: the two builds are the same, all {len(b)} files (SHA256SUMS sha256 {hb})")
    figures_path.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n", "utf-8")
    return failed


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: compare_builds.py FIRST DIST")
    sys.exit(compare(Path(sys.argv[1]), Path(sys.argv[2])))
