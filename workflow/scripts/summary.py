"""Rule summary: results/evaluation/summary.json (per-model results + what was kept/skipped)."""

from pexbench.jobs import start_logging
from pexbench.summary import workflow_summary, write_summary

log = start_logging(snakemake.log[0])
inp = snakemake.input
summary = workflow_summary(
    correlations=inp.correlations,
    variant_effects=inp.variant_effects,
    sign_classes_by_state=inp.sign_classes_by_state,
    variants=inp.variants,
    baseline_reports=inp.baseline_reports,
    genes=inp.genes,
    genes_dropped=inp.genes_dropped,
    individuals=inp.individuals,
    genotype_counts=inp.vcf_counts,
    haplotype_stats=inp.haplotype_stats,
    settings=snakemake.params.settings,
)
write_summary(summary, snakemake.output[0])
log.info("summary written for models %s", sorted(summary["models"]))
