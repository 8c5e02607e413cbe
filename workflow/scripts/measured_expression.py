"""Rule measured_expression: tidy measured expression of the kept genes and individuals."""

from wfutil import kept_individuals, read_table, start_logging, write_table

from pexbench.expression import prepare_measured
from pexbench.genes import match_gene_ids

log = start_logging(snakemake.log[0])
kept = kept_individuals(snakemake.input.individuals)
covariates = snakemake.input.get("covariates")
measured, dropped, counts = prepare_measured(
    snakemake.input.expression,
    individuals=kept,
    covariates=covariates,
    n_covariates=snakemake.params.covariates_n if covariates else None,
    rint=snakemake.params.rank_inverse_normal,
)
log.info("expression: %s; individuals dropped here: %d", counts, len(dropped))
# Gene ids as in the gene table (the annotation's), matched with or without version suffix.
genes = read_table(snakemake.input.genes, dtype={"gene_id": str})
to_annotation = {e: g for g, e in match_gene_ids(genes["gene_id"], measured["gene_id"]).items()}
unmatched = sorted(set(measured["gene_id"]) - set(to_annotation))
measured["gene_id"] = measured["gene_id"].map(to_annotation)
measured = measured[measured["gene_id"].notna()]
log.info(
    "%d measured genes are in the gene table; %d are not (left out, see genes_dropped.tsv): %s",
    measured["gene_id"].nunique(),
    len(unmatched),
    unmatched[:20],
)
measured = measured.sort_values(["gene_id", "individual"], kind="stable")
write_table(measured[["gene_id", "individual", "measured"]], snakemake.output[0])
