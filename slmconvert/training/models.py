"""Find and load a base model the way users name it: catalog name, hub id, local path, local:tiny.

``local:tiny`` is the project's own test model (`slmconvert make-tiny-model`); it is built once
into the cache directory and reused. Everything else goes through ``from_pretrained`` exactly as
a hub model does, so the code path the tests take is the one real models take.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from slmconvert.core.errors import InputError, MissingDependencyError, StageError
from slmconvert.training import distributed

TINY = "local:tiny"
TINY_REVISION = "v2"  # bump when the tiny model's defaults change, so caches rebuild


@dataclass(frozen=True)
class ModelRef:
    """A base model: the name the user gave, what ``from_pretrained`` loads, its tool format."""

    name: str
    base: str
    tool_format: str = "hermes <tool_call> JSON"


def quiet() -> None:
    """Silence the libraries' own progress bars and import notices; slmconvert shows progress."""
    import logging
    import warnings

    logging.getLogger("bitsandbytes").setLevel(logging.ERROR)
    # transformers 5's trainer warns on every logged step about its own token count
    warnings.filterwarnings("ignore", message="To copy construct from a tensor")
    import datasets
    import transformers

    datasets.disable_progress_bars()
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()


def cache_root() -> Path:
    """Where slmconvert keeps built models (``$SLMCONVERT_CACHE`` or ~/.cache/slmconvert)."""
    root = os.environ.get("SLMCONVERT_CACHE")
    if root:
        return Path(root)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "slmconvert"


def tiny_model_path(log=None) -> Path:
    """The cached tiny model, built on first use (a few minutes on 2 cores)."""
    from slmconvert.training.tiny import build_tiny_model

    path = cache_root() / "models" / f"tiny-{TINY_REVISION}"
    if (path / "config.json").exists() and (path / "tokenizer.json").exists():
        return path
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    if log:
        log(f"building the tiny test model into {path} (once)")
    build_tiny_model(tmp, log=log)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(tmp, path)
    except OSError:  # another process finished first
        if not (path / "config.json").exists():
            raise
    return path


def resolve(name: str, log=None) -> ModelRef:
    """Turn a catalog name, hub id, local path or ``local:tiny`` into a loadable reference."""
    from slmconvert import catalog
    from slmconvert.core.errors import ConfigError

    try:
        spec = catalog.load(None).get(name)
    except ConfigError:  # not a catalog name: a hub id or a path
        spec = None
    hub = spec.hub_id if spec else name
    fmt = (spec.tool_format if spec and spec.tool_format else None) or "hermes <tool_call> JSON"
    label = spec.name if spec else name
    if hub == TINY:
        return ModelRef(label, str(tiny_model_path(log)), fmt)
    if Path(hub).expanduser().exists():
        return ModelRef(label, str(Path(hub).expanduser().resolve()), fmt)
    return ModelRef(label, hub, fmt)


def _not_found(ref: ModelRef, exc: Exception) -> InputError:
    offline = os.environ.get("HF_HUB_OFFLINE") == "1"
    hint = (
        "give a local path, or unset HF_HUB_OFFLINE to download it"
        if offline
        else "give a local path or a Hugging Face model id"
    )
    return InputError(
        f"model {ref.name}: not found as a local directory or on the hub ({type(exc).__name__})",
        hint,
    )


def load_tokenizer(ref: ModelRef):
    """The model's tokenizer, with the end-of-sequence token as pad token when it has none."""
    quiet()
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(ref.base)
    except (OSError, ValueError) as exc:
        raise _not_found(ref, exc) from None
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def device() -> str:
    """Where models run: ``cuda`` when a GPU is visible, else ``cpu``."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def compute_dtype(on: str | None = None):
    """The dtype to compute in: bf16 on GPUs that support it, fp16 on older GPUs, fp32 on CPU
    (a real checkpoint's bf16 weights would otherwise stay bf16 there, slow and lossy)."""
    import torch

    on = on or device()
    if on == "cpu":
        return torch.float32
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def load_model(ref: ModelRef, *, quantize_4bit: bool = False, dtype=None, on: str | None = None):
    """The causal LM; ``quantize_4bit`` loads it as NF4 with double quantisation (CUDA).

    ``on`` is ``cpu`` or ``cuda`` (default: CPU, as training on CPU needs; eval passes
    ``device()``); ``dtype`` defaults to ``compute_dtype`` there."""
    from transformers import AutoModelForCausalLM

    kwargs: dict = {}
    on = "cuda" if quantize_4bit else on or "cpu"
    if quantize_4bit:
        try:
            from transformers import BitsAndBytesConfig
        except ImportError:  # pragma: no cover - bitsandbytes is a declared dependency
            raise MissingDependencyError("bitsandbytes", "QLoRA") from None
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=compute_dtype("cuda"),
        )
    kwargs["dtype"] = dtype if dtype is not None else compute_dtype(on)
    if on == "cuda":  # under a multi-process launch, each process has its own GPU
        kwargs["device_map"] = {"": distributed.local_rank()}
    try:
        return AutoModelForCausalLM.from_pretrained(ref.base, **kwargs)
    except OSError as exc:
        raise _not_found(ref, exc) from None
    except ValueError as exc:
        raise StageError(f"model {ref.name}: cannot be loaded ({type(exc).__name__})") from None


def load_adapted(ref: ModelRef, adapter: Path, kind: str, on: str | None = None):
    """A fine-tuned model ready to generate, and its tokenizer.

    ``kind`` is ``model`` for a full fine-tune saved whole at ``adapter``, else ``adapter``: the
    base ``ref`` with the PEFT adapter at ``adapter`` on top.
    """
    tokenizer = load_tokenizer(ModelRef(ref.name, str(adapter), ref.tool_format))
    if kind == "model":
        return load_model(ModelRef(ref.name, str(adapter), ref.tool_format), on=on), tokenizer
    from peft import PeftModel

    return PeftModel.from_pretrained(load_model(ref, on=on), str(adapter)), tokenizer
