"""`GeneHaplotypes`: the alleles carried by every (individual, haplotype) around one gene."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from pexbench.haplotypes.alleles import AlleleTable, IntArray


@dataclass
class GeneHaplotypes:
    """Alleles carried by every (individual, haplotype) around one gene.

    `allele_*`: the allele table of the window [window_start, window_end) (file order);
    `unique`: the distinct haplotypes as sorted allele-index arrays; `assignment[i, h]`: the
    row of `unique` of haplotype h + 1 of `individuals[i]`; `counts`: what was read, skipped
    and deduplicated.
    """

    gene_id: str
    symbol: str
    chrom: str
    tss: int
    strand: str
    window_start: int
    window_end: int
    allele_pos: IntArray
    allele_ref: list[str]
    allele_alt: list[str]
    allele_id: list[str]
    unique: list[npt.NDArray[np.int32]]
    individuals: list[str]
    assignment: npt.NDArray[np.int32]
    counts: dict[str, int] = field(default_factory=dict)

    def table(self) -> AlleleTable:
        return AlleleTable.build(self.allele_pos, self.allele_ref, self.allele_alt)

    def haplotype(self, individual: str, haplotype: int) -> npt.NDArray[np.int32]:
        """Applied allele indices of `individual`'s haplotype 1, 2 (.. up to the ploidy read)."""
        row = self.individuals.index(individual)
        if not 1 <= haplotype <= self.assignment.shape[1]:
            raise IndexError(
                f"haplotype {haplotype} of {individual}: only haplotypes 1-"
                f"{self.assignment.shape[1]} were read (pass a larger ploidy)"
            )
        return self.unique[int(self.assignment[row, haplotype - 1])]
