"""Rule predict_variants: one model's reference and single-variant (alt-in-reference) values."""

import torch
from wfmodels import model_for_job
from wfutil import read_table, start_logging, write_table

from pexbench.genome import Reference
from pexbench.haplotypes import load_shard
from pexbench.predict import predict_variants

log = start_logging(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
spec = snakemake.params.spec
genes = load_shard(snakemake.input.haplotypes)
variants = read_table(snakemake.input.variants, dtype={"gene_id": str, "variant_id": str})
variants = variants[variants["scored"] == "yes"].astype({"allele_index": "int64"})
reference = Reference(snakemake.input.fasta)
model = model_for_job(
    spec, snakemake.input.get("targets"), snakemake.params.length, snakemake.params.index
)
log.info("model %s: %s; %d variants", spec["name"], model.info, len(variants))
table = predict_variants(
    genes,
    reference,
    model,
    variants[["gene_id", "allele_index"]],
    bin_reduce=spec["bin_reduce"],
    progress=log,
)
write_table(table, snakemake.output[0])
