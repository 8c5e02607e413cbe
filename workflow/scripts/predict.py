"""Rule predict: one model's predictions for every unique haplotype (and the reference)."""

import torch
from wfmodels import model_for_job
from wfutil import start_logging, write_table

from pexbench.genome import Reference
from pexbench.haplotypes import load_shard
from pexbench.predict import predict_haplotypes

log = start_logging(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
spec = snakemake.params.spec
genes = load_shard(snakemake.input.haplotypes)
reference = Reference(snakemake.input.fasta)
model = model_for_job(
    spec, snakemake.input.get("targets"), snakemake.params.length, snakemake.params.index
)
log.info("model %s: %s", spec["name"], model.info)
table = predict_haplotypes(genes, reference, model, bin_reduce=spec["bin_reduce"], progress=log)
log.info("%d genes, %d predictions", len(genes), len(table))
write_table(table, snakemake.output[0])
