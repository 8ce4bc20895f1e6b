"""Which spaCy pipeline the analyzer loads: an installed NER model, or a blank one saved once.

Nothing here downloads anything: a named model must be installed or be a directory.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from importlib.util import find_spec
from pathlib import Path

from slmconvert.core.errors import ConfigError

LANGUAGE = "en"
AUTODETECT_MODELS = ("en_core_web_lg", "en_core_web_md", "en_core_web_sm")
"""spaCy packages used when installed, best first."""


def find_spacy_model(name: str | None) -> str | None:
    """The spaCy model to load: ``name`` if given (package or path), else the best installed
    ``en_core_web_*``, else None (use the blank pipeline). Never downloads anything."""
    if name is not None:
        if Path(name).expanduser().is_dir():
            return str(Path(name).expanduser())
        if _is_package(name):
            return name
        raise ConfigError(
            "pii.spacy_model: not an installed spaCy package nor a model directory",
            f"valid choices: {', '.join(AUTODETECT_MODELS)} (pip install <model>) or a path",
        )
    for candidate in AUTODETECT_MODELS:
        if _is_package(candidate):
            return candidate
    return None


def _is_package(name: str) -> bool:
    try:
        return find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def default_cache_dir() -> Path:
    """``$SLMCONVERT_CACHE_DIR``, else ``$XDG_CACHE_HOME/slmconvert``, else ``~/.cache/slmconvert``."""
    env = os.environ.get("SLMCONVERT_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "slmconvert"


def blank_model_path(cache_dir: str | os.PathLike | None = None) -> Path:
    """Save ``spacy.blank("en")`` once under the cache dir and return its path.

    Written to a temporary directory and renamed, so concurrent workers never read half a model.
    Falls back to the system temp dir when the cache dir is not writable.
    """
    import spacy

    bases = [Path(cache_dir)] if cache_dir else [default_cache_dir()]
    bases.append(Path(tempfile.gettempdir()) / "slmconvert")
    for base in bases:
        target = base / f"spacy-blank-en-{spacy.__version__}"
        if (target / "config.cfg").is_file():
            return target
        try:
            base.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=".blank-", dir=base))
            spacy.blank(LANGUAGE).to_disk(tmp)
            try:
                tmp.rename(target)
            except OSError:  # another process won the race
                shutil.rmtree(tmp, ignore_errors=True)
            if (target / "config.cfg").is_file():
                return target
        except OSError:
            continue
    raise ConfigError("pii: cannot write the blank spaCy pipeline", "set pii.cache_dir")
