"""Settings per stage, as pydantic models shared by the CLI options and by recipes.

A field's ``description`` is its help text everywhere: ``--help``, recipes/README.md and
validation errors, so the three cannot drift apart.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from slmconvert.core.errors import ConfigError

_T = TypeVar("_T")


class StageConfig(BaseModel):
    """Settings every stage shares."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    seed: int = Field(0, description="Random seed; the same seed and input give the same output.")


def ray_address_field():
    """The ``ray_address`` setting of every stage that can run on Ray."""
    return Field(
        None,
        description="With --engine ray: the Ray cluster to join (default: RAY_ADDRESS, else a "
        "local Ray on 127.0.0.1).",
    )


class CollectConfig(StageConfig):
    """Settings of `collect`: read agent logs into canonical records."""

    format: str | None = Field(
        None, description="Force one log format for every input instead of detecting it per file."
    )
    max_bad_ratio: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Fail (exit 2) when more than this share of records is malformed.",
    )
    dedup: bool = Field(
        True, description="Drop exact duplicates (same messages, tools and response)."
    )
    shard_rows: int = Field(50_000, gt=0, description="Records per Parquet shard under OUT/data/.")
    workers: int = Field(
        0,
        ge=0,
        description="Parsing processes in all (1 = this one only); 0 = auto: one below 32 MB "
        "of input or on one core, else one per core (up to 4).",
    )
    engine: Literal["local", "ray"] = Field(
        "local",
        description="local (processes on this machine) or ray (Ray tasks read and parse the "
        "files, which must be on storage every node sees; this machine reads their first "
        "objects only; pip install slmconvert[ray]).",
    )
    ray_address: str | None = ray_address_field()


class PiiConfig(StageConfig):
    """Settings of `pii`: find and replace personal data and secrets in every string."""

    mode: Literal["placeholder", "surrogate", "drop"] = Field(
        "placeholder",
        description="placeholder: <EMAIL_ADDRESS_1>; surrogate: consistent realistic fakes; "
        "drop: drop records holding any of drop_entities.",
    )
    entities: list[str] | None = Field(
        None, description="Entity types to find (default: Presidio's personal data + secrets)."
    )
    drop_entities: list[str] | None = Field(
        None, description="With mode drop: the entity types that drop a record (default: all)."
    )
    score_threshold: float = Field(
        0.5, ge=0, le=1, description="Minimum recognizer score for a finding to count."
    )
    allow_list: list[str] = Field(
        [], description="Values never redacted; 're:REGEX' matches the whole finding."
    )
    recognizers: list[dict[str, Any]] = Field(
        [],
        description="Extra regex recognizers: [{entity: CUSTOMER_ID, regex: 'CUST-\\d{6}', "
        "score: 0.9}].",
    )
    spacy_model: str | None = Field(
        None,
        description="spaCy model (package or path) for NER; default: en_core_web_lg/md/sm if "
        "installed, else a blank pipeline (NER off).",
    )
    workers: int = Field(0, ge=0, description="Analyser processes; 0 = one per core.")
    batch_size: int = Field(2_000, gt=0, description="Records scrubbed per batch.")
    engine: Literal["local", "ray"] = Field(
        "local",
        description="local (worker processes on this machine) or ray (Ray Data actors; "
        "pip install slmconvert[ray]).",
    )
    ray_address: str | None = ray_address_field()
    gazetteers: list[Literal["names", "places"]] = Field(
        ["names", "places"],
        description="Word lists that find names and places without NER: names (US census "
        "given names and surnames), places (GeoNames cities, towns and villages).",
    )

    def settings(self):
        """The scrubber's settings (validated again by the pii library)."""
        from slmconvert.pii import PiiSettings

        return plain(
            PiiSettings, self, custom_recognizers=self.recognizers, gazetteers=list(self.gazetteers)
        )


SIGNATURE_PARTS = ("tools", "system", "user", "workload")
REMOVED_CLUSTER = {
    "assign_noise": "calls beyond every cluster's calibrated distance bound stay on the LLM; "
    "the bounds live in OUT/router/",
    "noise_max_distance": "each cluster's distance bound is calibrated on the data and stored "
    "in OUT/router/",
    "reduce": "sub-tasks are always found in a PCA projection of `dims` dimensions",
}
RENAMED_PARTS = {
    "answer_kind": "the answer is unknown when a call arrives, so no router could follow it; "
    "use tools, system, user, workload",
    "answer_tool": "the answer is unknown when a call arrives; use tools, system, user, workload",
    "first_user": "renamed: use user",
    "last_user": "renamed: use user (the first user turn)",
}


