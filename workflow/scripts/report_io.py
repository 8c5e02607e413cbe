"""Logging and atomic writes for the report scripts (plot_*.py, report_*.py).

Snakemake puts the directory of a rule's script on sys.path, so the scripts import this module as
`from report_io import ...` (a name that no standard-library module shadows).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd


def start_logging(log_path: str) -> logging.Logger:
    """Send logging and stderr to the rule's log file."""
    handler = logging.FileHandler(log_path, mode="w")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    sys.stderr = open(log_path, "a", buffering=1)
    logging.captureWarnings(True)
    return logging.getLogger("pexbench.report")


@contextlib.contextmanager
def atomic(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it to `path` on success."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".tmp{os.getpid()}.{final.name}")
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_table(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Tab-separated, numbers with 8 significant digits."""
    with atomic(path) as tmp:
        frame.to_csv(tmp, sep="\t", index=False, float_format="%.8g")
