import os

from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/inputs.smk"
include: "workflow/rules/haplotypes.smk"
include: "workflow/rules/predict.smk"
include: "workflow/rules/evaluate.smk"


# The report stage (workflow/rules/report.smk) defines REPORT_TARGETS.
if os.path.exists(os.path.join(workflow.basedir, "workflow/rules/report.smk")):

    include: "workflow/rules/report.smk"

else:
    REPORT_TARGETS = []


rule all:
    default_target: True
    input:
        all_targets(),
        REPORT_TARGETS,
