"""Rule normalise_vcf: contigs renamed to the FASTA's, left-aligned, multi-allelics split.

Only records within `margin` bp of a kept gene's TSS are normalised (no stage reads others).
"""

import pandas as pd
from wfutil import read_table, start_logging, write_table

from pexbench.inputs import normalise_vcf

log = start_logging(snakemake.log[0])
genes = read_table(snakemake.input.genes, dtype={"chrom": str})
margin = snakemake.params.margin
regions = [
    f"{chrom}:{max(1, tss + 1 - margin)}-{tss + 1 + margin}"
    for chrom, tss in genes[["chrom", "tss"]].itertuples(index=False)
]
# normalise_vcf writes under a temporary name and renames at the end (VCF and index).
counts = normalise_vcf(
    snakemake.input.vcf,
    snakemake.input.fasta,
    snakemake.output.vcf,
    threads=snakemake.threads,
    regions=regions,
)
log.info("normalised %s -> %s: %s", snakemake.input.vcf, snakemake.output.vcf, counts)
write_table(
    pd.DataFrame({"what": list(counts), "count": [int(v) for v in counts.values()]}),
    snakemake.output.counts,
)
