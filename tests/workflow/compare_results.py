"""Compare two `results/` trees table by table (refactorings must keep the demo's tables).

    python tests/workflow/compare_results.py OLD_RESULTS NEW_RESULTS [--skip report]

Tables (.tsv, .json, and their .gz) are compared as decompressed bytes, haplotype shards (.npz)
array by array. Prints one line per differing, missing or extra file and a closing count;
exits 1 when anything differs.
"""

from __future__ import annotations

import argparse
import gzip
import sys
from pathlib import Path

import numpy as np

TABLE_SUFFIXES = (".tsv", ".json", ".tsv.gz", ".json.gz")


def _content(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.name.endswith(".gz") else data


def _npz_equal(a: Path, b: Path) -> bool:
    with np.load(a, allow_pickle=False) as x, np.load(b, allow_pickle=False) as y:
        if sorted(x.files) != sorted(y.files):
            return False
        return all(np.array_equal(x[k], y[k]) for k in x.files)


def _files(root: Path, skip: list[str]) -> set[str]:
    return {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file()
        and (p.name.endswith(TABLE_SUFFIXES) or p.suffix == ".npz")
        and not any(str(p.relative_to(root)).startswith(s) for s in skip)
    }


def compare(old: Path, new: Path, skip: list[str]) -> list[str]:
    """One line per difference between the tables of `old` and `new`."""
    a, b = _files(old, skip), _files(new, skip)
    problems = [f"missing in {new}: {name}" for name in sorted(a - b)]
    problems += [f"extra in {new}: {name}" for name in sorted(b - a)]
    for name in sorted(a & b):
        same = (
            _npz_equal(old / name, new / name)
            if name.endswith(".npz")
            else _content(old / name) == _content(new / name)
        )
        if not same:
            problems.append(f"differs: {name}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--skip", action="append", default=[], help="path prefix to ignore")
    args = parser.parse_args(argv)
    problems = compare(args.old, args.new, args.skip)
    for line in problems:
        print(line)
    n = len(_files(args.old, args.skip) | _files(args.new, args.skip))
    print(f"{n - len(problems)} identical, {len(problems)} different")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
