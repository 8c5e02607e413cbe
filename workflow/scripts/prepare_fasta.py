"""Rule prepare_fasta: bgzip-compressed copy of the reference FASTA with .fai and .gzi."""

import gzip
import os
import shutil
from pathlib import Path

import pysam
from wfutil import start_logging

log = start_logging(snakemake.log[0])
src = Path(snakemake.input.fasta)
out = Path(snakemake.output.fasta)
tmp = out.with_name(f".tmp{os.getpid()}.{out.name}")

plain = out.with_name(f".tmp{os.getpid()}.reference.fa")
# every temporary file (the decompressed genome included) is removed, also on failure
scratch = [tmp, plain, Path(f"{tmp}.fai"), Path(f"{tmp}.gzi")]

with open(src, "rb") as fh:
    head = fh.read(16)
is_gzip = head[:2] == b"\x1f\x8b"
is_bgzf = is_gzip and len(head) >= 14 and head[3] & 4 and head[12:14] == b"BC"
try:
    if is_bgzf:
        log.info("%s is bgzip-compressed: copied", src)
        shutil.copyfile(src, tmp)
    elif is_gzip:
        log.info("%s is plain gzip: recompressed with bgzip", src)
        with gzip.open(src, "rb") as fin, open(plain, "wb") as fout:
            shutil.copyfileobj(fin, fout, 1 << 24)
        pysam.tabix_compress(str(plain), str(tmp), force=True)
        plain.unlink()
    else:
        log.info("%s is uncompressed: compressed with bgzip", src)
        pysam.tabix_compress(str(src), str(tmp), force=True)
    try:
        pysam.faidx(str(tmp))
    except pysam.SamtoolsError as exc:
        raise SystemExit(f"cannot index {src} as a FASTA file ({exc}); is it a FASTA?") from exc
    os.replace(f"{tmp}.fai", snakemake.output.fai)
    os.replace(f"{tmp}.gzi", snakemake.output.gzi)
    os.replace(tmp, out)
finally:
    for path in scratch:
        path.unlink(missing_ok=True)
with pysam.FastaFile(str(out)) as fa:
    log.info("%d contigs: %s", fa.nreferences, ", ".join(fa.references[:25]))
