"""Rule predict: one model's predictions for every unique haplotype (and the reference)."""

from wfmodels import job_setup
from wfutil import start_logging, write_table

from pexbench.predict import predict_haplotypes

log = start_logging(snakemake.log[0])
spec, genes, reference, model = job_setup(snakemake)
log.info("model %s: %s", spec["name"], model.info)
table = predict_haplotypes(genes, reference, model, bin_reduce=spec["bin_reduce"], progress=log)
log.info("%d genes, %d predictions", len(genes), len(table))
write_table(table, snakemake.output[0])
