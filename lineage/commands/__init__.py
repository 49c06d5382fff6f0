"""Sub-commands of the ``lineage`` command line, one module each."""
