"""Contig-name harmonisation: `22`, `chr22` and `CHR22` name the same chromosome."""

from __future__ import annotations

from collections.abc import Iterable

from pexbench.errors import InputError, listing


class ContigError(InputError):
    """A contig name that cannot be matched to any contig of a target file."""


def _canonical(name: str) -> str:
    core = name[3:] if name.lower().startswith("chr") else name
    if core.upper() in {"M", "MT"}:
        return "M"
    return core.upper()


def match_contig(name: str, available: Iterable[str], *, source: str = "", target: str = "") -> str:
    """Return the contig of `available` that names the same chromosome as `name`.

    Exact matches win; otherwise `chr` prefixes and `M`/`MT` are reconciled. `source` and
    `target` name the files for the error message.
    """
    names = list(available)
    if name in names:
        return name
    hits = [candidate for candidate in names if _canonical(candidate) == _canonical(name)]
    if len(hits) == 1:
        return hits[0]
    where = f" (from {source})" if source else ""
    into = f" in {target}" if target else ""
    if not hits:
        shown = listing(names)
        raise ContigError(
            f"contig {name!r}{where} has no counterpart{into}; contigs there: {shown}. "
            "Use the same build for every input, or rename contigs (e.g. bcftools annotate "
            "--rename-chrs) so that they agree."
        )
    raise ContigError(f"contig {name!r}{where} matches several contigs{into}: {hits}")