class ClusterConfig(StageConfig):
    """Settings of `cluster`: group calls into the agent fleet's task types, from requests only."""

    signature: list[str] = Field(
        list(SIGNATURE_PARTS),
        description="Request-time parts that identify a task: tools, system, workload (the "
        "node), user (sub-tasks within a node).",
    )
    signature_weights: dict[str, float] = Field(
        {"tools": 1.0, "system": 1.0, "workload": 0.25},
        description="Weight of each node part (tools, system, workload) in the node distance.",
    )
    signature_chars: int = Field(400, gt=0, description="Characters kept of each signature part.")
    embedder: str = Field(
        "static-minilm",
        description="static-minilm (a model2vec embedder distilled locally from the packaged "
        "all-MiniLM-L6-v2, built once), all-MiniLM-L6-v2, or a sentence-transformers or "
        "model2vec model path.",
    )
    cache_dir: str | None = Field(
        None,
        description="Embedding cache of transformer embedders (default "
        "~/.cache/slmconvert/embeddings).",
    )
    no_cache: bool = Field(False, description="Do not read or write the embedding cache.")
    batch_size: int = Field(64, gt=0, description="Texts per embedding batch.")
    engine: Literal["local", "ray"] = Field(
        "local",
        description="local, or ray: large embedding batches (the user turns routed into "
        "sub-tasks) on Ray actors, GPU when the cluster has them (pip install slmconvert[ray]).",
    )
    ray_address: str | None = ray_address_field()
    workers: int = Field(0, ge=0, description="With --engine ray: embedding actors (0 = CPUs).")
    node_distance: float = Field(
        0.25,
        gt=0,
        lt=1,
        description="Structures (tools, system prompt, workload) closer than this weighted "
        "cosine distance are one agent node.",
    )
    min_cluster_size: int = Field(
        20,
        ge=2,
        description="Calls a cluster needs; smaller nodes and sub-tasks stay on the LLM as noise.",
    )
    min_samples: int = Field(
        5,
        gt=0,
        description="HDBSCAN min_samples for sub-tasks: lower splits more readily, higher less.",
    )
    dims: int = Field(10, gt=1, description="PCA dimensions of the user turns for sub-tasks.")
    subtask_min_share: float = Field(
        0.1, gt=0, lt=1, description="Share of its node a sub-task needs to be split off."
    )
    subtask_separation: float = Field(
        0.25,
        ge=-1,
        le=1,
        description="Silhouette a node's sub-tasks need to be kept apart (higher: fewer splits).",
    )
    previous: str | None = Field(
        None,
        description="An earlier cluster directory: clusters that persist keep its ids.",
    )
    eval_share: float = Field(
        0.2, gt=0, lt=1, description="Share of each cluster held out for eval."
    )
    min_eval: int = Field(
        10, ge=1, description="Held-out calls per cluster at least (when it has them)."
    )
    max_eval: int = Field(500, ge=1, description="Held-out calls per cluster at most.")
    allow_unscrubbed: bool = Field(
        False, description="Accept input that has not been through `slmconvert pii` (recorded)."
    )

    @model_validator(mode="before")
    @classmethod
    def _removed(cls, values: Any) -> Any:
        for key in REMOVED_CLUSTER:
            if isinstance(values, dict) and key in values and values[key] is not None:
                raise ConfigError(f"cluster setting `{key}` was removed: {REMOVED_CLUSTER[key]}")
        return values

    @field_validator("signature")
    @classmethod
    def _known_parts(cls, value: list[str]) -> list[str]:
        for part in value:
            if part in RENAMED_PARTS:
                raise ConfigError(f"signature part `{part}` was removed: {RENAMED_PARTS[part]}")
        unknown = [p for p in value if p not in SIGNATURE_PARTS]
        if unknown or not {"tools", "system"} & set(value):
            raise ValueError(
                f"parts must be some of {', '.join(SIGNATURE_PARTS)}, with tools or system"
            )
        return value

    @field_validator("signature_weights")
    @classmethod
    def _weights(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - {"tools", "system", "workload"})
        if unknown or any(w < 0 for w in value.values()):
            raise ValueError("weights are non-negative numbers for tools, system, workload")
        return value

    def node_weights(self) -> dict[str, float]:
        """The node distance's weights, zero for parts the signature leaves out."""
        base = {"tools": 1.0, "system": 1.0, "workload": 0.25} | self.signature_weights
        return {p: (base[p] if p in self.signature else 0.0) for p in base}


