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
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pysam

from pexbench.contigs import ContigError, match_contig
from pexbench.errors import InputError, VariantError, listing
from pexbench.genome import Reference
from pexbench.vcf import vcf_samples  # noqa: F401  (re-exported)

UNPHASED_POLICIES = ("error", "as_phased", "random")


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


def _coins_2d(
    sites: npt.NDArray[np.uint64], sample_hashes: npt.NDArray[np.uint64]
) -> npt.NDArray[np.bool_]:
    """`_coins` of several sites at once: (n_sites, n_samples)."""
    return (_splitmix64(sample_hashes[None, :] ^ sites[:, None]) >> np.uint64(63)).astype(bool)


def _locate_line(path: Path, last: tuple[str, int] | None) -> str:
    """', line N: TEXT' of the first data line after the record `last` (best effort)."""
    import gzip

    try:
        opener = gzip.open if path.suffix in (".gz", ".bgz") else open
        with opener(path, "rt", errors="replace") as handle:
            seen = last is None
            for number, line in enumerate(handle, start=1):
                if line.startswith("#"):
                    continue
                if seen:
                    return f", line {number}: {line.rstrip()[:120]!r}"
                cols = line.split("\t", 2)
                if len(cols) > 1 and last is not None and cols[0] == last[0]:
                    seen = cols[1] == str(last[1])
    except (OSError, EOFError, UnicodeError):
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


@dataclass(frozen=True)
class _Window:
    """The window [start, end) of contig `vchrom` of an open VCF, read for the `wanted` samples;
    REFs checked against `reference` (contig `fasta_chrom`) when one is given."""

    path: Path
    handle: pysam.VariantFile
    vchrom: str
    start: int
    end: int
    wanted: list[str]
    reference: Reference | None
    fasta_chrom: str

    def parts(self) -> tuple[Path, pysam.VariantFile, str, int, int, list[str]]:
        """(path, handle, vchrom, start, end, wanted)."""
        return self.path, self.handle, self.vchrom, self.start, self.end, self.wanted


@dataclass
class _Raw:
    """Records of a window before the post-processing shared by both read paths."""

    pos: list[int]
    ref: list[str]
    alts: list[tuple[str, ...]]
    ids: list[str]
    gt: npt.NDArray[np.int64]  # (n_var, n_samples, 2)
    phased: npt.NDArray[np.bool_]
    haploid: npt.NDArray[np.bool_]


_GT_TEXT = re.compile(r"(?:[0-9]+|\.)(?:[|/](?:[0-9]+|\.))?")
_DIGIT_OR_DOT = np.zeros(256, dtype=bool)
_DIGIT_OR_DOT[list(b"0123456789.")] = True


def _ref_checker(window: _Window, lo: int, hi: int) -> Callable[[int, str, int], None]:
    """A REF check against the FASTA that fetches [lo, hi) once (same result, same error)."""
    reference, fasta_chrom = window.reference, window.fasta_chrom
    vchrom, path = window.vchrom, window.path
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
    buf: npt.NDArray[np.uint8], starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """GT subfields of sample cells buf[starts:ends] -> (alleles (..., 2), phased, haploid).

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
    alleles = np.stack([a, b], axis=-1)
    # _parse_gt: a haploid call counts as phased unless it is '.'; '|' phases a diploid call
    phased = np.where(gt3, c1 == ord("|"), c0 != ord("."))
    haploid = ~gt3
    slow = np.argwhere(~(gt1 | gt3))
    if slow.size:
        raw = buf.tobytes()
        for idx in map(tuple, slow):
            cell = raw[int(starts[idx]) : int(ends[idx])].split(b":", 1)[0].decode("ascii")
            if not _GT_TEXT.fullmatch(cell):
                raise _Fallback(cell)
            x, y, ph, hap = _parse_gt(cell)
            alleles[idx] = (x, y)
            phased[idx] = ph
            haploid[idx] = hap
    return alleles, phased, haploid


def _read_text(window: _Window, header_samples: list[str], counts: dict[str, int]) -> _Raw:
    """Fast path: raw tab-delimited lines from the tabix index, genotypes parsed with numpy.

    Accepts only windows where every record is plainly well formed (column count of the header,
    numeric POS, FORMAT starting with GT, GT syntax of `_GT_TEXT`); anything else raises
    _Fallback and the window is read through pysam by `_read_pysam`, which reports the exact
    error. Fields the engine does not use (QUAL, FILTER, INFO, other FORMAT keys) are not
    validated here, whereas htslib would reject some malformed ones.
    """
    path, handle, vchrom, start, end, wanted = window.parts()
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
        if p0 >= end or p0 + len(cols[3]) <= start:
            continue
        fields.append(cols)
        p0s.append(p0)
    lo = min(p0s, default=0)
    hi = max((p + len(c[3]) for p, c in zip(p0s, fields, strict=True)), default=0)
    check = _ref_checker(window, lo, hi)
    pos_l: list[int] = []
    ref_l: list[str] = []
    alt_l: list[tuple[str, ...]] = []
    id_l: list[str] = []
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
        rests.append(cols[9])
    gt, phased, haploid = _parse_text_genotypes(rests, n_head, header_samples, wanted)
    # REF checks last: any record that needs the htslib path must be found first, so that
    # errors come in file order exactly as there
    for p0, ref in zip(pos_l, ref_l, strict=True):
        try:
            check(p0, ref, p0 + 1)
        except ValueError as exc:  # e.g. POS 0: htslib's path reports it with the line
            raise _Fallback(str(exc)) from exc
    return _Raw(pos_l, ref_l, alt_l, id_l, gt, phased, haploid)


def _parse_text_genotypes(
    rests: list[str], n_head: int, header_samples: list[str], wanted: list[str]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Genotypes of the sample columns (joined by tabs) of each record, `wanted` order."""
    n_var = len(rests)
    if n_var == 0:
        empty = np.zeros((0, len(wanted)), dtype=bool)
        return np.zeros((0, len(wanted), 2), np.int64), empty, empty
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
    return _parse_cells(buf, starts, ends)


