"""Measured expression: read, restrict to genotyped individuals, adjust, normalise, tidy.

Inputs
* QTLtools BED-like layout (`#chr start end gene length strand` then one column per
  individual; optional bgzip), or a plain TSV (`gene_id` then one column per individual).
  One parser of the header (`expression_layout`) serves every reader: the individuals, the gene
  ids and the values of a table are read under the same rules.
* Covariates in QTLtools layout: first column `id` (any name), one covariate per row, one column
  per individual; whitespace- or tab-separated.

Order of operations in `prepare_measured` (same as PredictDB/GTEx): restrict individuals ->
optional rank-inverse-normal transform per gene -> optional covariate regression (OLS
residuals per gene) -> tidy table -> optionally the genes of the gene table, under its ids.

Rank-inverse-normal transform (Blom 1958): z = Phi^-1((rank - 3/8) / (n + 1/4)), with average
ranks for ties and n the number of non-missing values of that gene; missing stays missing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from pexbench.contigs import ContigError, match_contig
from pexbench.errors import InputError
from pexbench.genes import match_gene_ids
from pexbench.tables import open_text

BED_FIXED = ["#chr", "start", "end", "gene", "length", "strand"]
#: first column of a plain TSV expression table (the gene id)
TSV_ID_COLUMNS = ("gene_id", "gene", "id", "#gene_id")
#: header names that describe a gene, never an individual
GENE_METADATA = {
    "chr",
    "#chr",
    "chrom",
    "#chrom",
    "start",
    "end",
    "gene",
    "gene_id",
    "pid",
    "gid",
    "phenotype_id",
    "id",
    "length",
    "strand",
    "score",
    "symbol",
    "gene_name",
    "gene_type",
    "name",
    "targetid",
    "gene_symbol",
    "coord",
    "description",
}
MISSING_TOKENS = {"", "NA", "NaN", "nan", "na", "."}
BLOM_A = 3.0 / 8.0

ExpressionFormat = Literal["auto", "bed", "tsv"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExpressionLayout:
    """The header of an expression table: its layout, the gene columns (`BED_FIXED`, or the
    gene id column of a TSV) and the individuals, in file order."""

    fmt: Literal["bed", "tsv"]
    gene_columns: list[str]
    individuals: list[str]

    @property
    def id_column(self) -> str:
        return "gene" if self.fmt == "bed" else self.gene_columns[0]


def expression_layout(path: str | Path, fmt: ExpressionFormat = "auto") -> ExpressionLayout:
    """Parse and check the header of an expression table (the one set of header rules).

    `bed`: the header starts with `BED_FIXED` (QTLtools). `tsv`: the first column is the gene id
    (with ``auto``: named one of `TSV_ID_COLUMNS`). Every further column is an individual; an
    empty, repeated or gene-metadata name (`symbol`, `strand`, ...) there is an `InputError`.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"expression table {path} does not exist; check inputs.expression")
    with open_text(path) as fh:
        line = fh.readline()
    if not line.strip():
        raise InputError(f"expression table {path} is empty; check inputs.expression")
    columns = line.rstrip("\r\n").split("\t")
    if fmt == "auto":
        if columns[: len(BED_FIXED)] == BED_FIXED:
            fmt = "bed"
        elif columns[0] in TSV_ID_COLUMNS:
            fmt = "tsv"
        else:
            raise InputError(
                f"{path}: header starts with {columns[:6]}; expected the QTLtools BED layout "
                f"{BED_FIXED} + individuals, or a TSV whose first column is gene_id."
            )
    if fmt == "bed" and columns[: len(BED_FIXED)] != BED_FIXED:
        raise InputError(f"{path}: BED layout needs the header {BED_FIXED}; found {columns[:6]}")
    if fmt not in ("bed", "tsv"):
        raise InputError(f"{path}: unknown expression layout {fmt!r}; use auto, bed or tsv")
    n_fixed = len(BED_FIXED) if fmt == "bed" else 1
    individuals = columns[n_fixed:]
    if not individuals:
        raise InputError(f"{path}: no individual columns after the gene columns {columns}")
    for i, name in enumerate(individuals, start=n_fixed + 1):
        if not name.strip() or name.lower() in GENE_METADATA:
            raise InputError(
                f"{path}: column {i} ({name!r}) must name an individual: after the gene columns "
                f"{columns[:n_fixed]} every column is one individual; remove the column"
            )
    seen: set[str] = set()
    dups = sorted({x for x in individuals if x in seen or seen.add(x)})
    if dups:
        raise InputError(
            f"expression table {path} repeats individual column(s) {dups[:10]}; keep one column "
            "per individual"
        )
    return ExpressionLayout(fmt, columns[:n_fixed], individuals)


