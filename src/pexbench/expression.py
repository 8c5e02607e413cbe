"""Measured expression: read, restrict to genotyped individuals, adjust, normalise, tidy.

Inputs
* QTLtools BED-like layout (`#chr start end gene length strand` then one column per
  individual; optional bgzip), or a plain TSV (`gene_id` then one column per individual).
* Covariates in QTLtools layout: first column `id` (any name), one covariate per row, one column
  per individual; whitespace- or tab-separated.

Order of operations in `prepare_measured` (same as PredictDB/GTEx): restrict individuals ->
optional rank-inverse-normal transform per gene -> optional covariate regression (OLS
residuals per gene) -> tidy table.

Rank-inverse-normal transform (Blom 1958): z = Phi^-1((rank - 3/8) / (n + 1/4)), with average
ranks for ties and n the number of non-missing values of that gene; missing stays missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from scipy.special import ndtri
from scipy.stats import rankdata

from pexbench.errors import InputError
from pexbench.tables import open_text

BED_FIXED = ["#chr", "start", "end", "gene", "length", "strand"]
MISSING_TOKENS = {"", "NA", "NaN", "nan", "na", "."}
BLOM_A = 3.0 / 8.0


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


def read_expression(path: str | Path, fmt: Literal["auto", "bed", "tsv"] = "auto") -> pd.DataFrame:
    """Read a gene x individual expression matrix.

    Returns a float DataFrame: index `gene_id` (str), one column per individual (file order);
    missing values are NaN (see `count_missing`). Raises InputError on duplicated gene ids,
    duplicated individuals, non-numeric values, or an unknown layout.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"expression file {path} does not exist")
    raw = _read_raw(path, "\t")
    columns = list(raw.columns)
    if fmt == "auto":
        if columns[: len(BED_FIXED)] == BED_FIXED:
            fmt = "bed"
        elif columns and columns[0] in ("gene_id", "gene", "id", "#gene_id"):
            fmt = "tsv"
        else:
            raise InputError(
                f"{path}: header starts with {columns[:6]}; expected the QTLtools BED layout "
                f"{BED_FIXED} + individuals, or a TSV whose first column is gene_id."
            )
    if fmt == "bed":
        if columns[: len(BED_FIXED)] != BED_FIXED:
            raise InputError(
                f"{path}: BED layout needs the header {BED_FIXED}; found {columns[:6]}"
            )
        raw = raw.drop(columns=["#chr", "start", "end", "length", "strand"])
        id_col = "gene"
    else:
        id_col = columns[0]
    individuals = [c for c in raw.columns if c != id_col]
    if not individuals:
        raise InputError(f"{path}: no individual columns after the gene columns")
    dup_ind = pd.Index(individuals)[pd.Index(individuals).duplicated()]
    if len(dup_ind):
        raise InputError(f"{path}: individual(s) {list(dup_ind)} appear in several columns")
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


def prepare_measured(
    path: str | Path,
    *,
    individuals: Sequence[str] | None = None,
    covariates: str | Path | None = None,
    covariate_names: Sequence[str] | None = None,
    n_covariates: int | None = None,
    rint: bool = False,
    fmt: Literal["auto", "bed", "tsv"] = "auto",
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """Read, restrict, transform and tidy measured expression.

    Returns (tidy table[gene_id, individual, measured], dropped individuals[individual, reason],
    counts{genes, individuals, individuals_dropped, missing_values, covariates}).
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
    return to_tidy(matrix), dropped, counts
