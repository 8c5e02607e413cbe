"""Rule download: fetch one URL of the config's `downloads:` into resources/downloads/."""

import shutil
import urllib.request

from wfutil import atomic_path, start_logging

log = start_logging(snakemake.log[0])
url = snakemake.params.url
log.info("fetching %s", url)
with atomic_path(snakemake.output[0]) as tmp, urllib.request.urlopen(url, timeout=600) as response:
    with open(tmp, "wb") as out:
        shutil.copyfileobj(response, out, 1 << 22)
    log.info("%d bytes", tmp.stat().st_size)