def expression_samples(path: str | Path) -> list[str]:
    """Individuals (column names) of an expression table, in file order (header only)."""
    return expression_layout(path).individuals


def _read_raw(path: Path, sep: str | None) -> pd.DataFrame:
    with open_text(path) as handle:
        if sep is None:
            return pd.read_csv(handle, sep=r"\s+", dtype=str, keep_default_na=False)
        return pd.read_csv(handle, sep=sep, dtype=str, keep_default_na=False)


def _to_numeric(raw: pd.DataFrame, path: Path, id_col: str, first_data_line: int) -> pd.DataFrame:
    """Convert every column but `id_col` to float; a non-numeric cell raises naming the line,
    the row id and the column. Missing tokens (empty, NA, NaN, .) become NaN."""
    ids = raw[id_col].to_numpy()
    data = raw.drop(columns=[id_col])
    values = np.empty(data.shape, dtype=np.float64)
    for j, column in enumerate(data.columns):
        text = data[column]
        missing = text.str.strip().isin(MISSING_TOKENS).to_numpy()
        converted = pd.to_numeric(text.where(~missing, None), errors="coerce").to_numpy(
            dtype=np.float64
        )
        bad = np.isnan(converted) & ~missing
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{path}: line {first_data_line + i}, row {ids[i]!r}, column {column!r}: "
                f"value {text.iloc[i]!r} is not a number ({int(bad.sum())} such cells in this "
                "column). Use numbers, or NA for a missing value."
            )
        values[:, j] = converted
    return pd.DataFrame(values, index=pd.Index(ids, name=id_col), columns=list(data.columns))


def read_expression(path: str | Path, fmt: ExpressionFormat = "auto") -> pd.DataFrame:
    """Read a gene x individual expression matrix (header rules: `expression_layout`).

    Returns a float DataFrame: index `gene_id` (str), one column per individual (file order);
    missing values are NaN (see `count_missing`). Raises InputError on a bad header, duplicated
    gene ids or non-numeric values.
    """
    path = Path(path)
    layout = expression_layout(path, fmt)
    raw = _read_raw(path, "\t")
    raw = raw.drop(columns=[c for c in layout.gene_columns if c != layout.id_column])
    id_col = layout.id_column
    dup = raw[id_col].duplicated(keep=False).to_numpy()
    if dup.any():
        lines = (np.flatnonzero(dup) + 2).tolist()
        first = raw[id_col].to_numpy()[dup][0]
        raise InputError(
            f"{path}: gene id {first!r} appears more than once ({int(dup.sum())} rows with "
            f"duplicated ids, lines {lines[:10]}); keep one row per gene."
        )
    matrix = _to_numeric(raw, path, id_col, first_data_line=2)
    matrix.index.name = "gene_id"
    return matrix


def expression_genes(path: str | Path) -> pd.DataFrame:
    """The genes of an expression table: `gene_id`, and for the BED layout `chrom`, `tss`
    (0-based, the BED start) and `strand`."""
    path = Path(path)
    layout = expression_layout(path)
    with open_text(path) as handle:
        table = pd.read_csv(
            handle, sep="\t", usecols=list(range(len(layout.gene_columns))), dtype=str
        )
    if layout.fmt == "tsv":
        return pd.DataFrame({"gene_id": table.iloc[:, 0].to_numpy()})
    return pd.DataFrame(
        {
            "gene_id": table["gene"].to_numpy(),
            "chrom": table["#chr"].to_numpy(),
            "tss": table["start"].astype(np.int64).to_numpy(),
            "strand": table["strand"].to_numpy(),
        }
    )


