"""Reading genotypes of a genomic window from an indexed VCF/BCF.

`read_variants` returns a `VariantBlock`: the records whose REF span overlaps the window, in
file order, with per-sample allele indices. What is dropped or changed is counted in
`VariantBlock.counts`, never silently:

- `<DEL>` alleles are applied as bcftools consensus applies them (POS+1..END deleted): with a
  reference, the record is rewritten into sequence alleles (`pexbench.symbolic`;
  `symbolic_deletions` counts such records; without a reference it stays `<DEL>`, a usable
  allele for dosages that `pexbench.haplotypes` never applies). Records whose ALT alleles are
  all other symbolic alleles (`<CN0>`, `<*>`, breakends ...) or the spanning deletion `*`:
  skipped (`skipped_symbolic`, `skipped_star`); records without ALT: `skipped_no_alt`. In
  records that mix such alleles with sequence alleles, calls of the unusable alleles become
  missing (`unusable_allele_calls`), i.e. reference in haplotypes, NaN in dosages.
- REF alleles are checked against the FASTA when a reference is given: a mismatch raises
  `VariantError` naming the site (wrong build, or a VCF not normalised against this FASTA).
- missing alleles (`./.`, `.|1`) stay -1 (`missing_alleles`).
- ploidy: `genotypes[..., k]` is the (k+1)-th allele of the GT, for k < `ploidy` (default 2), as
  `bcftools consensus -H k+1` takes the N-th allele at any ploidy. A call with fewer alleles gets
  -1 (reference) in the remaining columns: haploid calls (`haploid_calls`) keep the reference on
  haplotype 2, as bcftools does. Alleles of a GT beyond `ploidy` are not read: a tetraploid
  `0|1|0|1` gives haplotypes 1 and 2 = its first two alleles, as `-H 1` / `-H 2` give
  (`alleles_beyond_ploidy` counts the alleles left out; pass `ploidy=4` for haplotypes 3, 4).
- a contig that the VCF neither declares nor indexes has no records: the window is the
  reference, as bcftools consensus prints it (`contig_not_in_vcf` = 1, and a warning is logged).

Unphased heterozygous calls (`0/1`, written with `/`, two different alleles, or one missing) follow
the `unphased` policy:

- ``"error"``: refuse, naming the first such site and sample.
- ``"as_phased"``: keep the order written in the file (first allele -> haplotype 1), which is what
  `bcftools consensus -H 1|2` does "regardless of phasing".
- ``"random"``: swap the two alleles with probability 1/2. The coin is a hash of
  (seed, POS, REF, ALT, sample name), so it does not depend on the window, the order of
  samples, the other records or the contig's spelling (`22` and `chr22` give the same phase):
  overlapping windows and reruns give the same phase. Diploid calls only: an unphased
  heterozygous polyploid call under `random` is an error.

Homozygous unphased calls are unambiguous and are used as they are (counted as
`unphased_homozygous`).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pysam

from pexbench.contigs import ContigError, match_contig
from pexbench.errors import InputError, VariantError
from pexbench.genome import Reference
from pexbench.symbolic import DEL, deletion_end, expand_deletion, info_end
from pexbench.vcf import vcf_samples  # noqa: F401  (re-exported)

UNPHASED_POLICIES = ("error", "as_phased", "random")

log = logging.getLogger(__name__)


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
    phased: npt.NDArray[np.bool_]  # as written in the file (before any unphased policy)
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
    if allele == DEL:
        return None
    if allele.startswith("<") or "[" in allele or "]" in allele or allele == ".":
        return "symbolic"
    if not allele.isalpha():
        return "symbolic"
    return None


_GT_CACHE: dict[str, tuple[tuple[int, ...], bool]] = {}


def _parse_gt(text: str) -> tuple[tuple[int, ...], bool]:
    """GT string -> (alleles of any ploidy, phased); '.' -> -1. A haploid call counts as
    phased unless it is '.'; a call of two or more alleles is phased when written with '|'."""
    hit = _GT_CACHE.get(text)
    if hit is not None:
        return hit
    if text in ("", "."):
        res: tuple[tuple[int, ...], bool] = ((-1,), False)
    elif "|" in text or "/" in text:
        phased = "|" in text and "/" not in text
        parts = text.replace("|", "/").split("/")
        res = (tuple(-1 if p == "." else int(p) for p in parts), phased)
    else:
        res = ((int(text),), True)
    if len(_GT_CACHE) < 10_000:
        _GT_CACHE[text] = res
    return res


def _site_hash(seed: int, pos: int, ref: str, alts: Sequence[str]) -> np.uint64:
    """Hash of (seed, 0-based POS, REF, ALTs): the contig's spelling plays no part."""
    key = f"{seed}\t{pos}\t{ref}\t{','.join(alts)}".encode()
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
    seed: int, pos: int, ref: str, alts: Sequence[str], samples: Sequence[str]
) -> npt.NDArray[np.bool_]:
    """The documented coin of the `random` policy: True where the two alleles are swapped
    (`pos` 0-based, as in `VariantBlock.pos`; no contig: `22` and `chr22` phase alike)."""
    return _coins(_site_hash(seed, pos, ref, alts), _sample_hashes(samples))


