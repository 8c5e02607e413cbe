"""Checks that run when Snakemake builds the DAG, before any job: the configuration (one line per
problem, with the key path), a user's config file being complete, `--config` values given as
YAML text, the VCF file list, input files, model weights and tracks, contig names (of the VCF,
the expression table, the chromatin states and the GTF against the FASTA) and sample ids.

Torch-free and cheap: only headers, indexes and small tables are read. Every function returns a
list of problems (one line each, naming the config key, the file and the fix) or raises
`ConfigError` holding all of them, so a user sees every problem of a config at once.
"""

from __future__ import annotations

import copy
import logging
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, validators

from pexbench.contigs import ContigError, match_contig
from pexbench.errors import InputError, ModelError, listing
from pexbench.models import facts
from pexbench.tables import open_text

DEMO_CONFIG = "config/config.yaml"
DOWNLOAD_DIR = "resources/downloads/"
CHROM_FIELD = "{chrom}"
# keys of `inputs:` that name files (the others are settings, e.g. on_ref_mismatch)
INPUT_FILE_KEYS = (
    "fasta",
    "vcf",
    "annotation",
    "expression",
    "covariates",
    "chromatin_states",
    "targets",
)
# a GTF without a tabix index is scanned for its contigs only up to this size on disk
GTF_SCAN_MAX_BYTES = 50_000_000

log = logging.getLogger(__name__)


class ConfigError(InputError):
    """The configuration or the inputs it names cannot be run; one line per problem."""


def raise_problems(problems: Sequence[str], what: str = "configuration") -> None:
    """Raise one `ConfigError` listing every problem (nothing when there is none)."""
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise ConfigError(f"{len(problems)} problem(s) in the {what}:\n{lines}")


