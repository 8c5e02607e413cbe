"""results/evaluation/summary.json: per-model results and what each stage kept or skipped.

`summarise` gives the per-model results (gene-level correlations, sign classes, variant-level
concordance overall and per chromatin state); `run_counts` what the run kept and dropped (genes,
individuals, genotype records, haplotypes, scored eQTL variants, baseline genes);
`workflow_summary` reads the workflow's tables for both and adds the settings the rule passes;
`summary_json` is its deterministic text (sorted keys, NaN as null).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pexbench.evaluate import STATUS_OUTSIDE
from pexbench.models.facts import is_tiny_weights
from pexbench.stats import (
    BOOTSTRAP_RESAMPLES,
    BOOTSTRAP_SEED,
    SIGN_NEG,
    SIGN_POS,
    STATUS_OK,
    bootstrap_median_ci,
    wilson_interval,
)
from pexbench.tables import atomic_path, read_table, read_tables

# Columns of the haplotype stats that are not counts to add up.
HAPLOTYPE_WINDOW_COLUMNS = ["gene_id", "window_start", "window_end"]


def _concordance_counts(concordant: pd.Series, status: pd.Series | None = None) -> dict[str, Any]:
    """Counts of concordant, discordant and tie among variants the model saw, plus
    `outside_model_input` (status "outside model input": no prediction, in none of the three);
    n_variants = concordant + discordant + tie + outside_model_input; the fraction concordant
    among concordant + discordant with its Wilson 95% interval."""
    outside = (
        (status == STATUS_OUTSIDE).to_numpy(bool)
        if status is not None
        else np.zeros(len(concordant), dtype=bool)
    )
    c = concordant.astype("boolean")[~outside]
    n_conc = int((c == True).sum())  # noqa: E712  (nullable boolean: NA excluded)
    n_disc = int((c == False).sum())  # noqa: E712
    n_tie = int(c.isna().sum())
    decided = n_conc + n_disc
    return {
        "n_variants": len(concordant),
        "concordant": n_conc,
        "discordant": n_disc,
        "tie": n_tie,
        "outside_model_input": int(outside.sum()),
        "fraction_concordant": n_conc / decided if decided else None,
        "fraction_concordant_ci95": (
            [float(v) for v in wilson_interval(np.array([n_conc]), np.array([decided]))[0]]
            if decided
            else None
        ),
    }


def _median_ci(values: pd.Series) -> list[float] | None:
    """[low, high] bootstrap 95% interval of the median of `values`, None without values."""
    lo, hi = bootstrap_median_ci(pd.to_numeric(values, errors="coerce").to_numpy(np.float64))
    return None if math.isnan(lo) else [lo, hi]


def summarise(
    correlations: pd.DataFrame,
    variant_table: pd.DataFrame | None = None,
    sign_by_state: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Summary per model (for results/evaluation/summary.json).

    Per model: genes (rows), genes_evaluated (status ok), status counts, median Pearson and
    Spearman r over evaluated genes with their bootstrap 95% intervals (`bootstrap_median_ci`:
    genes resampled, seeded), significant genes (sign class), fraction of them with a
    negative sign, and (if a variant table is given) concordance overall and per chromatin
    state: counts of concordant, discordant, tie, outside_model_input (variants outside the
    model's input: no prediction, in none of the other three) and fraction_concordant =
    concordant / (concordant + discordant); with `sign_by_state` (from
    `sign_classes_by_state`), gene counts per lead-eQTL state and sign class.
    """
    out: dict[str, Any] = {}
    for model, sub in correlations.groupby("model", sort=True):
        ok = sub[sub["status"] == STATUS_OK]
        n_pos = int((sub["sign_class"] == SIGN_POS).sum())
        n_neg = int((sub["sign_class"] == SIGN_NEG).sum())
        entry: dict[str, Any] = {
            "genes": len(sub),
            "genes_evaluated": len(ok),
            "status_counts": {k: int(v) for k, v in sub["status"].value_counts().items()},
            # per-gene problems (no measurement, constant prediction, ...): skipped and listed
            "genes_not_evaluated": _not_ok(sub),
            "median_pearson_r": float(ok["pearson_r"].median()) if len(ok) else None,
            "median_spearman_r": float(ok["spearman_r"].median()) if len(ok) else None,
            "median_pearson_r_ci95": _median_ci(ok["pearson_r"]),
            "median_spearman_r_ci95": _median_ci(ok["spearman_r"]),
            "significant_genes": n_pos + n_neg,
            "significant_positive": n_pos,
            "significant_negative": n_neg,
            "fraction_significant_negative": n_neg / (n_pos + n_neg) if n_pos + n_neg else None,
        }
        if variant_table is not None:
            vt = variant_table[variant_table["model"] == model]
            has_status = "status" in vt
            entry["concordance"] = _concordance_counts(
                vt["concordant"], vt["status"] if has_status else None
            )
            entry["concordance_by_state"] = {
                str(state): _concordance_counts(
                    g["concordant"], g["status"] if has_status else None
                )
                for state, g in vt.groupby("chromatin_state", sort=True)
            }
        if sign_by_state is not None:
            sb = sign_by_state[sign_by_state["model"] == model]
            entry["sign_classes_by_lead_eqtl_state"] = {
                str(state): {
                    str(k): int(v) for k, v in zip(g["sign_class"], g["n_genes"], strict=True)
                }
                for state, g in sb.groupby("chromatin_state", sort=True)
            }
        out[str(model)] = entry
    return out


