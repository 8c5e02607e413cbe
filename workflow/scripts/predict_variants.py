"""Rule predict_variants: one model's reference and single-variant (alt-in-reference) values."""

from wfmodels import job_setup
from wfutil import read_table, start_logging, write_table

from pexbench.predict import predict_variants

log = start_logging(snakemake.log[0])
variants = read_table(snakemake.input.variants, dtype={"gene_id": str, "variant_id": str})
variants = variants[variants["scored"] == "yes"].astype({"allele_index": "int64"})
spec, genes, reference, model = job_setup(snakemake)
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
