"""Input preparation: an indexed FASTA, a normalised VCF with the FASTA's contig names, the
individuals shared by genotypes and expression, and atomic table writing.

Gene tables live in `pexbench.genes` (re-exported here: `read_genes`, `prepare_genes`, ...).
"""

from __future__ import annotations

import contextlib
import gzip
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pysam
import pysam.bcftools

from pexbench.contigs import ContigError, match_contig
from pexbench.errors import InputError, VariantError
from pexbench.genes import (  # noqa: F401  (re-exported)
    GENE_COLUMNS,
    filter_expressed,
    filter_regions,
    match_gene_ids,
    parse_region,
    prepare_genes,
    read_genes,
    strip_version,
)
from pexbench.tables import GZIP_MAGIC, open_text

# ---------------------------------------------------------------------------- files


def _compression(path: Path) -> Literal["none", "gzip", "bgzf"]:
    """`bgzf` for blocked gzip (bgzip), `gzip` for plain gzip, `none` otherwise."""
    with open(path, "rb") as fh:
        head = fh.read(18)
    if head[:2] != GZIP_MAGIC:
        return "none"
    # BGZF: gzip with FEXTRA (FLG bit 2) holding the subfield 'BC' (RFC 1952 + SAM spec 4.1)
    if len(head) >= 14 and head[3] & 4 and head[12:14] == b"BC":
        return "bgzf"
    return "gzip"


def _fresh(index: Path, data: Path) -> bool:
    return index.is_file() and index.stat().st_mtime >= data.stat().st_mtime


def _writable_dir(path: Path) -> bool:
    return os.access(path, os.W_OK | os.X_OK)


