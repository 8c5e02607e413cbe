# Input functions and derived constants; no rules here.

import os
import re

from snakemake.exceptions import WorkflowError

from pexbench import checks
from pexbench.haplotypes.windows import variant_reach
from pexbench.models import facts  # torch-free: input lengths, output scales, ...

BASELINE_MODEL = facts.BASELINE_MODEL

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

# every check that can run before any job (files, weights, tracks, contigs, sample ids)
checks.raise_problems(checks.dag_checks(config), "inputs")
# inputs.vcf: one file, a list or a {chrom} pattern; each part is normalised by its own job
VCF_FILES = checks.vcf_files(config["inputs"]["vcf"], DOWNLOADS)
VCF_PARTS = [f"{i:03d}" for i in range(len(VCF_FILES))]
# only the individuals that can be kept, when the VCF has far more samples
NORMALISE_SAMPLES = checks.normalise_samples(
    VCF_FILES, config["inputs"]["expression"], config["individuals"]["include"]
)


wildcard_constraints:
    shard=r"[0-9]{3}",
    part=r"[0-9]{3}",
    model="|".join(re.escape(name) for name in MODELS),
    # only the files listed under `downloads:` (a pattern that never matches when none is)
    file="|".join(re.escape(name) for name in DOWNLOADS) or "(?!)",


def vcf_part(wildcards):
    """The VCF file of one part of inputs.vcf."""
    return VCF_FILES[int(wildcards.part)]


def input_files(wildcards):
    """Every input file of the config by key (VCF parts as inputs.vcf_<part>): hashed into the
    report's run description."""
    files = {
        key: value
        for key, value in config["inputs"].items()
        if key != "vcf" and key in checks.INPUT_FILE_KEYS and value
    }
    files.update({f"vcf_{part}": path for part, path in zip(VCF_PARTS, VCF_FILES)})
    return files


def vcf_index(wildcards):
    """The VCF part's index when there is one (or will be, being downloaded): faster region
    access."""
    vcf = vcf_part(wildcards)
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
    return (
        max(variant_reach(haplotype_length()), config["genes"]["window"], baseline) + 1
    )


def download_url(wildcards):
    return DOWNLOADS[wildcards.file]


def haplotype_length():
    """Haplotypes cover the longest model input around each TSS."""
    return max(
        facts.sequence_length(spec, where=f"models[{i}]")
        for i, spec in enumerate(MODELS.values())
    )


def model_spec(wildcards):
    return MODELS[wildcards.model]


def log1p_models():
    """Per model, whether aggregate.log1p applies: count-like outputs (Xpresso is log-scale)."""
    return {name: facts.log1p_applies(spec) for name, spec in MODELS.items()}


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
    if config["inputs"]["targets"] and facts.reads_track_table(spec):
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


def model_shard_keys():
    """(model, shard) of each file of `model_shard_files`, in the same order (expand takes the
    product of its arguments in order: every shard of the first model first)."""
    return [(model, shard) for model in MODELS for shard in SHARDS]


def baseline_shard_files(pattern):
    """`pattern` expanded over the shards when the genotype baseline runs, else none."""
    return shard_files(pattern) if config["baseline"]["enabled"] else []


def chromatin_files(wildcards):
    """The chromatin-state BED when the config gives one."""
    if config["inputs"]["chromatin_states"]:
        return {"states": config["inputs"]["chromatin_states"]}
    return {}


def covariate_files(wildcards):
    """The covariate file when covariates are regressed out (expression.covariates_n > 0); the
    individuals rule then also drops individuals without covariates."""
    if config["inputs"]["covariates"] and config["expression"]["covariates_n"] > 0:
        return {"covariates": config["inputs"]["covariates"]}
    return {}


def all_targets():
    """The result tables of a run (REPORT_TARGETS adds the report's items)."""
    return [
        rules.gene_table.output.genes,
        rules.individuals.output[0],
        rules.aggregate.output[0],
        rules.measured_expression.output[0],
        rules.correlations.output[0],
        rules.variant_effects.output[0],
        rules.chromatin_states.output[0],
        rules.summary.output[0],
    ]


# Interpretation (workflow/rules/interpret.smk): models that can, validated at DAG time.
from pexbench.errors import ModelError

try:
    INTERPRET_MODELS = facts.interpretation_plan(config["interpretation"], MODELS)
except ModelError as exc:
    raise WorkflowError(f"config {exc}") from None
INTERPRET_KEYS = [(model, shard) for model in INTERPRET_MODELS for shard in SHARDS]


def interpret_files(pattern):
    """`pattern` expanded over the interpreted models and the shards (INTERPRET_KEYS order)."""
    return [pattern.format(model=model, shard=shard) for model, shard in INTERPRET_KEYS]


def interpret_inputs(wildcards):
    """The correlations when genes are selected by significance; the chromatin states."""
    files = chromatin_files(wildcards)
    if config["interpretation"]["genes"] == "significant":
        files["correlations"] = rules.correlations.output[0]
    return files


def interpret_measures(wildcards):
    """What the model can show: attention and/or contributions."""
    return list(INTERPRET_MODELS[wildcards.model])


def trained_models():
    """Per interpreted model, whether its weights are trained (False: flagged, not a result)."""
    return {name: facts.is_trained(MODELS[name]) for name in INTERPRET_MODELS}


# Non-real inputs (a synthetic reference, synthetic stand-in inputs), decided as in the run
# description (pexbench.report.input_flags): every figure and table title of the report and of
# the interpretation carries them as a NOT A RESULT line; [] for real inputs (nothing changes).
from pexbench.report import input_flags

INPUT_FLAGS = input_flags(config)
