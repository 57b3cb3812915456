"""How the cache is used: hit counts, last use, pins, and least-recently-used eviction.

* Hits and builds are counted per kind of entry (module, kernel, runtime, helper,
  library) in the process, and added to `stats.json` in the cache folder at exit
  (under `stats.lock`), so `python -m tracer cache info` can report hit rates.
* An entry's last use is its metadata file's mtime: set when it is built, and again the
  first time a process finds it (one utime per entry and process).
* A process pins the entries it has loaded or is linking: it holds an exclusive flock on
  a pin file of its own (`pins/<pid>-<random>.pin`, one descriptor per process and
  folder) for as long as it lives, and appends each pinned key to it. Eviction reads
  every pin file whose lock it cannot take (its process is alive) and never removes
  those keys; a pin file it can lock belongs to a dead process and is removed.
* Eviction: when the entries' size passes the limit (TRACER_CACHE_MAX_BYTES, default
  2 GiB; suffixes K, M, G; 0 turns the limit off), the least recently used unpinned
  entries are removed, each under its key's lock, until the size is under 90% of the
  limit. It runs after a build, at most once per EVICT_INTERVAL seconds per process.
"""
from __future__ import annotations

import atexit
import errno
import fcntl
import json
import os
import re
import threading
import time
import uuid
from typing import Any

from . import files

ENV_MAX = "TRACER_CACHE_MAX_BYTES"
DEFAULT_MAX_BYTES = 2 << 30
EVICT_INTERVAL = 2.0
_KEY = re.compile(r"^([0-9a-f]{64})\.(so|o|json|c|lock)$")
_OUTPUTS = (".so", ".o")

_lock = threading.RLock()
_counts: dict[str, dict[str, list[int]]] = {}     # folder -> kind -> [hits, builds]
_touched: set[tuple[str, str]] = set()
_pin_files: dict[str, Any] = {}                   # folder -> open pin file
_pinned: dict[str, set[str]] = {}
_last_evict: dict[str, float] = {}


def max_bytes() -> int:
    """The size limit from TRACER_CACHE_MAX_BYTES (0: no limit)."""
    raw = os.environ.get(ENV_MAX, "").strip().upper()
    if not raw:
        return DEFAULT_MAX_BYTES
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(raw[-1:], 1)
    number = raw[:-1] if raw[-1:] in "KMG" else raw
    try:
        return max(int(float(number) * scale), 0)
    except ValueError:
        raise ValueError(f"{ENV_MAX}={raw!r}: expected a size in bytes, e.g. 2G, 500M or "
                         "1000000 (0: no limit)") from None


def _count(location: str, kind: str, column: int) -> None:
    with _lock:
        if not _counts:
            atexit.register(save_counts)
        _counts.setdefault(location, {}).setdefault(kind, [0, 0])[column] += 1


def hit(location: str, key: str, kind: str) -> None:
    """The entry `key` was found intact: count it and mark it used."""
    _count(location, kind, 0)
    if (location, key) not in _touched:
        _touched.add((location, key))
        try:
            os.utime(os.path.join(location, key + ".json"))
        except OSError:
            pass                                  # removed meanwhile: nothing to mark


def built(location: str, key: str, kind: str) -> None:
    """The entry `key` was just built: count it; evict if the folder is too large."""
    _count(location, kind, 1)
    _touched.add((location, key))
    now = time.monotonic()
    if now - _last_evict.get(location, -EVICT_INTERVAL) >= EVICT_INTERVAL:
        _last_evict[location] = now
        evict(location)


def save_counts() -> None:
    """Add this process's counts to each folder's stats.json (at exit)."""
    with _lock:
        pending = {loc: {k: list(v) for k, v in kinds.items()} for loc, kinds in _counts.items()}
        _counts.clear()
    for location, kinds in pending.items():
        try:
            with files.locked(os.path.join(location, "stats.lock")):
                stats = read_stats(location)
                for kind, (hits, builds) in kinds.items():
                    old = stats.setdefault(kind, {"hits": 0, "builds": 0})
                    old["hits"] += hits
                    old["builds"] += builds
                files.write_atomic(os.path.join(location, "stats.json"),
                                   json.dumps(stats, indent=1).encode(), prefix="stats.")
        except OSError:
            pass                                  # the folder went away: stats are best effort


