"""The columns and dtypes of every table the workflow writes, declared once.

`TABLES` maps a table kind to its columns (in file order) with their pandas dtypes, and names
the rule that writes it (for error messages). `pexbench.tables.read_table(path, kind=...)`
reads a table with these dtypes and checks its columns; `write_table(frame, path, kind=...)`
writes the declared columns in the declared order; `empty_table(kind)` is the typed table
without rows. Dtypes: "str" (identifiers and labels: never parsed as numbers), "int64",
"float64", "bool" (True/False), "boolean" (True/False/NA) and "Int64" (integer or NA).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class TableSpec:
    """One table kind: its columns and dtypes (in file order) and the rule that writes it."""

    kind: str
    columns: Mapping[str, str]
    writer: str
    # further columns may follow the declared ones (e.g. per-gene counts of the haplotypes)
    extra_columns: bool = False

    @property
    def names(self) -> list[str]:
        return list(self.columns)


_EQTL = {
    "gene_id": "str",
    "variant_id": "str",
    "chrom": "str",
    "pos": "int64",
    "distance_to_tss": "int64",
    "n_individuals": "int64",
    "n_imputed": "int64",
    "beta": "float64",
    "se": "float64",
    "t": "float64",
    "p": "float64",
    "status": "str",
}

_PREDICTED = {"model": "str", "gene_id": "str", "individual": "str", "predicted": "float64"}

_INTERPRET_EFFECTS = {
    "model": "str",
    "gene_id": "str",
    "allele_index": "int64",
    "variant_id": "str",
    "pos": "int64",
    "index": "int64",
    "ref": "str",
    "alt": "str",
    "kind": "str",
    "first_order": "float64",
    "ism": "float64",
}
_INTERPRET_ENRICHMENT = {
    "model": "str",
    "gene_id": "str",
    "measure": "str",
    "grouping": "str",
    "group": "str",
    "n_bases": "int64",
    "base_share": "float64",
    "mass_share": "float64",
    "enrichment": "float64",
}

_SPECS = (
    TableSpec(
        "genes",
        {
            "gene_id": "str",
            "symbol": "str",
            "chrom": "str",
            "tss": "int64",
            "strand": "str",
            "shard": "int64",
        },
        "rule gene_table (results/inputs/genes.tsv)",
    ),
    TableSpec(
        "genes_dropped",
        {"gene_id": "str", "symbol": "str", "chrom": "str", "tss": "Int64", "reason": "str"},
        "rule gene_table (results/inputs/genes_dropped.tsv)",
    ),
    TableSpec(
        "individuals",
        {"individual": "str", "kept": "bool", "source": "str", "reason": "str"},
        "rule individuals (results/inputs/individuals.tsv)",
    ),
    TableSpec(
        "genotype_counts",
        {"what": "str", "count": "int64"},
        "rule concat_vcf (results/inputs/genotypes.counts.tsv; per part: normalise_vcf)",
    ),
    TableSpec(
        "ref_mismatches",
        {"vcf": "str", "chrom": "str", "pos": "int64", "ref_vcf": "str", "ref_fasta": "str"},
        "rule concat_vcf (results/inputs/ref_mismatches.tsv): records excluded under "
        "inputs.on_ref_mismatch: exclude",
    ),
    TableSpec(
        "haplotype_stats",
        {
            "gene_id": "str",
            "window_start": "int64",
            "window_end": "int64",
            "n_alleles": "int64",
            "n_haplotypes": "int64",
            "n_unique": "int64",
        },
        "rule haplotypes (results/haplotypes/{shard}.stats.tsv)",
        extra_columns=True,
    ),
    TableSpec(
        "predictions",
        {"gene_id": "str", "haplotype": "int64", "track": "str", "value": "float64"},
        "rule predict (results/predictions/{model}/{shard}.tsv.gz)",
    ),
    TableSpec(
        "variant_predictions",
        {
            "gene_id": "str",
            "variant_id": "str",
            "allele_index": "int64",
            "track": "str",
            "ref_value": "float64",
            "alt_value": "float64",
            "in_model_input": "bool",
        },
        "rule predict_variants (results/variant_predictions/{model}/{shard}.tsv.gz)",
    ),
    TableSpec(
        "measured",
        {"gene_id": "str", "individual": "str", "measured": "float64"},
        "rule measured_expression (results/expression/measured.tsv.gz)",
    ),
    TableSpec(
        "predicted",
        _PREDICTED,
        "rules aggregate (results/expression/predicted.tsv.gz) and baseline "
        "(results/baseline/{shard}.tsv.gz)",
    ),
    TableSpec(
        "baseline_report",
        {
            "gene_id": "str",
            "n_individuals": "int64",
            "n_cis_variants": "int64",
            "n_polymorphic": "int64",
            "status": "str",
            "n_folds_empty": "float64",
            "median_nonzero": "float64",
            "median_alpha": "float64",
        },
        "rule baseline (results/baseline/{shard}.report.tsv)",
    ),
    TableSpec("eqtl", _EQTL, "rule eqtl (results/eqtl/{shard}.tsv.gz)"),
    TableSpec(
        "variants",
        {**_EQTL, "allele_index": "Int64", "ref": "str", "alt": "str", "scored": "str"},
        "rule select_variants (results/variants/{shard}.tsv)",
    ),
    TableSpec(
        "gene_correlations",
        {
            "model": "str",
            "gene_id": "str",
            "n_individuals": "int64",
            "pearson_r": "float64",
            "pearson_p": "float64",
            "spearman_r": "float64",
            "spearman_p": "float64",
            "pearson_fdr": "float64",
            "spearman_fdr": "float64",
            "sign_class": "str",
            "status": "str",
        },
        "rule correlations (results/evaluation/gene_correlations.tsv)",
    ),
    TableSpec(
        "variant_effects",
        {
            "model": "str",
            "gene_id": "str",
            "variant_id": "str",
            "chrom": "str",
            "pos": "int64",
            "distance_to_tss": "int64",
            "chromatin_state": "str",
            "eqtl_beta": "float64",
            "eqtl_p": "float64",
            "predicted_effect": "float64",
            "concordant": "boolean",
            "status": "str",
        },
        "rule variant_effects (results/evaluation/variant_effects.tsv)",
    ),
    TableSpec(
        "sign_classes_by_state",
        {"model": "str", "chromatin_state": "str", "sign_class": "str", "n_genes": "int64"},
        "rule chromatin_states (results/evaluation/sign_classes_by_state.tsv)",
    ),
    TableSpec(
        "benchmarks",
        {"rule": "str", "job": "str", "repeat": "int64", "s": "float64"},
        "rule report_runtimes (results/report/rule_runtimes.tsv)",
        extra_columns=True,
    ),
    TableSpec(
        "gene_predictions",
        {
            "model": "str",
            "trained": "bool",
            "gene_id": "str",
            "symbol": "str",
            "chrom": "str",
            "tss": "int64",
            "strand": "str",
            "input_n": "int64",
            "individual": "str",
            "haplotype": "int64",
            "track": "str",
            "value": "float64",
        },
        "the command `pexbench predict` (pexbench.gene_predictions)",
    ),
    # Where the model looks (issue 13): rules interpret and interpretation_summary
    TableSpec(
        "interpretation_shard_effects",
        _INTERPRET_EFFECTS,
        "rule interpret (results/interpretation/{model}/{shard}.effects.tsv.gz)",
    ),
    TableSpec(
        "interpretation_shard_enrichment",
        _INTERPRET_ENRICHMENT,
        "rule interpret (results/interpretation/{model}/{shard}.enrichment.tsv.gz)",
    ),
    TableSpec(
        "interpretation_effects",
        {**_INTERPRET_EFFECTS, "trained": "bool"},
        "rule interpretation_summary (results/evaluation/interpretation_effects.tsv.gz)",
    ),
    TableSpec(
        "interpretation_enrichment",
        {
            "model": "str",
            "measure": "str",
            "grouping": "str",
            "group": "str",
            "n_genes": "int64",
            "base_share": "float64",
            "mass_share": "float64",
            "enrichment": "float64",
            "trained": "bool",
        },
        "rule interpretation_summary (results/evaluation/interpretation_enrichment.tsv)",
    ),
    TableSpec(
        "interpretation_additivity",
        {
            "model": "str",
            "gene_id": "str",
            "n_haplotypes": "int64",
            "pearson_r": "float64",
            "slope": "float64",
            "max_abs_residual": "float64",
            "relative_residual": "float64",
            "status": "str",
            "non_additive": "bool",
            "trained": "bool",
        },
        "rule interpretation_summary (results/evaluation/interpretation_additivity.tsv)",
    ),
    TableSpec(
        "interpretation_leads",
        {
            "model": "str",
            "gene_id": "str",
            "pearson_r": "float64",
            "variant_id": "str",
            "chrom": "str",
            "pos": "int64",
            "distance_to_tss": "int64",
            "distance_class": "str",
            "chromatin_state": "str",
            "eqtl_beta": "float64",
            "first_order": "float64",
            "ism": "float64",
            "first_order_agrees": "boolean",
            "ism_agrees": "boolean",
            "trained": "bool",
        },
        "rule interpretation_summary (results/evaluation/interpretation_leads.tsv)",
    ),
    TableSpec(
        "interpretation_counts",
        {"model": "str", "what": "str", "count": "int64", "trained": "bool"},
        "rule interpretation_summary (results/evaluation/interpretation_counts.tsv)",
    ),
)

TABLES: dict[str, TableSpec] = {spec.kind: spec for spec in _SPECS}


def table_spec(kind: str) -> TableSpec:
    """The declaration of table `kind`; KeyError listing the known kinds."""
    try:
        return TABLES[kind]
    except KeyError:
        raise KeyError(f"unknown table kind {kind!r}; known: {', '.join(TABLES)}") from None


def column_names(kind: str) -> list[str]:
    """The declared columns of table `kind`, in file order."""
    return table_spec(kind).names


def empty_table(kind: str) -> pd.DataFrame:
    """Table `kind` without rows: the declared columns with their dtypes."""
    spec = table_spec(kind)
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in spec.columns.items()})
