"""Gene tables: one row per gene with its TSS, from a GTF or a TSV, and the filters applied to them.

Gene table columns (`GENE_COLUMNS`):

- ``gene_id``: as in the source, version suffix kept (``ENSG00000215270.3``);
  `match_gene_ids` pairs ids with and without the suffix.
- ``symbol``: ``gene_name`` of the GTF (the gene id where the GTF has none).
- ``chrom``: contig name; the FASTA's name when ``reference_contigs`` is given.
- ``tss``: **0-based** position of the transcription start site: GTF ``start - 1`` on ``+`` and
  ``end - 1`` on ``-`` (the first transcribed base, in 0-based coordinates). A TSV gene table must
  give ``tss`` 0-based too (a 1-based TSS is one more than this).
- ``strand``: ``+`` or ``-``.

Every filter returns the genes it kept and a table of the genes it dropped with the reason
(`DROPPED_COLUMNS`), so that nothing disappears silently.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from pexbench.contigs import ContigError, match_contig
from pexbench.errors import InputError, listing
from pexbench.tables import open_text, read_table

GENE_COLUMNS = ["gene_id", "symbol", "chrom", "tss", "strand"]
DROPPED_COLUMNS = ["gene_id", "symbol", "chrom", "tss", "reason"]

REASON_GENE_TYPE = "gene_type not selected"
REASON_CONTIG = "contig not in FASTA"
REASON_REGION = "TSS outside the selected regions"
REASON_EXPRESSION = "not in the expression table"
REASON_NOT_LISTED = "not in genes.gene_ids"
REASON_MAX_GENES = "beyond genes.max_genes"
REASON_NOT_IN_ANNOTATION = "not in annotation"

GeneFormat = Literal["auto", "gtf", "tsv"]

log = logging.getLogger(__name__)

_ATTRIBUTE = re.compile(r'(\S+)\s+"([^"]*)"')
_VERSION = re.compile(r"\.\d+$")
REGION_PATTERN = re.compile(r"^(?P<chrom>[^:\s]+)(?::(?P<start>[\d,]+)-(?P<end>[\d,]+))?$")


def sniff_gene_format(path: Path) -> Literal["gtf", "tsv"]:
    """`gtf` when the first data line has 9 tab-separated fields and a `gene_id "..."` field."""
    with open_text(path) as fh:
        for line in fh:
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.rstrip("\n").split("\t")
            if len(fields) == 9 and 'gene_id "' in fields[8]:
                return "gtf"
            return "tsv"
    raise InputError(f"gene annotation {path} holds no data lines; point it at a GTF or gene TSV")


def _read_gtf(path: Path) -> pd.DataFrame:
    """The `gene` rows of a GTF as a gene table (+ `gene_type`); other features are skipped."""
    rows: list[tuple[str, str, str, int, str, str]] = []
    with open_text(path) as fh:
        for lineno, line in enumerate(fh, start=1):
            if "\tgene\t" not in line or line.startswith("#"):
                continue
            fields = line.rstrip("\n").split("\t")
            if len(fields) != 9 or fields[2] != "gene":
                continue
            attributes = dict(_ATTRIBUTE.findall(fields[8]))
            gene_id = attributes.get("gene_id")
            if not gene_id:
                raise InputError(
                    f"{path}, line {lineno}: gene row without a gene_id attribute; "
                    "the GTF must give gene_id on every gene row"
                )
            strand = fields[6]
            try:
                start, end = int(fields[3]), int(fields[4])
            except ValueError:
                raise InputError(
                    f"{path}, line {lineno}: start/end {fields[3]!r}/{fields[4]!r} are not "
                    "integers; is this a GTF?"
                ) from None
            if strand == "+":
                tss = start - 1
            elif strand == "-":
                tss = end - 1
            else:
                raise InputError(
                    f"{path}, line {lineno}: gene {gene_id} has strand {strand!r}; a TSS needs "
                    "'+' or '-': remove unstranded genes from the annotation"
                )
            symbol = attributes.get("gene_name") or gene_id
            gene_type = attributes.get("gene_type") or attributes.get("gene_biotype") or ""
            rows.append((gene_id, symbol, fields[0], tss, strand, gene_type))
    if not rows:
        raise InputError(
            f"{path} has no rows with feature 'gene' (column 3); use a GENCODE/Ensembl GTF with "
            "gene rows, or a TSV gene table (gene_id, symbol, chrom, tss 0-based, strand)"
        )
    frame = pd.DataFrame(rows, columns=[*GENE_COLUMNS, "gene_type"])
    frame["tss"] = frame["tss"].astype(np.int64)
    return frame


def _read_tsv(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, comment=None)
    frame.columns = [str(c).lstrip("#") for c in frame.columns]
    missing = [c for c in ("gene_id", "chrom", "tss", "strand") if c not in frame.columns]
    if missing:
        raise InputError(
            f"gene table {path} lacks column(s) {missing}; a TSV gene table needs gene_id, "
            "chrom, tss (0-based), strand and optionally symbol, gene_type"
        )
    if "symbol" not in frame.columns:
        frame["symbol"] = frame["gene_id"]
    frame["symbol"] = frame["symbol"].where(frame["symbol"] != "", frame["gene_id"])
    empty = frame[["gene_id", "chrom", "tss", "strand"]].eq("").any(axis=1).to_numpy()
    if empty.any():
        line = int(np.flatnonzero(empty)[0]) + 2
        raise InputError(f"{path}, line {line}: empty gene_id/chrom/tss/strand; fill it or drop it")
    tss = pd.to_numeric(frame["tss"], errors="coerce")
    bad = (tss.isna() | (tss < 0) | (tss != tss.round())).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{path}, line {i + 2}: tss {frame['tss'].iloc[i]!r} of gene "
            f"{frame['gene_id'].iloc[i]} is not a non-negative integer (tss is 0-based)"
        )
    badstrand = ~frame["strand"].isin(["+", "-"]).to_numpy()
    if badstrand.any():
        i = int(np.flatnonzero(badstrand)[0])
        raise InputError(
            f"{path}, line {i + 2}: strand {frame['strand'].iloc[i]!r} of gene "
            f"{frame['gene_id'].iloc[i]} must be '+' or '-'"
        )
    frame["tss"] = tss.astype(np.int64)
    if "gene_type" not in frame.columns:
        frame["gene_type"] = ""
    return frame[[*GENE_COLUMNS, "gene_type"]].reset_index(drop=True)


def _read_raw(path: Path, fmt: GeneFormat) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"gene annotation {path} does not exist; check inputs.annotation")
    kind = sniff_gene_format(path) if fmt == "auto" else fmt
    if kind == "gtf":
        return _read_gtf(path)
    if kind == "tsv":
        return _read_tsv(path)
    raise InputError(f"unknown gene table format {fmt!r} for {path}; use auto, gtf or tsv")


def _filter_gene_types(
    genes: pd.DataFrame, gene_types: Iterable[str] | None, source: Path
) -> tuple[pd.DataFrame, pd.DataFrame]:
    if gene_types is None:
        return genes, _empty_dropped()
    wanted = set(gene_types)
    if (genes["gene_type"] == "").all():
        # the documented TSV format has no type column: nothing to filter on, every gene kept
        log.warning(
            "%s gives no gene types (gene_type/gene_biotype attribute or gene_type column): "
            "genes.gene_types %s not applied, all %d genes kept; add a gene_type column to "
            "filter by type",
            source,
            sorted(wanted),
            len(genes),
        )
        return genes, _empty_dropped()
    keep = genes["gene_type"].isin(wanted).to_numpy()
    return genes[keep], _dropped(genes[~keep], REASON_GENE_TYPE)


def _contig_names(reference_contigs: Mapping[str, int] | Iterable[str]) -> list[str]:
    return list(
        reference_contigs.keys() if isinstance(reference_contigs, Mapping) else reference_contigs
    )


def harmonise_gene_contigs(
    genes: pd.DataFrame,
    reference_contigs: Mapping[str, int] | Iterable[str],
    *,
    source: str = "",
    target: str = "the FASTA",
    unknown: Literal["error", "drop"] = "error",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rename `chrom` to the reference's contig names (`22` -> `chr22`).

    A gene on a contig the reference lacks is an error (default) or dropped with reason
    `REASON_CONTIG` (``unknown="drop"``). With contig lengths (a mapping), a TSS beyond the end of
    its contig is an error (the annotation and the FASTA are of different builds).
    """
    names = _contig_names(reference_contigs)
    mapping: dict[str, str | None] = {}
    for chrom in pd.unique(genes["chrom"]):
        try:
            mapping[chrom] = match_contig(chrom, names, source=source, target=target)
        except ContigError:
            mapping[chrom] = None
    renamed = genes["chrom"].map(mapping)
    absent = renamed.isna().to_numpy()
    if absent.any() and unknown == "error":
        lost = genes[absent]
        per_contig = lost.groupby("chrom", sort=False)["gene_id"].agg(["count", "first"])
        detail = "; ".join(
            f"contig {c!r}: {n} gene(s), e.g. {g}" for c, (n, g) in per_contig.iterrows()
        )
        shown = listing(names)
        raise InputError(
            f"genes of {source or 'the annotation'} lie on contigs absent from {target} "
            f"({shown}): {detail}. Use a FASTA with these contigs, restrict the genes with "
            "genes.regions, or remove these contigs from the annotation"
        )
    kept = genes[~absent].copy()
    kept["chrom"] = renamed[~absent].astype(str).to_numpy()
    if isinstance(reference_contigs, Mapping) and len(kept):
        lengths = kept["chrom"].map(dict(reference_contigs)).to_numpy(dtype=np.int64)
        beyond = kept["tss"].to_numpy() >= lengths
        if beyond.any():
            row = kept[beyond].iloc[0]
            raise InputError(
                f"{int(beyond.sum())} gene(s) of {source or 'the annotation'} have a TSS beyond "
                f"the end of their contig in {target}, e.g. {row['gene_id']} at {row['chrom']}:"
                f"{row['tss'] + 1} (contig length {dict(reference_contigs)[row['chrom']]}); the "
                "annotation and the FASTA are of different builds: use matching ones"
            )
    return kept, _dropped(genes[absent], REASON_CONTIG)


