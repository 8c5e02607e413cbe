"""Rule summary: results/evaluation/summary.json (per-model results + what was kept/skipped)."""

from pathlib import Path

import pandas as pd
from wfutil import atomic_path, read_table, start_logging

from pexbench.evaluate import summarise, summary_json

log = start_logging(snakemake.log[0])
inp = snakemake.input
config = snakemake.params.config
ids = {"gene_id": str, "variant_id": str, "individual": str}


def counts(series: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in series.value_counts().sort_index().items()}


correlations = read_table(inp.correlations, dtype=ids)
effects = read_table(inp.variant_effects, dtype=ids)
genes = read_table(inp.genes, dtype=ids)
dropped = read_table(inp.genes_dropped, dtype=ids)
individuals = read_table(inp.individuals, dtype=ids)
vcf = read_table(inp.vcf_counts)
haplotypes = pd.concat([read_table(p, dtype=ids) for p in inp.haplotype_stats], ignore_index=True)
variants = pd.concat([read_table(p, dtype=ids) for p in inp.variants], ignore_index=True)
hap_counts = haplotypes.drop(columns=["gene_id", "window_start", "window_end"], errors="ignore")

run = {
    "genes": {
        "kept": len(genes),
        "shards": len(inp.haplotype_stats),
        "shards_with_genes": int(genes["shard"].nunique()),
        "dropped": counts(dropped["reason"]),
    },
    "individuals": {
        "kept": int(individuals["kept"].astype(bool).sum()),
        "dropped": counts(individuals.loc[~individuals["kept"].astype(bool), "reason"]),
    },
    "genotypes": dict(zip(vcf["what"], (int(v) for v in vcf["count"]), strict=True)),
    "haplotypes": {col: int(hap_counts[col].fillna(0).sum()) for col in hap_counts.columns},
    "eqtl_variants": {"selected": len(variants), "by_status": counts(variants["scored"])},
}
if inp.baseline_reports:
    report = pd.concat([read_table(p, dtype=ids) for p in inp.baseline_reports], ignore_index=True)
    run["baseline"] = {"genes_by_status": counts(report["status"])}
settings = {
    "correlation": snakemake.params.correlation,
    "fdr": snakemake.params.fdr,
    "haplotypes": config["haplotypes"],
    "aggregate": config["aggregate"],
    "expression": config["expression"],
    "evaluation": config["evaluation"],
    "models": [
        {k: spec[k] for k in ("name", "type", "weights", "tracks", "sequence_length", "device")}
        for spec in config["models"]
    ],
}
summary = {
    "models": summarise(correlations, effects, sign_by_state=read_table(inp.sign_classes_by_state)),
    "run": run,
    "settings": settings,
}
with atomic_path(snakemake.output[0]) as tmp:
    Path(tmp).write_text(summary_json(summary))
log.info("summary written for models %s", sorted(summary["models"]))
