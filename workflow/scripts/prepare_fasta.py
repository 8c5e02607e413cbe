"""Rule prepare_fasta: bgzip-compressed copy of the reference FASTA with .fai and .gzi."""

from pexbench.fasta import prepare_fasta
from pexbench.jobs import start_logging

start_logging(snakemake.log[0])
# writes output.fasta and beside it output.fai and output.gzi (FASTA path + .fai / .gzi)
prepare_fasta(snakemake.input.fasta, snakemake.output.fasta)
