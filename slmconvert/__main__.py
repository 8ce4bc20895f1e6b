"""`python -m slmconvert` runs the CLI."""

from slmconvert.cli import app

app()
