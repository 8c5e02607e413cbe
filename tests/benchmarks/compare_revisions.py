"""Run `bench_haplotypes.py` from two git revisions in one run and compare (a script, not a test).

Each revision is checked out into a temporary worktree and benchmarked with its own `src/` on
PYTHONPATH and its own copy of the benchmark, the two alternating (A B A B ...) so that load on a
shared machine hits both alike. Prints the end-to-end units/s of every repeat, the medians and the
ratio NEW / BASE.

    .venv/bin/python tests/benchmarks/compare_revisions.py --base 52825f6 --new HEAD \
        --repeats 3 -- --real-phased --model-length enformer --baseline-units 0 --cpu 0
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
KEY = "units_per_s_end_to_end"


def worktree(rev: str, where: Path) -> Path:
    """A detached worktree of `rev` in `where` (removed by the caller's temporary folder)."""
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "add", "--detach", "-f", str(where), rev],
        check=True,
        capture_output=True,
    )
    return where


def bench(tree: Path, args: list[str], out: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    script = tree / "tests" / "benchmarks" / "bench_haplotypes.py"
    subprocess.run(
        [sys.executable, str(script), *args, "--json", str(out)], check=True, env=env, cwd=tree
    )
    return float(json.loads(out.read_text())[KEY])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", required=True, help="baseline revision")
    p.add_argument("--new", default="HEAD", help="revision to compare (default HEAD)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("bench_args", nargs=argparse.REMAINDER, help="-- then bench_haplotypes options")
    a = p.parse_args()
    args = [x for x in a.bench_args if x != "--"]
    with tempfile.TemporaryDirectory(prefix="pexbench-revs-") as tmp:
        # the benchmark finds its data at ../shared of the checkout
        if (REPO.parent / "shared").exists():
            (Path(tmp) / "shared").symlink_to(REPO.parent / "shared")
        trees = {
            rev: worktree(rev, Path(tmp) / f"tree{i}") for i, rev in enumerate((a.base, a.new))
        }
        rates: dict[str, list[float]] = {rev: [] for rev in trees}
        try:
            for k in range(a.repeats):
                for i, (rev, tree) in enumerate(trees.items()):
                    rates[rev].append(bench(tree, args, Path(tmp) / f"{i}-{k}.json"))
                    print(f"repeat {k + 1}: {rev}: {rates[rev][-1]:,.0f} units/s", flush=True)
        finally:
            for tree in trees.values():
                subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "-f", str(tree)])
    base, new = (statistics.median(rates[rev]) for rev in trees)
    print(
        f"median {a.base}: {base:,.0f} units/s; {a.new}: {new:,.0f} units/s; ratio {new / base:.3f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
