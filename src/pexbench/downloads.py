"""Fetching a configured URL (`downloads:` of the config) to a local file."""

from __future__ import annotations

import logging
import shutil
import urllib.request
from pathlib import Path

from pexbench.tables import atomic_path

log = logging.getLogger(__name__)


def download(url: str, path: Path | str, *, timeout: float = 600) -> int:
    """Fetch `url` to `path` (written under a temporary name, renamed when complete); return the
    number of bytes."""
    log.info("fetching %s", url)
    with atomic_path(path) as tmp, urllib.request.urlopen(url, timeout=timeout) as response:
        with open(tmp, "wb") as out:
            shutil.copyfileobj(response, out, 1 << 22)
        size = tmp.stat().st_size
    log.info("%d bytes", size)
    return size
