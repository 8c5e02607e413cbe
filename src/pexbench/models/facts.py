"""What the workflow must know about a `models:` entry before any model is loaded.

Input lengths, the window Xpresso reads, output scales and whether weights are trained live
here, once: the model classes take their defaults from this module, and the Snakefile
(workflow/rules/common.smk) imports it to size haplotype windows and wire rules. It imports
only the standard library and pexbench.errors, so building the DAG does not import torch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pexbench.errors import ModelError

MODEL_TYPES = ("enformer", "probe", "xpresso")
# Rows of the genotype baseline (pexbench.baseline) carry this model name; no model may use it.
BASELINE_MODEL = "genotype_elastic_net"

ENFORMER_LENGTH = 196_608
ENFORMER_TINY_LENGTH = 4_096
PROBE_LENGTH = 2_048
# Xpresso reads 10,500 bp of the gene's strand with the TSS at index 6,999 (Huang et al. 2023;
# 7,000 = Kipoi); see pexbench.models.xpresso for the sources.
XPRESSO_INPUT_LENGTH = 10_500
XPRESSO_TSS_INDEX = 6_999

# "count": non-negative, count-like outputs (aggregate may take log1p); "log": already a log.
OUTPUT_SCALE: dict[str, Literal["count", "log"]] = {
    "enformer": "count",
    "probe": "count",
    "xpresso": "log",
}


def model_type(spec: Mapping[str, Any], *, where: str = "models[?]") -> str:
    """The entry's `type`, lower-cased; ModelError naming `<where>.type` when unknown."""
    kind = str(spec.get("type", "")).lower()
    if kind not in MODEL_TYPES:
        raise ModelError(
            f"{where}.type: {spec.get('type')!r} is not one of {', '.join(MODEL_TYPES)}."
        )
    return kind


def is_tiny_weights(weights: object) -> bool:
    """True for `weights: tiny`, the seeded random Enformer of tests and the CPU demo."""
    return str(weights or "").strip().lower() == "tiny"


def is_trained(spec: Mapping[str, Any], *, where: str = "models[?]") -> bool:
    """Whether the entry runs trained weights: not the geometry probe, not a `tiny` Enformer."""
    kind = model_type(spec, where=where)
    if kind == "probe":
        return False
    return not (kind == "enformer" and is_tiny_weights(spec.get("weights")))


def log1p_applies(spec: Mapping[str, Any], *, where: str = "models[?]") -> bool:
    """Whether `aggregate.log1p` transforms the entry's outputs (count-like ones only)."""
    return OUTPUT_SCALE[model_type(spec, where=where)] == "count"


def xpresso_tss_index(tss_index: int, *, where: str = "models[?]") -> int:
    """`tss_index` checked to lie inside Xpresso's input."""
    if not 0 <= tss_index < XPRESSO_INPUT_LENGTH:
        raise ModelError(
            f"{where}.tss_index: {tss_index} is outside the {XPRESSO_INPUT_LENGTH}-bp Xpresso "
            f"input; use {XPRESSO_TSS_INDEX} (Huang et al. 2023) or 7000 (Kipoi)."
        )
    return tss_index


def xpresso_minimum_length(tss_index: int = XPRESSO_TSS_INDEX) -> int:
    """Shortest even + strand window (TSS at length // 2) that holds both strands' windows."""
    return 2 * max(tss_index + 1, XPRESSO_INPUT_LENGTH - tss_index)


def xpresso_window_offsets(
    sequence_length: int, tss_index: int = XPRESSO_TSS_INDEX
) -> tuple[int, int]:
    """Start of the gene-strand window inside a + strand sequence with the TSS at length // 2.

    Returns (plus_start, minus_start): a + strand gene uses codes[plus_start : plus_start +
    10,500]; a - strand gene the reverse complement of codes[minus_start : minus_start + 10,500].
    """
    centre = sequence_length // 2
    plus_start = centre - tss_index
    minus_start = centre + tss_index - (XPRESSO_INPUT_LENGTH - 1)
    if (
        plus_start < 0
        or minus_start < 0
        or max(plus_start, minus_start) + XPRESSO_INPUT_LENGTH > sequence_length
    ):
        raise ModelError(
            f"Xpresso needs {XPRESSO_INPUT_LENGTH} bp around the TSS (index {tss_index}) on both "
            f"strands, which a {sequence_length}-bp window with the TSS at {centre} does not "
            f"hold; use sequence_length >= {xpresso_minimum_length(tss_index)}."
        )
    return plus_start, minus_start


def xpresso_input_span(sequence_length: int, tss_index: int, strand: str) -> tuple[int, int]:
    """Genome offsets [lo, hi) from the TSS that Xpresso reads for a gene on `strand`:
    + strand [tss - tss_index, ...), - strand [..., tss + tss_index + 1)."""
    plus_start, minus_start = xpresso_window_offsets(sequence_length, tss_index)
    start = (minus_start if strand == "-" else plus_start) - sequence_length // 2
    return start, start + XPRESSO_INPUT_LENGTH


