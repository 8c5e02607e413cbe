"""Rule select_variants: eQTL variants to score per gene, mapped to the gene's allele table.

`lead`: the lowest-p variant per gene, kept when p < eqtl_p_threshold; `threshold`: every
variant with p < eqtl_p_threshold. At most max_variants_per_gene per gene (lowest p first).
A selected variant must be an allele of the gene's haplotype window (the longest model input
around the TSS) to be scored by the models: the others are counted and logged, as are selected
variants whose id is ambiguous (status "ambiguous variant id", see pexbench.eqtl.map_to_alleles).
"""

import pandas as pd
from wfutil import read_table, start_logging, write_table

from pexbench.eqtl import AMBIGUOUS_ID, map_to_alleles, select_variants
from pexbench.haplotypes import load_shard

log = start_logging(snakemake.log[0])
params = snakemake.params
eqtl = read_table(snakemake.input.eqtl, dtype={"gene_id": str, "variant_id": str, "chrom": str})
chosen = select_variants(
    eqtl, mode=params.how, p_threshold=params.p_threshold, max_per_gene=params.max_per_gene
)
log.info("%d variants selected (%s, p < %g)", len(chosen), params.how, params.p_threshold)

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
# Split multi-allelic sites sharing one ID (in the allele table or among the selected eQTL
# rows) are "ambiguous variant id": reported, not scored (pexbench.eqtl.map_to_alleles).
merged = map_to_alleles(chosen, table)
n_amb = int((merged["scored"] == AMBIGUOUS_ID).sum())
if n_amb:
    log.warning(
        "%d selected variants have an ambiguous id (several alleles or eQTL rows share gene, "
        "id and position, e.g. %s): not scored; give split multi-allelic records distinct IDs "
        "(bcftools annotate --set-id '%%CHROM:%%POS:%%REF:%%ALT')",
        n_amb,
        merged.loc[merged["scored"] == AMBIGUOUS_ID, "variant_id"].iloc[0],
    )
log.info("selected variants by status: %s", merged["scored"].value_counts().to_dict())
write_table(merged, snakemake.output[0])
