"""compiled_library: build a C shared library once, keep it on disk, hand back its path.

An entry is four files named by its key in the cache folder: `<key>.so` (the
library), `<key>.json` (its sha256 and how it was built), `<key>.c` (the source,
kept for error messages and debugging) and `<key>.lock`. A build runs under the
key's flock, checks again, compiles into a temp file, writes the metadata, then
renames the library into place, so readers never see a partial library and
concurrent processes build each key once. A library whose bytes do not match
the stored checksum is rebuilt with one warning, never handed out.

`compiled_object` keeps object files the same way (`<key>.o`: the runtime and each
distinct kernel of the C backend), and `compiled_library(..., objects=[...])` links
them into a library whose key covers theirs. Every entry records its `kind` (module,
kernel, runtime, helper, library); a hit or a build is counted and marks the entry
used, and a build may evict the least recently used entries (usage.py).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

from . import files, usage
from .errors import CacheWarning, CompileError
from .key import cache_key, compiler_identity, tracer_version
from .location import cache_dir

_KEY_NAME = re.compile(r"^([0-9a-f]{64})\.")
OUTPUTS = (".so", ".o")         # what an entry holds: a library or an object file

_count_lock = threading.Lock()
_compiles = 0


def compile_count() -> int:
    """How many libraries this process has compiled (cache hits do not count)."""
    return _compiles


@dataclass(frozen=True)
class _Entry:
    directory: str
    key: str
    output: str = ".so"         # the built file's suffix: .so or .o

    def path(self, suffix: str) -> str:
        return os.path.join(self.directory, self.key + suffix)

    @property
    def built(self) -> str:
        return self.path(self.output)


@dataclass(frozen=True)
class Recipe:
    """What a build runs: `compiler + flags + [-o out, source, *objects]`."""
    source: str
    compiler: list[str]
    flags: list[str]
    objects: tuple[str, ...] = ()
    source_suffix: str = ".c"
    output: str = ".so"
    kind: str = "library"


def compiled_library(source: str, *, compiler: list[str], flags: list[str],
                     directory: str | None = None, source_suffix: str = ".c",
                     objects: Sequence[str] = (), kind: str = "library") -> str:
    """Absolute path of the library `compiler + flags + [-o out, src, *objects]` builds
    from `source` (objects: cached object files, see compiled_object).

    `directory` overrides the cache folder (default: tr.config.cache_dir, i.e.
    $TRACER_CACHE_DIR or ~/.cache/tracer). Raises CompileError if compiling fails.
    """
    return _cached(_recipe(source, compiler, flags, source_suffix, objects, ".so", kind),
                   directory)


def compiled_object(source: str, *, compiler: list[str], flags: list[str],
                    directory: str | None = None, kind: str = "object") -> str:
    """Absolute path of the object file `compiler + flags + [-c, -o out, src]` builds."""
    return _cached(_recipe(source, compiler, [*flags, "-c"], ".c", (), ".o", kind), directory)


def entry_path(source: str, *, compiler: list[str], flags: list[str],
               directory: str | None = None, objects: Sequence[str] = (),
               output: str = ".so") -> str:
    """Where the entry of this build lives (built or not); nothing is compiled."""
    flags = [*flags, "-c"] if output == ".o" else flags
    recipe = _recipe(source, compiler, flags, ".c", objects, output, "")
    return _entry(recipe, cache_dir(directory)).built


def lookup(path: str) -> bool:
    """Is the entry at `path` (from entry_path) complete and intact? A hit is counted."""
    name = os.path.basename(path)
    output = os.path.splitext(name)[1]
    entry = _Entry(os.path.dirname(path), name[:-len(output)], output)
    if _problem(entry) is not None:
        return False
    usage.hit(entry.directory, entry.key, _kind_of(entry))
    return True


def _recipe(source, compiler, flags, source_suffix, objects, output, kind) -> Recipe:
    if not isinstance(source, str):
        raise TypeError(f"compiled_library: `source` must be str, got {type(source).__name__}")
    return Recipe(source, [os.fspath(c) for c in compiler], [os.fspath(f) for f in flags],
                  tuple(os.fspath(o) for o in objects), source_suffix, output, kind)


def _entry(recipe: Recipe, location: str) -> _Entry:
    # objects are cache entries named by their keys: their names stand for their contents
    inputs = [os.path.basename(o) for o in recipe.objects]
    key = cache_key(recipe.source, recipe.compiler, recipe.flags, location,
                    recipe.source_suffix, inputs)
    return _Entry(location, key, recipe.output)


def _cached(recipe: Recipe, directory: str | None) -> str:
    location = cache_dir(directory)
    entry = _entry(recipe, location)
    if _problem(entry) is None:
        usage.hit(location, entry.key, recipe.kind)
        return entry.built
    with files.locked(entry.path(".lock")):
        problem = _problem(entry)           # another process may have built it meanwhile
        if problem is None:
            usage.hit(location, entry.key, recipe.kind)
            return entry.built
        if problem != "missing":
            warnings.warn(f"tracer cache entry {entry.built} is damaged ({problem}); "
                          "rebuilding it", CacheWarning, stacklevel=3)
        _build(entry, recipe)
    usage.built(location, entry.key, recipe.kind)
    return entry.built


def _kind_of(entry: _Entry) -> str:
    try:
        with open(entry.path(".json"), encoding="utf-8") as handle:
            return str(json.load(handle).get("kind", "library"))
    except (OSError, ValueError, AttributeError):
        return "library"


def _problem(entry: _Entry) -> str | None:
    """None if the entry is complete and intact, 'missing' if absent, else what is wrong."""
    library, meta_path = entry.built, entry.path(".json")
    have_library, have_meta = os.path.exists(library), os.path.exists(meta_path)
    if not have_library and not have_meta:
        return "missing"
    if not have_meta:
        return "its metadata file is missing"
    if not have_library:
        return "its library file is missing"
    try:
        with open(meta_path, encoding="utf-8") as handle:
            meta = json.load(handle)
        expected_size, expected_sha = int(meta["size"]), str(meta["sha256"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"unreadable metadata: {exc}"
    size = os.path.getsize(library)
    if size != expected_size:
        return f"library is {size} bytes, expected {expected_size}"
    if files.sha256_file(library) != expected_sha:
        return "library checksum does not match"
    return None


def _build(entry: _Entry, recipe: Recipe) -> None:
    """Compile into a temp file, record its checksum, then rename it into place."""
    global _compiles
    _remove_orphans(entry)
    source_path = entry.path(recipe.source_suffix)
    files.write_atomic(source_path, recipe.source.encode("utf-8"), prefix=entry.key + ".")
    identity = compiler_identity(recipe.compiler, entry.directory)
    output = files.temp_path(entry.directory, entry.key + ".", recipe.output + ".tmp")
    command = [identity["path"], *recipe.compiler[1:], *recipe.flags, "-o", output,
               source_path, *recipe.objects]
    try:
        _run_compiler(command, source_path)
        with _count_lock:
            _compiles += 1
        meta = {"sha256": files.sha256_file(output), "size": os.path.getsize(output),
                "compiler": identity["command"], "compiler_version": identity["version"],
                "flags": recipe.flags, "tracer": tracer_version(), "created": time.time(),
                "kind": recipe.kind,
                "objects": [os.path.basename(o) for o in recipe.objects]}
        files.fsync_file(output)
        files.write_atomic(entry.path(".json"), json.dumps(meta, indent=1).encode(),
                           prefix=entry.key + ".")
        files.publish(output, entry.built)
    finally:
        files.remove_quietly(output)
    files.fsync_dir(entry.directory)


def _remove_orphans(entry: _Entry) -> None:
    """Temp files of this key left by a killed process (we hold the key's lock: none is live)."""
    for name in _listdir(entry.directory):
        if name.startswith(entry.key + ".") and name.endswith(".tmp"):
            files.remove_quietly(os.path.join(entry.directory, name))


def _run_compiler(command: list[str], source_path: str) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True)
    except OSError as exc:
        raise CompileError(f"could not run the C compiler {command[0]!r}: {exc}",
                           command=command, source_path=source_path) from exc
    if done.returncode != 0:
        stderr = (done.stderr or done.stdout).strip()
        raise CompileError(
            f"C compilation failed (exit status {done.returncode}); source kept at "
            f"{source_path}\ncommand: {' '.join(command)}\n{stderr}",
            command=command, stderr=stderr, source_path=source_path)
    if os.path.getsize(command[command.index("-o") + 1]) == 0:
        raise CompileError(f"the C compiler produced an empty library from {source_path}",
                           command=command, source_path=source_path)


