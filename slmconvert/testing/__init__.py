"""Test helpers that ship with the package: seeded example traffic and tiny local models."""
