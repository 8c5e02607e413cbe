"""Rule eqtl: in-sample cis-eQTL statistics (OLS on dosage) for every gene of the shard."""

import pandas as pd
from wfgenotypes import cis_dosages
from wfutil import kept_individuals, read_table, shard_genes, start_logging, write_table

from pexbench.eqtl import EQTL_COLUMNS, cis_eqtl
from pexbench.expression import read_covariates

log = start_logging(snakemake.log[0])
genes = shard_genes(snakemake.input.genes, snakemake.wildcards.shard)
kept = kept_individuals(snakemake.input.individuals)
measured = read_table(snakemake.input.measured, dtype={"gene_id": str, "individual": str})
window = snakemake.params.window
covariates = None
if snakemake.input.get("covariates"):
    covariates = read_covariates(snakemake.input.covariates, n=snakemake.params.covariates_n)

frames = []
for gene in genes.itertuples(index=False):
    table = cis_eqtl(
        measured[measured["gene_id"] == gene.gene_id],
        pd.DataFrame([gene._asdict()]),
        cis_dosages(snakemake.input.vcf, gene, window, kept),
        window=window,
        covariates=covariates,
    )
    log.info(
        "%s: %d cis variants, min p %s",
        gene.gene_id,
        len(table),
        table["p"].min() if len(table) else "NA",
    )
    frames.append(table)
frames = [f for f in frames if len(f)]
eqtl = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=EQTL_COLUMNS)
write_table(eqtl[EQTL_COLUMNS], snakemake.output[0])
