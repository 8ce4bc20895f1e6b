"""The pipeline stages; each module has a ``run(...)`` that reads a directory and writes one."""
