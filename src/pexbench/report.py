"""Run description for the report: what was run, on what, with which software and hardware.

`describe_run(config, ...)` renders reStructuredText from the resolved workflow configuration:
loud warnings first (untrained/random model weights, a synthetic-background reference), then the
inputs (with size and SHA-256), the models and their weights, the evaluation settings, software
versions, hardware and the code version. `write_description` writes it as RST and as a standalone
HTML page (docutils) that the Snakemake report embeds. `input_flags(config)` names the same
non-real inputs in a few words for the title of every figure and table (`input_flag_line`).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from pexbench import __version__
from pexbench.errors import InputError, ModelError
from pexbench.models.facts import is_trained, used_settings

__all__ = [
    "SOFTWARE",
    "code_version",
    "describe_run",
    "file_digest",
    "hardware_info",
    "input_flag_line",
    "input_flags",
    "model_weight_warning",
    "non_real_inputs",
    "path_digest",
    "reference_warning",
    "render_html",
    "software_versions",
    "synthetic_input_warnings",
    "write_description",
]

#: Distributions whose versions the report names (PyPI names).
SOFTWARE: tuple[str, ...] = (
    "pexbench",
    "torch",
    "enformer-pytorch",
    "snakemake",
    "snakemake-executor-plugin-slurm",
    "pysam",
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "scikit-learn",
    "h5py",
    "matplotlib",
)

#: Input files are hashed up to this size; larger ones are listed with their size only.
DIGEST_LIMIT = 2 * 1024**3

NOT_A_RESULT = "NOT A RESULT"


# --------------------------------------------------------------------------------------------
# Facts about the run
# --------------------------------------------------------------------------------------------


def software_versions(names: Iterable[str] = SOFTWARE) -> dict[str, str]:
    """Python, the named distributions and the htslib/bcftools that pysam bundles."""
    out: dict[str, str] = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    try:
        import pysam.version as pv

        out["htslib (pysam)"] = str(pv.__htslib_version__)
        out["bcftools (pysam)"] = str(pv.__bcftools_version__)
    except ImportError:  # pragma: no cover - pysam is a dependency
        pass
    return out


def cpu_model() -> str:
    """The CPU model name (/proc/cpuinfo; else what `platform` knows, else "unknown")."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _memory_bytes() -> int | None:
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def _gpus() -> list[str]:
    """Names of the CUDA devices torch sees (torch is imported only if already installed)."""
    try:
        import torch
    except ImportError:
        return []
    try:
        if not torch.cuda.is_available():
            return []
        return [
            f"{torch.cuda.get_device_name(i)} "
            f"({torch.cuda.get_device_properties(i).total_memory / 1024**3:.0f} GiB)"
            for i in range(torch.cuda.device_count())
        ]
    except Exception:  # a broken driver must not break the report
        return ["CUDA present but not usable"]


def hardware_info() -> dict[str, str]:
    """CPU model, logical cores (and how many this process may use), memory, GPUs."""
    total = os.cpu_count() or 0
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = total
    mem = _memory_bytes()
    gpus = _gpus()
    return {
        "host": platform.node() or "unknown",
        "system": f"{platform.system()} {platform.release()} ({platform.machine()})",
        "cpu": cpu_model(),
        "cores": f"{total} logical, {usable} usable by this process",
        "memory": f"{mem / 1024**3:.1f} GiB" if mem else "unknown",
        "gpu": "; ".join(gpus) if gpus else "none visible",
    }


