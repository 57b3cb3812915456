"""Where the cache lives, and the check that nobody else can write there.

A library loaded from the cache runs with the user's rights, so a folder that
another user can write is a code-injection hole: it is refused (one warning)
and this process uses a fresh private temporary folder instead.
"""
from __future__ import annotations

import atexit
import os
import shutil
import stat
import tempfile
import threading
import warnings

from .errors import CacheWarning

ENV_VAR = "TRACER_CACHE_DIR"

_lock = threading.Lock()
_override: str | None = None          # set by tr.config.cache_dir
_resolved: dict[str, str] = {}        # requested folder -> folder actually used


def default_cache_dir() -> str:
    """$TRACER_CACHE_DIR, else $XDG_CACHE_HOME/tracer, else ~/.cache/tracer."""
    explicit = os.environ.get(ENV_VAR)
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(base, "tracer")


def set_cache_dir(path: str | None) -> None:
    """Use `path` from now on (None: back to the environment's default)."""
    global _override
    _override = os.fspath(path) if path is not None else None


def requested_cache_dir(directory: str | None = None) -> str:
    """The folder asked for: the explicit argument, else tr.config's, else the default."""
    chosen = directory if directory is not None else (_override or default_cache_dir())
    return os.path.abspath(os.path.expanduser(os.fspath(chosen)))


def cache_dir(directory: str | None = None) -> str:
    """The folder this process uses: created private (0700), or a private temporary one."""
    requested = requested_cache_dir(directory)
    with _lock:
        if requested not in _resolved or not os.path.isdir(_resolved[requested]):
            _resolved[requested] = _resolve(requested)     # first use, or deleted since
        return _resolved[requested]


def _resolve(requested: str) -> str:
    problem = _prepare(requested)
    if problem is None:
        return requested
    fallback = tempfile.mkdtemp(prefix="tracer-cache-")   # mode 0700 by construction
    atexit.register(shutil.rmtree, fallback, True)
    warnings.warn(f"tracer cache folder {requested} refused: {problem}; "
                  f"using the private temporary folder {fallback} for this process",
                  CacheWarning, stacklevel=4)
    return fallback


def _prepare(path: str) -> str | None:
    """Create `path` private if missing; return why it is unsafe or unusable, or None."""
    if not os.path.lexists(path):
        try:
            os.makedirs(path, mode=0o700)
            os.chmod(path, 0o700)     # makedirs' mode is filtered by the umask
        except FileExistsError:
            pass                      # another process created it first: check it below
        except OSError as exc:
            return f"cannot create it ({exc.strerror})"
    return unsafe_reason(path)


def unsafe_reason(path: str) -> str | None:
    """Why `path` is not a folder private to this user, or None when it is."""
    try:
        info = os.stat(path)
    except OSError as exc:
        return f"cannot read it ({exc.strerror})"
    if not stat.S_ISDIR(info.st_mode):
        return "it is not a folder"
    if info.st_uid != os.getuid():
        return f"it is owned by another user (uid {info.st_uid})"
    mode = stat.S_IMODE(info.st_mode)
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"others can write it (mode {mode:04o})"
    if not os.access(path, os.W_OK | os.X_OK):
        return "this user cannot write it"
    return None
