"""Rule select_variants: eQTL variants to score per gene, mapped to the gene's allele table.

`lead`: the lowest-p variant per gene, kept when p < eqtl_p_threshold; `threshold`: every
variant with p < eqtl_p_threshold. At most max_variants_per_gene per gene (lowest p first).
A selected variant must be an allele of the gene's haplotype window (the longest model input
around the TSS) to be scored by the models: the others are counted and logged.
"""

import pandas as pd
from wfutil import read_table, start_logging, write_table

from pexbench.eqtl import select_variants
from pexbench.haplotypes import load_shard

log = start_logging(snakemake.log[0])
params = snakemake.params
eqtl = read_table(snakemake.input.eqtl, dtype={"gene_id": str, "variant_id": str, "chrom": str})
chosen = select_variants(
    eqtl, mode=params.how, p_threshold=params.p_threshold, max_per_gene=params.max_per_gene
)
n_lead = len(chosen)
chosen = chosen[chosen["p"] < params.p_threshold].reset_index(drop=True)
log.info(
    "%d variants selected (%s); %d fail p < %g",
    len(chosen),
    params.how,
    n_lead - len(chosen),
    params.p_threshold,
)

alleles = []
for gene in load_shard(snakemake.input.haplotypes):
    alleles.append(
        pd.DataFrame(
            {
                "gene_id": gene.gene_id,
                "variant_id": [str(v) for v in gene.allele_id],
                "pos": gene.allele_pos,
                "allele_index": range(len(gene.allele_id)),
                "ref": gene.allele_ref,
                "alt": gene.allele_alt,
            }
        )
    )
table = (
    pd.concat(alleles, ignore_index=True)
    if alleles
    else pd.DataFrame(columns=["gene_id", "variant_id", "pos", "allele_index", "ref", "alt"])
)
# An id naming several alleles of one gene (e.g. a split multi-allelic record) is ambiguous.
ambiguous = table.duplicated(["gene_id", "variant_id", "pos"], keep=False)
merged = chosen.merge(
    table[~ambiguous], on=["gene_id", "variant_id", "pos"], how="left", validate="one_to_one"
)
outside = merged["allele_index"].isna()
amb_keys = set(
    zip(table.loc[ambiguous, "gene_id"], table.loc[ambiguous, "variant_id"], strict=True)
)
is_amb = [(g, v) in amb_keys for g, v in zip(merged["gene_id"], merged["variant_id"], strict=True)]
merged["scored"] = "yes"
merged.loc[outside, "scored"] = "outside the haplotype window"
merged.loc[outside & pd.Series(is_amb), "scored"] = "ambiguous variant id"
log.info("selected variants by status: %s", merged["scored"].value_counts().to_dict())
merged["allele_index"] = merged["allele_index"].astype("Int64")
write_table(merged, snakemake.output[0])