def _coins(site: np.uint64, sample_hashes: npt.NDArray[np.uint64]) -> npt.NDArray[np.bool_]:
    return (_splitmix64(sample_hashes ^ site) >> np.uint64(63)).astype(bool)


def _coins_2d(
    sites: npt.NDArray[np.uint64], sample_hashes: npt.NDArray[np.uint64]
) -> npt.NDArray[np.bool_]:
    """`_coins` of several sites at once: (n_sites, n_samples)."""
    return (_splitmix64(sample_hashes[None, :] ^ sites[:, None]) >> np.uint64(63)).astype(bool)


def _locate_line(path: Path, vchrom: str, start: int, end: int, index: int) -> str:
    """', line N: TEXT' of the `index`-th record (0-based) that the index returns for the window
    (the order htslib reads them in); '' when the file is not a tabix-indexed text VCF."""
    import gzip

    try:
        with pysam.TabixFile(str(path), encoding="ascii", parser=None) as tabix:
            lines = list(tabix.fetch(vchrom, max(int(start), 0), int(end)))
        if not 0 <= index < len(lines):
            return ""
        target = lines[index]
        occurrence = lines[:index].count(target)  # identical earlier lines share its POS
        opener = gzip.open if path.suffix in (".gz", ".bgz") else open
        with opener(path, "rt", errors="replace") as handle:
            for number, line in enumerate(handle, start=1):
                if line.rstrip("\n") == target:
                    if occurrence == 0:
                        return f", line {number}: {target[:120]!r}"
                    occurrence -= 1
    except (OSError, EOFError, UnicodeError, ValueError):
        return ""
    return ""


def open_vcf(vcf: str | Path) -> pysam.VariantFile:
    """Open an indexed VCF/BCF with an error message that says what to do."""
    path = Path(vcf)
    if not path.is_file():
        raise InputError(f"VCF {path} does not exist; check the path.")
    previous = pysam.set_verbosity(0)  # htslib's header-sanity warnings flood logs
    try:
        handle = pysam.VariantFile(str(path))
    except (OSError, ValueError) as exc:
        raise InputError(
            f"cannot read VCF {path}: {exc}. Check that it is a VCF/BCF (bgzip-compressed for "
            "random access) with a valid header, e.g. with `bcftools view -h`."
        ) from exc
    finally:
        pysam.set_verbosity(previous)
    if handle.index is None:
        handle.close()
        raise InputError(
            f"VCF {path} has no index (.tbi/.csi); compress it with bgzip and index it with "
            f"`tabix -p vcf {path}` or `bcftools index {path}`."
        )
    return handle


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


class _Fallback(Exception):
    """The fast text path cannot decide this window exactly: read it through pysam instead."""


@dataclass
class _Raw:
    """Records of a window before the post-processing shared by both read paths."""

    pos: list[int]
    ref: list[str]
    alts: list[tuple[str, ...]]
    ids: list[str]
    gt: npt.NDArray[np.int64]  # (n_var, n_samples, ploidy)
    phased: npt.NDArray[np.bool_]
    ploidy: npt.NDArray[np.int64]  # number of alleles written in each GT
    info_end: list[int | None]  # INFO/END of records holding <DEL>, else None


