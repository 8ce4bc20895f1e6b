"""The model catalog: small models `select` can choose from, as data (``models.yaml``).

A catalog is YAML with a ``serving`` block (the assumptions behind the cost estimate) and a list
of ``models``, validated by the pydantic models below. Any problem becomes one ConfigError line
naming the file, the YAML line where it can, and the field path, e.g.
``my.yaml:14: models[3].context_length: must be > 0``.

Memory and cost are not stored: they are computed from the catalog's fields by the formulas in
:mod:`slmconvert.catalog.memory`, so a user catalog needs only the facts from a model card.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from slmconvert.catalog import memory
from slmconvert.core.errors import ConfigError

DEFAULT_PATH = Path(__file__).with_name("models.yaml")
ANY_LANGUAGE = "*"


class Serving(BaseModel):
    """Assumptions behind the serving-cost estimate (see slmconvert.catalog.memory)."""

    model_config = ConfigDict(extra="forbid")

    gpu: str = Field(description="The GPU the estimate assumes, in words.")
    gpu_hour_usd: float = Field(gt=0, description="Price of one GPU hour in USD.")
    tokens_per_second_1b: float = Field(
        gt=0, description="Batched decode tokens/s of a 1B model; scales as 1/params."
    )
    max_tokens_per_second: float = Field(gt=0, description="Throughput ceiling for tiny models.")


class ModelSpec(BaseModel):
    """One small model, with facts from its model card."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, pattern=r"^\S+$", description="Short name for --models.")
    hub_id: str = Field(min_length=1, description="Hugging Face repo id, or local:NAME.")
    params_b: float = Field(gt=0, description="Parameters, in billions.")
    context_length: int = Field(gt=0, description="Native context window, in tokens.")
    license: str = Field(min_length=1, description="Licence id, e.g. apache-2.0, mit, llama3.2.")
    tool_calling: bool = Field(description="Whether the chat template renders tools natively.")
    tool_format: str | None = Field(None, description="How the template writes tool calls.")
    languages: list[str] = Field(min_length=1, description="ISO 639-1 codes; '*' = 100+.")
    architecture: str = Field(min_length=1, description="transformers model_type.")
    hidden_size: int = Field(gt=0, description="Model width (config hidden_size).")
    num_layers: int = Field(gt=0, description="Decoder layers (config num_hidden_layers).")
    vocab_size: int | None = Field(None, gt=0, description="Tokenizer vocabulary size.")
    num_key_value_heads: int | None = Field(None, gt=0, description="KV heads (GQA).")
    head_dim: int | None = Field(None, gt=0, description="Dimension per attention head.")
    attention_layers: int | None = Field(
        None, gt=0, description="Layers with attention (KV cache), for hybrids; default all."
    )
    tie_word_embeddings: bool | None = Field(
        None, description="Whether lm_head shares the embedding matrix (unknown: untied)."
    )
    benchmarks: dict[str, float] = Field(
        default_factory=dict, description="Published scores from the card, in percent."
    )
    serving_usd_per_mtok: float | None = Field(
        None, gt=0, description="Override of the computed serving cost per million tokens."
    )
    test_only: bool = Field(False, description="Only a candidate when explicitly allowed.")
    source: str = Field(min_length=1, description="Where the facts come from (model card URL).")
    notes: str | None = None

    def supports_language(self, code: str) -> bool:
        """Whether the card lists ``code`` (or claims 100+ languages)."""
        return ANY_LANGUAGE in self.languages or code in self.languages

    @property
    def inference_bf16_gb(self) -> float:
        """Memory to serve in bf16 (slmconvert.catalog.memory.inference_bf16_gb)."""
        return memory.inference_bf16_gb(self.params_b)

    @property
    def inference_4bit_gb(self) -> float:
        """Memory to serve with 4-bit weights (slmconvert.catalog.memory.inference_4bit_gb)."""
        return memory.inference_4bit_gb(self.params_b)

    @property
    def shape(self) -> memory.Shape:
        """The fields the memory formulas read."""
        return memory.Shape(
            self.params_b, self.hidden_size, self.num_layers, self.vocab_size,
            self.num_key_value_heads, self.head_dim, self.attention_layers,
            self.tie_word_embeddings,
        )  # fmt: skip

    def train_gb(self, setup: memory.TrainSetup | None = None) -> float:
        """Fine-tuning memory the way ``setup`` trains (default: finetune's QLoRA defaults)."""
        return memory.train_gb(self.shape, setup or memory.TrainSetup())

    def serving_gb(self, tokens: int, sequences: int = 8) -> float:
        """bf16 serving memory with the KV cache of ``sequences`` calls of ``tokens``."""
        return memory.serving_bf16_gb(self.shape, tokens, sequences)

    def serving_cost(self, serving: Serving) -> float:
        """Self-hosted USD per million tokens: the override, else the stated formula."""
        if self.serving_usd_per_mtok is not None:
            return self.serving_usd_per_mtok
        return memory.serving_usd_per_mtok(
            self.params_b,
            serving.gpu_hour_usd,
            serving.tokens_per_second_1b,
            serving.max_tokens_per_second,
        )


