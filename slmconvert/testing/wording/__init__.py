"""The example traffic's word tables, one module per task (plus the shared catalogue)."""
