"""The cache across processes: a warm second process, four racing processes, the CLI."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from tests.cache.tiny import ADD_SOURCE, FLAGS
from tracer import cache
from tracer.__main__ import main

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# One process: wait for the start signal; time getting the library, loading it, calling it.
CHILD = """
import json, os, sys, time
import cffi
from tracer.cache import compile_count, compiled_library
go = os.environ.get("GO_FILE")
if go:
    open(go + "." + str(os.getpid()), "w").close()     # ready
ffi = cffi.FFI()
ffi.cdef("int add(int a, int b);")     # parsing C declarations: not the cache's time
while go and not os.path.exists(go):
    time.sleep(0.001)
start = time.perf_counter()
path = compiled_library(SOURCE, compiler=COMPILER, flags=FLAGS)
result = ffi.dlopen(path).add(20, 22)
seconds = time.perf_counter() - start
print(json.dumps({"result": result, "seconds": seconds, "compiles": compile_count(), "path": path}))
"""


def _env(cache_root, **extra):
    env = dict(os.environ, TRACER_CACHE_DIR=cache_root, PYTHONPATH=REPO, **extra)
    env.pop("PYTHONWARNINGS", None)
    return env


def _child_code(compiler):
    return (f"SOURCE = {ADD_SOURCE!r}\nCOMPILER = {list(compiler)!r}\nFLAGS = {FLAGS!r}\n"
            + CHILD)


def _report(done):
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr, done.stderr
    return json.loads(done.stdout)


def _run_child(cache_root, compiler=("cc",)):
    done = subprocess.run([sys.executable, "-c", _child_code(compiler)], cwd=REPO,
                          env=_env(cache_root), capture_output=True, text=True, timeout=120)
    return _report(done)


def test_second_process_compiles_nothing_and_starts_10x_faster(cache_root):
    first = _run_child(cache_root)
    second = _run_child(cache_root)
    assert first["result"] == second["result"] == 20 + 22
    assert first["compiles"] == 1 and second["compiles"] == 0
    assert second["path"] == first["path"]
    assert second["seconds"] * 10 <= first["seconds"], (first["seconds"], second["seconds"])


def _start_together(code, env, tmp_path, count):
    """Start `count` processes running `code`, release them at once (each child writes
    GO_FILE.<pid> when ready and waits for GO_FILE), return their reports."""
    go = str(tmp_path / "go")
    children = [subprocess.Popen([sys.executable, "-c", code], cwd=REPO,
                                 env=dict(env, GO_FILE=go), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for _ in range(count)]
    deadline = time.monotonic() + 120
    while len([n for n in os.listdir(tmp_path) if n.startswith("go.")]) < count:
        assert time.monotonic() < deadline and all(c.poll() is None for c in children)
        time.sleep(0.01)                 # until all have imported and wait on the signal
    open(go, "w").close()
    reports = []
    for child in children:
        stdout, stderr = child.communicate(timeout=300)
        reports.append(_report(subprocess.CompletedProcess(child.args, child.returncode,
                                                           stdout, stderr)))
    return reports


def test_four_processes_at_once_compile_once(cache_root, tmp_path, counting_cc):
    script, marker = counting_cc
    reports = _start_together(_child_code([script]), _env(cache_root), tmp_path, 4)
    assert [r["result"] for r in reports] == [20 + 22] * 4
    assert sum(r["compiles"] for r in reports) == 1
    assert len({r["path"] for r in reports}) == 1
    assert marker.read_text().count("\n") == 1       # the compiler itself ran once
    assert cache.info(cache_root)["entries"] == 1
    assert [n for n in os.listdir(cache_root) if n.endswith(".tmp")] == []


def _cli(cache_root, *args):
    return subprocess.run([sys.executable, "-m", "tracer", "cache", *args], cwd=REPO,
                          env=_env(cache_root), capture_output=True, text=True, timeout=120)


def test_cli_info_and_clear(cache_root):
    cache.compiled_library(ADD_SOURCE, compiler=["cc"], flags=FLAGS, directory=cache_root)
    size = sum(os.path.getsize(os.path.join(cache_root, n)) for n in os.listdir(cache_root))
    info = _cli(cache_root, "info")
    assert info.returncode == 0, info.stderr
    lines = info.stdout.splitlines()
    assert lines[0] == f"location: {cache_root}"
    assert lines[1].split() == ["entries:", "1"]
    assert lines[2].endswith(f"({size} bytes)")
    cleared = _cli(cache_root, "clear")
    assert cleared.returncode == 0, cleared.stderr
    assert cleared.stdout.strip() == f"removed 1 entry from {cache_root}"
    assert not [n for n in os.listdir(cache_root) if n.endswith(".so")]
    assert _cli(cache_root, "info").stdout.splitlines()[1].split() == ["entries:", "0"]


def test_cli_usage_errors(capsys):
    """In-process: only the argument handling is under test."""
    for args in [["cache"], ["cache", "nonsense"], ["cache", "info", "extra"], []]:
        assert main(args) == 2
        assert "usage" in capsys.readouterr().err


def test_a_changed_compiler_gets_a_new_entry(cache_root, tmp_path):
    fake = tmp_path / "fake-cc"

    def install(version):
        fake.write_text('#!/bin/sh\n'
                        f'if [ "$1" = --version ]; then echo "fake-cc {version}"; exit 0; fi\n'
                        'exec cc "$@"\n')
        fake.chmod(0o755)

    install("1.0")
    first = _run_child(cache_root, compiler=[str(fake)])
    assert first["compiles"] == 1 and _run_child(cache_root, [str(fake)])["compiles"] == 0
    install("2.0.1")                                  # an upgrade: new --version
    upgraded = _run_child(cache_root, compiler=[str(fake)])
    assert upgraded["compiles"] == 1 and upgraded["path"] != first["path"]
    assert upgraded["result"] == 20 + 22


def test_a_process_killed_mid_compile_leaves_no_stuck_lock(cache_root, tmp_path):
    hang, started = tmp_path / "hang", tmp_path / "started"
    slow = tmp_path / "slow-cc"
    slow.write_text('#!/bin/sh\n'
                    f'if [ "$1" != --version ] && [ -e "{hang}" ]; then\n'
                    f'  touch "{started}"; sleep 60\n'
                    'fi\n'
                    'exec cc "$@"\n')
    slow.chmod(0o755)
    hang.touch()
    victim = subprocess.Popen([sys.executable, "-c", _child_code([str(slow)])], cwd=REPO,
                              env=_env(cache_root), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not started.exists():       # it holds the key's lock and is compiling
            assert time.monotonic() < deadline and victim.poll() is None
            time.sleep(0.01)
    finally:
        os.killpg(victim.pid, signal.SIGKILL)   # the child and its compiler, mid-build
        victim.communicate()
    hang.unlink()
    assert [n for n in os.listdir(cache_root) if n.endswith(".tmp")]   # debris it left
    survivor = _run_child(cache_root, compiler=[str(slow)])
    assert survivor["compiles"] == 1 and survivor["result"] == 20 + 22
    assert [n for n in os.listdir(cache_root) if n.endswith(".tmp")] == []



# One process: import tracer, wait for the start signal, compile and call one function.
COMPILED_CHILD = """
import json, os, time
import numpy as np
import tracer as tr
from tracer.cache import compile_count
go = os.environ["GO_FILE"]
open(go + "." + str(os.getpid()), "w").close()     # ready
f = tr.compile(lambda x, y: np.tanh(x * y + x).sum(axis=0), backend="c")
x = np.arange(12.0).reshape(4, 3)
while not os.path.exists(go):
    time.sleep(0.001)
