"""`gemini`: (being written) this module will register its parser."""
