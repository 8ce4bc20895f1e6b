"""Placeholder: parser being written."""
