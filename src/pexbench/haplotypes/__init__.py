"""Personal haplotypes: which alleles each (individual, haplotype) carries, and their sequences.

Variant application reproduces `bcftools consensus -H 1|2 -s SAMPLE` exactly (checked against
bcftools itself in the tests). Torch-free: the workflow's `common.smk` imports it at DAG time.

- `alleles`: htslib's variant typing, the allele table of a window, bcftools' overlap rules for
  every haplotype at once (`select_alleles`), deduplication;
- `gene`: `GeneHaplotypes`, the deduplicated haplotypes of one gene or window;
- `windows`: reading a window (`haplotypes_for_region`) or a gene's window, widened until every
  haplotype covers the sequence length (`haplotypes_for_gene`, `haplotypes_for_genes`), or a
  gene's reference alone (`reference_haplotypes`);
- `layout`: one haplotype's bcftools layout and region-mode sequences (`build_region`);
- `anchored`: fixed-length sequences with the TSS at length // 2 (`AnchoredBuilder`);
- `shard`: a gene shard's haplotypes on disk (`save_shard`, `load_shard`) and its allele table
  as one frame (`allele_frame`).

`<DEL>` is applied as bcftools applies it (POS+1..END deleted); other symbolic alleles, which
bcftools refuses or ignores, and `*` are skipped and counted (see `pexbench.variants`).
Haplotype h is the h-th allele of the GT at any ploidy (haploid calls keep the reference on
haplotype 2; alleles 3+ of polyploid calls are read with `ploidy`), as `-H h`.
"""

from pexbench.haplotypes.alleles import (
    AlleleTable,
    allele_table,
    dedup,
    select_alleles,
    variant_type,
)
from pexbench.haplotypes.anchored import AnchoredBuilder
from pexbench.haplotypes.gene import GeneHaplotypes
from pexbench.haplotypes.layout import build_region
from pexbench.haplotypes.shard import (
    ALLELE_COLUMNS,
    SHARD_FORMAT,
    allele_frame,
    load_shard,
    save_shard,
)
from pexbench.haplotypes.windows import (
    HAPLOTYPE_MARGIN,
    haplotypes_for_gene,
    haplotypes_for_genes,
    haplotypes_for_region,
    reference_haplotypes,
    variant_reach,
)

__all__ = [
    "ALLELE_COLUMNS",
    "HAPLOTYPE_MARGIN",
    "SHARD_FORMAT",
    "AlleleTable",
    "AnchoredBuilder",
    "GeneHaplotypes",
    "allele_frame",
    "allele_table",
    "build_region",
    "dedup",
    "haplotypes_for_gene",
    "haplotypes_for_genes",
    "haplotypes_for_region",
    "load_shard",
    "reference_haplotypes",
    "save_shard",
    "select_alleles",
    "variant_reach",
    "variant_type",
]
