"""The individuals of a run: in the VCF and the expression table (and the covariates, when
given), optionally restricted to a list; every other individual is reported with its reason."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from pexbench.errors import InputError
from pexbench.expression import expression_samples, read_covariates
from pexbench.tables import read_table
from pexbench.vcf import vcf_samples

log = logging.getLogger(__name__)

DROPPED_INDIVIDUAL_COLUMNS = ["individual", "source", "reason"]


def _read_id_list(values: Sequence[str] | Path | str | None) -> list[str] | None:
    """A list of ids, or a file with one id per line (first column; '#' lines skipped)."""
    if values is None:
        return None
    if isinstance(values, (str, Path)):
        path = Path(values)
        if not path.is_file():
            raise InputError(f"individual list {path} does not exist")
        ids = []
        for line in path.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                ids.append(line.split()[0])
        return ids
    return [str(v) for v in values]


def _id_hint(vcf_ids: list[str], expr_ids: list[str]) -> str:
    def base(x: str) -> str:
        return re.split(r"[@_:]", x, maxsplit=1)[0].upper()

    hits = len({base(x) for x in vcf_ids} & {base(x) for x in expr_ids})
    if hits:
        return (
            f" {hits} ids agree once suffixes after '@', '_' or ':' and case are ignored: rename "
            "the VCF samples (bcftools reheader -s new_names.txt) to the expression table's ids."
        )
    return " Check that both files describe the same individuals (and the same id scheme)."


def _drop_without_covariates(
    kept: list[str], covariates: Path | str
) -> tuple[list[str], pd.DataFrame]:
    """`kept` without the individuals that have no column in the covariate file, and those as
    dropped rows (source `covariates`, reason `no covariates`)."""
    have = set(read_covariates(covariates).columns)
    lacking = [ind for ind in kept if ind not in have]
    if lacking:
        log.warning("%d individuals have no covariates in %s: dropped", len(lacking), covariates)
    if len(lacking) == len(kept):
        raise InputError(
            f"no individual left: none of the {len(kept)} individuals in both the VCF and the "
            f"expression table has a column in the covariates {covariates} (e.g. "
            f"{', '.join(kept[:4])}); use covariates of these individuals (inputs.covariates) or "
            "set expression.covariates_n to 0"
        )
    dropped = pd.DataFrame(
        {"individual": lacking, "source": "covariates", "reason": "no covariates"}
    )
    return [ind for ind in kept if ind in have], dropped


def select_individuals(
    vcf_path: Path | str,
    expression_path: Path | str,
    requested: Sequence[str] | Path | str | None = None,
    excluded: Sequence[str] | Path | str | None = None,
    covariates: Path | str | None = None,
) -> tuple[list[str], pd.DataFrame]:
    """Individuals in both the VCF and the expression table (VCF order), optionally restricted to
    `requested` and without `excluded` (lists, or files with one id per line), and with a column
    in the `covariates` file when one is given.

    Returns (kept, dropped) where dropped lists every other individual once with `source` (the
    file(s) or list naming it) and `reason`: `not in expression`, `not in VCF`, `not in VCF or
    expression` (a requested id found in neither), `not requested`, `excluded`, `no
    covariates`. An empty result is an `InputError` showing ids of both files.
    """
    vcf_ids = vcf_samples(vcf_path)
    expr_ids = expression_samples(expression_path)
    want = _read_id_list(requested)
    drop = set(_read_id_list(excluded) or [])
    in_vcf, in_expr = set(vcf_ids), set(expr_ids)
    rows: list[tuple[str, str, str]] = []
    kept: list[str] = []
    want_set = set(want) if want is not None else None
    for ind in vcf_ids:
        if ind not in in_expr:
            rows.append((ind, "vcf", "not in expression"))
        elif ind in drop:
            rows.append((ind, "vcf+expression", "excluded"))
        elif want_set is not None and ind not in want_set:
            rows.append((ind, "vcf+expression", "not requested"))
        else:
            kept.append(ind)
    for ind in expr_ids:
        if ind not in in_vcf:
            rows.append((ind, "expression", "not in VCF"))
    if want is not None:
        for ind in dict.fromkeys(want):
            if ind not in in_vcf and ind not in in_expr:
                rows.append((ind, "requested", "not in VCF or expression"))
    dropped = pd.DataFrame(rows, columns=DROPPED_INDIVIDUAL_COLUMNS)
    if not kept:
        common = in_vcf & in_expr
        why = (
            f"none of the {len(common)} shared individuals is requested/left after exclusion"
            if common
            else "they share no individual id"
        )
        raise InputError(
            f"no individual is in both VCF {vcf_path} ({len(vcf_ids)} samples, e.g. "
            f"{', '.join(vcf_ids[:4])}) and expression table {expression_path} "
            f"({len(expr_ids)} individuals, e.g. {', '.join(expr_ids[:4])}): {why}."
            + ("" if common else _id_hint(vcf_ids, expr_ids))
        )
    if covariates is not None:
        kept, lacking = _drop_without_covariates(kept, covariates)
        if not lacking.empty:
            dropped = pd.concat([dropped, lacking], ignore_index=True)
    log.info(
        "%d individuals kept; dropped per reason: %s",
        len(kept),
        dropped["reason"].value_counts().to_dict(),
    )
    return kept, dropped


def individuals_table(kept: Iterable[str], dropped: pd.DataFrame) -> pd.DataFrame:
    """The workflow's individuals table: every individual seen, with `kept` (bool); kept ones
    have reason `kept`. Columns: individual, kept, source, reason."""
    keep = pd.DataFrame(
        {"individual": list(kept), "source": "vcf+expression", "reason": "kept"},
        columns=DROPPED_INDIVIDUAL_COLUMNS,
    )
    table = pd.concat([keep, dropped], ignore_index=True)
    table.insert(1, "kept", table["reason"] == "kept")
    return table


def kept_individuals(individuals_tsv: str | Path) -> list[str]:
    """The kept individuals of the workflow's individuals table, in file (VCF) order."""
    table = read_table(individuals_tsv, kind="individuals")
    return table.loc[table["kept"].astype(bool), "individual"].tolist()