def sequence_length(spec: Mapping[str, Any], *, where: str = "models[?]") -> int:
    """Input length (bp) the entry's model will have: the + strand window with the TSS at
    length // 2. Haplotypes must be built at least as long as the largest of these."""
    kind = model_type(spec, where=where)
    if spec.get("sequence_length"):
        return int(spec["sequence_length"])
    if kind == "enformer":
        return ENFORMER_TINY_LENGTH if is_tiny_weights(spec.get("weights")) else ENFORMER_LENGTH
    if kind == "xpresso":
        tss_index = spec.get("tss_index")
        tss_index = XPRESSO_TSS_INDEX if tss_index is None else int(tss_index)
        return xpresso_minimum_length(xpresso_tss_index(tss_index, where=where))
    return PROBE_LENGTH


def reads_track_table(spec: Mapping[str, Any], *, where: str = "models[?]") -> bool:
    """Whether the model selects its outputs from `inputs.targets` (Enformer's track table)."""
    return model_type(spec, where=where) == "enformer"


#: The `models[]` keys each type reads (besides name and type): the report lists only these.
MODEL_SETTINGS: dict[str, tuple[str, ...]] = {
    "enformer": (
        "weights",
        "tracks",
        "tss_bins",
        "bin_reduce",
        "reverse_complement",
        "sequence_length",
        "use_tf_gamma",
        "seed",
        "precision",
        "device",
        "gpu_model",
        "slurm_partition",
        "batch_size",
    ),
    "xpresso": (
        "weights",
        "tss_index",
        "sequence_length",
        "device",
        "gpu_model",
        "slurm_partition",
        "batch_size",
    ),
    "probe": (
        "tracks",
        "tss_bins",
        "bin_reduce",
        "bin_size",
        "crop_bins",
        "sequence_length",
        "device",
        "batch_size",
    ),
}


def used_settings(spec: Mapping[str, Any], *, where: str = "models[?]") -> dict[str, Any]:
    """The entry's settings that its type reads (`MODEL_SETTINGS`), `sequence_length` resolved
    to the input length the model gets; `seed` only for a `tiny` Enformer (the only one with
    random weights) and `use_tf_gamma` only for real weights."""
    kind = model_type(spec, where=where)
    tiny = kind == "enformer" and is_tiny_weights(spec.get("weights"))
    out: dict[str, Any] = {}
    for key in MODEL_SETTINGS[kind]:
        if (key == "seed" and not tiny) or (key == "use_tf_gamma" and tiny):
            continue
        if key == "sequence_length":
            out[key] = sequence_length(spec, where=where)
        elif key in spec:
            out[key] = spec[key]
    return out


# Interpretation (pexbench.interpret) each model type can provide: attention from the TSS needs
# Enformer's transformer; gradient x input needs a differentiable readout (Enformer, Xpresso).
# The genotype baseline and the geometry probe provide neither.
INTERPRETATION_MEASURES: dict[str, tuple[str, ...]] = {
    "enformer": ("attention", "contributions"),
    "xpresso": ("contributions",),
    "probe": (),
}
GENE_SELECTIONS = ("all", "significant")


def interpretation_measures(
    spec: Mapping[str, Any], *, where: str = "models[?]"
) -> tuple[str, ...]:
    """What interpretation the entry's model can provide: ("attention", "contributions"),
    ("contributions",) or () (see INTERPRETATION_MEASURES)."""
    return INTERPRETATION_MEASURES[model_type(spec, where=where)]


def interpretation_plan(
    section: Mapping[str, Any], specs: Mapping[str, Mapping[str, Any]]
) -> dict[str, tuple[str, ...]]:
    """Models to interpret and what each provides, from the config's `interpretation:` section
    and the `models:` entries by name. Disabled: {}. `models: null` takes every model that can;
    a listed model that is unknown or can provide nothing is a ModelError naming
    `interpretation.models[i]`. `genes` must be "all", "significant" or a list of gene ids."""
    if not section.get("enabled"):
        return {}
    genes = section.get("genes", "all")
    if isinstance(genes, str) and genes not in GENE_SELECTIONS:
        raise ModelError(
            f"interpretation.genes: {genes!r} is not one of {', '.join(GENE_SELECTIONS)} or a "
            "list of gene ids."
        )
    where = {name: f"models[{i}]" for i, name in enumerate(specs)}
    names = section.get("models")
    if names is None:
        plan = {n: interpretation_measures(s, where=where[n]) for n, s in specs.items()}
        return {n: m for n, m in plan.items() if m}
    out: dict[str, tuple[str, ...]] = {}
    for i, name in enumerate(names):
        if name == BASELINE_MODEL:
            raise ModelError(
                f"interpretation.models[{i}]: the genotype baseline {name!r} has no sequence "
                "input, so neither attention nor contributions; remove it."
            )
        if name not in specs:
            raise ModelError(
                f"interpretation.models[{i}]: {name!r} is not a model of `models:` "
                f"({', '.join(specs) or 'none'}); list configured model names or use null."
            )
        measures = interpretation_measures(specs[name], where=where[name])
        if not measures:
            raise ModelError(
                f"interpretation.models[{i}]: model {name!r} (type "
                f"{model_type(specs[name])}) provides neither attention nor contributions; "
                "remove it (Enformer: both, Xpresso: contributions only)."
            )
        out[name] = measures
    return out