class Catalog(BaseModel):
    """A validated catalog; ``path`` and ``sha256`` say which file it came from."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(1, ge=1, le=1, description="Catalog format version.")
    serving: Serving
    models: list[ModelSpec] = Field(min_length=1)
    _path: str = PrivateAttr("")
    _sha256: str = PrivateAttr("")

    @property
    def path(self) -> str:
        return self._path

    @property
    def sha256(self) -> str:
        return self._sha256

    def names(self) -> list[str]:
        """Model names, in catalog order."""
        return [m.name for m in self.models]

    def get(self, name: str) -> ModelSpec:
        """The model named ``name`` (or with that hub id), case-insensitively."""
        wanted = name.strip().lower()
        for spec in self.models:
            if wanted in (spec.name.lower(), spec.hub_id.lower()):
                return spec
        raise ConfigError(
            f"no model named '{name}' in the catalog {self.path}",
            f"known models: {', '.join(self.names())}",
        )


_MESSAGES = {
    "missing": lambda e: "required field missing",
    "greater_than": lambda e: f"must be > {e['ctx']['gt']:g}",
    "greater_than_equal": lambda e: f"must be >= {e['ctx']['ge']:g}",
    "less_than_equal": lambda e: f"must be <= {e['ctx']['le']:g}",
    "too_short": lambda e: "must not be empty",
    "string_too_short": lambda e: "must not be empty",
    "string_pattern_mismatch": lambda e: "must not contain spaces",
    "bool_type": lambda e: "must be true or false",
    "bool_parsing": lambda e: "must be true or false",
    "int_type": lambda e: "must be an integer",
    "int_parsing": lambda e: "must be an integer",
    "int_from_float": lambda e: "must be an integer",
    "float_type": lambda e: "must be a number",
    "float_parsing": lambda e: "must be a number",
    "string_type": lambda e: "must be a string",
    "list_type": lambda e: "must be a list",
    "dict_type": lambda e: "must be a mapping",
    "model_type": lambda e: "must be a mapping",
}


def _format_loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _known_fields(loc: tuple) -> list[str]:
    parent = loc[:-1]
    if not parent:
        return list(Catalog.model_fields)
    if parent[0] == "serving":
        return list(Serving.model_fields)
    return list(ModelSpec.model_fields)


def _message(error: dict) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown field; known: {', '.join(_known_fields(error['loc']))}"
    if kind in _MESSAGES:
        return _MESSAGES[kind](error)
    text = error["msg"]
    return text[:1].lower() + text[1:]


def _line_of(root: yaml.Node | None, loc: tuple) -> int | None:
    """The YAML line (1-based) of the deepest node ``loc`` reaches."""
    if root is None:
        return None
    node, line = root, root.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key, value in node.value:
                if key.value == part:
                    node, line = value, key.start_mark.line + 1
                    break
            else:
                break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _where(path: Path, line: int | None) -> str:
    return f"{path}:{line}" if line else str(path)


def parse(text: str, path: str | Path = "<catalog>") -> Catalog:
    """Validate catalog YAML ``text``; errors are one ConfigError line with file, line and field."""
    path = Path(path)
    try:
        raw = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(f"{_where(path, line)}: invalid YAML: {problem}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{_where(path, 1)}: top level must be a mapping with 'models'")
    try:
        catalog = Catalog.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        line = _line_of(root, first["loc"])
        raise ConfigError(
            f"{_where(path, line)}: {_format_loc(first['loc'])}: {_message(first)}"
        ) from None
    _check_unique(catalog, root, path)
    catalog._path = str(path)
    catalog._sha256 = hashlib.sha256(text.encode()).hexdigest()
    return catalog


def _check_unique(catalog: Catalog, root: Any, path: Path) -> None:
    seen: dict[str, int] = {}
    for i, spec in enumerate(catalog.models):
        key = spec.name.lower()
        if key in seen:
            line = _line_of(root, ("models", i, "name"))
            raise ConfigError(
                f"{_where(path, line)}: models[{i}].name: same name as models[{seen[key]}]"
            )
        seen[key] = i


def load(path: str | Path | None = None) -> Catalog:
    """Load and validate a catalog file; ``None`` loads the bundled ``models.yaml``."""
    path = Path(path) if path is not None else DEFAULT_PATH
    if not path.is_file():
        raise ConfigError(f"{path}: no such catalog file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({type(exc).__name__})") from None
    return parse(text, path)
