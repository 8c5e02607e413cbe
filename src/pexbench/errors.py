"""Error types. Every message names the file, the line or site, and what to do."""


class PexbenchError(Exception):
    """Base of all errors pexbench raises on bad input or configuration."""


class InputError(PexbenchError):
    """An input file or value is unusable."""


class VariantError(InputError):
    """A VCF record cannot be applied (REF mismatch, unphased genotype under `error`, ...)."""


class ModelError(PexbenchError):
    """A model cannot be built, loaded or run as configured."""