def _read_pysam(window: _Window, counts: dict[str, int]) -> _Raw:
    """General path: records through htslib (any VCF/BCF), GT text parsed by `_parse_gt`."""
    path, handle, vchrom, start, end, wanted = window.parts()
    handle.subset_samples(wanted)
    order = {s: i for i, s in enumerate(handle.header.samples)}
    perm = np.array([order[s] for s in wanted], dtype=np.int64)
    pos_l: list[int] = []
    ref_l: list[str] = []
    alt_l: list[tuple[str, ...]] = []
    id_l: list[str] = []
    gt_rows: list[list[tuple[int, int, bool, bool]]] = []
    last = f"{vchrom}:{start + 1}"
    last_key: tuple[str, int] | None = None
    check = _ref_checker(window, 0, 0)
    try:
        for rec in handle.fetch(vchrom, max(int(start), 0), int(end)):
            ref = (rec.ref or "").upper()
            p0 = int(rec.pos) - 1
            if p0 >= end or p0 + len(ref) <= start:
                continue
            alts = tuple(a.upper() for a in (rec.alts or ()))
            kinds = [_is_unusable(a) for a in alts]
            last = f"{vchrom}:{rec.pos}"
            last_key = (vchrom, int(rec.pos))
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
            pos_l.append(p0)
            ref_l.append(ref)
            alt_l.append(alts)
            id_l.append(_record_id(rec.id, vchrom, int(rec.pos), ref, alts))
            gt_rows.append(gts)
    except (ValueError, OSError) as exc:
        where = _locate_line(path, last_key)
        raise InputError(
            f"malformed VCF {path}{where} (first record after {last} that cannot be "
            f"parsed): {exc}. Fix or remove that line; `bcftools view {path} "
            f"{vchrom}:{start + 1}-{end}` shows the same error."
        ) from exc
    n_var, n_smp = len(pos_l), len(wanted)
    if n_var:
        arr = np.array(gt_rows, dtype=np.int64).reshape(n_var, n_smp, 4)[:, perm, :]
    else:
        arr = np.zeros((0, n_smp, 4), dtype=np.int64)
    return _Raw(
        pos_l, ref_l, alt_l, id_l, arr[:, :, :2], arr[:, :, 2].astype(bool), arr[:, :, 3] != 0
    )


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

    Bgzipped, tabix-indexed VCFs are read as text and their genotypes parsed with numpy; BCF
    files and windows with unusual records (GT not single-digit/'.', malformed lines) go
    through pysam/htslib. Both paths give identical results.
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
                shown = listing(absent, 5)
                raise InputError(
                    f"{len(absent)} sample(s) not in VCF {path}: {shown}. The VCF has "
                    f"{len(header_samples)} samples (e.g. {', '.join(header_samples[:3])}); "
                    "check the sample names or drop those individuals."
                )
            if len(set(wanted)) != len(wanted):
                raise InputError(f"duplicate sample names requested from VCF {path}")
        vchrom = vcf_contig(handle, chrom, path)
        fasta_chrom = reference.resolve(vchrom, source=str(path)) if reference else chrom
        window = _Window(path, handle, vchrom, start, end, wanted, reference, fasta_chrom)
        fast_counts = dict(counts)
        try:
            raw = _read_text(window, header_samples, fast_counts)
            counts = fast_counts
        except _Fallback:
            raw = _read_pysam(window, counts)
    return _finish(raw, path, vchrom, start, end, wanted, fasta_chrom, unphased, seed, counts)


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
) -> VariantBlock:
    """Checks, unusable alleles, counts and the unphased policy (common to both paths)."""
    pos_l, ref_l, alt_l = raw.pos, raw.ref, raw.alts
    n_var = len(pos_l)
    counts["records"] = n_var
    gt = raw.gt.astype(np.int16)
    phased_file = raw.phased
    haploid = raw.haploid
    counts["haploid_calls"] = int((haploid & (gt[:, :, 0] >= 0)).sum())

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
    # calls of symbolic / star alleles inside mixed records become missing
    for i, alts in enumerate(alt_l):
        for j, allele in enumerate(alts, start=1):
            if _is_unusable(allele) is not None:
                hit = gt[i] == j
                counts["unusable_allele_calls"] += int(hit.sum())
                gt[i][hit] = -1
    second = np.arange(2) == 1
    counts["missing_alleles"] = int(((gt < 0) & ~(haploid[:, :, None] & second)).sum())

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
            rows = np.flatnonzero(het.any(axis=1))
            sites = np.array(
                [_site_hash(seed, fasta_chrom, pos_l[i], ref_l[i], alt_l[i]) for i in rows],
                dtype=np.uint64,
            )
            swap = _coins_2d(sites, _sample_hashes(wanted)) & het[rows]
            counts["unphased_randomised_swaps"] += int(swap.sum())
            sub = gt[rows]
            sub[swap] = sub[swap][:, ::-1]
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
