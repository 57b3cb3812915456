"""Building a module from cached parts: the runtime, one object per kernel, the entry.

A rendered module (render_module.py) is a set of distinct kernel files and one entry
file. Each kernel file, and the runtime (runtime.py), is compiled into an object file
kept in the cache under the key of its own text, so a kernel compiled for one graph
(another function, another signature, another process) is never compiled again. The
module is then its entry file compiled and linked with those objects, cached under a
key that covers the objects' keys: a new function made of known kernels compiles only
its entry. A module already in the cache is found from the keys alone, before any
object is looked at, so a warm start compiles and links nothing.

Missing objects are compiled in parallel, one compiler process per file, on up to
`jobs` threads (the machine's cores for a blocking compile, one fewer in the
background, so the reference executor keeps a core). Objects are pinned (usage.py)
before the link, the module once it is loaded, so eviction by another process never
removes them under us.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ...cache import compiled_library, compiled_object
from ...cache.store import entry_path, lookup
from ...cache.usage import pin
from .compiler import link_flags, object_flags
from .render_module import Rendered
from .runtime import HEADER, RUNTIME_SOURCE


def default_jobs() -> int:
    return os.cpu_count() or 1


@dataclass(frozen=True)
class Plan:
    """The files of one module and where each lives in the cache."""
    compiler: list[str]
    entry: str
    objects: tuple[tuple[str, str, str, str], ...]   # (kind, kernel name, source, path)
    module: str                                   # the module's cache path
    link_flags: list[str]


def plan(rendered: Rendered, compiler: list[str]) -> Plan:
    """The keys of the runtime, the kernels and the module, computed from their texts."""
    lflags = link_flags(len(rendered.entry) - len(HEADER))
    sources = [("runtime", "", RUNTIME_SOURCE)] + [("kernel", name, text)
                                                    for name, text in rendered.kernels.items()]
    objects = tuple((kind, name, text,
                     entry_path(text, compiler=compiler, flags=object_flags(kind),
                                output=".o"))
                    for kind, name, text in sources)
    module = entry_path(rendered.entry, compiler=compiler, flags=lflags,
                        objects=[path for *_, path in objects])
    return Plan(list(compiler), rendered.entry, objects, module, lflags)


def cached(p: Plan) -> str | None:
    """The module's path when the cache holds it intact (a hit), else None."""
    if lookup(p.module):
        _pin(p.module)
        return p.module
    return None


def build(p: Plan, jobs: int | None = None,
          also: Sequence[Callable[[], Any]] = ()) -> str:
    """Compile what is missing (objects in parallel, with the callables `also`), link,
    and return the module's path. Raises the first CompileError."""
    jobs = max(1, jobs or default_jobs())
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="tracer-cc") as pool:
        extra = [pool.submit(task) for task in also]
        futures = [pool.submit(compiled_object, text, compiler=p.compiler,
                               flags=object_flags(kind), kind=kind)
                   for kind, name, text, _ in p.objects]
        paths = [f.result() for f in futures]
        for f in extra:
            f.result()
    for path in paths:
        _pin(path)
    module = compiled_library(p.entry, compiler=p.compiler, flags=p.link_flags,
                              objects=paths, kind="module")
    _pin(module)
    return module


def _pin(path: str) -> None:
    name = os.path.basename(path)
    pin(os.path.dirname(path), name.split(".")[0])
