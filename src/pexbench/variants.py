"""Reading genotypes of a genomic window from an indexed VCF/BCF.

`read_variants` returns a `VariantBlock`: the records whose REF span overlaps the window, in
file order, with per-sample allele indices. What is dropped or changed is counted in
`VariantBlock.counts`, never silently:

- records whose ALT alleles are all symbolic (`<DEL>`, `<CN0>`, breakends ...) or the spanning
  deletion `*`: skipped (`skipped_symbolic`, `skipped_star`); records without ALT: `skipped_no_alt`.
  In records that mix such alleles with sequence alleles, calls of the unusable alleles become
  missing (`unusable_allele_calls`), i.e. reference in haplotypes, NaN in dosages.
- REF alleles are checked against the FASTA when a reference is given: a mismatch raises
  `VariantError` naming the site (wrong build, or a VCF not normalised against this FASTA).
- missing alleles (`./.`, `.|1`) stay -1 (`missing_alleles`); haploid calls get -1 as their second
  allele (`haploid_calls`), as `bcftools consensus -H 2` keeps the reference there.

Unphased heterozygous calls (`0/1`, written with `/`, two different alleles, or one missing) follow
the `unphased` policy:

- ``"error"``: refuse, naming the first such site and sample.
- ``"as_phased"``: keep the order written in the file (first allele -> haplotype 1), which is what
  `bcftools consensus -H 1|2` does "regardless of phasing".
- ``"random"``: swap the two alleles with probability 1/2. The coin is a hash of
  (seed, contig, POS, REF, ALT, sample name), so it does not depend on the window, the order of
  samples or the other records: overlapping windows and reruns give the same phase.

Homozygous unphased calls are unambiguous and are used as they are (counted as
`unphased_homozygous`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pysam

from pexbench.contigs import ContigError, match_contig
from pexbench.errors import InputError, VariantError
from pexbench.genome import Reference

UNPHASED_POLICIES = ("error", "as_phased", "random")

pysam.set_verbosity(0)  # htslib header-sanity warnings would flood logs; errors still raise


@dataclass
class VariantBlock:
    """Genotypes of the records overlapping one window (see module docstring)."""

    chrom: str
    pos: npt.NDArray[np.int64]
    ref: list[str]
    alts: list[tuple[str, ...]]
    ids: list[str]
    samples: list[str]
    genotypes: npt.NDArray[np.int16]
    phased: npt.NDArray[np.bool_]
    counts: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ref)

    def dosages(self) -> npt.NDArray[np.float64]:
        """Number of non-REF alleles per (record, sample); NaN where any allele is missing."""
        gt = self.genotypes
        out = (gt > 0).sum(axis=-1).astype(np.float64)
        out[(gt < 0).any(axis=-1)] = np.nan
        return out

    def ends(self) -> npt.NDArray[np.int64]:
        """0-based exclusive end of each record's REF span."""
        return self.pos + np.fromiter((len(r) for r in self.ref), np.int64, len(self.ref))


def _is_unusable(allele: str) -> str | None:
    """'symbolic', 'star' or None for a sequence allele."""
    if allele == "*":
        return "star"
    if allele.startswith("<") or "[" in allele or "]" in allele or allele == ".":
        return "symbolic"
    if not allele.isalpha():
        return "symbolic"
    return None


_GT_CACHE: dict[str, tuple[int, int, bool, bool]] = {}


def _parse_gt(text: str) -> tuple[int, int, bool, bool]:
    """GT string -> (allele1, allele2, phased, haploid); '.' -> -1."""
    hit = _GT_CACHE.get(text)
    if hit is not None:
        return hit
    if text in ("", "."):
        res = (-1, -1, False, True)
    elif "|" in text or "/" in text:
        phased = "|" in text and "/" not in text
        parts = text.replace("|", "/").split("/")
        if len(parts) != 2:
            raise ValueError(f"only haploid or diploid genotypes are supported, got GT={text!r}")
        a, b = (-1 if p == "." else int(p) for p in parts)
        res = (a, b, phased, False)
    else:
        res = (-1 if text == "." else int(text), -1, True, True)
    if len(_GT_CACHE) < 10_000:
        _GT_CACHE[text] = res
    return res


def _site_hash(seed: int, chrom: str, pos: int, ref: str, alts: Sequence[str]) -> np.uint64:
    key = f"{seed}\t{chrom}\t{pos}\t{ref}\t{','.join(alts)}".encode()
    return np.uint64(int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little"))


def _sample_hashes(samples: Sequence[str]) -> npt.NDArray[np.uint64]:
    return np.array(
        [
            int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "little")
            for s in samples
        ],
        dtype=np.uint64,
    )