def _not_ok(table: pd.DataFrame) -> dict[str, str]:
    """{gene_id: status} of the rows whose status is not ok, sorted by gene id."""
    bad = table[table["status"] != STATUS_OK]
    return dict(sorted(zip(bad["gene_id"].astype(str), bad["status"].astype(str), strict=True)))


def summary_json(summary: dict[str, Any]) -> str:
    """JSON text of a summary; NaN becomes null."""

    def clean(v: Any) -> Any:
        if isinstance(v, dict):
            return {str(k): clean(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [clean(x) for x in v]
        if isinstance(v, float | np.floating):
            return None if math.isnan(float(v)) else float(v)
        if isinstance(v, np.integer):
            return int(v)
        return v

    return json.dumps(clean(summary), indent=2, sort_keys=True) + "\n"


def value_counts(series: pd.Series) -> dict[str, int]:
    """{value: count}, values as text, sorted by value."""
    return {str(k): int(v) for k, v in series.value_counts().sort_index().items()}


def run_counts(
    *,
    genes: pd.DataFrame,
    genes_dropped: pd.DataFrame,
    individuals: pd.DataFrame,
    genotype_counts: pd.DataFrame,
    haplotype_stats: pd.DataFrame,
    n_shards: int,
    variants: pd.DataFrame,
    baseline_report: pd.DataFrame | None,
) -> dict[str, Any]:
    """What the run kept and dropped, from the workflow's tables (`pexbench.columns` kinds
    genes, genes_dropped, individuals, genotype_counts, haplotype_stats of all shards, variants
    of all shards, baseline_report of all shards or None when the baseline did not run)."""
    kept = individuals["kept"].astype(bool)
    counts = haplotype_stats.drop(columns=HAPLOTYPE_WINDOW_COLUMNS, errors="ignore")
    run: dict[str, Any] = {
        "genes": {
            "kept": len(genes),
            "shards": n_shards,
            "shards_with_genes": int(genes["shard"].nunique()),
            "dropped": value_counts(genes_dropped["reason"]),
        },
        "individuals": {
            "kept": int(kept.sum()),
            "dropped": value_counts(individuals.loc[~kept, "reason"]),
        },
        "genotypes": dict(
            zip(genotype_counts["what"], (int(v) for v in genotype_counts["count"]), strict=True)
        ),
        "haplotypes": {col: int(counts[col].fillna(0).sum()) for col in counts.columns},
        "eqtl_variants": {"selected": len(variants), "by_status": value_counts(variants["scored"])},
    }
    if baseline_report is not None:
        run["baseline"] = {
            "genes_by_status": value_counts(baseline_report["status"]),
            "genes_not_evaluated": _not_ok(baseline_report),
        }
    return run


def workflow_summary(
    *,
    correlations: str | Path,
    variant_effects: str | Path,
    sign_classes_by_state: str | Path,
    variants: Sequence[str | Path],
    baseline_reports: Sequence[str | Path],
    genes: str | Path,
    genes_dropped: str | Path,
    individuals: str | Path,
    genotype_counts: str | Path,
    haplotype_stats: Sequence[str | Path],
    settings: Mapping[str, Any],
) -> dict[str, Any]:
    """The summary of a workflow run from its tables (one file per shard for variants,
    baseline reports and haplotype stats; no baseline reports when the baseline did not run):
    {"models": summarise(...), "run": run_counts(...), "settings": settings, "bootstrap": how
    the medians' intervals were drawn}."""
    models = summarise(
        read_table(correlations, kind="gene_correlations"),
        read_table(variant_effects, kind="variant_effects"),
        sign_by_state=read_table(sign_classes_by_state, kind="sign_classes_by_state"),
    )
    run = run_counts(
        genes=read_table(genes, kind="genes"),
        genes_dropped=read_table(genes_dropped, kind="genes_dropped"),
        individuals=read_table(individuals, kind="individuals"),
        genotype_counts=read_table(genotype_counts, kind="genotype_counts"),
        haplotype_stats=read_tables(haplotype_stats, kind="haplotype_stats"),
        n_shards=len(haplotype_stats),
        variants=read_tables(variants, kind="variants"),
        baseline_report=(
            read_tables(baseline_reports, kind="baseline_report") if baseline_reports else None
        ),
    )
    bootstrap = {"resamples": BOOTSTRAP_RESAMPLES, "seed": BOOTSTRAP_SEED, "unit": "genes"}
    return {"models": models, "run": run, "settings": dict(settings), "bootstrap": bootstrap}


def write_summary(summary: Mapping[str, Any], path: str | Path) -> Path:
    """Write `summary_json(summary)` to `path` atomically; return the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(summary_json(summary), encoding="utf-8")
    return Path(path)


def summary_text(path: str | Path) -> str:
    """What a run computed, as a short plain-text table from its summary.json (what `make demo`
    prints at the end): per model genes evaluated, median r, significant genes and the
    fraction with a negative sign, variant sign concordance, genes not evaluated; models with
    random weights are flagged."""
    summary = json.loads(Path(path).read_text(encoding="utf-8"))
    random = {
        str(spec.get("name"))
        for spec in summary.get("settings", {}).get("models", [])
        if is_tiny_weights(spec.get("weights"))
    }

    def fmt(value: Any, digits: int = 3) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    header = f"{'model':<26}{'genes':>7}{'median r':>10}{'signif.':>9}{'neg.':>7}"
    lines = [f"{header}{'concord.':>10}  not evaluated"]
    for name, entry in sorted(summary.get("models", {}).items()):
        concordance = entry.get("concordance") or {}
        skipped = entry.get("genes_not_evaluated") or {}
        lines.append(
            f"{name:<26}{entry['genes_evaluated']:>4}/{entry['genes']:<2}"
            f"{fmt(entry.get('median_pearson_r')):>10}{entry['significant_genes']:>9}"
            f"{fmt(entry.get('fraction_significant_negative'), 2):>7}"
            f"{fmt(concordance.get('fraction_concordant'), 2):>10}  {len(skipped)}"
            + ("  (random weights, not a result)" if name in random else "")
        )
    run = summary.get("run", {})
    lines.append(
        f"genes kept {run.get('genes', {}).get('kept')}, individuals kept "
        f"{run.get('individuals', {}).get('kept')}, genotype records "
        f"{run.get('genotypes', {}).get('records_out')}, REF mismatches excluded "
        f"{run.get('genotypes', {}).get('mismatch_removed', 0)}"
    )
    return "\n".join(lines) + "\n"
