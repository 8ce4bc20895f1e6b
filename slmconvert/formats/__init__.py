"""Log formats collect reads. Importing this package registers every parser.

The import order is the detection order: the most specific layouts are sniffed first.
"""

from slmconvert.formats import (  # noqa: F401  (imported for registration)
    openai_batch,
    otel,
    langsmith,
    langfuse,
    litellm,
    anthropic,
    openai,
    openai_finetune,
    sharegpt,
)
from slmconvert.formats.registry import detect, get, names, parsers

__all__ = ["detect", "get", "names", "parsers"]