def compare_tss(genes: pd.DataFrame, expression: str | Path) -> pd.DataFrame:
    """Per gene in both the gene table and a BED-layout expression table: both TSS (0-based; the
    BED start) and strands, and whether they agree. Contigs compared as `22` == `chr22`."""
    expr = expression_genes(expression)
    if "tss" not in expr.columns:
        raise InputError(f"expression table {expression} is not BED-like: it gives no TSS")
    ids = match_gene_ids(genes["gene_id"], expr["gene_id"])
    left = genes[genes["gene_id"].isin(list(ids))].copy()
    left["expression_id"] = left["gene_id"].map(ids)
    merged = left.merge(
        expr.rename(columns={"gene_id": "expression_id"}),
        on="expression_id",
        suffixes=("", "_expression"),
    )
    same_chrom = [
        _same_contig(a, b) for a, b in zip(merged["chrom"], merged["chrom_expression"], strict=True)
    ]
    agree = np.asarray(same_chrom, dtype=bool)
    agree &= (merged["tss"] == merged["tss_expression"]).to_numpy()
    agree &= (merged["strand"] == merged["strand_expression"]).to_numpy()
    merged["agree"] = agree
    return merged.reset_index(drop=True)


def _same_contig(a: str, b: str) -> bool:
    try:
        return match_contig(a, [b]) == b
    except ContigError:
        return False


def count_missing(matrix: pd.DataFrame) -> int:
    """Number of missing (NaN) values of a gene x individual matrix."""
    return int(np.isnan(matrix.to_numpy(np.float64)).sum())


def read_covariates(
    path: str | Path,
    *,
    names: Sequence[str] | None = None,
    n: int | None = None,
) -> pd.DataFrame:
    """Read a QTLtools covariate file (one covariate per row, one column per individual).

    `names` selects covariates by their id, or by the last `/`-separated part of the id
    (the GEUVADIS file names them by paths); `n` keeps the first `n` rows (after `names`).
    Returns a float DataFrame: index covariate id, columns individuals.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"covariate file {path} does not exist")
    raw = _read_raw(path, None)
    id_col = raw.columns[0]
    cov = _to_numeric(raw, path, id_col, first_data_line=2)
    cov.index.name = "covariate"
    if cov.index.duplicated().any():
        raise InputError(f"{path}: covariate ids repeat: {list(cov.index[cov.index.duplicated()])}")
    if names is not None:
        short = {str(i).rsplit("/", 1)[-1]: i for i in cov.index}
        chosen = []
        for name in names:
            if name in cov.index:
                chosen.append(name)
            elif name in short:
                chosen.append(short[name])
            else:
                raise InputError(
                    f"{path}: covariate {name!r} not found; available: "
                    f"{[str(i).rsplit('/', 1)[-1] for i in cov.index][:12]} ..."
                )
        cov = cov.loc[chosen]
    if n is not None:
        if n > len(cov):
            raise InputError(f"{path}: {n} covariates requested, the file has {len(cov)}")
        cov = cov.iloc[:n]
    if np.isnan(cov.to_numpy()).any():
        raise InputError(f"{path}: covariates must not have missing values")
    return cov


def restrict_individuals(
    matrix: pd.DataFrame, individuals: Sequence[str], *, reason: str = "not in genotypes"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep the columns of `matrix` that are in `individuals` (matrix order).

    Returns (kept matrix, dropped table[individual, reason]).
    """
    wanted = set(individuals)
    keep = [c for c in matrix.columns if c in wanted]
    dropped = [c for c in matrix.columns if c not in wanted]
    return matrix[keep], pd.DataFrame({"individual": dropped, "reason": reason}, dtype=object)