result = f(x, x)
expected = np.tanh(x * x + x).sum(axis=0)
print(json.dumps({"ok": bool(np.array_equal(result, expected)), "compiles": compile_count()}))
"""


def test_four_processes_compiling_one_function_build_each_library_once(cache_root, tmp_path):
    """tr.compile(backend="c") in 4 processes at once on an empty cache: each entry it
    needs (the graph's module, the call helper, the runtime's and each kernel's object
    file) is compiled by exactly one process."""
    log = tmp_path / "sources.log"
    cc = tmp_path / "logging-cc"           # an independent witness: one line per compile
    cc.write_text('#!/bin/sh\n'
                  f'for a in "$@"; do case "$a" in *.c) echo "$a" >> "{log}" ;; esac; done\n'
                  'exec cc "$@"\n')
    cc.chmod(0o755)
    reports = _start_together(COMPILED_CHILD, _env(cache_root, CC=str(cc)), tmp_path, 4)
    assert all(r["ok"] for r in reports)
    names = os.listdir(cache_root)
    libraries = sorted(n.split(".")[0] for n in names if n.endswith((".so", ".o")))
    modules = [n for n in names if n.endswith(".so")]
    # the module, and the call helper wherever Python's and numpy's headers exist
    from tracer.backends.c.pycall import _include_flags
    assert len(modules) == (2 if _include_flags() is not None else 1), modules
    assert len(libraries) - len(modules) == 3      # the runtime and the two kernels
    compiled = sorted(os.path.basename(line)[:-len(".c")]
                      for line in log.read_text().splitlines())
    assert compiled == libraries           # each library once, no other compile
    assert sum(r["compiles"] for r in reports) == len(libraries)
    assert [n for n in os.listdir(cache_root) if n.endswith(".tmp")] == []
