# ruff: noqa: I001  (the import order below is the detection order; do not sort it)
"""Log formats collect reads. Importing this package registers every parser.

The import order is the detection order: the most specific layouts are sniffed first.
"""

from slmconvert.formats import (  # noqa: F401  (imported for registration)
    openai_agents,
    bedrock,
    gemini,
    openai_responses,
    anthropic,
    langfuse,
    langsmith,
    litellm,
    openai,
    openai_batch,
    openai_finetune,
    otel,
    sharegpt,
)
from slmconvert.formats.registry import detect, get, names, parsers

__all__ = ["detect", "get", "names", "parsers"]
