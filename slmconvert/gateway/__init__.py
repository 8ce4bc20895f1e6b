"""The gateway that executes a rollout: an OpenAI-compatible app that routes each call to
its cluster's SLM or the LLM, gates each step on live evidence, and falls back to the LLM."""