_GT_TEXT = re.compile(r"(?:[0-9]+|\.)(?:[|/](?:[0-9]+|\.))*")
_DIGIT_OR_DOT = np.zeros(256, dtype=bool)
_DIGIT_OR_DOT[list(b"0123456789.")] = True


def _ref_checker(
    reference: Reference | None, fasta_chrom: str, vchrom: str, path: Path, lo: int, hi: int
) -> Callable[[int, str, int], None]:
    """A REF check against the FASTA that fetches [lo, hi) once (same result, same error)."""
    chunk = ""
    if reference is not None and hi > lo >= 0:
        chunk = reference.fetch_str(fasta_chrom, lo, hi)

    def check(p0: int, ref: str, pos1: int) -> None:
        if reference is None:
            return
        if lo <= p0 and p0 + len(ref) <= hi:
            fa = chunk[p0 - lo : p0 - lo + len(ref)].upper()
        else:
            fa = reference.fetch_str(fasta_chrom, p0, p0 + len(ref)).upper()
        if fa != ref:
            raise VariantError(
                f"REF allele does not match the FASTA at {vchrom}:{pos1} in {path}: "
                f"REF in the VCF is {ref!r}, the FASTA {reference.path} has "
                f"{fa!r} at {fasta_chrom}:{p0 + 1}-{p0 + len(ref)}. Use a VCF and "
                "FASTA of the same build and normalise the VCF against this FASTA "
                f"(bcftools norm -f {reference.path} -m -any)."
            )

    return check


def _record_id(rid: str | None, vchrom: str, pos1: int, ref: str, alts: tuple[str, ...]) -> str:
    if rid and rid != ".":
        return rid
    return f"{vchrom}:{pos1}:{ref}:" + ",".join(alts)


