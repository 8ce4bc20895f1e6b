"""The README and docs say what the code does: the layout, the flags and the files they name."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from slmconvert.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _layout() -> str:
    return README.partition("## Layout")[2].partition("```")[2].partition("```")[0]


def test_the_readme_layout_lists_every_package_and_only_packages_that_exist():
    listed = set(re.findall(r"^slmconvert/(\w+)/", _layout(), re.M))
    packages = {p.parent.name for p in (ROOT / "slmconvert").glob("*/__init__.py")}

    assert listed == packages


def test_nothing_but_the_entry_points_and_the_config_re_export_sits_at_the_package_top():
    top = {p.name for p in (ROOT / "slmconvert").glob("*.py")}

    assert top == {"__init__.py", "__main__.py", "config.py"}


def _flags() -> set[str]:
    group = typer.main.get_command(app)
    found = {"--help", "--version", "--debug"}
    for command in group.commands.values():
        for param in command.params:
            found.update(o for o in param.opts + param.secondary_opts if o.startswith("--"))
    return found


def test_every_flag_the_docs_name_is_a_flag_of_some_command():
    known = _flags()
    for path in DOCS:
        text = path.read_text()
        for block in re.findall(r"`[^`]*?(slmconvert [^`]*)`", text):  # quoted command lines
            for flag in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]+", block):
                assert flag in known, f"{path.relative_to(ROOT)}: {flag} in `{block}`"


FUTURE = {"bench/results/gpu.md": "bench/gpu_smoke.sh"}
"""Files the docs name that a prepared script writes when it runs (here: on a GPU)."""


def test_every_repository_file_the_docs_name_exists():
    for result, script in FUTURE.items():
        assert result in (ROOT / script).read_text()
    for path in DOCS:
        for name in re.findall(
            r"`((?:slmconvert|bench|recipes|docs|scripts|tests)/[\w/.-]+)`", path.read_text()
        ):
            if "*" in name or "<" in name or name in FUTURE:
                continue
            assert (ROOT / name).exists(), f"{path.relative_to(ROOT)} names {name}"


def _resolves(dotted: str) -> bool:
    """Whether ``dotted`` is a module, or a name (possibly nested) inside one."""
    import importlib

    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            if not hasattr(target, name):
                return False
            target = getattr(target, name)
        return True
    return False


def test_every_module_and_name_the_docs_cite_exists():
    for path in DOCS:
        for dotted in re.findall(r"`(slmconvert(?:\.\w+)+)", path.read_text()):
            assert _resolves(dotted), f"{path.relative_to(ROOT)} cites {dotted}"


def test_the_docs_cite_no_reference_file_users_do_not_have():
    private = ("eval-metrics.md", "log-formats.md", "routing-and-rollout.md", "house-style.md")
    for path in DOCS:
        text = path.read_text()
        assert not [name for name in private if name in text], path.relative_to(ROOT)
