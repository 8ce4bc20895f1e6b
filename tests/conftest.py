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


@pytest.fixture(scope="session")
def example_stages(tmp_path_factory) -> dict[str, Path]:
    """The example logs through collect → pii → cluster → select, as `make demo` runs them.

    select considers only the local tiny-test model, so every cluster big enough gets it.
    Returns the stage directories by stage name.
    """
    from slmconvert.core.config import PiiConfig, SelectConfig
    from slmconvert.stages import cluster, collect, pii, select

    root = tmp_path_factory.mktemp("example-stages")
    dirs = {name: root / name for name in ("collect", "pii", "cluster", "select")}
    collect.run([str(EXAMPLES / "logs")], dirs["collect"])
    recognizer = {"entity": "CUSTOMER_ID", "regex": r"CUST-\d{6}"}
    pii.run(dirs["collect"], dirs["pii"], PiiConfig(recognizers=[recognizer]))
    cluster.run(dirs["pii"], dirs["cluster"])
    select.run(
        dirs["cluster"],
        dirs["select"],
        SelectConfig(models=["tiny-test"], include_test_models=True),
    )
    return dirs


@pytest.fixture(scope="session")
def small_tiny_model(tmp_path_factory) -> Path:
    """A small, briefly pre-trained tiny model (seconds to build): for plumbing, not quality."""
    from slmconvert.training.tiny import build_tiny_model

    path = tmp_path_factory.mktemp("tiny") / "model"
    return build_tiny_model(
        path, seed=0, pretrain_steps=40, vocab_size=1024, hidden_size=32, layers=2, heads=4,
        seq_len=128, batch_size=4, lr=1e-2,
    )  # fmt: skip
