"""acgan's version: one place, read by the package, the CLI and every run folder."""

__version__ = "0.1.0"
