"""Rule individuals: every individual seen, with `kept` and the reason for dropping the others."""

from pexbench.individuals import individuals_table, select_individuals
from pexbench.jobs import start_logging
from pexbench.tables import write_table

start_logging(snakemake.log[0])
kept, dropped = select_individuals(
    snakemake.input.vcf,
    snakemake.input.expression,
    requested=snakemake.params.include,
    covariates=snakemake.input.get("covariates"),
)
write_table(individuals_table(kept, dropped), snakemake.output[0], kind="individuals")
