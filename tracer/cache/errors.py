"""The cache's exception and warning types."""
from __future__ import annotations


class CacheWarning(UserWarning):
    """Something about the on-disk cache needed attention (damaged entry, unsafe folder)."""


class CompileError(RuntimeError):
    """The C compiler rejected a source; the message carries its stderr and the kept source."""

    def __init__(self, message: str, *, command: list[str] | None = None,
                 stderr: str = "", source_path: str | None = None) -> None:
        super().__init__(message)
        self.command = command
        self.stderr = stderr
        self.source_path = source_path


class CompilerNotFoundError(CompileError):
    """No C compiler at the given command: callers may fall back to the reference backend."""