def read_stats(location: str) -> dict[str, dict[str, int]]:
    """Hits and builds per kind recorded in the folder (by processes that have exited)."""
    try:
        with open(os.path.join(location, "stats.json"), encoding="utf-8") as handle:
            data = json.load(handle)
        return {str(k): {"hits": int(v["hits"]), "builds": int(v["builds"])}
                for k, v in data.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def process_counts(location: str) -> dict[str, list[int]]:
    with _lock:
        return {k: list(v) for k, v in _counts.get(location, {}).items()}


def pin(location: str, key: str) -> None:
    """Keep entry `key` from eviction for as long as this process lives."""
    with _lock:
        keys = _pinned.setdefault(location, set())
        if key in keys:
            return
        handle = _pin_files.get(location)
        if handle is None:
            handle = _open_pin_file(location)
            if handle is None:
                return
            if not _pin_files:
                atexit.register(_close_pin_files)
            _pin_files[location] = handle
        handle.write(key + "\n")
        handle.flush()
        keys.add(key)


def _close_pin_files() -> None:
    """At exit: the pins go with the process (closing releases the lock)."""
    with _lock:
        for handle in _pin_files.values():
            handle.close()
        _pin_files.clear()


def _open_pin_file(location: str) -> Any:
    folder = os.path.join(location, "pins")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        path = os.path.join(folder, f"{os.getpid()}-{uuid.uuid4().hex[:8]}.pin")
        handle = open(path, "a", encoding="ascii")   # noqa: SIM115 (open for the process)
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        return handle
    except OSError:
        return None                  # no pins: eviction may then remove what we loaded


def pinned(location: str) -> set[str]:
    """Keys pinned by live processes (this one included); dead processes' pin files go."""
    keys = set(_pinned.get(location, ()))
    folder = os.path.join(location, "pins")
    try:
        names = os.listdir(folder)
    except OSError:
        return keys
    for name in names:
        path = os.path.join(folder, name)
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise
                with os.fdopen(os.dup(fd), encoding="ascii") as handle:   # alive: its keys
                    keys.update(line.strip() for line in handle if line.strip())
                continue
            files.remove_quietly(path)                # its process is gone
        finally:
            os.close(fd)
    return keys


def entries(location: str) -> dict[str, dict[str, Any]]:
    """key -> {'bytes', 'used' (mtime of its metadata), 'kind', 'output'} of every entry."""
    found: dict[str, dict[str, Any]] = {}
    try:
        names = os.listdir(location)
    except OSError:
        return found
    for name in names:
        match = _KEY.match(name)
        if match is None:
            continue
        try:
            status = os.stat(os.path.join(location, name))
        except OSError:
            continue
        entry = found.setdefault(match.group(1), {"bytes": 0, "used": 0.0, "kind": None,
                                                  "output": None})
        entry["bytes"] += status.st_size
        if name.endswith(".json"):
            entry["used"] = status.st_mtime
        elif name.endswith(_OUTPUTS):
            entry["output"] = os.path.splitext(name)[1]
            entry["used"] = entry["used"] or status.st_mtime
    return {k: v for k, v in found.items() if v["output"] is not None}


def evict(location: str, limit: int | None = None) -> list[str]:
    """Remove least recently used, unpinned entries until they take under 90% of `limit`
    (default max_bytes()); the keys removed."""
    limit = max_bytes() if limit is None else limit
    if limit <= 0:
        return []
    found = entries(location)
    total = sum(e["bytes"] for e in found.values())
    if total <= limit:
        return []
    keep = pinned(location)
    removed = []
    for key, entry in sorted(found.items(), key=lambda item: item[1]["used"]):
        if total <= 0.9 * limit:
            break
        if key in keep:
            continue
        _remove_entry(location, key)
        total -= entry["bytes"]
        removed.append(key)
    return removed


def _remove_entry(location: str, key: str) -> None:
    lock = os.path.join(location, key + ".lock")
    with files.locked(lock):
        for suffix in (*_OUTPUTS, ".json", ".c"):
            files.remove_quietly(os.path.join(location, key + suffix))
        files.remove_quietly(lock)                    # waiters notice and retry


def report(location: str) -> dict[str, Any]:
    """What `python -m tracer cache info` shows: per kind of entry its count, bytes, hits
    and builds (processes that have exited, and this one), and the size limit."""
    kinds: dict[str, dict[str, int]] = {}
    for key, entry in entries(location).items():
        kind = _kind(location, key)
        row = kinds.setdefault(kind, {"entries": 0, "bytes": 0, "hits": 0, "builds": 0})
        row["entries"] += 1
        row["bytes"] += entry["bytes"]
    counts = read_stats(location)
    for kind, (hits, builds) in process_counts(location).items():
        row = counts.setdefault(kind, {"hits": 0, "builds": 0})
        row["hits"] += hits
        row["builds"] += builds
    for kind, row in counts.items():
        target = kinds.setdefault(kind, {"entries": 0, "bytes": 0, "hits": 0, "builds": 0})
        target["hits"] += row["hits"]
        target["builds"] += row["builds"]
    return {"kinds": kinds, "limit": max_bytes()}


def _kind(location: str, key: str) -> str:
    try:
        with open(os.path.join(location, key + ".json"), encoding="utf-8") as handle:
            return str(json.load(handle).get("kind", "library"))
    except (OSError, ValueError, AttributeError):
        return "library"
