"""Shared test fixtures: paths to the fixture logs and a CLI runner that reads like usage."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
EXAMPLES = ROOT / "examples"


@pytest.fixture
def format_fixtures() -> Path:
    """Directory of one small, valid log file per format."""
    return FIXTURES / "formats"


@pytest.fixture
def cli():
    """Run `slmconvert ARGS...` in-process; returns the click Result (exit_code, stdout, stderr)."""
    from slmconvert.cli import app

    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(app, [str(a) for a in args], input=input)

    return invoke
