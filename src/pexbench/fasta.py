"""The reference FASTA: compression sniffing, faidx indexing, the workflow's bgzipped copy and
its contig lengths."""

from __future__ import annotations

import gzip
import logging
import os
import shutil
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pysam

from pexbench.errors import InputError
from pexbench.paths import is_fresh, scratch_dir
from pexbench.tables import GZIP_MAGIC

log = logging.getLogger(__name__)

Compression = Literal["none", "gzip", "bgzf"]


def compression(path: Path) -> Compression:
    """`bgzf` for blocked gzip (bgzip), `gzip` for plain gzip, `none` otherwise."""
    with open(path, "rb") as fh:
        head = fh.read(18)
    if head[:2] != GZIP_MAGIC:
        return "none"
    # BGZF: gzip with FEXTRA (FLG bit 2) holding the subfield 'BC' (RFC 1952 + SAM spec 4.1)
    if len(head) >= 14 and head[3] & 4 and head[12:14] == b"BC":
        return "bgzf"
    return "gzip"


def _check_fasta_start(path: Path, kind: Compression) -> None:
    opener = gzip.open if kind != "none" else open
    with opener(path, "rb") as fh:
        first = fh.read(1)
    if first != b">":
        raise InputError(
            f"cannot index {path}: it does not start with '>', so it is not a FASTA file; "
            "check inputs.fasta"
        )


def index_fasta(path: Path | str, *, source: Path | str | None = None) -> Path:
    """Build the faidx index (.fai, + .gzi when bgzipped) beside `path` unless an up-to-date one
    is there; return `path`. Errors name `source` (default `path`). Plain gzip is an error:
    faidx needs bgzip (`prepare_fasta` recompresses)."""
    path = Path(path)
    name = source or path
    kind = compression(path)
    if kind == "gzip":
        raise InputError(
            f"FASTA {name} is gzip-compressed but not with bgzip, so it cannot be indexed; "
            f"recompress it (zcat {name} | bgzip > genome.fa.gz) or decompress it (gunzip)"
        )
    needed = [Path(f"{path}.fai")] + ([Path(f"{path}.gzi")] if kind == "bgzf" else [])
    if not all(is_fresh(index, path) for index in needed):
        try:
            pysam.faidx(str(path))
        except pysam.SamtoolsError as exc:
            raise InputError(
                f"cannot index FASTA {name}: {str(exc).strip()}; check that it is a valid "
                "(bgzipped or plain) FASTA"
            ) from None
    return path


def prepare_fasta(src: Path | str, out: Path | str) -> Path:
    """Write `src` bgzip-compressed at `out` with its faidx index (`out`.fai, `out`.gzi).

    bgzip input is copied, plain gzip recompressed with bgzip, uncompressed input compressed.
    Everything is written in a scratch directory beside `out` and renamed into place at the end,
    so that a failure leaves neither partial outputs nor the decompressed genome. Errors
    (`InputError`, naming `src`): missing, not starting with '>', not indexable.
    """
    src, out = Path(src), Path(out)
    if not src.is_file():
        raise InputError(f"FASTA {src} does not exist; check inputs.fasta")
    kind = compression(src)
    _check_fasta_start(src, kind)
    with scratch_dir(out) as tmp:
        part = tmp / out.name
        if kind == "bgzf":
            log.info("%s is bgzip-compressed: copied", src)
            shutil.copyfile(src, part)
        elif kind == "gzip":
            log.info("%s is plain gzip: recompressed with bgzip", src)
            plain = tmp / "decompressed.fa"
            with gzip.open(src, "rb") as fin, open(plain, "wb") as fout:
                shutil.copyfileobj(fin, fout, 1 << 24)
            pysam.tabix_compress(str(plain), str(part), force=True)
            plain.unlink()
        else:
            log.info("%s is uncompressed: compressed with bgzip", src)
            pysam.tabix_compress(str(src), str(part), force=True)
        index_fasta(part, source=src)
        # indexes first: the FASTA appears last, complete with its indexes
        for suffix in (".fai", ".gzi"):
            os.replace(f"{part}{suffix}", f"{out}{suffix}")
        os.replace(part, out)
    contigs = fasta_contigs(out)
    log.info("%d contigs: %s", len(contigs), ", ".join(list(contigs)[:25]))
    return out


def fasta_contigs(fasta: Path | str) -> dict[str, int]:
    """Contig name -> length, in FASTA order, from the .fai index."""
    fai = Path(f"{fasta}.fai")
    if not fai.is_file():
        raise InputError(f"FASTA {fasta} has no .fai index; run prepare_fasta (or samtools faidx)")
    table = pd.read_csv(fai, sep="\t", header=None, usecols=[0, 1], dtype={0: str, 1: np.int64})
    return dict(zip(table[0], table[1], strict=True))
