"""Error types. Every message names the file, the line or site, and what to do."""

from __future__ import annotations

from collections.abc import Sequence


def listing(items: Sequence[object], most: int = 10) -> str:
    """The first `most` items for an error message, comma-separated, " ..." when there are more."""
    return ", ".join(str(item) for item in items[:most]) + (" ..." if len(items) > most else "")


class PexbenchError(Exception):
    """Base of all errors pexbench raises on bad input or configuration."""


class InputError(PexbenchError):
    """An input file or value is unusable."""


class VariantError(InputError):
    """A VCF record cannot be applied (REF mismatch, unphased genotype under `error`, ...)."""


class ModelError(PexbenchError):
    """A model cannot be built, loaded or run as configured."""
