"""Genotype VCFs: sample names, and normalisation against the reference (contig names as the
FASTA's, left-aligned, multi-allelics split) with errors naming the site or the malformed line."""

from __future__ import annotations

import contextlib
import gzip
import logging
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pysam
import pysam.bcftools
from pysam.libcbgzf import BGZFile

from pexbench.contigs import ContigError, match_contig
from pexbench.errors import InputError, VariantError
from pexbench.fasta import compression, fasta_contigs
from pexbench.genes import parse_region
from pexbench.paths import is_fresh, scratch_dir
from pexbench.tables import open_text, write_table

log = logging.getLogger(__name__)


def _bcftools(command: str, *args: str) -> str:
    """Run a pysam-bundled bcftools command writing to `-o`; return its stderr (messages)."""
    tool = getattr(pysam.bcftools, command)
    tool(*args, catch_stdout=False)
    messages = tool.get_messages()
    return messages if isinstance(messages, str) else "".join(messages or [])


def _samtools_stderr(exc: pysam.SamtoolsError) -> str:
    text = str(getattr(exc, "value", exc))
    return text.split("stderr=", 1)[-1].strip()


def _index_path(vcf: Path) -> Path | None:
    for suffix in (".tbi", ".csi"):
        candidate = Path(f"{vcf}{suffix}")
        if candidate.is_file():
            return candidate
    return None


def _record_contigs(vcf: Path) -> tuple[list[str], bool]:
    """Contigs that hold records, and whether that came from an index (else from a scan)."""
    index = _index_path(vcf)
    if index is not None and is_fresh(index, vcf):
        stats = pysam.bcftools.index("-s", str(vcf))
        return [line.split("\t")[0] for line in stats.splitlines() if line.strip()], True
    seen: dict[str, None] = {}
    try:
        with pysam.VariantFile(str(vcf)) as handle:
            for record in handle:
                seen.setdefault(record.chrom, None)
    except (OSError, ValueError) as exc:
        raise InputError(
            f"cannot read the records of VCF {vcf}: {exc}{_malformed_record(vcf)}; check the VCF "
            "(bcftools view it)"
        ) from None
    return list(seen), False


def vcf_samples(vcf: Path | str) -> list[str]:
    """Sample names of a VCF/BCF (plain-gzip VCF included), in file order."""
    if Path(vcf).is_file() and compression(Path(vcf)) == "gzip":  # htslib cannot open it
        with open_text(vcf) as fh:
            for line in fh:
                if line.startswith("#CHROM"):
                    return line.rstrip("\n").split("\t")[9:]
        raise InputError(f"VCF {vcf} has no #CHROM header line; check inputs.vcf")
    try:
        with pysam.VariantFile(str(vcf)) as handle:
            return list(handle.header.samples)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read VCF {vcf}: {exc}; check inputs.vcf") from None


_MISMATCH = re.compile(
    r"Reference allele mismatch at (\S+):(\d+) \.\. REF_SEQ:'(\S*)' vs VCF:'(\S*)'"
)
_NORM_STATS = re.compile(r"Lines\s+(\S+):\s+(\S+)")


def _norm_counts(messages: str) -> dict[str, int]:
    match = _NORM_STATS.search(messages)
    if not match:
        return {}
    names, values = match[1].split("/"), match[2].split("/")
    return {name: int(value) for name, value in zip(names, values, strict=True)}


