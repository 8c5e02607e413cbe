"""Files the input preparers write: a scratch directory beside an output, and index freshness."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


def is_fresh(index: Path, data: Path) -> bool:
    """Whether `index` exists and is not older than the `data` file it indexes."""
    return index.is_file() and index.stat().st_mtime >= data.stat().st_mtime


@contextlib.contextmanager
def scratch_dir(final: Path) -> Iterator[Path]:
    """A temporary directory beside `final` (same file system, so that renaming a finished file
    from it to `final` is atomic); removed afterwards whatever happens."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
