"""CLI subcommands; see :mod:`docfraud.cli`."""
