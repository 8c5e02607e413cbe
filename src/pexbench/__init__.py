"""pexbench: benchmark sequence-to-expression models on expression differences between people."""

__version__ = "0.1.0"
