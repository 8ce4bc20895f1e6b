"""slmconvert: turn an LLM agent's logs into specialised small language models."""

__version__ = "0.1.0"
