"""`bedrock-converse`: (being written) this module will register its parser."""
