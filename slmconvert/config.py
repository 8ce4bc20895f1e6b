"""Settings per stage, as pydantic models shared by the CLI options and by recipes.

A field's ``description`` is its help text everywhere: ``--help``, recipes/README.md and
validation errors, so the three cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from slmconvert.errors import ConfigError


class StageConfig(BaseModel):
    """Settings every stage shares."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    seed: int = Field(0, description="Random seed; the same seed and input give the same output.")


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
        description="Parser processes; 0 = one per core (up to 4) for inputs over 32 MB, else 1.",
    )


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