def _parse_cells(
    buf: npt.NDArray[np.uint8],
    starts: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
    ploidy: int = 2,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
    """GT subfields of sample cells buf[starts:ends] -> (alleles (..., ploidy), phased, number
    of alleles written).

    Vectorised for GTs of one or two single-digit/'.' alleles; any other GT goes through
    `_parse_gt`, the parser of the pysam path, after a strict syntax check (else _Fallback).
    """
    length = ends - starts
    c0, c1, c2, c3 = (buf[starts + k] for k in range(4))  # buf is padded with 4 extra bytes
    colon1 = (length > 1) & (c1 == ord(":"))
    colon3 = (length > 3) & (c3 == ord(":"))
    gt1 = ((length == 1) | colon1) & _DIGIT_OR_DOT[c0]
    gt3 = (
        ((length == 3) | colon3)
        & _DIGIT_OR_DOT[c0]
        & _DIGIT_OR_DOT[c2]
        & ((c1 == ord("|")) | (c1 == ord("/")))
    )
    a = np.where(c0 == ord("."), -1, c0.astype(np.int64) - ord("0"))
    b = np.where(gt3, np.where(c2 == ord("."), -1, c2.astype(np.int64) - ord("0")), -1)
    alleles = np.full((*a.shape, max(ploidy, 2)), -1, dtype=np.int64)
    alleles[..., 0] = a
    alleles[..., 1] = b
    # _parse_gt: a haploid call counts as phased unless it is '.'; '|' phases a diploid call
    phased = np.where(gt3, c1 == ord("|"), c0 != ord("."))
    n_alleles = np.where(gt3, 2, 1).astype(np.int64)
    slow = np.argwhere(~(gt1 | gt3))
    if slow.size:
        raw = buf.tobytes()
        for idx in map(tuple, slow):
            cell = raw[int(starts[idx]) : int(ends[idx])].split(b":", 1)[0].decode("ascii")
            if not _GT_TEXT.fullmatch(cell):
                raise _Fallback(cell)
            values, ph = _parse_gt(cell)
            kept = values[: alleles.shape[-1]]
            alleles[idx] = (*kept, *(-1,) * (alleles.shape[-1] - len(kept)))
            phased[idx] = ph
            n_alleles[idx] = len(values)
    return alleles[..., :ploidy], phased, n_alleles


class _Query(NamedTuple):
    """One window of `read_variants`, as both read paths need it."""

    path: Path
    handle: pysam.VariantFile
    vchrom: str
    start: int
    end: int
    wanted: list[str]
    reference: Reference | None
    fasta_chrom: str
    ploidy: int


def _read_text(query: _Query, header_samples: list[str], counts: dict[str, int]) -> _Raw:
    """Fast path: raw tab-delimited lines from the tabix index, genotypes parsed with numpy.

    Accepts only windows where every record is plainly well formed (column count of the header,
    numeric POS, FORMAT starting with GT, GT syntax of `_GT_TEXT`); anything else raises
    _Fallback and the window is read through pysam by `_read_pysam`, which reports the exact
    error. Fields the engine does not use (QUAL, FILTER, INFO, other FORMAT keys) are not
    validated here, whereas htslib would reject some malformed ones.
    """
    path, handle, vchrom, start, end, wanted, reference, fasta_chrom, ploidy = query
    if not (
        handle.format == "VCF"
        and handle.compression == "BGZF"
        and isinstance(handle.index, pysam.libcbcf.TabixIndex)
        and wanted
    ):
        raise _Fallback("not a tabix-indexed bgzipped VCF")
    n_head = len(header_samples)
    try:
        with pysam.TabixFile(str(path), encoding="ascii") as tabix:
            lines = list(tabix.fetch(vchrom, max(int(start), 0), int(end)))
    except (OSError, ValueError, UnicodeError) as exc:
        raise _Fallback(str(exc)) from exc
    fields: list[list[str]] = []
    p0s: list[int] = []
    for line in lines:
        cols = line.split("\t", 9)
        if len(cols) != 10 or cols[9].count("\t") != n_head - 1:
            raise _Fallback("column count")
        if not cols[1].isdigit():
            raise _Fallback("POS")
        p0 = int(cols[1]) - 1
        span = len(cols[3])
        if DEL in cols[4].upper():
            span = deletion_end(p0, cols[3], info_end(cols[7])) - p0
        if p0 >= end or p0 + span <= start:
            continue
        fields.append(cols)
        p0s.append(p0)
    lo = min(p0s, default=0)
    hi = max((p + len(c[3]) for p, c in zip(p0s, fields, strict=True)), default=0)
    check = _ref_checker(reference, fasta_chrom, vchrom, path, lo, hi)
    pos_l: list[int] = []
    ref_l: list[str] = []
    alt_l: list[tuple[str, ...]] = []
    id_l: list[str] = []
    end_l: list[int | None] = []
    rests: list[str] = []
    for cols, p0 in zip(fields, p0s, strict=True):
        ref = cols[3].upper()
        alts = () if cols[4] == "." else tuple(a.upper() for a in cols[4].split(","))
        if not alts:
            counts["skipped_no_alt"] += 1
            continue
        kinds = [_is_unusable(a) for a in alts]
        if all(k is not None for k in kinds):
            key = "skipped_star" if all(k == "star" for k in kinds) else "skipped_symbolic"
            counts[key] += 1
            continue
        if any(a == "" for a in alts) or not ref:
            raise _Fallback("empty allele")
        if cols[8].split(":", 1)[0] != "GT":
            raise _Fallback("FORMAT")
        pos_l.append(p0)
        ref_l.append(ref)
        alt_l.append(alts)
        id_l.append(_record_id(cols[2], vchrom, p0 + 1, ref, alts))
        end_l.append(info_end(cols[7]) if DEL in alts else None)
        rests.append(cols[9])
    gt, phased, n_alleles = _parse_text_genotypes(rests, n_head, header_samples, wanted, ploidy)
    # REF checks last: any record that needs the htslib path must be found first, so that
    # errors come in file order exactly as there
    for p0, ref in zip(pos_l, ref_l, strict=True):
        try:
            check(p0, ref, p0 + 1)
        except ValueError as exc:  # e.g. POS 0: htslib's path reports it with the line
            raise _Fallback(str(exc)) from exc
    return _Raw(pos_l, ref_l, alt_l, id_l, gt, phased, n_alleles, end_l)


def _parse_text_genotypes(
    rests: list[str], n_head: int, header_samples: list[str], wanted: list[str], ploidy: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
    """Genotypes of the sample columns (joined by tabs) of each record, `wanted` order."""
    n_var = len(rests)
    if n_var == 0:
        empty = np.zeros((0, len(wanted)), dtype=bool)
        none = np.zeros((0, len(wanted)), dtype=np.int64)
        return np.zeros((0, len(wanted), ploidy), np.int64), empty, none
    text = "\t".join(rests).encode("ascii")
    buf = np.frombuffer(text + b"\0\0\0\0", dtype=np.uint8)
    tabs = np.flatnonzero(buf[: len(text)] == ord("\t"))
    if tabs.size != n_var * n_head - 1:
        raise _Fallback("cell count")
    starts = np.empty(n_var * n_head, dtype=np.int64)
    starts[0] = 0
    starts[1:] = tabs + 1
    ends = np.empty(n_var * n_head, dtype=np.int64)
    ends[:-1] = tabs
    ends[-1] = len(text)
    column = {s: i for i, s in enumerate(header_samples)}
    cols_idx = np.array([column[s] for s in wanted], dtype=np.int64)
    starts = starts.reshape(n_var, n_head)[:, cols_idx]
    ends = ends.reshape(n_var, n_head)[:, cols_idx]
    return _parse_cells(buf, starts, ends, ploidy)


def _read_pysam(query: _Query, counts: dict[str, int]) -> _Raw:
    """General path: records through htslib (any VCF/BCF), GT text parsed by `_parse_gt`.

    A record htslib cannot parse is reported with its own line number (the record after the
    last one read) and the hint that `bcftools view` fails on it too; a record htslib reads but
    pexbench cannot use is reported with its line and what is wrong with it.
    """
    path, handle, vchrom, start, end, wanted, reference, fasta_chrom, ploidy = query
    handle.subset_samples(wanted)
    order = {s: i for i, s in enumerate(handle.header.samples)}
    perm = np.array([order[s] for s in wanted], dtype=np.int64)
    pos_l: list[int] = []
    ref_l: list[str] = []
    alt_l: list[tuple[str, ...]] = []
    id_l: list[str] = []
    end_l: list[int | None] = []
    gt_rows: list[list[tuple[tuple[int, ...], bool]]] = []
    last = f"{vchrom}:{start + 1}"
    n_read = 0  # records htslib returned so far for this window
    check = _ref_checker(reference, fasta_chrom, vchrom, path, 0, 0)
    records = iter(handle.fetch(vchrom, max(int(start), 0), int(end)))
    while True:
        try:
            rec = next(records)
        except StopIteration:
            break
        except (ValueError, OSError) as exc:
            where = _locate_line(path, vchrom, start, end, n_read)
            raise InputError(
                f"malformed VCF {path}{where} (the first record after {last} that htslib cannot "
                f"parse): {exc}. Fix or remove that line; `bcftools view {path} "
                f"{vchrom}:{start + 1}-{end}` shows the same error."
            ) from exc
        n_read += 1
        try:
            ref = (rec.ref or "").upper()
            p0 = int(rec.pos) - 1
            alts = tuple(a.upper() for a in (rec.alts or ()))
            span = deletion_end(p0, ref, int(rec.stop)) - p0 if DEL in alts else len(ref)
            if p0 >= end or p0 + span <= start:
                continue
            kinds = [_is_unusable(a) for a in alts]
            last = f"{vchrom}:{rec.pos}"
            if not alts:
                counts["skipped_no_alt"] += 1
                continue
            if all(k is not None for k in kinds):
                key = "skipped_star" if all(k == "star" for k in kinds) else "skipped_symbolic"
                counts[key] += 1
                continue
            check(p0, ref, int(rec.pos))
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
        except ValueError as exc:  # htslib read the record, pexbench cannot use it
            where = _locate_line(path, vchrom, start, end, n_read - 1)
            raise InputError(
                f"unusable record {vchrom}:{rec.pos} in VCF {path}{where}: {exc}. Fix or "
                "remove that line."
            ) from exc
        pos_l.append(p0)
        ref_l.append(ref)
        alt_l.append(alts)
        id_l.append(_record_id(rec.id, vchrom, int(rec.pos), ref, alts))
        end_l.append(int(rec.stop) if DEL in alts else None)
        gt_rows.append(gts)
    n_var, n_smp = len(pos_l), len(wanted)
    gt = np.full((n_var, n_smp, ploidy), -1, dtype=np.int64)
    phased = np.zeros((n_var, n_smp), dtype=bool)
    n_alleles = np.zeros((n_var, n_smp), dtype=np.int64)
    for i, row in enumerate(gt_rows):
        for j, (values, ph) in enumerate(row):
            kept = values[:ploidy]
            gt[i, j, : len(kept)] = kept
            phased[i, j] = ph
            n_alleles[i, j] = len(values)
    return _Raw(pos_l, ref_l, alt_l, id_l, gt[:, perm], phased[:, perm], n_alleles[:, perm], end_l)


def read_variants(
    vcf: str | Path,
    chrom: str,
    start: int,
    end: int,
    samples: Sequence[str] | None = None,
    reference: Reference | None = None,
    unphased: str = "error",
    seed: int = 0,
    ploidy: int = 2,
) -> VariantBlock:
    """Records whose REF span overlaps [start, end) (0-based half-open) on `chrom`.

    `ploidy`: the number of GT alleles kept per call (`genotypes[..., k]` = allele k+1).

    `samples` selects and orders samples (all when None; a missing one is an InputError).
    With `reference`, REF alleles are checked against the FASTA and `chrom` of the result is the
    FASTA's contig name. See the module docstring for skipped records and the `unphased` policy.

    Bgzipped, tabix-indexed VCFs are read as text and their genotypes parsed with numpy; BCF
    files and windows with unusual records (GT not single-digit/'.', malformed lines) go
    through pysam/htslib. Both paths give identical results.
    """
    if unphased not in UNPHASED_POLICIES:
        raise InputError(
            f"unknown unphased policy {unphased!r}; use one of {', '.join(UNPHASED_POLICIES)}"
        )
    if ploidy < 1:
        raise InputError(f"ploidy must be at least 1, got {ploidy}")
    path = Path(vcf)
    counts = {
        "records": 0,
        "symbolic_deletions": 0,
        "skipped_symbolic": 0,
        "skipped_star": 0,
        "skipped_no_alt": 0,
        "unusable_allele_calls": 0,
        "missing_alleles": 0,
        "haploid_calls": 0,
        "alleles_beyond_ploidy": 0,
        "contig_not_in_vcf": 0,
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
        try:
            vchrom = vcf_contig(handle, chrom, path)
        except ContigError:
            # bcftools consensus prints the reference for a contig the VCF does not have
            fasta_chrom = reference.resolve(chrom, source="region") if reference else chrom
            log.warning(
                "contig %s is neither declared nor indexed in VCF %s: no variants, the window "
                "is the reference (as bcftools consensus); check the contig naming if you "
                "expected variants there",
                chrom,
                path,
            )
            counts["contig_not_in_vcf"] = 1
            empty = np.zeros((0, len(wanted)), dtype=np.int64)
            raw = _Raw(
                [],
                [],
                [],
                [],
                np.zeros((0, len(wanted), ploidy), np.int64),
                empty.astype(bool),
                empty,
                [],
            )
            return _finish(
                raw, path, chrom, start, end, wanted, fasta_chrom, unphased, seed, counts, None
            )
        fasta_chrom = reference.resolve(vchrom, source=str(path)) if reference else chrom
        fast_counts = dict(counts)
        query = _Query(path, handle, vchrom, start, end, wanted, reference, fasta_chrom, ploidy)
        try:
            raw = _read_text(query, header_samples, fast_counts)
            counts = fast_counts
        except _Fallback:
            raw = _read_pysam(query, counts)
    return _finish(
        raw, path, vchrom, start, end, wanted, fasta_chrom, unphased, seed, counts, reference
    )


def _finish(
    raw: _Raw,
    path: Path,
    vchrom: str,
    start: int,
    end: int,
    wanted: list[str],
    fasta_chrom: str,
    unphased: str,
    seed: int,
    counts: dict[str, int],
    reference: Reference | None,
) -> VariantBlock:
    """Checks, `<DEL>`, unusable alleles, counts and the unphased policy (both paths)."""
    pos_l, ref_l, alt_l = raw.pos, list(raw.ref), list(raw.alts)
    n_var = len(pos_l)
    counts["records"] = n_var
    gt = raw.gt.astype(np.int16)
    ploidy = gt.shape[-1]
    phased_file = raw.phased
    n_alleles = raw.ploidy
    counts["haploid_calls"] = int(((n_alleles == 1) & (gt[:, :, 0] >= 0)).sum())
    counts["alleles_beyond_ploidy"] = int(np.maximum(n_alleles - ploidy, 0).sum())

    n_alts = np.array([len(a) for a in alt_l], dtype=np.int64)
    if n_var:
        too_big = gt >= (n_alts[:, None, None] + 1)
        if too_big.any():
            bad = np.argwhere(too_big)[0]
            raise InputError(
                f"record {vchrom}:{pos_l[bad[0]] + 1} in {path}: sample {wanted[bad[1]]} has "
                f"allele index {gt[tuple(bad)]} but the record has {n_alts[bad[0]]} ALT "
                "allele(s)."
            )
    # <DEL>: rewritten into sequence alleles (REF extended to END), as bcftools applies it
    if reference is not None:
        for i, del_end in enumerate(raw.info_end):
            if DEL in alt_l[i]:
                ref_l[i], alt_l[i] = expand_deletion(
                    pos_l[i],
                    ref_l[i],
                    alt_l[i],
                    del_end,
                    lambda a, b: reference.fetch_str(fasta_chrom, a, b),
                )
                counts["symbolic_deletions"] += 1
    # calls of symbolic / star alleles inside mixed records become missing
    for i, alts in enumerate(alt_l):
        for j, allele in enumerate(alts, start=1):
            if _is_unusable(allele) is not None:
                hit = gt[i] == j
                counts["unusable_allele_calls"] += int(hit.sum())
                gt[i][hit] = -1
    # columns past a call's own ploidy hold -1 (reference) but are not missing alleles
    padding = int((ploidy - np.minimum(n_alleles, ploidy)).sum())
    counts["missing_alleles"] = int((gt < 0).sum()) - padding

    unph = (n_alleles >= 2) & ~phased_file
    if ploidy == 2:
        het = unph & (gt[:, :, 0] != gt[:, :, 1])
    else:
        written = np.arange(ploidy) < n_alleles[:, :, None]
        het = unph & ((gt != gt[:, :, :1]) & written).any(axis=-1)
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
            poly = het & (n_alleles > 2)
            if poly.any():
                i, s = np.argwhere(poly)[0]
                raise VariantError(
                    f"unphased heterozygous polyploid genotype at {vchrom}:{pos_l[i] + 1} for "
                    f"sample {wanted[s]} in {path}: the 'random' policy phases diploid calls "
                    "only; phase the VCF or use unphased policy 'as_phased' (file order)."
                )
            rows = np.flatnonzero(het.any(axis=1))
            sites = np.array(
                [_site_hash(seed, pos_l[i], ref_l[i], alt_l[i]) for i in rows],
                dtype=np.uint64,
            )
            swap = _coins_2d(sites, _sample_hashes(wanted)) & het[rows]
            counts["unphased_randomised_swaps"] += int(swap.sum())
            sub = gt[rows]
            sub[swap, :2] = sub[swap, 1::-1]
            gt[rows] = sub
    return VariantBlock(
        chrom=fasta_chrom,
        pos=np.array(pos_l, dtype=np.int64),
        ref=ref_l,
        alts=alt_l,
        ids=raw.ids,
        samples=wanted,
        genotypes=gt,
        phased=phased_file,
        counts=counts,
    )