def code_version(path: str | Path | None = None) -> str:
    """`git describe` and commit of the checkout holding `path`, else the package version."""
    where = Path(path) if path is not None else Path(__file__).resolve().parent

    def git(*args: str) -> str | None:
        try:
            res = subprocess.run(
                ["git", "-C", str(where), *args],
                capture_output=True,
                text=True,
                timeout=20,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return res.stdout.strip() if res.returncode == 0 and res.stdout.strip() else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return f"pexbench {__version__} (no git commit found at {where})"
    describe = git("describe", "--tags", "--always", "--dirty") or commit[:12]
    return f"{describe} (commit {commit}; pexbench {__version__})"


def file_digest(path: str | Path, limit: int = DIGEST_LIMIT) -> str:
    """``sha256:<hex>`` of a file, or a note saying why it was not hashed."""
    p = Path(path)
    if not p.is_file():
        return "missing"
    size = p.stat().st_size
    if size > limit:
        return f"not hashed (larger than {limit / 1024**3:.1f} GiB)"
    h = hashlib.sha256()
    with open(p, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return f"sha256:{h.hexdigest()}"


def path_digest(path: str | Path, limit: int = DIGEST_LIMIT) -> str:
    """`file_digest` for a file; for a directory (e.g. Hugging Face weights) the SHA-256 over the
    sorted list of its files' relative paths and SHA-256s; a note when it is neither."""
    p = Path(path)
    if p.is_file():
        return file_digest(p, limit)
    if not p.is_dir():
        return "not a local file"
    files = sorted(q for q in p.rglob("*") if q.is_file())
    h = hashlib.sha256()
    for q in files:
        digest = file_digest(q, limit)
        if not digest.startswith("sha256:"):
            return f"directory of {len(files)} files, not hashed ({q.name}: {digest})"
        h.update(f"{q.relative_to(p).as_posix()}\t{digest}\n".encode())
    return f"directory of {len(files)} files, sha256-of-listing:{h.hexdigest()}"


def _human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------------------------
# Warnings
# --------------------------------------------------------------------------------------------


def model_weight_warning(spec: Mapping[str, Any], *, where: str = "models[?]") -> str | None:
    """A warning when a model entry runs without trained weights (the geometry probe, a `tiny`
    Enformer: `pexbench.models.facts.is_trained`), else None. `where` names the entry in
    the ModelError raised for an unknown model type."""
    if is_trained(spec, where=where):
        return None
    name = str(spec.get("name", spec.get("type", "?")))
    weights = spec.get("weights")
    return (
        f"Model '{name}' ({spec.get('type', '?')}) runs with weights '{weights}': randomly "
        f"initialised, untrained. Its predictions and every statistic computed from them are "
        f"{NOT_A_RESULT}; they only show that the pipeline runs."
    )


_SYNTHETIC = re.compile(r"synthetic|demo", re.IGNORECASE)


def _synthetic_reference(reference: object, synthetic: bool | None) -> bool:
    """``synthetic`` (from the config) when given; otherwise whether the file name of
    ``reference`` contains ``synthetic`` or ``demo``."""
    if reference is None:
        return False
    return bool(_SYNTHETIC.search(Path(str(reference)).name)) if synthetic is None else synthetic


def _synthetic_inputs(
    inputs: Mapping[str, Any] | None, skip: Iterable[str]
) -> list[tuple[str, str]]:
    """(dotted key, path) of every input whose file name contains ``synthetic``, except ``skip``."""
    skipped = set(skip)
    return [
        (key, value)
        for key, value in _iter_paths(inputs or {})
        if key not in skipped and re.search(r"synthetic", Path(value).name, re.IGNORECASE)
    ]


def reference_warning(reference: str | Path | None, *, synthetic: bool | None = None) -> str | None:
    """A warning when the reference FASTA is the bundled synthetic-background sequence.

    ``synthetic`` (from the config) decides when given; otherwise a file name containing
    ``synthetic`` or ``demo`` counts as synthetic.
    """
    return _reference_warning(reference) if _synthetic_reference(reference, synthetic) else None


def _reference_warning(reference: object) -> str:
    return (
        f"The reference {reference} is a synthetic background: random bases with only the REF "
        "alleles of the bundled VCFs written at their true positions, not real human sequence. "
        f"Model outputs on it say nothing about biology: {NOT_A_RESULT}."
    )


def _input_warning(key: str, value: str) -> str:
    return (
        f"Input '{key}' ({value}) is synthetic (generated stand-in data): statistics that "
        f"use it are {NOT_A_RESULT}."
    )


def synthetic_input_warnings(
    inputs: Mapping[str, Any] | None, *, skip: Iterable[str] = ()
) -> list[str]:
    """A warning for every input path whose file name says it is synthetic (e.g. generated
    chromatin states), except the keys in ``skip`` (the reference has its own warning)."""
    return [_input_warning(key, value) for key, value in _synthetic_inputs(inputs, skip)]


def non_real_inputs(config: Mapping[str, Any]) -> tuple[object, list[tuple[str, str]]]:
    """What of the resolved configuration is not real data: the reference path when it is
    synthetic (config key ``reference_is_synthetic`` decides when set, else its file name), else
    None; and (key, path) of every other input whose file name says it is synthetic."""
    synth = config.get("reference_is_synthetic")
    reference = _reference_path(config)
    if not _synthetic_reference(reference, None if synth is None else bool(synth)):
        reference = None
    inputs = config.get("inputs") if isinstance(config.get("inputs"), Mapping) else {}
    ref_keys = [k for k in ("fasta", "reference", "genome") if k in inputs]
    return reference, _synthetic_inputs(inputs, ref_keys)


def input_flags(config: Mapping[str, Any]) -> list[str]:
    """Short flags for every figure and table title of a run on non-real inputs (the same
    decision as the run description's warnings, `non_real_inputs`): "synthetic reference" and
    "synthetic input: <key>"; [] for real inputs."""
    reference, inputs = non_real_inputs(config)
    flags = ["synthetic reference"] if reference is not None else []
    return flags + [f"synthetic input: {key}" for key, _ in inputs]


def input_flag_line(flags: Sequence[str]) -> str:
    """The line that `input_flags` add to a title: "NOT A RESULT: <flag>; <flag>"."""
    return f"{NOT_A_RESULT}: {'; '.join(flags)}"


# --------------------------------------------------------------------------------------------
# RST rendering
# --------------------------------------------------------------------------------------------


def _esc(value: object) -> str:
    """Escape RST inline markup characters in a table cell or paragraph."""
    text = str(value).replace("\n", " ")
    return re.sub(r"([\\`*_|])", r"\\\1", text)


def _heading(text: str, char: str) -> str:
    return f"{text}\n{char * len(text)}\n"


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = [".. list-table::", "   :header-rows: 1", ""]
    for i, row in enumerate([list(header), *[list(r) for r in rows]]):
        for j, cell in enumerate(row):
            prefix = "   * - " if j == 0 else "     - "
            cell_text = str(cell) if i == 0 else _esc(cell)
            lines.append(prefix + (cell_text if cell_text else "\\ "))
    return "\n".join(lines) + "\n"


def _admonition(kind: str, text: str) -> str:
    return f".. {kind}::\n\n   {_esc(text)}\n"


def _resolve(path: object, root: Path | None) -> Path:
    p = Path(str(path))
    return p if p.is_absolute() or root is None else root / p


def _iter_paths(obj: object, prefix: str = "") -> Iterable[tuple[str, str]]:
    """(dotted key, value) for every string leaf of a nested config section."""
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            yield from _iter_paths(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            yield from _iter_paths(v, f"{prefix}[{i}]")
    elif isinstance(obj, str):
        yield prefix, obj


def _models(config: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    models = config.get("models") or []
    if isinstance(models, Mapping):  # {name: spec} form
        return [{"name": k, **(v or {})} for k, v in models.items()]
    return [m for m in models if isinstance(m, Mapping)]


def _reference_path(config: Mapping[str, Any]) -> object:
    for key in ("reference", "fasta", "genome"):
        section = config.get("inputs", {}) if isinstance(config.get("inputs"), Mapping) else {}
        if key in section:
            val = section[key]
            return val.get("fasta", val.get("path")) if isinstance(val, Mapping) else val
        if key in config:
            val = config[key]
            return val.get("fasta", val.get("path")) if isinstance(val, Mapping) else val
    return None


AS_RUN_COLUMNS = (
    "model",
    "shards",
    "host",
    "device",
    "precision",
    "batch size",
    "threads",
    "input length",
    "TSS bins",
    "tracks",
)


def models_as_run(runs: Sequence[str | Path]) -> list[tuple[object, ...]]:
    """Rows of the "Models as run" table (`AS_RUN_COLUMNS`) from run record files: jobs of the
    same model with the same values share a row, in the order first seen."""
    rows: dict[tuple[object, ...], int] = {}
    for path in runs:
        rec = json.loads(Path(path).read_text(encoding="utf-8"))
        device = str(rec.get("device", ""))
        if rec.get("gpu"):
            device += f" ({rec['gpu']})"
        precision = str(rec.get("precision", ""))
        if rec.get("precision_reason"):
            precision += f": {rec['precision_reason']}"
        key = (
            rec["model"],
            rec.get("host", ""),
            device,
            precision,
            rec.get("batch_size", ""),
            rec.get("threads", ""),
            rec.get("sequence_length", ""),
            rec.get("tss_bins", ""),
            ", ".join(rec.get("tracks", [])),
        )
        rows[key] = rows.get(key, 0) + 1
    return [(key[0], n, *key[1:]) for key, n in rows.items()]


def describe_run(
    config: Mapping[str, Any],
    *,
    root: str | Path | None = None,
    workflow_dir: str | Path | None = None,
    software: Mapping[str, str] | None = None,
    hardware: Mapping[str, str] | None = None,
    digest_limit: int = DIGEST_LIMIT,
    title: str = "pexbench run description",
    runs: Sequence[str | Path] = (),
) -> str:
    """Render the run description (reStructuredText) from the resolved configuration.

    ``root`` resolves relative input paths (the Snakemake working directory);
    ``workflow_dir`` is where the code version is read from (git); ``runs`` are the predict
    jobs' run records (`pexbench.predict_job.run_record` as JSON): how each model ran.
    """
    root_p = Path(root) if root is not None else None
    software = dict(software) if software is not None else software_versions()
    hardware = dict(hardware) if hardware is not None else hardware_info()
    models = _models(config)
    parts: list[str] = [_heading(title, "="), ""]

    untrained = [model_weight_warning(m, where=f"models[{i}]") for i, m in enumerate(models)]
    warnings = [w for w in untrained if w]
    reference, synthetic_inputs = non_real_inputs(config)
    if reference is not None:
        warnings.append(_reference_warning(reference))
    warnings.extend(_input_warning(key, value) for key, value in synthetic_inputs)
    if warnings:
        parts.append(_heading(f"Warnings: {NOT_A_RESULT}", "-"))
        parts.extend(_admonition("danger", w) for w in warnings)
    else:
        parts.append(
            ".. note::\n\n   All models run with the weights named below on the reference "
            "named below; no synthetic inputs were detected.\n"
        )

    # Inputs
    parts.append(_heading("Inputs", "-"))
    inputs = config.get("inputs")
    rows = []
    if isinstance(inputs, Mapping):
        for key, value in _iter_paths(inputs):
            path = _resolve(value, root_p)
            if path.is_file():
                rows.append(
                    (key, value, _human_size(path.stat().st_size), file_digest(path, digest_limit))
                )
            else:
                rows.append((key, value, "", "(not a file)"))
    if rows:
        parts.append(_table(["key", "path", "size", "checksum"], rows))
    else:
        parts.append("No ``inputs`` section in the configuration.\n")

    # Models
    parts.append(_heading("Models", "-"))
    if models:
        mrows = []
        for i, (m, warning) in enumerate(zip(models, untrained, strict=True)):
            # only the keys the model's type reads, sequence_length resolved
            try:
                used = used_settings(m, where=f"models[{i}]")
            except ModelError:  # an unknown type: every key as given
                used = {k: v for k, v in m.items() if k not in ("name", "type")}
            extra = {k: v for k, v in used.items() if k != "weights"}
            trained = "NO: " + NOT_A_RESULT if warning else "yes"
            weights = m.get("weights")
            checksum = (
                path_digest(_resolve(weights, root_p), digest_limit)
                if isinstance(weights, str) and weights and not warning
                else ""
            )
            mrows.append(
                (
                    m.get("name", "?"),
                    m.get("type", "?"),
                    weights if weights is not None else "(none)",
                    trained,
                    checksum,
                    ", ".join(f"{k}={v}" for k, v in extra.items()),
                )
            )
        parts.append(
            _table(["name", "type", "weights", "trained", "weights checksum", "settings"], mrows)
        )
    else:
        parts.append("No models configured.\n")

    if runs:
        parts.append(_heading("Models as run", "-"))
        parts.append(
            "What the prediction jobs resolved at load time (``auto`` settings included), one row "
            "per model and distinct set of values; *shards* counts the jobs that share it.\n"
        )
        parts.append(_table(AS_RUN_COLUMNS, models_as_run(runs)))

    # Evaluation and other settings (everything but inputs/models).
    parts.append(_heading("Settings", "-"))
    srows = []
    for key, value in config.items():
        if key in ("inputs", "models"):
            continue
        if isinstance(value, Mapping):
            srows.extend((f"{key}.{k}", _compact(v)) for k, v in value.items())
        else:
            srows.append((key, _compact(value)))
    parts.append(_table(["setting", "value"], srows) if srows else "No other settings.\n")

    parts.append(_heading("Software", "-"))
    parts.append(_table(["software", "version"], software.items()))
    parts.append(_heading("Hardware", "-"))
    parts.append(
        "The machine that wrote this description; on a cluster, prediction jobs may have run on "
        "other nodes (their logs name the device used).\n"
    )
    parts.append(_table(["item", "value"], hardware.items()))
    parts.append(_heading("Code", "-"))
    parts.append(f"Workflow code version: ``{code_version(workflow_dir)}``\n")
    parts.append(_heading("Full configuration", "-"))
    dumped = yaml.safe_dump(_plain(config), sort_keys=False, default_flow_style=False)
    parts.append(".. code-block:: yaml\n\n" + _indent(dumped, "   ") + "\n")
    return "\n".join(parts)


def _plain(obj: object) -> object:
    """Config as plain dicts/lists (Snakemake hands a Namedlist/Config-like mapping)."""
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, str | int | float | bool) or obj is None:
        return obj
    return str(obj)


def _compact(value: object) -> str:
    if isinstance(value, Mapping | list | tuple):
        return yaml.safe_dump(_plain(value), default_flow_style=True, width=10**6).strip()
    return str(value)


def _indent(text: str, pad: str) -> str:
    return "\n".join(pad + line if line else line for line in text.splitlines())


def render_html(rst: str, *, source: str = "<run description>") -> str:
    """Standalone HTML (embedded stylesheet, no external links) from the RST text."""
    import io

    from docutils.core import publish_string

    messages = io.StringIO()
    try:
        html = publish_string(
            rst,
            source_path=source,
            writer="html5",
            settings_overrides={
                "embed_stylesheet": True,
                "report_level": 2,
                "halt_level": 2,
                "syntax_highlight": "none",
                "datestamp": False,
                "generator": False,
                "warning_stream": messages,
            },
        )
    except Exception as exc:  # docutils raises SystemMessage subclasses
        raise InputError(
            f"{source}: the run description is not valid reStructuredText: {exc} "
            f"{messages.getvalue().strip()}"
        ) from exc
    text = html.decode("utf-8") if isinstance(html, bytes) else str(html)
    style = (
        "<style>body{max-width:none;}td{overflow-wrap:anywhere;}"
        ".danger{border:3px solid #c00;background:#fee;padding:0.4em 1em;}"
        ".danger .admonition-title{color:#c00;font-weight:bold;}</style>"
    )
    return text.replace("</head>", style + "</head>", 1)


def write_description(
    config: Mapping[str, Any],
    rst_out: str | Path,
    html_out: str | Path | None = None,
    **kwargs: Any,
) -> str:
    """Write the run description as RST (and HTML when ``html_out`` is given); return the RST."""
    rst = describe_run(config, **kwargs)
    Path(rst_out).parent.mkdir(parents=True, exist_ok=True)
    Path(rst_out).write_text(rst, encoding="utf-8")
    if html_out is not None:
        Path(html_out).parent.mkdir(parents=True, exist_ok=True)
        Path(html_out).write_text(render_html(rst, source=str(rst_out)), encoding="utf-8")
    return rst


def _main(argv: Sequence[str] | None = None) -> int:  # pragma: no cover - thin CLI
    """``python -m pexbench.report CONFIG.yaml OUT.rst [OUT.html]``"""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) not in (2, 3):
        print(_main.__doc__, file=sys.stderr)
        return 2
    with open(args[0], encoding="utf-8") as fh:
        config = yaml.safe_load(fh) or {}
    write_description(config, args[1], args[2] if len(args) == 3 else None)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_main())
