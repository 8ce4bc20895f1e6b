"""`openai-responses`: (being written) this module will register its parser."""