@contextlib.contextmanager
def _atomic_dir(final: Path) -> Iterator[Path]:
    """A temporary directory beside `final` (same file system, so renames are atomic), removed
    afterwards whatever happens."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------- FASTA


def _faidx(path: Path) -> None:
    try:
        pysam.faidx(str(path))
    except pysam.SamtoolsError as exc:
        raise InputError(
            f"cannot index FASTA {path}: {str(exc).strip()}; check that it is a valid "
            "(bgzipped or plain) FASTA"
        ) from None


def _check_fasta_start(path: Path, compression: str) -> None:
    opener = gzip.open if compression != "none" else open
    with opener(path, "rb") as fh:
        first = fh.read(1)
    if first != b">":
        raise InputError(f"{path} does not start with '>': not a FASTA file; check inputs.fasta")


def index_fasta(path: Path | str) -> Path:
    """Build the faidx index (.fai, + .gzi when bgzipped) beside `path` unless an up-to-date one
    is there; return `path`. Plain gzip is an error (see `prepare_fasta`)."""
    path = Path(path)
    compression = _compression(path)
    if compression == "gzip":
        raise InputError(
            f"FASTA {path} is gzip-compressed but not with bgzip, so it cannot be indexed; "
            f"recompress it (zcat {path} | bgzip > genome.fa.gz) or decompress it (gunzip)"
        )
    needed = [Path(f"{path}.fai")] + ([Path(f"{path}.gzi")] if compression == "bgzf" else [])
    if not all(_fresh(index, path) for index in needed):
        _faidx(path)
    return path


def prepare_fasta(src: Path | str, dest_dir: Path | str) -> Path:
    """Return a path to `src` with a usable faidx index (.fai, and .gzi when bgzipped).

    An up-to-date index beside `src` is reused. Otherwise the index is built beside `src` when
    its directory is writable, else `src` is symlinked (copied where links fail) into `dest_dir`
    and indexed there. A plain-gzip FASTA is an error: faidx needs bgzip.
    """
    src = Path(src).absolute()
    dest_dir = Path(dest_dir)
    if not src.is_file():
        raise InputError(f"FASTA {src} does not exist; check inputs.fasta")
    compression = _compression(src)
    if compression == "gzip":
        raise InputError(
            f"FASTA {src} is gzip-compressed but not with bgzip, so it cannot be indexed; "
            f"recompress it (zcat {src} | bgzip > genome.fa.gz) or decompress it (gunzip), "
            "and point inputs.fasta at the result"
        )
    _check_fasta_start(src, compression)
    needed = [Path(f"{src}.fai")] + ([Path(f"{src}.gzi")] if compression == "bgzf" else [])
    if all(_fresh(index, src) for index in needed):
        return src
    if _writable_dir(src.parent):
        _faidx(src)
        return src
    dest_dir.mkdir(parents=True, exist_ok=True)
    local = dest_dir / src.name
    if local.resolve() != src.resolve():
        with contextlib.suppress(FileNotFoundError):
            local.unlink()
        try:
            local.symlink_to(src)
        except OSError:
            shutil.copy2(src, local)
    local_needed = [Path(f"{local}.fai")] + (
        [Path(f"{local}.gzi")] if compression == "bgzf" else []
    )
    if not all(_fresh(index, src) for index in local_needed):
        _faidx(local)
    return local


def fasta_contigs(fasta: Path | str) -> dict[str, int]:
    """Contig name -> length, in FASTA order, from the .fai index."""
    fai = Path(f"{fasta}.fai")
    if not fai.is_file():
        raise InputError(f"FASTA {fasta} has no .fai index; run prepare_fasta (or samtools faidx)")
    table = pd.read_csv(fai, sep="\t", header=None, usecols=[0, 1], dtype={0: str, 1: np.int64})
    return dict(zip(table[0], table[1], strict=True))


# ---------------------------------------------------------------------------- VCF


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
    if index is not None and _fresh(index, vcf):
        stats = pysam.bcftools.index("-s", str(vcf))
        return [line.split("\t")[0] for line in stats.splitlines() if line.strip()], True
    seen: dict[str, None] = {}
    with pysam.VariantFile(str(vcf)) as handle:
        for record in handle:
            seen.setdefault(record.chrom, None)
    return list(seen), False


def vcf_samples(vcf: Path | str) -> list[str]:
    """Sample names of a VCF/BCF, in file order."""
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
) -> dict[str, int]:
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
    and `records_in` counts the records read within the regions.
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
    with _atomic_dir(vcf_out) as tmp:
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
        annotate_args += ["--rename-chrs", str(chrs), str(vcf_in)]
        try:
            _bcftools("annotate", *annotate_args)
        except pysam.SamtoolsError as exc:
            raise InputError(
                f"bcftools annotate failed on {vcf_in}: {_samtools_stderr(exc)}"
                f"{_malformed_record(vcf_in)}; check the VCF (bcftools view it) and that it is "
                "sorted"
            ) from None
        part = tmp / name
        check = "e" if on_ref_mismatch == "error" else "x"
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
        "records_in": stats.get("total", -1),
        "records_out": records_out,
        "multiallelic_split": stats.get("split", 0),
        "realigned": stats.get("realigned", 0),
        "mismatch_removed": stats.get("mismatch_removed", 0),
        "skipped": stats.get("skipped", 0),
        "contigs_renamed": sum(1 for c in record_contigs if c in rename and rename[c] != c),
        "contigs_outside_regions": len(outside),
        "contig_lines_added": len(missing_lines),
    }


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


# ---------------------------------------------------------------------------- expression

#: header names that describe a phenotype rather than an individual
EXPRESSION_METADATA = {
    "chr",
    "chrom",
    "start",
    "end",
    "gene",
    "gene_id",
    "pid",
    "gid",
    "phenotype_id",
    "id",
    "length",
    "strand",
    "score",
    "symbol",
    "gene_name",
    "gene_type",
    "name",
    "targetid",
    "gene_symbol",
    "coord",
    "description",
}


def _expression_header(path: Path) -> list[str]:
    with open_text(path) as fh:
        line = fh.readline()
    if not line:
        raise InputError(f"expression table {path} is empty; check inputs.expression")
    return line.rstrip("\n").split("\t")


def expression_layout(path: Path | str) -> tuple[Literal["bed", "tsv"], list[str], list[str]]:
    """(layout, metadata columns, individual columns) of an expression table.

    `bed`: header starting `#chr start end ID` (QTLtools/tensorQTL/FastQTL BED): the first four
    columns and any following column with a known metadata name (`length`, `strand`, `gid`, ...)
    describe the gene. `tsv`: the first column is the gene id, known metadata names are skipped,
    every other column is an individual.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"expression table {path} does not exist; check inputs.expression")
    header = _expression_header(path)
    bed = header[0].lower() in {"#chr", "#chrom"}
    fixed = 4 if bed else 1
    if len(header) <= fixed:
        raise InputError(f"expression table {path} has no individual columns: header {header}")
    i = fixed
    while i < len(header) and header[i].lower() in EXPRESSION_METADATA:
        i += 1
    meta, individuals = header[:i], header[i:]
    seen: set[str] = set()
    dups = sorted({x for x in individuals if x in seen or seen.add(x)})
    if dups:
        raise InputError(f"expression table {path} repeats individual column(s) {dups[:10]}")
    return ("bed" if bed else "tsv"), meta, individuals