def info(directory: str | None = None) -> dict:
    """{'location', 'entries' (libraries), 'bytes' (every file in the folder)}."""
    location = cache_dir(directory)
    keys, total = set(), 0
    for name in _listdir(location):
        match = _KEY_NAME.match(name)
        if match is not None and name.endswith(OUTPUTS):
            keys.add(match.group(1))
        try:
            total += os.path.getsize(os.path.join(location, name))
        except OSError:
            pass                          # removed meanwhile
    return {"location": location, "entries": len(keys), "bytes": total}


def clear(directory: str | None = None) -> int:
    """Remove every entry (each under its lock); return how many libraries were removed."""
    location = cache_dir(directory)
    by_key: dict[str, list[str]] = {}
    for name in _listdir(location):
        match = _KEY_NAME.match(name)
        if match is not None:
            by_key.setdefault(match.group(1), []).append(name)
    removed = 0
    for key, names in sorted(by_key.items()):
        entry = _Entry(location, key)
        with files.locked(entry.path(".lock")):
            removed += sum(files.remove_quietly(entry.path(out)) for out in OUTPUTS)
            for name in [*names, key + ".json"]:
                if not name.endswith(".lock"):
                    files.remove_quietly(os.path.join(location, name))
            files.remove_quietly(entry.path(".lock"))   # waiters notice and retry
    for name in _listdir(location):
        if name.startswith("compiler-") and name.endswith(".json"):
            files.remove_quietly(os.path.join(location, name))   # --version memos
    files.remove_quietly(os.path.join(location, "stats.json"))  # hits and builds so far
    return removed


def _listdir(location: str) -> list[str]:
    try:
        return os.listdir(location)
    except FileNotFoundError:
        return []
