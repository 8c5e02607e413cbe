# Input functions and derived constants; no rules here.

import os
import re

from snakemake.exceptions import WorkflowError

# Input length (bp) of each model type when `sequence_length` is null; the same values as
# pexbench.models (enformer.FULL_LENGTH / TINY_LENGTH, probe default, xpresso
# minimum_sequence_length), kept here so that building the DAG does not import torch.
ENFORMER_LENGTH = 196_608
ENFORMER_TINY_LENGTH = 4_096
PROBE_LENGTH = 2_048
XPRESSO_INPUT = 10_500
BASELINE_MODEL = "genotype_elastic_net"  # pexbench.baseline.MODEL_NAME

SHARDS = [f"{i:03d}" for i in range(config["genes"]["shards"])]
MODELS = {spec["name"]: spec for spec in config["models"]}

if len(MODELS) != len(config["models"]):
    names = [spec["name"] for spec in config["models"]]
    dup = sorted({n for n in names if names.count(n) > 1})
    raise WorkflowError(
        f"config `models`: names must be unique, {dup} occur more than once."
    )
if BASELINE_MODEL in MODELS:
    raise WorkflowError(
        f"config `models`: the name {BASELINE_MODEL!r} is reserved for the genotype baseline; "
        "rename the model."
    )


DOWNLOADS = config["downloads"]


wildcard_constraints:
    shard=r"[0-9]{3}",
    model="|".join(re.escape(name) for name in MODELS),
    # only the files listed under `downloads:` (a pattern that never matches when none is)
    file="|".join(re.escape(name) for name in DOWNLOADS) or "(?!)",


def vcf_index(wildcards):
    """The VCF's index when there is one (or will be, being downloaded): faster region access."""
    vcf = config["inputs"]["vcf"]
    for suffix in (".tbi", ".csi"):
        index = vcf + suffix
        if (
            os.path.exists(index)
            or index.removeprefix("resources/downloads/") in DOWNLOADS
        ):
            return {"index": index}
    return {}


def variant_margin():
    """Distance from a TSS (bp) beyond which no stage reads variants."""
    baseline = config["baseline"]["window"] if config["baseline"]["enabled"] else 0
    # haplotype windows reach TSS +- length/2 plus a margin (8,192 bp in pexbench.haplotypes)
    # and widen where deletions shorten a haplotype: 20 kb of slack covers both
    return (
        max(haplotype_length() // 2 + 20_000, config["genes"]["window"], baseline) + 1
    )


def download_url(wildcards):
    return DOWNLOADS[wildcards.file]


def model_length(spec):
    """Input length (bp) of a model spec: the + strand window with the TSS at length // 2."""
    if spec["sequence_length"]:
        return spec["sequence_length"]
    if spec["type"] == "enformer":
        return (
            ENFORMER_TINY_LENGTH
            if str(spec["weights"]).lower() == "tiny"
            else ENFORMER_LENGTH
        )
    if spec["type"] == "xpresso":
        return 2 * max(spec["tss_index"] + 1, XPRESSO_INPUT - spec["tss_index"])
    return PROBE_LENGTH


def haplotype_length():
    """Haplotypes cover the longest model input around each TSS."""
    return max(model_length(spec) for spec in MODELS.values())


def model_spec(wildcards):
    return MODELS[wildcards.model]


def log1p_models():
    """Per model, whether aggregate.log1p applies: count-like outputs (Xpresso is log-scale)."""
    return {name: spec["type"] != "xpresso" for name, spec in MODELS.items()}


def model_index(wildcards):
    """Position of the model in the config list (for error messages)."""
    return list(MODELS).index(wildcards.model)


def model_gpus(wildcards):
    """1 when the model runs on a CUDA device: the job then requests resources gpu=1."""
    return int(MODELS[wildcards.model]["device"].startswith("cuda"))


def model_gpu_model(wildcards):
    """SLURM GPU type of a CUDA model; None leaves the resource unset (CPU models, any GPU)."""
    spec = MODELS[wildcards.model]
    return spec["gpu_model"] if spec["device"].startswith("cuda") else None


def model_slurm_partition(wildcards, input, attempt, threads):
    """SLURM partition of the model's predict jobs: models[].slurm_partition, or for null the
    slurm_partition of the default resources (the SLURM profile's default-resources), which
    this rule resource would otherwise replace; None (no default either) leaves it unset.
    """
    partition = MODELS[wildcards.model]["slurm_partition"]
    if partition is not None:
        return partition
    defaults = workflow.resource_settings.default_resources
    # no default partition, or no default resources at all: unset
    try:
        default = defaults["slurm_partition"]
    except (KeyError, TypeError):
        return None
    if not hasattr(default, "evaluate"):  # a plain value
        return default
    # the profile's value is an expression: evaluated as Snakemake evaluates resources
    return default.evaluate(
        wildcards,
        input=input,
        attempt=attempt,
        threads=threads,
        rulename="predict",
        async_run=workflow.async_run,
    ).value


def model_inputs(wildcards):
    """Files a model needs besides the sequences (track table, local weights)."""
    spec = MODELS[wildcards.model]
    files = {}
    if config["inputs"]["targets"] and spec["type"] == "enformer":
        files["targets"] = config["inputs"]["targets"]
    weights = spec["weights"]
    if weights and os.path.exists(weights):
        files["weights"] = weights
    return files


def shard_files(pattern):
    return expand(pattern, shard=SHARDS)


def model_shard_files(pattern):
    """`pattern` expanded over every model and shard."""
    return expand(pattern, model=MODELS, shard=SHARDS)


def baseline_shard_files(pattern):
    """`pattern` expanded over the shards when the genotype baseline runs, else none."""
    return shard_files(pattern) if config["baseline"]["enabled"] else []


def chromatin_files(wildcards):
    if config["inputs"]["chromatin_states"]:
        return {"states": config["inputs"]["chromatin_states"]}
    return {}


def covariate_files(wildcards):
    if config["inputs"]["covariates"] and config["expression"]["covariates_n"] > 0:
        return {"covariates": config["inputs"]["covariates"]}
    return {}


def all_targets():
    return [
        "results/inputs/genes.tsv",
        "results/inputs/individuals.tsv",
        "results/expression/predicted.tsv.gz",
        "results/expression/measured.tsv.gz",
        "results/evaluation/gene_correlations.tsv",
        "results/evaluation/variant_effects.tsv",
        "results/evaluation/sign_classes_by_state.tsv",
        "results/evaluation/summary.json",
    ]
