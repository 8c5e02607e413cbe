"""Rule download: fetch one URL of the config's `downloads:` into resources/downloads/."""

from pexbench.downloads import download
from pexbench.jobs import start_logging

start_logging(snakemake.log[0])
download(snakemake.params.url, snakemake.output[0])