def rank_inverse_normal(matrix: pd.DataFrame) -> pd.DataFrame:
    """Blom rank-inverse-normal transform per gene (row); ties get the average rank."""
    # scipy here, not at module level: the DAG-time checks read headers through this module
    from scipy.special import ndtri
    from scipy.stats import rankdata

    values = matrix.to_numpy(np.float64)
    ranks = rankdata(values, axis=1, nan_policy="omit")
    n = np.sum(np.isfinite(values), axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = ndtri((ranks - BLOM_A) / (n + 1 - 2 * BLOM_A))
    return pd.DataFrame(z, index=matrix.index, columns=matrix.columns)


def regress_covariates(matrix: pd.DataFrame, covariates: pd.DataFrame) -> pd.DataFrame:
    """OLS residuals of every gene on intercept + covariates (across individuals).

    Every individual of `matrix` must have covariates (InputError otherwise). Genes with
    missing values are fitted on their non-missing individuals; missing stays missing.
    """
    absent = [c for c in matrix.columns if c not in covariates.columns]
    if absent:
        raise InputError(
            f"{len(absent)} individual(s) have expression but no covariates, e.g. {absent[:5]}; "
            "restrict individuals first or supply covariates for them."
        )
    design = np.column_stack(
        [np.ones(matrix.shape[1]), covariates[list(matrix.columns)].to_numpy(np.float64).T]
    )
    values = matrix.to_numpy(np.float64)
    out = np.full(values.shape, np.nan)
    finite = np.isfinite(values)
    full = finite.all(axis=1)
    if full.any():
        q, _ = np.linalg.qr(design)
        y = values[full].T
        out[full] = (y - q @ (q.T @ y)).T
    for i in np.flatnonzero(~full):
        use = finite[i]
        if use.sum() <= design.shape[1]:
            continue
        coef, *_ = np.linalg.lstsq(design[use], values[i, use], rcond=None)
        out[i, use] = values[i, use] - design[use] @ coef
    return pd.DataFrame(out, index=matrix.index, columns=matrix.columns)


def to_tidy(matrix: pd.DataFrame, value: str = "measured") -> pd.DataFrame:
    """Wide gene x individual -> tidy (gene_id, individual, <value>), missing values dropped."""
    tidy = matrix.rename_axis(index="gene_id", columns="individual").stack(future_stack=True)
    tidy = tidy.rename(value).reset_index()
    return tidy[tidy[value].notna()].reset_index(drop=True)


def to_gene_table_ids(
    tidy: pd.DataFrame, gene_ids: Iterable[str]
) -> tuple[pd.DataFrame, list[str]]:
    """The rows of `tidy` whose gene is in the gene table, with the table's ids (matched with or
    without version suffix, `match_gene_ids`), sorted by gene and individual; and the
    expression ids without gene-table counterpart (sorted)."""
    # unique ids: a repeated target would make a match without version suffix look ambiguous
    matched = match_gene_ids(gene_ids, pd.unique(tidy["gene_id"]))
    to_table = {expression_id: gene_id for gene_id, expression_id in matched.items()}
    unmatched = sorted(set(tidy["gene_id"]) - set(to_table))
    out = tidy.assign(gene_id=tidy["gene_id"].map(to_table))
    out = out[out["gene_id"].notna()].sort_values(["gene_id", "individual"], kind="stable")
    return out[["gene_id", "individual", "measured"]], unmatched


def prepare_measured(
    path: str | Path,
    *,
    individuals: Sequence[str] | None = None,
    covariates: str | Path | None = None,
    covariate_names: Sequence[str] | None = None,
    n_covariates: int | None = None,
    rint: bool = False,
    fmt: ExpressionFormat = "auto",
    gene_ids: Iterable[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """Read, restrict, transform and tidy measured expression.

    With `gene_ids` (the gene table's), only those genes are kept, under the gene table's ids
    (`to_gene_table_ids`). Returns (tidy table[gene_id, individual, measured], dropped
    individuals[individual, reason], counts{genes, individuals, individuals_dropped,
    missing_values, covariates, + genes_not_in_gene_table with `gene_ids`}).
    """
    matrix = read_expression(path, fmt)
    dropped = pd.DataFrame({"individual": [], "reason": []}, dtype=object)
    if individuals is not None:
        matrix, dropped = restrict_individuals(matrix, individuals)
        if matrix.shape[1] == 0:
            raise InputError(
                f"{path}: none of its individuals are among the {len(individuals)} genotyped "
                "ones; check that the sample names match."
            )
    if rint:
        matrix = rank_inverse_normal(matrix)
    n_cov = 0
    if covariates is not None:
        cov = read_covariates(covariates, names=covariate_names, n=n_covariates)
        n_cov = len(cov)
        if n_cov:
            matrix = regress_covariates(matrix, cov)
    counts = {
        "genes": int(matrix.shape[0]),
        "individuals": int(matrix.shape[1]),
        "individuals_dropped": len(dropped),
        "missing_values": count_missing(matrix),
        "covariates": n_cov,
    }
    log.info("expression: %s; individuals dropped here: %d", counts, len(dropped))
    tidy = to_tidy(matrix)
    if gene_ids is not None:
        tidy, unmatched = to_gene_table_ids(tidy, gene_ids)
        counts["genes_not_in_gene_table"] = len(unmatched)
        log.info(
            "%d measured genes are in the gene table; %d are not (left out, see "
            "genes_dropped.tsv): %s",
            tidy["gene_id"].nunique(),
            len(unmatched),
            unmatched[:20],
        )
    return tidy, dropped, counts