def _splitmix64(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def random_phase_swaps(
    seed: int, chrom: str, pos: int, ref: str, alts: Sequence[str], samples: Sequence[str]
) -> npt.NDArray[np.bool_]:
    """The documented coin of the `random` policy: True where the two alleles are swapped."""
    return _coins(_site_hash(seed, chrom, pos, ref, alts), _sample_hashes(samples))


def _coins(site: np.uint64, sample_hashes: npt.NDArray[np.uint64]) -> npt.NDArray[np.bool_]:
    return (_splitmix64(sample_hashes ^ site) >> np.uint64(63)).astype(bool)


def open_vcf(vcf: str | Path) -> pysam.VariantFile:
    """Open an indexed VCF/BCF with an error message that says what to do."""
    path = Path(vcf)
    if not path.is_file():
        raise InputError(f"VCF {path} does not exist; check the path.")
    try:
        handle = pysam.VariantFile(str(path))
    except (OSError, ValueError) as exc:
        raise InputError(
            f"cannot read VCF {path}: {exc}. Check that it is a VCF/BCF (bgzip-compressed for "
            "random access) with a valid header, e.g. with `bcftools view -h`."
        ) from exc
    if handle.index is None:
        handle.close()
        raise InputError(
            f"VCF {path} has no index (.tbi/.csi); compress it with bgzip and index it with "
            f"`tabix -p vcf {path}` or `bcftools index {path}`."
        )
    return handle


def vcf_samples(vcf: str | Path) -> list[str]:
    """Sample names of a VCF header."""
    with open_vcf(vcf) as handle:
        return list(handle.header.samples)


def vcf_contig(handle: pysam.VariantFile, chrom: str, path: str | Path) -> str:
    """The VCF's own name for `chrom` (header contigs and index contigs)."""
    names = list(dict.fromkeys([*handle.header.contigs, *list(handle.index or [])]))
    try:
        return match_contig(chrom, names, target=str(path))
    except ContigError as exc:
        raise ContigError(
            f"{exc} (a contig absent from the VCF header and index usually means the VCF is on "
            "another build or uses another naming; a VCF without records on this contig should "
            "declare it in a ##contig header line)"
        ) from None


def read_variants(
    vcf: str | Path,
    chrom: str,
    start: int,
    end: int,
    samples: Sequence[str] | None = None,
    reference: Reference | None = None,
    unphased: str = "error",
    seed: int = 0,
) -> VariantBlock:
    """Records whose REF span overlaps [start, end) (0-based half-open) on `chrom`.

    `samples` selects and orders samples (all when None; a missing one is an InputError).
    With `reference`, REF alleles are checked against the FASTA and `chrom` of the result is the
    FASTA's contig name. See the module docstring for skipped records and the `unphased` policy.
    """
    if unphased not in UNPHASED_POLICIES:
        raise InputError(
            f"unknown unphased policy {unphased!r}; use one of {', '.join(UNPHASED_POLICIES)}"
        )
    path = Path(vcf)
    counts = {
        "records": 0,
        "skipped_symbolic": 0,
        "skipped_star": 0,
        "skipped_no_alt": 0,
        "unusable_allele_calls": 0,
        "missing_alleles": 0,
        "haploid_calls": 0,
        "unphased_heterozygous": 0,
        "unphased_homozygous": 0,
        "unphased_randomised_swaps": 0,
    }
    with open_vcf(path) as handle:
        header_samples = list(handle.header.samples)
        if samples is None:
            wanted = header_samples
        else:
            wanted = list(samples)
            known = set(header_samples)
            absent = [s for s in wanted if s not in known]
            if absent:
                shown = ", ".join(absent[:5]) + (" ..." if len(absent) > 5 else "")
                raise InputError(
                    f"{len(absent)} sample(s) not in VCF {path}: {shown}. The VCF has "
                    f"{len(header_samples)} samples (e.g. {', '.join(header_samples[:3])}); "
                    "check the sample names or drop those individuals."
                )
            if len(set(wanted)) != len(wanted):
                raise InputError(f"duplicate sample names requested from VCF {path}")
        handle.subset_samples(wanted)
        order = {s: i for i, s in enumerate(handle.header.samples)}
        perm = np.array([order[s] for s in wanted], dtype=np.int64)
        vchrom = vcf_contig(handle, chrom, path)
        fasta_chrom = reference.resolve(vchrom, source=str(path)) if reference else chrom
        sample_h = _sample_hashes(wanted) if unphased == "random" else None

        pos_l: list[int] = []
        ref_l: list[str] = []
        alt_l: list[tuple[str, ...]] = []
        id_l: list[str] = []
        gt_rows: list[list[tuple[int, int, bool, bool]]] = []
        last = f"{vchrom}:{start + 1}"
        try:
            for rec in handle.fetch(vchrom, max(int(start), 0), int(end)):
                ref = (rec.ref or "").upper()
                p0 = int(rec.pos) - 1
                if p0 >= end or p0 + len(ref) <= start:
                    continue
                alts = tuple(a.upper() for a in (rec.alts or ()))
                kinds = [_is_unusable(a) for a in alts]
                last = f"{vchrom}:{rec.pos}"
                if not alts:
                    counts["skipped_no_alt"] += 1
                    continue
                if all(k is not None for k in kinds):
                    key = "skipped_star" if all(k == "star" for k in kinds) else "skipped_symbolic"
                    counts[key] += 1
                    continue
                if reference is not None:
                    fa = reference.fetch_str(fasta_chrom, p0, p0 + len(ref)).upper()
                    if fa != ref:
                        raise VariantError(
                            f"REF allele does not match the FASTA at {vchrom}:{rec.pos} in {path}: "
                            f"REF in the VCF is {ref!r}, the FASTA {reference.path} has "
                            f"{fa!r} at {fasta_chrom}:{p0 + 1}-{p0 + len(ref)}. Use a VCF and "
                            "FASTA of the same build and normalise the VCF against this FASTA "
                            f"(bcftools norm -f {reference.path} -m -any)."
                        )
                text = str(rec).rstrip("\n").split("\t")
                fmt = text[8].split(":", 1)[0] if len(text) > 8 else ""
                if fmt != "GT":
                    raise InputError(
                        f"record {vchrom}:{rec.pos} in {path} has no GT as first FORMAT key; "
                        "genotypes are required (FORMAT must start with GT)."
                    )
                gts = [_parse_gt(cell.split(":", 1)[0]) for cell in text[9:]]
                if len(gts) != len(wanted):
                    raise InputError(
                        f"record {vchrom}:{rec.pos} in {path} has {len(gts)} sample columns, "
                        f"the header {len(wanted)}; the file is truncated or malformed."
                    )
                pos_l.append(p0)
                ref_l.append(ref)
                alt_l.append(alts)
                rid = rec.id if rec.id and rec.id != "." else f"{vchrom}:{rec.pos}:{ref}:"
                if not (rec.id and rec.id != "."):
                    rid += ",".join(alts)
                id_l.append(rid)
                gt_rows.append(gts)
        except (ValueError, OSError) as exc:
            raise InputError(
                f"malformed VCF {path} near {last} (after the last record read): {exc}. Check "
                f"the file with `bcftools view {path} {vchrom}:{start + 1}-{end}`."
            ) from exc

    n_var, n_smp = len(pos_l), len(wanted)
    counts["records"] = n_var
    if n_var:
        arr = np.array(gt_rows, dtype=np.int64).reshape(n_var, n_smp, 4)[:, perm, :]
    else:
        arr = np.zeros((0, n_smp, 4), dtype=np.int64)
    gt = arr[:, :, :2].astype(np.int16)
    phased_file = arr[:, :, 2].astype(bool)
    haploid = arr[:, :, 3].astype(bool)
    counts["haploid_calls"] = int((haploid & (gt[:, :, 0] >= 0)).sum())

    n_alts = np.array([len(a) for a in alt_l], dtype=np.int64)
    if n_var and (gt >= (n_alts[:, None, None] + 1)).any():
        bad = np.argwhere(gt >= (n_alts[:, None, None] + 1))[0]
        raise InputError(
            f"record {vchrom}:{pos_l[bad[0]] + 1} in {path}: sample {wanted[bad[1]]} has allele "
            f"index {gt[tuple(bad)]} but the record has {n_alts[bad[0]]} ALT allele(s)."
        )
    # calls of symbolic / star alleles inside mixed records become missing
    for i, alts in enumerate(alt_l):
        for j, allele in enumerate(alts, start=1):
            if _is_unusable(allele) is not None:
                hit = gt[i] == j
                counts["unusable_allele_calls"] += int(hit.sum())
                gt[i][hit] = -1
    counts["missing_alleles"] = int(((gt < 0) & ~(haploid[:, :, None] & (np.arange(2) == 1))).sum())

    diploid = ~haploid
    unph = diploid & ~phased_file
    het = unph & (gt[:, :, 0] != gt[:, :, 1])
    counts["unphased_heterozygous"] = int(het.sum())
    counts["unphased_homozygous"] = int((unph & ~het).sum())
    if het.any():
        if unphased == "error":
            i, s = np.argwhere(het)[0]
            raise VariantError(
                f"unphased heterozygous genotype at {vchrom}:{pos_l[i] + 1} for sample "
                f"{wanted[s]} in {path} ({counts['unphased_heterozygous']} such calls in "
                f"{vchrom}:{start + 1}-{end}). Phase the VCF (e.g. SHAPEIT, Beagle, Eagle) or "
                "choose an unphased policy: 'as_phased' (file order) or 'random' (seeded)."
            )
        if unphased == "random":
            assert sample_h is not None
            for i in np.flatnonzero(het.any(axis=1)):
                coin = _coins(
                    _site_hash(seed, fasta_chrom, pos_l[i], ref_l[i], alt_l[i]), sample_h
                )
                swap = coin & het[i]
                counts["unphased_randomised_swaps"] += int(swap.sum())
                gt[i, swap] = gt[i, swap][:, ::-1]
    return VariantBlock(
        chrom=fasta_chrom,
        pos=np.array(pos_l, dtype=np.int64),
        ref=ref_l,
        alts=alt_l,
        ids=id_l,
        samples=wanted,
        genotypes=gt,
        phased=phased_file,
        counts=counts,
    )
