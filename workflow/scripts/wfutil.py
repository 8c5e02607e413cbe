"""Glue shared by the workflow scripts: logging to the rule's log file, the shard helpers, and
the table and atomic-write helpers of `pexbench.tables`.

Snakemake puts the directory of a rule's script on sys.path, so scripts import this module as
`from wfutil import ...`, before any `pexbench` import (wfgenotypes and wfmodels import it too).
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from pathlib import Path

# Conda envs (envs/pexbench.yaml) hold the dependencies only: use this checkout's library.
if importlib.util.find_spec("pexbench") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

import pandas as pd

from pexbench.tables import atomic_path, read_table, write_table

__all__ = [
    "atomic_path",
    "kept_individuals",
    "read_table",
    "shard_genes",
    "start_logging",
    "write_table",
]


def start_logging(log_path: str) -> logging.Logger:
    """Send logging (pexbench's included) and stderr to the rule's log file."""
    handler = logging.FileHandler(log_path, mode="w")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    sys.stderr = open(log_path, "a", buffering=1)
    logging.captureWarnings(True)
    return logging.getLogger("pexbench.workflow")


def shard_genes(genes_tsv: str, shard: str) -> pd.DataFrame:
    """The rows of results/inputs/genes.tsv that belong to `shard` (column `shard`)."""
    genes = read_table(genes_tsv, dtype={"chrom": str, "gene_id": str, "symbol": str})
    return genes[genes["shard"] == int(shard)].reset_index(drop=True)


def kept_individuals(individuals_tsv: str) -> list[str]:
    """The kept individuals of results/inputs/individuals.tsv, in file (VCF) order."""
    table = read_table(individuals_tsv, dtype={"individual": str})
    return table.loc[table["kept"].astype(bool), "individual"].tolist()
