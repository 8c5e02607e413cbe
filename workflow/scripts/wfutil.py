"""Helpers shared by the workflow scripts: logging to the rule's log file, atomic writes.

Snakemake puts the directory of a rule's script on sys.path, so scripts import this module as
`from wfutil import ...`.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd


def start_logging(log_path: str) -> logging.Logger:
    """Send logging (pexbench's included) and stderr to the rule's log file."""
    handler = logging.FileHandler(log_path, mode="w")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    sys.stderr = open(log_path, "a", buffering=1)
    logging.captureWarnings(True)
    return logging.getLogger("pexbench.workflow")


@contextlib.contextmanager
def atomic(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside `path` (same suffixes); rename it to `path` on success."""
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
    """Tab-separated; gzip (when the name ends in .gz) without timestamp or file name in the
    header, so that equal tables give equal bytes."""
    with atomic(path) as tmp:
        if not str(path).endswith(".gz"):
            frame.to_csv(tmp, sep="\t", index=False, float_format="%.8g")
            return
        with (
            open(tmp, "wb") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", filename="", mtime=0) as gz,
            io.TextIOWrapper(gz, encoding="utf-8", newline="") as text,
        ):
            frame.to_csv(text, sep="\t", index=False, float_format="%.8g")


def write_json(data: Any, path: str | os.PathLike[str]) -> None:
    with atomic(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def read_table(path: str | os.PathLike[str], **kwargs: Any) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", **kwargs)


def shard_genes(genes_tsv: str, shard: str) -> pd.DataFrame:
    """The rows of results/inputs/genes.tsv that belong to `shard` (column `shard`)."""
    genes = read_table(genes_tsv, dtype={"chrom": str, "gene_id": str, "symbol": str})
    return genes[genes["shard"] == int(shard)].reset_index(drop=True)


def kept_individuals(individuals_tsv: str) -> list[str]:
    """The kept individuals of results/inputs/individuals.tsv, in file (VCF) order."""
    table = read_table(individuals_tsv, dtype={"individual": str})
    return table.loc[table["kept"].astype(bool), "individual"].tolist()
