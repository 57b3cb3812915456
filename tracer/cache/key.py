"""The cache key: a sha256 of everything that changes the compiled binary.

The source text, the compiler (its resolved path and its `--version` output),
the flags, tracer's version and the CPU target. No hand-bumped version numbers.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import threading
from collections.abc import Sequence

from .. import _version
from . import files
from .errors import CompileError, CompilerNotFoundError

_NATIVE_FLAGS = ("-march=native", "-mcpu=native", "-mtune=native")

_lock = threading.Lock()
_compiler_ids: dict[tuple[str, ...], dict[str, str]] = {}
_cpu_features: str | None = None


def cache_key(source: str, compiler: list[str], flags: list[str],
              memo_dir: str | None = None, source_suffix: str = ".c",
              inputs: Sequence[str] = ()) -> str:
    """The hex sha256 naming the library built by `compiler + flags` from `source`
    (and `inputs`: the names of the cached object files linked in, which are their keys)."""
    identity = compiler_identity(compiler, memo_dir)
    material = {
        "source": source,
        "language": source_suffix,
        # not the $PATH hit: /bin/cc and /usr/bin/cc are one compiler on merged-/usr systems
        "compiler": [identity["command"], identity["realpath"], identity["version"]],
        "flags": list(flags),
        "tracer": tracer_version(),
        "target": cpu_target(flags),
    }
    if inputs:
        material["inputs"] = list(inputs)
    text = json.dumps(material, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def tracer_version() -> str:
    return _version.__version__


def compiler_identity(compiler: list[str], memo_dir: str | None = None) -> dict[str, str]:
    """The compiler's command, its path on $PATH (run as is: argv[0] matters to drivers),
    the file it resolves to and its `--version` output.

    Computed once per process. With `memo_dir`, the version output is also kept
    on disk keyed by the compiler file's size, mtime and inode (ccache's default
    `compiler_check=mtime`), so a new process with a warm cache spawns nothing.
    """
    command = tuple(os.fspath(part) for part in compiler)
    if not command:
        raise ValueError("compiled_library: `compiler` must name a compiler, got []")
    with _lock:
        if command not in _compiler_ids:
            _compiler_ids[command] = _identify(command, memo_dir)
        return _compiler_ids[command]


def _identify(command: tuple[str, ...], memo_dir: str | None) -> dict[str, str]:
    path = shutil.which(command[0])
    if path is None:
        raise CompilerNotFoundError(f"C compiler {command[0]!r} not found (set $CC or install cc)",
                                    command=list(command))
    real = os.path.realpath(path)
    status = os.stat(real)
    stamp = [list(command), path, real, status.st_size, status.st_mtime_ns, status.st_ino,
             status.st_dev]
    memo = None
    if memo_dir is not None:
        digest = hashlib.sha256(json.dumps(stamp).encode()).hexdigest()[:32]
        memo = os.path.join(memo_dir, f"compiler-{digest}.json")
    version = _read_memo(memo, stamp)
    if version is None:
        version = _version_output(command, path)
        if memo is not None:
            try:
                files.write_atomic(memo, json.dumps({"stamp": stamp, "version": version})
                                   .encode(), prefix="compiler-")
            except OSError:
                pass                    # a memo only saves a spawn; the key is still right
    return {"command": " ".join(command), "path": path, "realpath": real, "version": version}


def _read_memo(memo: str | None, stamp: list) -> str | None:
    if memo is None:
        return None
    try:
        with open(memo, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("stamp") != stamp:
        return None
    version = data.get("version")
    return version if isinstance(version, str) else None


def _version_output(command: tuple[str, ...], path: str) -> str:
    try:
        done = subprocess.run([path, *command[1:], "--version"], capture_output=True,
                              text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        raise CompileError(f"C compiler {command[0]!r} could not run: {exc}",
                           command=list(command)) from exc
    return done.stdout + done.stderr


def cpu_target(flags: list[str]) -> str:
    """The machine, plus the CPU's feature flags when the code is built for this very CPU."""
    target = platform.machine()
    if any(flag in _NATIVE_FLAGS for flag in flags):
        target += " " + _native_features()
    return target


def _native_features() -> str:
    global _cpu_features
    if _cpu_features is None:
        _cpu_features = _read_cpu_features()
    return _cpu_features


def _read_cpu_features() -> str:
    """The first CPU's feature list from /proc/cpuinfo (x86 'flags', arm 'Features')."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return platform.processor()
    found = {}
    for line in lines:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name in ("flags", "features", "model name", "cpu part") and name not in found:
            found[name] = value.strip()
    return json.dumps(found, sort_keys=True)
