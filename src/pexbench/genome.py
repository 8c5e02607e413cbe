"""Reference genome access: a FASTA (plain or bgzipped) read as uint8 codes.

Coordinates are 0-based half-open everywhere. `fetch` accepts any range: bases outside the
contig (negative positions, past the end) come back as N, so callers can cut fixed-length
windows near contig ends without special cases.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pysam

from pexbench.contigs import match_contig
from pexbench.encoding import N_CODE, Codes, encode
from pexbench.errors import InputError


class Reference:
    """An indexed FASTA file (`.fai`, plus `.gzi` when bgzipped).

    Contig names given to `fetch`/`resolve` are harmonised with the FASTA's own names
    (`22` finds `chr22`), see `pexbench.contigs.match_contig`.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(f"reference FASTA {self.path} does not exist; check the path.")
        fai = Path(str(self.path) + ".fai")
        if not fai.is_file():
            raise InputError(
                f"reference FASTA {self.path} has no index ({fai.name} missing); create it with "
                f"`samtools faidx {self.path}` (bgzip-compressed files also need a .gzi, which "
                "samtools faidx writes; plain gzip must be recompressed with bgzip first)."
            )
        try:
            self._fasta = pysam.FastaFile(str(self.path))
        except (OSError, ValueError) as exc:
            raise InputError(
                f"cannot open reference FASTA {self.path}: {exc}. If it is gzip-compressed, "
                "recompress it with `bgzip` and index it with `samtools faidx`."
            ) from exc
        self.contigs: dict[str, int] = dict(
            zip(self._fasta.references, self._fasta.lengths, strict=True)
        )
        self._resolved: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"Reference({str(self.path)!r})"

    def __getstate__(self) -> dict[str, object]:
        return {"path": self.path}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(state["path"])  # type: ignore[misc]

    def resolve(self, name: str, source: str = "") -> str:
        """FASTA contig name for `name` (e.g. `22` -> `chr22`); ContigError if none matches."""
        hit = self._resolved.get(name)
        if hit is None:
            hit = match_contig(name, self.contigs, source=source, target=str(self.path))
            self._resolved[name] = hit
        return hit

    def length(self, chrom: str) -> int:
        """Length of a contig (name harmonised)."""
        return self.contigs[self.resolve(chrom)]

    def fetch(self, chrom: str, start: int, end: int) -> Codes:
        """Codes of [start, end) on `chrom`; positions outside the contig are N."""
        name = self.resolve(chrom)
        start, end = int(start), int(end)
        if end < start:
            raise ValueError(f"fetch({chrom!r}, {start}, {end}): end before start")
        out = np.full(end - start, N_CODE, dtype=np.uint8)
        lo, hi = max(start, 0), min(end, self.contigs[name])
        if hi > lo:
            out[lo - start : hi - start] = encode(self._fasta.fetch(name, lo, hi))
        return out

    def fetch_str(self, chrom: str, start: int, end: int) -> str:
        """Raw FASTA text of [start, end) (case kept; must lie inside the contig)."""
        name = self.resolve(chrom)
        return self._fasta.fetch(name, int(start), int(end))

    def close(self) -> None:
        self._fasta.close()