def normalise_vcf(
    vcf_in: Path | str,
    fasta: Path | str,
    vcf_out: Path | str,
    threads: int = 1,
    *,
    on_ref_mismatch: Literal["error", "exclude"] = "error",
    regions: Sequence[str] | None = None,
    mismatches_out: Path | str | None = None,
    samples: Sequence[str] | None = None,
) -> dict[str, int]:
    """`_normalise` (below) of `vcf_in`; a plain-gzip VCF (which htslib cannot open as a VCF)
    is first recompressed with bgzip into a scratch copy (count `recompressed`), and messages
    name `vcf_in`, not the copy."""
    vcf_in = Path(vcf_in)
    options = (on_ref_mismatch, regions, samples)
    if not vcf_in.is_file() or compression(vcf_in) != "gzip":
        counts = _normalise(vcf_in, fasta, vcf_out, threads, *options)
        _write_mismatches(counts, vcf_in, mismatches_out)
        return {**counts, "recompressed": 0}
    with scratch_dir(Path(vcf_out).parent / f"{Path(vcf_out).name}.bgzip") as tmp:
        copy = tmp / "input.vcf.gz"
        with gzip.open(vcf_in, "rb") as fin, BGZFile(str(copy), "wb") as fout:
            shutil.copyfileobj(fin, fout, 1 << 24)
        with contextlib.suppress(OSError, ValueError, pysam.SamtoolsError):
            pysam.tabix_index(str(copy), preset="vcf", force=True)  # unsorted: read unindexed
        log.info("%s is plain gzip: recompressed with bgzip (and indexed) to read it", vcf_in)
        try:
            counts = _normalise(copy, fasta, vcf_out, threads, *options)
        except InputError as exc:
            raise type(exc)(str(exc).replace(str(copy), str(vcf_in))) from None
    _write_mismatches(counts, vcf_in, mismatches_out)
    return {**counts, "recompressed": 1}


def _write_mismatches(counts: dict[str, Any], vcf_in: Path, out: Path | str | None) -> None:
    """Take the excluded sites out of `counts`; write them to `out` (when given)."""
    table = counts.pop("_mismatches")
    if out is not None:
        write_table(table.assign(vcf=str(vcf_in)), out, kind="ref_mismatches")


