"""Rule measured_expression: tidy measured expression of the kept genes and individuals."""

from pexbench.expression import prepare_measured
from pexbench.individuals import kept_individuals
from pexbench.jobs import start_logging
from pexbench.tables import read_table, write_table

start_logging(snakemake.log[0])
genes = read_table(snakemake.input.genes, kind="genes")
measured, _, _ = prepare_measured(
    snakemake.input.expression,
    individuals=kept_individuals(snakemake.input.individuals),
    covariates=snakemake.input.get("covariates"),
    n_covariates=snakemake.params.covariates_n,
    rint=snakemake.params.rank_inverse_normal,
    # gene ids as in the gene table (the annotation's)
    gene_ids=genes["gene_id"],
)
write_table(measured, snakemake.output[0], kind="measured")
