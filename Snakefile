import os
import sys

from snakemake.utils import min_version, validate

min_version("9.0")


# The checkout's library, for building the DAG and (through PYTHONPATH) for every job, also in
# conda environments (envs/pexbench.yaml holds the dependencies only) and on cluster nodes.
sys.path.insert(0, os.path.join(workflow.basedir, "src"))
from pexbench.jobs import export_library_path

export_library_path(os.path.join(workflow.basedir, "src"))


# The demo's config, unless the user gives --configfile: a user's config is complete on its own
# and never inherits an input from the demo (config/README.md). Problems: one line each.
from pexbench import checks

SCHEMA = checks.load_schema(
    os.path.join(workflow.basedir, "workflow/schemas/config.schema.yaml")
)
if not workflow.overwrite_configfiles:

    configfile: checks.DEMO_CONFIG


checks.raise_problems(
    checks.user_config_problems(workflow.overwrite_configfiles, SCHEMA)
    + checks.parse_cli_values(
        config,
        workflow.config_settings.config,
        checks.load_config_files(workflow.configfiles),
        SCHEMA,
    )
    + checks.config_problems(config, SCHEMA)
)
validate(config, "workflow/schemas/config.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/inputs.smk"
include: "workflow/rules/haplotypes.smk"
include: "workflow/rules/predict.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/interpret.smk"


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
        INTERPRET_TARGETS,