def _key_path(path: Sequence[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _with_defaults(validator_class: type) -> type:
    """A validator that fills `default`s while validating, as snakemake.utils.validate does."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):  # type: ignore[no-untyped-def]
        for name, sub in properties.items():
            if "default" in sub and isinstance(instance, dict):
                instance.setdefault(name, copy.deepcopy(sub["default"]))
        yield from validate_properties(validator, properties, instance, schema)

    return validators.extend(validator_class, {"properties": set_defaults})


def load_schema(path: str | Path) -> dict[str, Any]:
    """The config schema (YAML or JSON)."""
    return yaml.safe_load(Path(path).read_text())


def config_problems(config: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """Schema violations of `config` (defaults filled on a copy first), one line each:
    `config <key path>: <what is wrong>`; a missing required key is named in the path."""
    instance = copy.deepcopy(dict(config))
    validator = _with_defaults(Draft202012Validator)(schema)
    problems = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.path))):
        path = list(error.absolute_path)
        message = error.message
        if error.validator == "required":
            missing = re.match(r"'([^']+)' is a required property", message)
            if missing:
                path.append(missing[1])
        elif len(message) > 200:
            message = message[:200] + " ..."
        problems.append(f"config {_key_path(path)}: {message}")
    return problems


def _merge(base: Any, over: Any) -> Any:
    """`over` merged into a copy of `base` (mappings merge, everything else replaces), as
    Snakemake merges config files."""
    if isinstance(base, Mapping) and isinstance(over, Mapping):
        out = dict(copy.deepcopy(base))
        for key, value in over.items():
            out[key] = _merge(out.get(key), value)
        return out
    return copy.deepcopy(over)


def load_config_files(paths: Sequence[str | Path]) -> dict[str, Any]:
    """The config files merged in order, as Snakemake merges `--configfile` files."""
    merged: dict[str, Any] = {}
    for path in paths:
        loaded = yaml.safe_load(Path(path).read_text()) or {}
        if not isinstance(loaded, Mapping):
            raise ConfigError(f"config file {path} does not hold a YAML mapping of config keys")
        merged = _merge(merged, loaded)
    return merged


def user_config_problems(user_files: Sequence[str | Path], schema: Mapping[str, Any]) -> list[str]:
    """A user's `--configfile` must name every input itself (null for an optional input it does
    not have): the demo's config/config.yaml is not read then, and no input is implied."""
    if not user_files:
        return []
    given = load_config_files(user_files).get("inputs")
    given = given if isinstance(given, Mapping) else {}
    names = ", ".join(str(p) for p in user_files)
    return [
        f"config inputs.{key}: not set in {names}; give a path, or null for none (with "
        "--configfile the demo's config/config.yaml is not read, so nothing is inherited)"
        for key in INPUT_FILE_KEYS
        if key not in given
    ]


def _types(schema: Mapping[str, Any]) -> set[str]:
    kind = schema.get("type")
    return {kind} if isinstance(kind, str) else set(kind or [])


def _coerce(value: Any, schema: Mapping[str, Any], key: str, problems: list[str]) -> Any:
    """`value` from --config with its strings parsed as YAML where `schema` wants no string
    (Snakemake leaves `{fdr: 0.1}`'s 0.1, or a whole section, as text)."""
    if isinstance(value, Mapping):
        props = schema.get("properties", {})
        return {k: _coerce(v, props.get(k, {}), f"{key}.{k}", problems) for k, v in value.items()}
    if isinstance(value, list):
        items = schema.get("items", {})
        return [_coerce(v, items, f"{key}[{i}]", problems) for i, v in enumerate(value)]
    wanted = _types(schema)
    if not isinstance(value, str) or not wanted or "string" in wanted:
        return value
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError as exc:
        problems.append(
            f"config {key}: --config gave {value!r}, which is not YAML ({exc.problem}); "
            f'write it as --config "{key.split(".")[0]}={{name: value}}"'
        )
        return value
    return _coerce(parsed, schema, key, problems) if isinstance(parsed, Mapping | list) else parsed


def parse_cli_values(
    config: dict[str, Any],
    cli: Mapping[str, Any],
    files_config: Mapping[str, Any],
    schema: Mapping[str, Any],
) -> list[str]:
    """`--config` values arrive as text (`--config "evaluation={fdr: 0.1}"` gives the string
    '0.1', or the whole section as a string): parse such text as YAML where the schema wants
    no string, in place (a section given as text is merged over the config files' section).
    Returns the problems (text that is not YAML); type errors are left to the schema."""
    problems: list[str] = []
    for key, value in cli.items():
        sub = schema["properties"].get(key, {})
        parsed = _coerce(value, sub, key, problems)
        if parsed is value:
            continue
        if isinstance(value, str) and isinstance(parsed, Mapping):
            config[key] = _merge(files_config.get(key) or {}, parsed)
        else:
            config[key] = _merge(config.get(key), parsed)
    return problems


def _downloadable(path: str, downloads: Mapping[str, str]) -> bool:
    return path.startswith(DOWNLOAD_DIR) and path.removeprefix(DOWNLOAD_DIR) in downloads


def vcf_files(spec: str | Sequence[str], downloads: Mapping[str, str] | None = None) -> list[str]:
    """The VCF files of `inputs.vcf`: one file, a list, or a pattern with `{chrom}` matched
    against the files on disk (and `downloads`), ordered by chromosome. ConfigError when a
    pattern matches nothing or has other wildcards."""
    downloads = downloads or {}
    if not isinstance(spec, str):
        return [str(p) for p in spec]
    if re.search(r"\{(?!chrom\})", spec):
        raise ConfigError(f"config inputs.vcf: {spec!r} may only hold the wildcard {{chrom}}")
    if CHROM_FIELD not in spec:
        return [spec]
    folder = os.path.dirname(spec) or "."
    head, tail = os.path.basename(spec).split(CHROM_FIELD, 1)
    if CHROM_FIELD in tail:
        raise ConfigError(f"config inputs.vcf: {spec!r} holds {{chrom}} more than once")
    pattern = re.compile(re.escape(head) + r"([^/]+?)" + re.escape(tail) + "$")
    names = set(os.listdir(folder)) if os.path.isdir(folder) else set()
    names |= {
        name for name in downloads if os.path.join(DOWNLOAD_DIR, name).startswith(folder + "/")
    }
    found = {m[1]: name for name in names if (m := pattern.match(name))}
    if not found:
        raise ConfigError(
            f"config inputs.vcf: no file matches {spec!r} (in {os.path.abspath(folder)}); "
            "check the folder and the file names, e.g. chr{chrom}.vcf.gz for chr1.vcf.gz"
        )

    def order(chrom: str) -> tuple[int, str]:
        core = chrom.removeprefix("chr")
        return (int(core), "") if core.isdigit() else (10_000, core)

    return [
        spec.replace(CHROM_FIELD, chrom) if folder == "." else os.path.join(folder, found[chrom])
        for chrom in sorted(found, key=order)
    ]


def _missing_file(path: str | None, key: str, downloads: Mapping[str, str]) -> list[str]:
    if path is None or os.path.exists(path) or _downloadable(path, downloads):
        return []
    return [
        f"config {key}: {path} does not exist (relative paths are relative to "
        f"{os.getcwd()}); fix the path, or list the file under `downloads:`"
    ]


def file_problems(config: Mapping[str, Any]) -> list[str]:
    """Every configured input file and local model weight must exist (or be downloaded)."""
    downloads = config.get("downloads") or {}
    problems = []
    for key, path in config["inputs"].items():
        if key == "vcf" or key not in INPUT_FILE_KEYS or not isinstance(path, str):
            continue
        problems += _missing_file(path, f"inputs.{key}", downloads)
    try:
        files = vcf_files(config["inputs"]["vcf"], downloads)
    except ConfigError as exc:
        return [*problems, str(exc)]
    for i, path in enumerate(files):
        where = "inputs.vcf" if len(files) == 1 else f"inputs.vcf ({i}: {path})"
        problems += _missing_file(path, where, downloads)
    for i, spec in enumerate(config["models"]):
        weights = spec.get("weights")
        if isinstance(weights, str) and _is_local_path(weights):
            problems += _missing_file(weights, f"models[{i}].weights", downloads)
    return problems


def _is_local_path(weights: str) -> bool:
    """A weight source that names a local file or directory (not `tiny`, not a hub id such as
    EleutherAI/enformer-official-rough)."""
    if facts.is_tiny_weights(weights):
        return False
    if os.path.exists(weights) or weights.startswith(("/", ".", "~")):
        return True
    return weights.count("/") != 1 or os.path.splitext(weights)[1] != ""


def track_problems(config: Mapping[str, Any]) -> list[str]:
    """Each Enformer model's tracks must resolve in `inputs.targets` (by index or name)."""
    from pexbench.models.tracks import TrackTable  # pandas only

    targets = config["inputs"].get("targets")
    problems = []
    table = None
    for i, spec in enumerate(config["models"]):
        if not facts.reads_track_table(spec, where=f"models[{i}]"):
            continue
        if not targets:
            problems.append(
                f"config models[{i}].tracks: model {spec['name']!r} selects tracks from "
                "inputs.targets, which is null; point it at Enformer's targets_human.txt"
            )
            continue
        if not os.path.exists(targets):
            continue  # named by file_problems (or downloaded later: checked by the job)
        try:
            table = table or TrackTable.read(targets)
            table.select(list(spec.get("tracks") or []), where=f"config models[{i}].tracks")
        except ModelError as exc:
            problems.append(" ".join(str(exc).split()))
    return problems


def _fai_contigs(fasta: str) -> list[str] | None:
    for fai in (f"{fasta}.fai", "results/inputs/reference.fa.gz.fai"):
        if os.path.exists(fai):
            with open(fai) as fh:
                return [line.split("\t", 1)[0] for line in fh if line.strip()]
    return None


def contig_problems(
    key: str, path: str, contigs: Sequence[str] | None, fasta: str, reference: Sequence[str]
) -> list[str]:
    """One problem when no contig of `path` (the file of config `key`) names a contig of the
    FASTA (`reference`, its index; `22` = `chr22`, `MT` = `chrM`); none without contigs. When
    only some name none, they are counted in a warning and left to the jobs that read the file
    (expressed genes elsewhere are skipped and counted; GTF genes elsewhere stop the genes job
    unless genes.regions leaves them out)."""
    if not contigs:
        return []
    unmatched = []
    for contig in contigs:
        try:
            match_contig(contig, reference, source=path, target=fasta)
        except ContigError:
            unmatched.append(contig)
    if len(unmatched) < len(contigs):
        if unmatched:
            log.warning(
                "config %s: %d of %d contigs of %s name no contig of the FASTA %s: %s",
                key,
                len(unmatched),
                len(contigs),
                path,
                fasta,
                listing(unmatched, 5),
            )
        return []
    return [
        f"config {key}: no contig of {path} ({listing(contigs, 5)}) names a contig of the "
        f"FASTA {fasta} ({listing(reference, 5)}); use inputs of the same build, or rename "
        "the contigs of one so that they agree"
    ]


def first_column(path: str, *, max_bytes: int | None = None) -> list[str] | None:
    """The distinct values of the first column of a BED-like file (its contigs), in file order:
    from its tabix index (.tbi or .csi) when it has one, else from the first field of every line
    (`#` comments and headers, `track` and `browser` lines skipped). None when the file is
    missing or unreadable, or larger than `max_bytes` on disk without an index."""
    if not os.path.exists(path):
        return None
    if os.path.exists(f"{path}.tbi") or os.path.exists(f"{path}.csi"):
        import pysam

        try:
            with pysam.TabixFile(path) as handle:
                return list(handle.contigs)
        except (OSError, ValueError):
            pass  # a stale or foreign index: read the file
    if max_bytes is not None and os.path.getsize(path) > max_bytes:
        return None
    seen: dict[str, None] = {}
    try:
        with open_text(path) as fh:
            for line in fh:
                if line.startswith(("#", "track", "browser")) or not line.strip():
                    continue
                seen.setdefault(line.split(None, 1)[0], None)
    except (OSError, EOFError, UnicodeDecodeError):
        return None
    return list(seen)


def _expression_contigs(path: str) -> list[str] | None:
    """The contigs of a QTLtools BED-layout expression table (`pexbench.expression`'s header
    rules); None for a plain TSV (no chrom column) or a file its job will name as bad."""
    from pexbench.expression import expression_layout  # pandas, numpy: no scipy, no torch

    try:
        if expression_layout(path).fmt != "bed":
            return None
    except (OSError, EOFError, UnicodeDecodeError, InputError):
        return None
    return first_column(path)


def _gtf_contigs(path: str, max_bytes: int) -> list[str] | None:
    """The contigs of a GTF annotation: from its tabix index, or by reading it when it is at
    most `max_bytes` on disk. A whole-genome GTF (GENCODE: about 1.5 GB unpacked) without an
    index is not read, so that building the DAG stays fast; its contigs are then matched by the
    genes job. None for a gene TSV (its chrom column is not the first; matched by the genes job
    too)."""
    from pexbench.genes import sniff_gene_format  # pandas only

    if not os.path.exists(path):
        return None
    try:
        if sniff_gene_format(Path(path)) != "gtf":
            return None
    except (OSError, EOFError, UnicodeDecodeError, InputError):
        return None  # named by the genes job
    return first_column(path, max_bytes=max_bytes)


def input_contig_problems(
    inputs: Mapping[str, Any], *, gtf_max_bytes: int = GTF_SCAN_MAX_BYTES
) -> list[str]:
    """The expression table (QTLtools BED layout), the chromatin-state BED and the GTF must each
    name at least one contig of the FASTA, once the FASTA is indexed (the VCF: `vcf_problems`).
    Contigs come from tabix indexes where there are some, else from the first column; a GTF
    larger than `gtf_max_bytes` without an index is skipped (see `_gtf_contigs`)."""
    fasta = inputs["fasta"]
    reference = _fai_contigs(fasta)
    if reference is None:
        return []
    expression, states, annotation = (
        inputs["expression"],
        inputs.get("chromatin_states"),
        inputs["annotation"],
    )
    found = [
        ("inputs.expression", expression, _expression_contigs(expression)),
        ("inputs.chromatin_states", states, first_column(states) if states else None),
        ("inputs.annotation", annotation, _gtf_contigs(annotation, gtf_max_bytes)),
    ]
    problems = []
    for key, path, contigs in found:
        problems += contig_problems(key, path, contigs, fasta, reference)
    return problems


def vcf_header(path: str) -> tuple[list[str], list[str] | None]:
    """(samples, contigs holding records from the index; None without an index) of a VCF,
    reading only its header and index."""
    import pysam

    from pexbench.fasta import compression
    from pexbench.vcf import vcf_samples

    if compression(Path(path)) == "gzip":  # plain gzip: htslib cannot open it (recompressed later)
        return vcf_samples(path), None
    with pysam.VariantFile(path) as handle:
        samples = list(handle.header.samples)
        index = getattr(handle, "index", None)
        contigs = None if index is None else list(index)
    return samples, contigs


def vcf_problems(
    files: Sequence[str], fasta: str, expression: str, covariates: str | None
) -> list[str]:
    """VCF parts must share their samples (they are concatenated), name contigs the FASTA has
    (when its index exists), and share individuals with the expression table; covariates must
    name individuals of the expression table."""
    present = [f for f in files if os.path.exists(f)]
    problems: list[str] = []
    headers = {}
    for path in present:
        try:
            headers[path] = vcf_header(path)
        except (OSError, ValueError) as exc:
            problems.append(f"config inputs.vcf: cannot read {path}: {exc}; is it a VCF/BCF?")
    if not headers:
        return problems
    first, (samples, _) = next(iter(headers.items()))
    for path, (other, _) in headers.items():
        if other != samples:
            problems.append(
                f"config inputs.vcf: {path} has other samples than {first} ({len(other)} vs "
                f"{len(samples)}, or another order); the files are concatenated, so they must "
                f"hold the same samples in the same order (bcftools view -s to reorder)"
            )
    reference = _fai_contigs(fasta)
    if reference is not None:
        for path, (_, contigs) in headers.items():
            problems += contig_problems("inputs.vcf", path, contigs, fasta, reference)
    expressed = _header_ids(expression, skip=None)
    if expressed is not None and not set(samples) & set(expressed):
        problems.append(
            f"config inputs.vcf / inputs.expression: no individual of {first} (e.g. "
            f"{samples[:3]}) is a column of {expression} (e.g. {expressed[:3]}); use the "
            "same individual ids in both"
        )
    cov_ids = _header_ids(covariates, skip=1) if covariates else None
    if cov_ids is not None and expressed is not None and not set(cov_ids) & set(expressed):
        problems.append(
            f"config inputs.covariates: no individual of {covariates} (e.g. {cov_ids[:3]}) "
            f"is a column of {expression}; use the same individual ids in both"
        )
    return problems


def _header_ids(path: str | None, *, skip: int | None) -> list[str] | None:
    """Individual ids of a table's header: after `skip` leading columns, or (None) after the
    BED columns (6) when the header starts with #chr, else after the first."""
    if path is None or not os.path.exists(path):
        return None
    try:
        with open_text(path) as fh:
            line = fh.readline().rstrip("\n")
        header = line.split("\t") if "\t" in line else line.split()
    except (OSError, UnicodeDecodeError):
        return None
    if skip is None:
        skip = 6 if header[0].startswith("#") else 1
    return header[skip:]


def dag_checks(config: Mapping[str, Any]) -> list[str]:
    """Every DAG-time check of the inputs of a (validated) config, as one list of problems."""
    problems = file_problems(config)
    problems += track_problems(config)
    problems += input_contig_problems(config["inputs"])
    downloads = config.get("downloads") or {}
    try:
        files = vcf_files(config["inputs"]["vcf"], downloads)
    except ConfigError:
        return problems  # already listed by file_problems
    inputs = config["inputs"]
    problems += vcf_problems(files, inputs["fasta"], inputs["expression"], inputs["covariates"])
    return problems


# normalise only the kept individuals when the VCF has more than this many times as many samples
FAR_MORE_SAMPLES = 2


def normalise_samples(
    files: Sequence[str], expression: str, include: Sequence[str] | str | None
) -> list[str] | None:
    """The samples to keep while normalising: those of the VCF that are columns of the
    expression table (and in `individuals.include`), when the VCF has more than
    FAR_MORE_SAMPLES times as many samples (e.g. 2,504 of 1000 Genomes for 445 expressed);
    None (keep all) otherwise, or when the files cannot be read yet (downloads)."""
    first = next((f for f in files if os.path.exists(f)), None)
    expressed = _header_ids(expression, skip=None)
    if first is None or expressed is None:
        return None
    try:
        samples, _ = vcf_header(first)
    except (OSError, ValueError, InputError):
        return None
    if isinstance(include, str):  # a file of ids: read by the individuals job
        include = None
    wanted = set(expressed) & (set(include) if include is not None else set(samples))
    kept = [s for s in samples if s in wanted]
    if not kept or len(samples) <= FAR_MORE_SAMPLES * len(kept):
        return None
    return kept
