"""Rule report_description: the run description (RST + standalone HTML) from the config."""

import os

from wfutil import start_logging

from pexbench.report import write_description

log = start_logging(snakemake.log[0])
write_description(
    snakemake.params.config,
    snakemake.output.rst,
    snakemake.output.html,
    root=os.getcwd(),
    workflow_dir=snakemake.params.workflow_dir,
)
log.info("wrote %s and %s", snakemake.output.rst, snakemake.output.html)
