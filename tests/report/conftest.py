"""Fixtures for the report tests: a finished run's work directory (see report_workdir.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from report_workdir import build_workdir


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A finished run, collect → deploy, in 01_collect/ ... 07_deploy/."""
    return build_workdir(tmp_path_factory.mktemp("work"))


@pytest.fixture
def fresh_copy(workdir, tmp_path) -> Path:
    """A copy of the finished run that a test may change."""
    return Path(shutil.copytree(workdir, tmp_path / "work"))