def expression_samples(path: Path | str) -> list[str]:
    """Individuals (column names) of a BED-like or plain TSV expression table, in file order."""
    return expression_layout(path)[2]


def expression_genes(path: Path | str) -> pd.DataFrame:
    """The gene columns of an expression table: `gene_id` (+ `chrom`, `tss` 0-based = BED start,
    `strand` when the table is BED-like with a strand column)."""
    path = Path(path)
    layout, meta, _ = expression_layout(path)
    table = pd.read_csv(path, sep="\t", usecols=list(range(len(meta))), dtype=str)
    if layout == "tsv":
        return pd.DataFrame({"gene_id": table.iloc[:, 0].to_numpy()})
    out = pd.DataFrame(
        {
            "gene_id": table.iloc[:, 3].to_numpy(),
            "chrom": table.iloc[:, 0].to_numpy(),
            "tss": table.iloc[:, 1].astype(np.int64).to_numpy(),
        }
    )
    lower = [m.lower() for m in meta]
    if "strand" in lower:
        out["strand"] = table.iloc[:, lower.index("strand")].to_numpy()
    return out


def compare_tss(genes: pd.DataFrame, expression: Path | str) -> pd.DataFrame:
    """Per gene in both the gene table and a BED-like expression table: both TSS (0-based; the
    BED start) and strands, and whether they agree. Contigs compared as `22` == `chr22`."""
    expr = expression_genes(expression)
    if "tss" not in expr.columns:
        raise InputError(f"expression table {expression} is not BED-like: it gives no TSS")
    ids = match_gene_ids(genes["gene_id"], expr["gene_id"])
    left = genes[genes["gene_id"].isin(list(ids))].copy()
    left["expression_id"] = left["gene_id"].map(ids)
    merged = left.merge(
        expr.rename(columns={"gene_id": "expression_id"}),
        on="expression_id",
        suffixes=("", "_expression"),
    )
    same_chrom = [
        _same_contig(a, b) for a, b in zip(merged["chrom"], merged["chrom_expression"], strict=True)
    ]
    agree = (
        np.asarray(same_chrom, dtype=bool) & (merged["tss"] == merged["tss_expression"]).to_numpy()
    )
    if "strand_expression" in merged.columns:
        agree &= (merged["strand"] == merged["strand_expression"]).to_numpy()
    merged["agree"] = agree
    return merged.reset_index(drop=True)


def _same_contig(a: str, b: str) -> bool:
    try:
        return match_contig(a, [b]) == b
    except ContigError:
        return False


# ---------------------------------------------------------------------------- individuals

DROPPED_INDIVIDUAL_COLUMNS = ["individual", "source", "reason"]