def check_unique_ids(genes: pd.DataFrame, source: str = "") -> None:
    """Duplicate gene ids are an error naming them (e.g. chrX/chrY PAR copies in GENCODE v19)."""
    dup = genes["gene_id"].duplicated(keep=False).to_numpy()
    if dup.any():
        ids = pd.unique(genes["gene_id"][dup])
        where = genes[dup].groupby("gene_id", sort=False)["chrom"].agg(lambda c: "/".join(c))
        shown = listing([f"{g} ({where[g]})" for g in ids])
        raise InputError(
            f"{len(ids)} gene id(s) occur more than once in {source or 'the gene table'}: {shown}. "
            "Gene ids must be unique: restrict the genes (genes.regions) or remove the duplicates "
            "(GENCODE v19 repeats PAR genes on chrX and chrY)"
        )


def read_genes(
    path: Path | str,
    fmt: GeneFormat = "auto",
    reference_contigs: Mapping[str, int] | Iterable[str] | None = None,
    gene_types: Iterable[str] | None = None,
    *,
    gene_ids: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Gene table (`GENE_COLUMNS`) from a GTF (`gene` rows) or a TSV; TSS is 0-based.

    `reference_contigs` (FASTA contig names, or a name->length mapping) renames `chrom` to the
    FASTA's names; a gene on a contig the FASTA lacks is an `InputError`. `gene_types` keeps only
    those GTF ``gene_type``/``gene_biotype`` values; `gene_ids` keeps only those genes (with or
    without version suffix; an id absent from the annotation is an `InputError`). Duplicate gene
    ids are an `InputError`. Use `prepare_genes` to drop (and report) instead of failing.
    """
    path = Path(path)
    genes = _read_raw(path, fmt)
    if gene_ids is not None:
        genes, _ = filter_gene_list(genes, gene_ids, source=str(path))
    genes, _ = _filter_gene_types(genes, gene_types, path)
    if reference_contigs is not None:
        genes, _ = harmonise_gene_contigs(genes, reference_contigs, source=str(path))
    check_unique_ids(genes, str(path))
    return genes[GENE_COLUMNS].reset_index(drop=True)


# ---------------------------------------------------------------------------- gene ids


def strip_version(gene_id: str) -> str:
    """`ENSG00000215270.3` -> `ENSG00000215270` (ids without a numeric suffix are unchanged)."""
    return _VERSION.sub("", gene_id)


def match_gene_ids(ids: Iterable[str], targets: Iterable[str]) -> dict[str, str]:
    """Map each id of `ids` to its counterpart in `targets`: exact match first, then the same id
    without version suffix (`ENSG...1.3` <-> `ENSG...1` or `ENSG...1.4`) when that is unambiguous.
    Ids without counterpart are left out of the result."""
    pool = list(targets)
    exact = set(pool)
    by_base: dict[str, list[str]] = {}
    for t in pool:
        by_base.setdefault(strip_version(t), []).append(t)
    out: dict[str, str] = {}
    for gene_id in ids:
        if gene_id in exact:
            out[gene_id] = gene_id
            continue
        hits = by_base.get(strip_version(gene_id), [])
        if len(hits) == 1:
            out[gene_id] = hits[0]
    return out


# ---------------------------------------------------------------------------- filters


def _empty_dropped() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype=np.int64 if c == "tss" else object) for c in DROPPED_COLUMNS}
    )


def _dropped(genes: pd.DataFrame, reason: str) -> pd.DataFrame:
    if genes.empty:
        return _empty_dropped()
    out = genes[["gene_id", "symbol", "chrom", "tss"]].copy()
    out["reason"] = reason
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class Region:
    """A 1-based inclusive region `chrom:start-end` (`end` None = to the end of the contig)."""

    chrom: str
    start: int
    end: int | None

    def __str__(self) -> str:
        return self.chrom if self.end is None else f"{self.chrom}:{self.start}-{self.end}"


def parse_region(text: str) -> Region:
    """`chr22:50,300,000-51,000,000` or `chr22` (1-based, inclusive) -> `Region`."""
    m = REGION_PATTERN.match(text.strip())
    if not m:
        raise InputError(
            f"region {text!r} is not 'chrom:start-end' (1-based, inclusive) or 'chrom'; "
            "fix genes.regions"
        )
    if m["start"] is None:
        return Region(m["chrom"], 1, None)
    start, end = int(m["start"].replace(",", "")), int(m["end"].replace(",", ""))
    if start < 1 or end < start:
        raise InputError(f"region {text!r}: need 1 <= start <= end (1-based, inclusive)")
    return Region(m["chrom"], start, end)


def filter_regions(
    genes: pd.DataFrame, regions: Sequence[str | Region]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep genes whose TSS lies in any region (1-based inclusive; `22` and `chr22` agree).

    A region whose contig matches no gene contig is an InputError naming the entry
    (`genes.regions[i]`) and the gene contigs."""
    parsed = [r if isinstance(r, Region) else parse_region(r) for r in regions]
    chroms = list(pd.unique(genes["chrom"]))
    tss1 = genes["tss"].to_numpy(dtype=np.int64) + 1
    keep = np.zeros(len(genes), dtype=bool)
    for i, region in enumerate(parsed):
        try:
            chrom = match_contig(region.chrom, chroms)
        except ContigError:
            shown = listing(chroms, 25)
            raise InputError(
                f"genes.regions[{i}] = {str(region)!r}: contig {region.chrom!r} matches no contig "
                f"of the gene annotation (contigs: {shown or 'none'}); fix the region's contig "
                "name or remove the entry"
            ) from None
        inside = genes["chrom"].to_numpy() == chrom
        inside &= tss1 >= region.start
        if region.end is not None:
            inside &= tss1 <= region.end
        keep |= inside
    return genes[keep].reset_index(drop=True), _dropped(genes[~keep], REASON_REGION)


def filter_expressed(
    genes: pd.DataFrame, expression_ids: Iterable[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep genes present in the expression table (ids matched with/without version suffix).

    The kept table keeps the annotation's ids; `match_gene_ids` gives the expression-side ids.
    """
    matched = match_gene_ids(genes["gene_id"], expression_ids)
    keep = genes["gene_id"].isin(list(matched)).to_numpy()
    return genes[keep].reset_index(drop=True), _dropped(genes[~keep], REASON_EXPRESSION)


def unmatched_expression_ids(
    annotation_ids: Iterable[str], expression_ids: Iterable[str]
) -> pd.DataFrame:
    """Expression gene ids that match no gene of the annotation (with or without version
    suffix), as dropped rows (`DROPPED_COLUMNS`; symbol, chrom and tss NA) with reason
    `REASON_NOT_IN_ANNOTATION`, in the expression table's order."""
    ids = list(dict.fromkeys(str(g) for g in expression_ids))
    matched = match_gene_ids(ids, annotation_ids)
    missing = [g for g in ids if g not in matched]
    return pd.DataFrame(
        {
            "gene_id": pd.Series(missing, dtype=object),
            "symbol": pd.Series([None] * len(missing), dtype=object),
            "chrom": pd.Series([None] * len(missing), dtype=object),
            "tss": pd.Series([pd.NA] * len(missing), dtype="Int64"),
            "reason": pd.Series([REASON_NOT_IN_ANNOTATION] * len(missing), dtype=object),
        }
    )


def filter_gene_list(
    genes: pd.DataFrame, gene_ids: Iterable[str], *, source: str = ""
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep the listed genes (ids with or without version suffix). A listed id that is not in
    the table is an `InputError` naming it."""
    listed = listed_gene_ids(genes, gene_ids, source=source)
    keep = genes["gene_id"].isin(listed).to_numpy()
    return genes[keep], _dropped(genes[~keep], REASON_NOT_LISTED)


def listed_gene_ids(genes: pd.DataFrame, gene_ids: Iterable[str], *, source: str = "") -> set[str]:
    """The ids of `genes` that `gene_ids` name (with or without version suffix,
    `match_gene_ids`). An id naming no gene of the table is an `InputError` naming it and the
    config key `genes.gene_ids`."""
    wanted = list(dict.fromkeys(gene_ids))
    matched = match_gene_ids(wanted, genes["gene_id"])
    unknown = [g for g in wanted if g not in matched]
    if unknown:
        shown = listing(unknown)
        raise InputError(
            f"{len(unknown)} gene id(s) of genes.gene_ids name no gene of "
            f"{source or 'the gene table'} (or several versions of one): {shown}; fix "
            "genes.gene_ids (ids with or without version suffix) or use the annotation they "
            "come from"
        )
    return set(matched.values())


def prepare_genes(
    path: Path | str,
    *,
    reference_contigs: Mapping[str, int] | Iterable[str],
    fmt: GeneFormat = "auto",
    gene_types: Iterable[str] | None = None,
    regions: Sequence[str] | None = None,
    expression_ids: Iterable[str] | None = None,
    gene_ids: Iterable[str] | None = None,
    unknown_contigs: Literal["error", "drop"] = "error",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Genes filtered by type, regions, contigs, expression and gene list, with the reasons.

    Expression ids that match no annotation gene are dropped rows with reason
    `REASON_NOT_IN_ANNOTATION` (gene_id = the expression table's id; symbol, chrom, tss NA).

    Regions are applied before contig harmonisation, so that a genome-wide annotation restricted
    to the FASTA's contigs by `regions` is no error. `gene_ids` (`genes.gene_ids`) are matched
    against the whole annotation (an id naming no gene there is an `InputError`) and applied
    last: a listed gene that another filter removes is a dropped row with that filter's reason,
    unlisted genes are dropped with `REASON_NOT_LISTED`. Returns (genes sorted by chrom order of
    the FASTA then TSS, dropped genes with reasons). Duplicate ids among the kept genes are an
    error.
    """
    path = Path(path)
    genes = _read_raw(path, fmt)
    listed = None if gene_ids is None else listed_gene_ids(genes, gene_ids, source=str(path))
    dropped: list[pd.DataFrame] = []
    if expression_ids is not None:
        expression_ids = list(expression_ids)
        # expression ids with no gene in the whole annotation (the others are dropped, if at
        # all, with the reason of the filter that removed their gene)
        dropped.append(unmatched_expression_ids(genes["gene_id"], expression_ids))
    genes, d = _filter_gene_types(genes, gene_types, path)
    dropped.append(d)
    if regions:
        genes, d = filter_regions(genes, regions)
        dropped.append(d)
    genes, d = harmonise_gene_contigs(
        genes, reference_contigs, source=str(path), unknown=unknown_contigs
    )
    dropped.append(d)
    if expression_ids is not None:
        genes, d = filter_expressed(genes, expression_ids)
        dropped.append(d)
    check_unique_ids(genes, str(path))
    order = {name: i for i, name in enumerate(_contig_names(reference_contigs))}
    genes = genes.assign(_order=genes["chrom"].map(order)).sort_values(
        ["_order", "tss", "gene_id"], kind="stable"
    )
    if listed is not None:
        keep = genes["gene_id"].isin(listed).to_numpy()
        dropped.append(_dropped(genes[~keep], REASON_NOT_LISTED))
        genes = genes[keep]
    return genes[GENE_COLUMNS].reset_index(drop=True), _concat_dropped(dropped)


def _concat_dropped(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    kept = [d for d in frames if not d.empty]
    return pd.concat(kept, ignore_index=True) if kept else _empty_dropped()


def gene_table(
    path: Path | str,
    *,
    reference_contigs: Mapping[str, int],
    expression_ids: Iterable[str],
    gene_types: Iterable[str] | None = None,
    regions: Sequence[str] | None = None,
    gene_ids: Iterable[str] | None = None,
    max_genes: int | None = None,
    shards: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The workflow's gene table: `prepare_genes` (genes on contigs the FASTA lacks are an
    error), then the first `max_genes` in genome order, each with its `shard`.

    Shards are contiguous runs of (nearly) equal size in genome order (deterministic; with more
    shards than genes the last ones are empty). Returns (genes: `GENE_COLUMNS` + shard,
    dropped: `DROPPED_COLUMNS`). No gene left is an `InputError` giving the drops per reason.
    """
    genes, dropped = prepare_genes(
        path,
        reference_contigs=reference_contigs,
        gene_types=gene_types,
        regions=regions,
        expression_ids=expression_ids,
        gene_ids=gene_ids,
        unknown_contigs="error",
    )
    if max_genes is not None and len(genes) > max_genes:
        dropped = _concat_dropped([dropped, _dropped(genes.iloc[max_genes:], REASON_MAX_GENES)])
        genes = genes.iloc[:max_genes].reset_index(drop=True)
    if genes.empty:
        raise InputError(
            f"no genes left from {path} after the filters (dropped per reason: "
            f"{drop_summary(dropped)}); relax genes.regions, genes.gene_types or genes.gene_ids "
            "in the config, or check that the annotation and the expression table share gene ids"
        )
    sizes = [len(part) for part in np.array_split(np.arange(len(genes)), shards)]
    genes["shard"] = np.repeat(np.arange(shards), sizes)
    log.info(
        "%d genes kept in %d shards; dropped per reason: %s",
        len(genes),
        shards,
        drop_summary(dropped),
    )
    return genes, dropped[DROPPED_COLUMNS]


def gene_regions(genes: pd.DataFrame, flank: int) -> list[str]:
    """1-based inclusive regions `chrom:start-end` covering every TSS +- `flank` bp (merged where
    they overlap or touch, start clipped at 1), e.g. to restrict `normalise_vcf` to what the
    haplotypes of these genes can need: use flank >= sequence length / 2 plus a margin for
    indels."""
    out: list[str] = []
    for chrom, group in genes.groupby("chrom", sort=False):
        tss = np.sort(group["tss"].to_numpy(dtype=np.int64))
        starts = np.maximum(tss + 1 - flank, 1)
        ends = tss + 1 + flank
        # merge: a new block starts where a start lies beyond the running end + 1
        running = np.maximum.accumulate(ends)
        new = np.ones(len(tss), dtype=bool)
        new[1:] = starts[1:] > running[:-1] + 1
        block_start = starts[new]
        block_end = np.maximum.reduceat(ends, np.flatnonzero(new))
        out += [f"{chrom}:{a}-{b}" for a, b in zip(block_start, block_end, strict=True)]
    return out


def drop_summary(dropped: pd.DataFrame) -> dict[str, int]:
    """Number of dropped genes (or individuals) per reason."""
    return {str(k): int(v) for k, v in dropped["reason"].value_counts(sort=False).items()}


def shard_genes(genes_tsv: str | Path, shard: str | int) -> pd.DataFrame:
    """The rows of a gene table written by the workflow (column `shard`) that belong to `shard`."""
    genes = read_table(genes_tsv, kind="genes")
    return genes[genes["shard"] == int(shard)].reset_index(drop=True)
