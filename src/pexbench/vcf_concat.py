"""The normalised VCF parts (one per file of `inputs.vcf`) joined into the one genotype VCF the
later stages read, with their counts summed and their excluded REF mismatches listed together."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pysam
import pysam.bcftools

from pexbench.errors import InputError
from pexbench.paths import scratch_dir
from pexbench.tables import read_table, write_table

log = logging.getLogger(__name__)


def concat_vcfs(parts: Sequence[Path | str], vcf_out: Path | str, threads: int = 1) -> int:
    """`bcftools concat -a` of indexed, normalised VCF parts with the same samples (overlapping
    contigs allowed; records kept in position order) into bgzipped `vcf_out` + `.tbi`, written
    under a temporary name; returns the number of records."""
    vcf_out = Path(vcf_out)
    if not parts:
        raise InputError("no VCF part to concatenate; check inputs.vcf")
    samples = None
    for part in parts:
        with pysam.VariantFile(str(part)) as handle:
            names = list(handle.header.samples)
        if samples is not None and names != samples:
            raise InputError(
                f"VCF part {part} has other samples than {parts[0]}; every file of inputs.vcf "
                "must hold the same samples in the same order (bcftools view -s to reorder)"
            )
        samples = names
    with scratch_dir(vcf_out) as tmp:
        out = tmp / vcf_out.name
        try:
            pysam.bcftools.concat(
                "--no-version",
                "-a",
                "--threads",
                str(threads),
                "-Oz",
                "-o",
                str(out),
                *map(str, parts),
                catch_stdout=False,
            )
            pysam.bcftools.index("-t", str(out))
        except pysam.SamtoolsError as exc:
            raise InputError(f"bcftools concat of {list(map(str, parts))} failed: {exc}") from None
        records = int(pysam.bcftools.index("-n", str(out)).strip())
        os.replace(f"{out}.tbi", f"{vcf_out}.tbi")
        os.replace(out, vcf_out)
    return records


def sum_counts(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """`genotype_counts` tables of the parts summed per `what` (first-seen order)."""
    if not tables:
        return pd.DataFrame({"what": [], "count": []})
    joined = pd.concat(tables, ignore_index=True)
    summed = joined.groupby("what", sort=False)["count"].sum()
    return pd.DataFrame({"what": summed.index, "count": summed.to_numpy()})


def join_normalised_parts(
    parts: Sequence[Path | str],
    counts: Sequence[Path | str],
    mismatches: Sequence[Path | str],
    vcf_out: Path | str,
    counts_out: Path | str,
    mismatches_out: Path | str,
    *,
    threads: int = 1,
) -> pd.DataFrame:
    """Rule concat_vcf: the parts concatenated into `vcf_out`, their counts summed into
    `counts_out` (plus `vcf_parts`) and their excluded REF mismatches into `mismatches_out`.
    Returns the summed counts."""
    records = concat_vcfs(parts, vcf_out, threads=threads)
    tables = [read_table(path, kind="genotype_counts") for path in counts]
    total = sum_counts(tables)
    total = pd.concat(
        [total, pd.DataFrame({"what": ["vcf_parts"], "count": [len(parts)]})], ignore_index=True
    )
    excluded = pd.concat(
        [read_table(path, kind="ref_mismatches") for path in mismatches], ignore_index=True
    )
    for row in excluded.itertuples():
        log.warning("excluded (REF mismatch): %s %s:%d", row.vcf, row.chrom, row.pos)
    log.info("%d parts -> %s: %d records; %s", len(parts), vcf_out, records, total)
    write_table(total, counts_out, kind="genotype_counts")
    write_table(excluded, mismatches_out, kind="ref_mismatches")
    return total
