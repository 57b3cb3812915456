"""tr.config: settings, read from TRACER_* environment variables at import."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from .. import cache, graph_opt
from ..backends import c as c_backend

BACKENDS = ("python", "c", "cuda")


def _env_backend() -> str:
    value = os.environ.get("TRACER_BACKEND", "c").strip().lower()
    if value not in BACKENDS:
        raise ValueError(f"TRACER_BACKEND={value!r}: expected one of {', '.join(BACKENDS)}")
    return value


def _env_threads() -> int:
    raw = os.environ.get("TRACER_NUM_THREADS", "")
    if not raw:
        return os.cpu_count() or 1
    threads = int(raw)
    if threads < 1:
        raise ValueError(f"TRACER_NUM_THREADS={raw!r}: expected a positive integer")
    return threads


def _env_background() -> bool:
    """TRACER_BACKGROUND_COMPILE: 0 (or false, no, off) makes every compile blocking."""
    raw = os.environ.get("TRACER_BACKGROUND_COMPILE", "1").strip().lower()
    return raw not in ("0", "false", "no", "off")


@dataclass
class Config:
    """Process-wide settings. Change attributes directly: `tr.config.backend = "python"`."""

    backend: str = field(default_factory=_env_backend)
    num_threads: int = field(default_factory=_env_threads)
    cache_dir: str = field(default_factory=cache.default_cache_dir)
    optimize: bool = field(default_factory=graph_opt.enabled)   # TRACER_OPTIMIZE=0: off
    # on a cache miss, run the reference executor while the C module builds in the
    # background (backends/c/background.py); TRACER_BACKGROUND_COMPILE=0: off
    background_compile: bool = field(default_factory=_env_background)
    # optimizer passes skipped by name, e.g. ("stabilize",) (TRACER_DISABLE_PASSES)
    disabled_passes: tuple = field(default_factory=graph_opt.disabled_passes)

    def __setattr__(self, name: str, value: object) -> None:
        if name == "backend" and value not in BACKENDS:
            raise ValueError(f"config.backend: expected one of {', '.join(BACKENDS)}, got {value!r}")
        if name in ("optimize", "background_compile") and not isinstance(value, bool):
            raise TypeError(f"config.{name}: expected True or False, got {value!r}")
        if name == "num_threads" and (not isinstance(value, int) or value < 1):
            raise ValueError(f"config.num_threads: expected a positive int, got {value!r}")
        if name == "disabled_passes":
            if isinstance(value, str) or not isinstance(value, (tuple, list, set, frozenset)):
                raise TypeError(f"config.disabled_passes: expected a tuple of pass names "
                                f"({', '.join(graph_opt.PASS_NAMES)}), got {value!r}")
            value = graph_opt.check_pass_names(sorted(value) if isinstance(value, (set, frozenset))
                                               else value)
        if name not in self.__dataclass_fields__:
            raise AttributeError(f"tr.config has no setting {name!r}")
        object.__setattr__(self, name, value)
        if name == "cache_dir":
            cache.set_cache_dir(value)
        if name == "num_threads":
            c_backend.set_num_threads(value)
        if name == "optimize":
            graph_opt.set_enabled(value)
        if name == "disabled_passes":
            graph_opt.set_disabled_passes(value)


config = Config()
