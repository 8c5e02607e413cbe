"""Rule baseline: genotype-only elastic net (nested CV, out-of-fold predictions) per shard."""

import pandas as pd
from wfgenotypes import cis_dosages
from wfutil import kept_individuals, read_table, shard_genes, start_logging, write_table

from pexbench.baseline import elastic_net_baseline

log = start_logging(snakemake.log[0])
genes = shard_genes(snakemake.input.genes, snakemake.wildcards.shard)
kept = kept_individuals(snakemake.input.individuals)
measured = read_table(snakemake.input.measured, dtype={"gene_id": str, "individual": str})
window = snakemake.params.window
COLUMNS = ["model", "gene_id", "individual", "predicted"]

predicted, reports = [], []
for gene in genes.itertuples(index=False):
    pred, report = elastic_net_baseline(
        measured[measured["gene_id"] == gene.gene_id],
        pd.DataFrame([gene._asdict()]),
        cis_dosages(snakemake.input.vcf, gene, window, kept),
        window=window,
        outer_folds=snakemake.params.folds,
        seed=snakemake.params.seed,
        model_name=snakemake.params.model_name,
    )
    predicted.append(pred)
    reports.append(report)
    log.info("%s: %s", gene.gene_id, report.iloc[0].to_dict())
table = pd.concat(predicted, ignore_index=True) if predicted else pd.DataFrame(columns=COLUMNS)
write_table(table[COLUMNS], snakemake.output.predicted)
report = pd.concat(reports, ignore_index=True) if reports else pd.DataFrame(columns=["gene_id"])
write_table(report, snakemake.output.report)
