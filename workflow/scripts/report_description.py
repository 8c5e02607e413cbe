"""Rule report_description: the run description (RST + standalone HTML) from the settings."""

import os

from pexbench.jobs import start_logging
from pexbench.report import write_description

log = start_logging(snakemake.log[0])
write_description(
    snakemake.params.settings,
    snakemake.output.rst,
    snakemake.output.html,
    root=os.getcwd(),
    workflow_dir=snakemake.params.workflow_dir,
    runs=snakemake.input.runs,
)
log.info("wrote %s and %s", snakemake.output.rst, snakemake.output.html)