def build(model: type[StageConfig], values: dict[str, Any], where: str = "option") -> StageConfig:
    """Validate ``values`` into ``model``; errors become one ConfigError naming the key path."""
    try:
        return model(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "?"
        raise ConfigError(f"{where} {key}: {first['msg']}") from None


def describe(model: type[StageConfig], name: str) -> str:
    """The help text of one setting."""
    return model.model_fields[name].description or ""


def plain(cls: type[_T], settings: BaseModel, **given: Any) -> _T:
    """Dataclass ``cls`` built from the same-named fields of the settings model ``settings``.

    How a stage hands its settings to a library: the library declares a small dataclass of
    the fields it reads and never imports this module. Each init field of ``cls`` takes the
    value of the settings field of the same name (the same object, not a copy), or the value
    in ``given`` (a field named otherwise, or derived); a field neither has keeps its default,
    and a TypeError names it when it has none.
    """
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls.__name__} is not a dataclass")
    known = type(settings).model_fields
    found = {
        f.name: getattr(settings, f.name)
        for f in dataclasses.fields(cls)
        if f.init and f.name in known
    }
    return cls(**(found | given))


class SelectConfig(StageConfig):
    """Settings of `select`: choose small models per task cluster from the model catalog."""

    catalog: str | None = Field(
        None,
        description="Model catalog YAML (default: the bundled slmconvert/catalog/models.yaml).",
    )
    max_params: float | None = Field(
        None, gt=0, description="Reject models with more parameters than this, in billions."
    )
    gpu_memory_gb: float | None = Field(
        None,
        gt=0,
        description="Reject models whose estimated QLoRA training memory (at --train-batch-size, "
        "--train-seq-len and --lora-r) exceeds this many GB.",
    )
    train_seq_len: int = Field(
        2048,
        gt=0,
        description="Sequence length training pads or cuts to: finetune's --max-seq-len.",
    )
    train_batch_size: int = Field(
        8, gt=0, description="Examples per training step: finetune's --batch-size."
    )
    lora_r: int = Field(16, gt=0, description="LoRA rank: finetune's --lora-r.")
    licenses: list[str] | None = Field(
        None, description="Allowed licence ids, e.g. apache-2.0,mit; other models are rejected."
    )
    models: list[str] | None = Field(
        None, description="Only consider these catalog models (names or hub ids)."
    )
    top_k: int = Field(3, ge=1, description="Candidates kept per cluster, best first.")
    min_records: int = Field(
        50, ge=1, description="Clusters with fewer training records stay on the LLM."
    )
    include_test_models: bool = Field(
        False, description="Also consider test-only catalog models (the local tiny-test)."
    )
    allow_unscrubbed: bool = Field(
        False, description="Accept input that has not been through `slmconvert pii` (recorded)."
    )

    @field_validator("licenses", "models")
    @classmethod
    def _split_commas(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        items = [part.strip() for item in value for part in item.split(",") if part.strip()]
        if not items:
            raise ValueError("must name at least one")
        return items


class FinetuneConfig(StageConfig):
    """Settings of `finetune`: train one adapter per cluster on its train split."""

    clusters: list[int] | None = Field(
        None, description="Only these cluster ids (default: every cluster with a candidate)."
    )
    model: str | None = Field(
        None,
        description="Base model for every cluster: catalog name, hub id or local path "
        "(default: each cluster's first candidate from select).",
    )
    method: Literal["auto", "lora", "qlora", "full"] = Field(
        "auto",
        description="auto: QLoRA on CUDA, LoRA on CPU; qlora needs CUDA and bitsandbytes; "
        "full trains every weight (tiny models only).",
    )
    lora_r: int = Field(16, gt=0, description="LoRA rank.")
    lora_alpha: int = Field(32, gt=0, description="LoRA alpha (scale = alpha / r).")
    lora_dropout: float = Field(0.05, ge=0, lt=1, description="LoRA dropout.")
    target_modules: list[str] | str = Field(
        "all-linear",
        description="Modules that get LoRA weights: all-linear, or names like q_proj,v_proj.",
    )
    epochs: float = Field(3.0, gt=0, description="Passes over each cluster's train split.")
    max_steps: int = Field(0, ge=0, description="Stop after this many steps (0 = use epochs).")
    batch_size: int = Field(8, gt=0, description="Examples per optimiser step.")
    learning_rate: float = Field(
        2e-4, gt=0, description="Peak learning rate (cosine decay, 5% warm-up)."
    )
    max_seq_len: int = Field(
        2048, gt=0, description="Tokens per example; longer ones are handled by --overflow."
    )
    overflow: Literal["truncate", "drop"] = Field(
        "drop",
        description="Examples over --max-seq-len: drop them, or truncate the prompt from the "
        "left (both are counted).",
    )
    max_train: int = Field(
        0, ge=0, description="Use at most this many training records per cluster (0 = all)."
    )
    media: Literal["skip", "placeholder"] = Field(
        "skip",
        description="Calls holding an image, audio, video or file: skip them (counted; the "
        "base model reads text only), or train on them with <image>-style placeholders.",
    )
    save_steps: int = Field(50, gt=0, description="Checkpoint every this many steps (resume).")
    threads: int = Field(0, ge=0, description="CPU threads for torch (0 = all cores).")
    allow_unscrubbed: bool = Field(
        False, description="Accept input that has not been through `slmconvert pii` (recorded)."
    )
    engine: Literal["local", "ray"] = Field(
        "local",
        description="local (clusters one after another) or ray (one Ray task per cluster, in "
        "parallel; pip install slmconvert[ray]).",
    )
    ray_address: str | None = ray_address_field()
    gpu_share: float = Field(
        1.0, gt=0, le=8,
        description="With --engine ray on GPUs: GPUs per adapter (0.5 lets two small adapters "
        "share one).",
    )  # fmt: skip

    @field_validator("target_modules")
    @classmethod
    def _targets(cls, value: list[str] | str) -> list[str] | str:
        if isinstance(value, str) and value != "all-linear":
            value = [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, list):
            value = [p.strip() for item in value for p in item.split(",") if p.strip()]
            if not value:
                raise ValueError("must name at least one module, or all-linear")
        return value


class EvalConfig(StageConfig):
    """Settings of `eval`: score each adapter against the LLM's logged answers."""

    clusters: list[int] | None = Field(None, description="Only these cluster ids.")
    max_eval: int = Field(
        0, ge=0, description="Score at most this many held-out calls per cluster (0 = all)."
    )
    batch_size: int = Field(8, gt=0, description="Prompts per generation batch.")
    max_new_tokens: int = Field(256, gt=0, description="Tokens generated per answer at most.")
    samples: int = Field(
        1,
        ge=1,
        description="Self-consistent action generation: sample K answers, drop invalid ones, "
        "majority vote (1 = greedy only).",
    )
    temperature: float = Field(0.4, gt=0, description="Sampling temperature with --samples.")
    top_p: float = Field(0.8, gt=0, le=1, description="Nucleus sampling with --samples.")
    similarity_threshold: float = Field(
        0.8,
        gt=0,
        le=1,
        description="Embedding cosine similarity at which a free-text argument or text answer "
        "counts as a meaning-level match.",
    )
    baseline: bool = Field(True, description="Also score the base model without the adapter.")
    threads: int = Field(0, ge=0, description="CPU threads for torch (0 = all cores).")
    engine: Literal["transformers", "vllm"] = Field(
        "transformers",
        description="transformers (batched, on the GPU when there is one) or vllm (offline "
        "LLM with the adapter as LoRA; needs vllm installed and CUDA).",
    )


class DeployConfig(StageConfig):
    """Settings of `deploy`: the gated progressive-rollout manifest and serving configs."""

    gate_metric: str = Field(
        "tool_call_match",
        description="Metric whose Wilson 95% lower bound gates promotion (tool-call clusters); "
        "text clusters use text_similarity_match.",
    )
    gate_threshold: float = Field(
        0.95, gt=0, le=1, description="Promote when the gate metric's Wilson lower bound >= this."
    )
    schedule: list[int] = Field(
        [0, 5, 25, 50, 100],
        description="Traffic percentages of the rollout steps (0 = shadow).",
    )
    min_samples: int = Field(
        200, gt=0, description="Live calls a rollout step must see before the next one."
    )
    max_invalid_rate: float = Field(
        0.02, ge=0, le=1, description="Invalid-output rate above which a step rolls back."
    )
    llm_price_in: float | None = Field(
        None,
        ge=0,
        description="LLM USD per million input tokens, when the logs carry no cost_usd.",
    )
    llm_price_out: float | None = Field(
        None,
        ge=0,
        description="LLM USD per million output tokens, when the logs carry no cost_usd.",
    )
    timeout_ms: int = Field(
        2000, gt=0, description="SLM latency after which the router falls back to the LLM."
    )
    llm_model: str | None = Field(
        None, description="The LLM's name in the router config (default: the most logged model)."
    )
    audit_rate: float = Field(
        0.05,
        ge=0,
        le=1,
        description="Share of SLM answers the gateway also sends to the LLM to keep measuring "
        "agreement; the savings count them, and the fallbacks eval's invalid rate predicts.",
    )

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: list[int]) -> list[int]:
        if (
            not value
            or value[-1] != 100
            or any(b <= a for a, b in zip(value, value[1:], strict=False))
        ):
            raise ValueError("must rise strictly and end at 100")
        if any(v < 0 or v > 100 for v in value):
            raise ValueError("percentages must lie in 0..100")
        return value