def _read_id_list(values: Sequence[str] | Path | str | None) -> list[str] | None:
    """A list of ids, or a file with one id per line (first column; '#' lines skipped)."""
    if values is None:
        return None
    if isinstance(values, (str, Path)):
        path = Path(values)
        if not path.is_file():
            raise InputError(f"individual list {path} does not exist")
        ids = []
        for line in path.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                ids.append(line.split()[0])
        return ids
    return [str(v) for v in values]


def _id_hint(vcf_ids: list[str], expr_ids: list[str]) -> str:
    def base(x: str) -> str:
        return re.split(r"[@_:]", x, maxsplit=1)[0].upper()

    hits = len({base(x) for x in vcf_ids} & {base(x) for x in expr_ids})
    if hits:
        return (
            f" {hits} ids agree once suffixes after '@', '_' or ':' and case are ignored: rename "
            "the VCF samples (bcftools reheader -s new_names.txt) to the expression table's ids."
        )
    return " Check that both files describe the same individuals (and the same id scheme)."


def select_individuals(
    vcf_path: Path | str,
    expression_path: Path | str,
    requested: Sequence[str] | Path | str | None = None,
    excluded: Sequence[str] | Path | str | None = None,
) -> tuple[list[str], pd.DataFrame]:
    """Individuals in both the VCF and the expression table (VCF order), optionally restricted to
    `requested` and without `excluded` (lists, or files with one id per line).

    Returns (kept, dropped) where dropped lists every other individual once with `source` (the
    file(s) or list naming it) and `reason`: `not in expression`, `not in VCF`, `not in VCF or
    expression` (a requested id found in neither), `not requested`, `excluded`. An empty result is
    an `InputError` showing ids of both files.
    """
    vcf_ids = vcf_samples(vcf_path)
    expr_ids = expression_samples(expression_path)
    want = _read_id_list(requested)
    drop = set(_read_id_list(excluded) or [])
    in_vcf, in_expr = set(vcf_ids), set(expr_ids)
    rows: list[tuple[str, str, str]] = []
    kept: list[str] = []
    want_set = set(want) if want is not None else None
    for ind in vcf_ids:
        if ind not in in_expr:
            rows.append((ind, "vcf", "not in expression"))
        elif ind in drop:
            rows.append((ind, "vcf+expression", "excluded"))
        elif want_set is not None and ind not in want_set:
            rows.append((ind, "vcf+expression", "not requested"))
        else:
            kept.append(ind)
    for ind in expr_ids:
        if ind not in in_vcf:
            rows.append((ind, "expression", "not in VCF"))
    if want is not None:
        for ind in dict.fromkeys(want):
            if ind not in in_vcf and ind not in in_expr:
                rows.append((ind, "requested", "not in VCF or expression"))
    dropped = pd.DataFrame(rows, columns=DROPPED_INDIVIDUAL_COLUMNS)
    if not kept:
        common = in_vcf & in_expr
        why = (
            f"none of the {len(common)} shared individuals is requested/left after exclusion"
            if common
            else "they share no individual id"
        )
        raise InputError(
            f"no individual is in both VCF {vcf_path} ({len(vcf_ids)} samples, e.g. "
            f"{', '.join(vcf_ids[:4])}) and expression table {expression_path} "
            f"({len(expr_ids)} individuals, e.g. {', '.join(expr_ids[:4])}): {why}."
            + ("" if common else _id_hint(vcf_ids, expr_ids))
        )
    return kept, dropped


def individuals_table(kept: Iterable[str], dropped: pd.DataFrame) -> pd.DataFrame:
    """One table of every individual seen: kept ones with reason `kept` (for results/inputs)."""
    keep = pd.DataFrame(
        {"individual": list(kept), "source": "vcf+expression", "reason": "kept"},
        columns=DROPPED_INDIVIDUAL_COLUMNS,
    )
    return pd.concat([keep, dropped], ignore_index=True)
