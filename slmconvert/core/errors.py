"""One error hierarchy for slmconvert; `cli.py` catches it once and maps it to an exit code.

Messages name files, lines, fields and valid choices, never a field's value: logs hold personal
data until the pii stage has run.
"""

from __future__ import annotations


class SlmconvertError(Exception):
    """Base error: a one-line message, an optional hint, and the process exit code."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message


class ConfigError(SlmconvertError):
    """A setting, option, recipe or catalog is invalid."""

    exit_code = 2


class InputError(SlmconvertError):
    """An input path or stage directory is missing, unreadable or of the wrong kind."""

    exit_code = 2


class BadRecord(SlmconvertError):
    """One log record is malformed; collect skips and counts it. `field` names where, never what."""

    exit_code = 2

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class OutputExistsError(SlmconvertError):
    """The output directory exists and --force was not given."""

    exit_code = 2


class MissingDependencyError(SlmconvertError):
    """An optional dependency is not installed."""

    exit_code = 3

    def __init__(self, package: str, purpose: str):
        super().__init__(f"{purpose} needs the package '{package}'", f"pip install {package}")


class StageError(SlmconvertError):
    """A stage ran but could not produce a usable result."""

    exit_code = 1