def _normalise(
    vcf_in: Path,
    fasta: Path | str,
    vcf_out: Path | str,
    threads: int,
    on_ref_mismatch: Literal["error", "exclude"],
    regions: Sequence[str] | None,
    samples: Sequence[str] | None,
) -> dict[str, Any]:
    """Rename the VCF's contigs to the FASTA's, left-align and split multi-allelic records.

    Runs `bcftools annotate --rename-chrs` (adding `##contig` lines for contigs the header lacks),
    `bcftools norm -f FASTA -m -any -c e` (`-c x` with ``on_ref_mismatch="exclude"``, counted as
    `mismatch_removed`) and `bcftools reheader --fai` (the output's contig lines are the FASTA's,
    with lengths), and writes a bgzipped VCF + `.tbi`. Everything is written under a temporary
    name and renamed at the end. Returns counts: `records_in`, `records_out`,
    `multiallelic_split` (records split), `realigned`, `mismatch_removed`, `skipped`,
    `contigs_renamed`, `contig_lines_added`.

    Errors (`InputError`): a contig with records but no FASTA counterpart, a header contig whose
    length differs from the FASTA's, REF not matching the FASTA (`VariantError`, naming the site).

    `regions` (``chrom:start-end``, 1-based inclusive, or ``chrom``; either contig naming) keeps
    only records whose REF span overlaps one of them (bcftools `--regions-overlap 1`); records on
    VCF contigs the FASTA lacks are then dropped (`contigs_outside_regions`) instead of an error,
    and `records_in` counts the records read within the regions. `mismatches_out` receives the
    `ref_mismatches` table (the records excluded under ``on_ref_mismatch="exclude"``; contigs
    as the VCF names them). `samples` keeps only those samples (those of the VCF among them, in
    VCF order; `samples_left_out` counts the others): for VCFs with far more samples than the
    study uses.
    """
    vcf_in, fasta, vcf_out = Path(vcf_in), Path(fasta), Path(vcf_out)
    if not vcf_in.is_file():
        raise InputError(f"VCF {vcf_in} does not exist; check inputs.vcf")
    name = vcf_out.name
    if not name.endswith(".vcf.gz"):
        raise InputError(f"normalised VCF {vcf_out} must end in .vcf.gz (bgzipped VCF + .tbi)")
    reference = fasta_contigs(fasta)
    try:
        with pysam.VariantFile(str(vcf_in)) as handle:
            header_contigs = {c.name: c.length for c in handle.header.contigs.values()}
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read VCF {vcf_in}: {exc}; is it a VCF/BCF?") from None
    record_contigs, indexed = _record_contigs(vcf_in)

    rename: dict[str, str] = {}
    outside: list[str] = []  # record contigs without FASTA counterpart, allowed outside `regions`
    for contig in record_contigs:
        try:
            rename[contig] = match_contig(contig, reference, source=str(vcf_in), target=str(fasta))
        except ContigError as exc:
            if regions is not None:
                outside.append(contig)
                continue
            raise InputError(
                f"VCF {vcf_in} has records on contig {contig!r}, which has no counterpart in the "
                f"FASTA {fasta} (contigs: {', '.join(list(reference)[:10])}"
                f"{' ...' if len(reference) > 10 else ''}). Use a FASTA of the build the VCF was "
                f"called on, restrict the run with regions, or drop the contig: "
                f"bcftools view -t ^{contig} -Oz -o without_{contig}.vcf.gz {vcf_in}"
            ) from exc
    for contig in header_contigs:
        if contig in rename:
            continue
        with contextlib.suppress(ContigError):
            rename[contig] = match_contig(contig, reference)
    targets: dict[str, str] = {}
    for contig, target in rename.items():
        if target in targets and targets[target] != contig:
            raise InputError(
                f"VCF {vcf_in} has contigs {targets[target]!r} and {contig!r}, which both name "
                f"FASTA contig {target!r}; merge them into one contig name first"
            )
        targets[target] = contig
    for contig, length in header_contigs.items():
        if contig in rename and length is not None and length != reference[rename[contig]]:
            raise InputError(
                f"VCF {vcf_in} declares contig {contig!r} with length {length}, but FASTA {fasta} "
                f"has {rename[contig]!r} of length {reference[rename[contig]]}: different genome "
                "builds. Use the FASTA the VCF was called against (or lift the VCF over)"
            )
    missing_lines = [c for c in record_contigs if c not in header_contigs]

    for suffix in ("", ".tbi"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{vcf_out}{suffix}").unlink()
    with scratch_dir(vcf_out) as tmp:
        chrs = tmp / "rename_chrs.txt"
        chrs.write_text("".join(f"{a}\t{b}\n" for a, b in rename.items() if a != b))
        lines = tmp / "contig_lines.txt"
        lines.write_text(
            "".join(
                f"##contig=<ID={c},length={reference[rename[c]]}>\n"
                if c in rename
                else f"##contig=<ID={c}>\n"
                for c in missing_lines
            )
        )
        renamed = tmp / "renamed.bcf"
        annotate_args = ["--threads", str(threads), "-Ou", "-o", str(renamed)]
        norm_restrict: list[str] = []
        if regions is not None:
            merged = _merge_regions(regions, reference)
            by_vcf = {target: contig for contig, target in rename.items()}
            vcf_regions = tmp / "regions_vcf.txt"
            vcf_regions.write_text(
                "".join(f"{by_vcf[c]}\t{a}\t{b}\n" for c, a, b in merged if c in by_vcf)
            )
            fasta_regions = tmp / "regions_fasta.txt"
            fasta_regions.write_text("".join(f"{c}\t{a}\t{b}\n" for c, a, b in merged))
            if indexed:
                annotate_args += ["-R", str(vcf_regions), "--regions-overlap", "1"]
            norm_restrict = ["-T", str(fasta_regions), "--targets-overlap", "1"]
        if missing_lines:
            annotate_args += ["--header-lines", str(lines)]
        source = vcf_in
        if samples is not None:
            source = _subset_samples(vcf_in, samples, tmp, threads, annotate_args)
        annotate_args += ["--rename-chrs", str(chrs), str(source)]
        try:
            _bcftools("annotate", *annotate_args)
        except pysam.SamtoolsError as exc:
            raise InputError(
                f"bcftools annotate failed on {vcf_in}: {_samtools_stderr(exc)}"
                f"{_malformed_record(vcf_in)}; check the VCF (bcftools view it) and that it is "
                "sorted"
            ) from None
        part = tmp / name
        check = "e" if on_ref_mismatch == "error" else "wx"  # w: list the excluded sites
        norm_args = ["--threads", str(threads), "-f", str(fasta), "-m", "-any", "-c", check]
        norm_args += norm_restrict
        normed = tmp / "normed.vcf.gz"
        norm_args += ["-Oz", "-o", str(normed), str(renamed)]
        try:
            messages = _bcftools("norm", *norm_args)
        except pysam.SamtoolsError as exc:
            raise _norm_error(_samtools_stderr(exc), vcf_in, fasta, targets) from None
        renamed.unlink()
        # contig lines = the FASTA's contigs with their lengths
        try:
            _bcftools("reheader", "--fai", f"{fasta}.fai", "-o", str(part), str(normed))
        except pysam.SamtoolsError as exc:
            raise InputError(f"bcftools reheader failed: {_samtools_stderr(exc)}") from None
        normed.unlink()
        try:
            _bcftools("index", "--threads", str(threads), "-t", str(part))
        except pysam.SamtoolsError as exc:
            raise InputError(
                f"cannot index the normalised {vcf_in}: {_samtools_stderr(exc)}; if records are "
                f"unsorted, sort the input first: bcftools sort -Oz -o sorted.vcf.gz {vcf_in}"
            ) from None
        records_out = int(pysam.bcftools.index("-n", str(part)).strip())
        os.replace(f"{part}.tbi", f"{vcf_out}.tbi")
        os.replace(part, vcf_out)

    stats = _norm_counts(messages)
    return {
        "_mismatches": ref_mismatch_table(messages, vcf_in, targets),
        "records_in": stats.get("total", -1),
        "records_out": records_out,
        "multiallelic_split": stats.get("split", 0),
        "realigned": stats.get("realigned", 0),
        "mismatch_removed": stats.get("mismatch_removed", 0),
        "skipped": stats.get("skipped", 0),
        "contigs_renamed": sum(1 for c in record_contigs if c in rename and rename[c] != c),
        "contigs_outside_regions": len(outside),
        "contig_lines_added": len(missing_lines),
        "samples_left_out": 0 if samples is None else len(set(vcf_samples(vcf_in)) - set(samples)),
    }


_EXCLUDED = re.compile(r"^REF_MISMATCH\t(\S+)\t(\d+)\t(\S*)\t(\S*)$", re.M)


def ref_mismatch_table(
    messages: str, vcf_in: Path | str, targets: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """The `ref_mismatches` table of the REF_MISMATCH lines `bcftools norm -c w` wrote (contigs
    named as in `vcf_in` through `targets`, FASTA contig -> VCF contig)."""
    targets = targets or {}
    rows = [
        (str(vcf_in), targets.get(chrom, chrom), int(pos), ref_vcf, ref_fasta)
        for chrom, pos, ref_vcf, ref_fasta in _EXCLUDED.findall(messages)
    ]
    return pd.DataFrame(rows, columns=["vcf", "chrom", "pos", "ref_vcf", "ref_fasta"])


def _subset_samples(
    vcf_in: Path, samples: Sequence[str], tmp: Path, threads: int, annotate_args: list[str]
) -> Path:
    """`bcftools view -S` of the wanted samples (within the regions annotate would read, whose
    -R arguments move here) into an uncompressed BCF in `tmp`."""
    wanted = set(samples)
    kept = [s for s in vcf_samples(vcf_in) if s in wanted]
    if not kept:
        raise InputError(
            f"VCF {vcf_in}: none of the {len(wanted)} individuals to keep is a sample of it; "
            "check that the VCF and the expression table use the same sample ids"
        )
    listing = tmp / "samples.txt"
    listing.write_text("".join(f"{s}\n" for s in kept))
    view_args = ["--threads", str(threads), "-S", str(listing), "-Ou"]
    if "-R" in annotate_args:
        at = annotate_args.index("-R")
        view_args += annotate_args[at : at + 4]  # -R FILE --regions-overlap 1
        del annotate_args[at : at + 4]
    subset = tmp / "samples.bcf"
    try:
        _bcftools("view", *view_args, "-o", str(subset), str(vcf_in))
    except pysam.SamtoolsError as exc:
        raise InputError(
            f"bcftools view -S failed on {vcf_in}: {_samtools_stderr(exc)}"
            f"{_malformed_record(vcf_in)}; check the VCF (bcftools view it) and that it is sorted"
        ) from None
    log.info("%s: %d of %d samples kept", vcf_in, len(kept), len(vcf_samples(vcf_in)))
    return subset


def _merge_regions(regions: Sequence[str], reference: dict[str, int]) -> list[tuple[str, int, int]]:
    """Regions as (FASTA contig, start, end), 1-based inclusive, sorted and merged."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for text in regions:
        region = parse_region(text)
        try:
            chrom = match_contig(region.chrom, reference, target="the FASTA")
        except ContigError as exc:
            raise InputError(f"region {text!r}: {exc}") from None
        end = reference[chrom] if region.end is None else min(region.end, reference[chrom])
        spans.setdefault(chrom, []).append((region.start, end))
    out: list[tuple[str, int, int]] = []
    for chrom in reference:
        merged: list[list[int]] = []
        for start, end in sorted(spans.get(chrom, [])):
            if merged and start <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        out += [(chrom, a, b) for a, b in merged]
    return out


def _norm_error(stderr: str, vcf_in: Path, fasta: Path, targets: dict[str, str]) -> InputError:
    mismatch = _MISMATCH.search(stderr)
    if mismatch:
        chrom, pos, ref_fasta, ref_vcf = mismatch.groups()
        original = targets.get(chrom, chrom)
        return VariantError(
            f"{vcf_in}: REF allele {ref_vcf!r} at {original}:{pos} does not match FASTA {fasta} "
            f"({chrom}:{pos} reads {ref_fasta!r}). "
            + (
                "The FASTA has no sequence (N) there: use a FASTA with sequence at the VCF's "
                "sites, or restrict the VCF to regions where it has sequence"
                if set(ref_fasta.upper()) == {"N"}
                else "The VCF and the FASTA differ in build or version: use the FASTA the VCF "
                "was called against"
            )
        )
    return InputError(
        f"bcftools norm failed on {vcf_in} with FASTA {fasta}: {stderr}{_malformed_record(vcf_in)}"
    )


def _malformed_record(vcf: Path) -> str:
    """'; first malformed record: line N ...' for a text VCF whose records do not have the
    header's columns or an integer POS; '' when none is found (or the file is not text VCF).
    Only called after bcftools failed, so the scan costs nothing on good input."""
    try:
        with open_text(vcf) as fh:
            n_columns = 0
            for number, line in enumerate(fh, start=1):
                if line.startswith("##"):
                    continue
                fields = line.rstrip("\n").split("\t")
                if line.startswith("#"):
                    n_columns = len(fields)
                elif len(fields) != n_columns:
                    return (
                        f"; first malformed record: line {number} has {len(fields)} columns, "
                        f"the #CHROM header {n_columns} ({line[:60].rstrip()!r})"
                    )
                elif not fields[1].isdigit():
                    return f"; first malformed record: line {number} has POS {fields[1]!r}"
    except (OSError, UnicodeDecodeError):
        pass
    return ""


def counts_table(counts: Mapping[str, int]) -> pd.DataFrame:
    """The counts of `normalise_vcf` as a two-column table (`what`, `count`)."""
    return pd.DataFrame({"what": list(counts), "count": [int(v) for v in counts.values()]})
