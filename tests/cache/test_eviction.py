"""The cache's size limit: least recently used entries go, pinned ones never; info."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from tests.cache.tiny import ADD_SOURCE, FLAGS
from tracer import cache
from tracer.cache import usage

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _entry(root, n):
    """A library of its own (source n), its key."""
    path = cache.compiled_library(ADD_SOURCE + f"/* {n} */\n", compiler=["cc"], flags=FLAGS,
                                  directory=root)
    return os.path.basename(path).split(".")[0]


def _age(root, key, seconds_ago):
    """Mark entry `key` last used `seconds_ago`."""
    when = time.time() - seconds_ago
    os.utime(os.path.join(root, key + ".json"), (when, when))


def _keys(root):
    return {n.split(".")[0] for n in os.listdir(root) if n.endswith(".so")}


def test_eviction_keeps_the_most_recently_used(cache_root):
    keys = [_entry(cache_root, n) for n in range(5)]
    for age, key in zip([500, 100, 400, 200, 300], keys):
        _age(cache_root, key, age)
    sizes = usage.entries(cache_root)
    one = max(e["bytes"] for e in sizes.values())
    removed = usage.evict(cache_root, limit=int(2.2 * one / 0.9))
    assert set(removed) == {keys[0], keys[2], keys[4]}      # the three used longest ago
    assert _keys(cache_root) == {keys[1], keys[3]}
    assert sorted(removed, key=keys.index) == [keys[0], keys[2], keys[4]]
    assert not [n for n in os.listdir(cache_root) if n.split(".")[0] in removed]
    assert usage.evict(cache_root, limit=0) == []            # 0: no limit


def test_a_hit_marks_the_entry_used(cache_root):
    keys = [_entry(cache_root, n) for n in range(2)]
    _age(cache_root, keys[0], 1000)
    _age(cache_root, keys[1], 500)
    usage._touched.discard((cache_root, keys[0]))
    _entry(cache_root, 0)                                     # a hit: now the newest
    assert usage.entries(cache_root)[keys[0]]["used"] > time.time() - 60
    usage.evict(cache_root, limit=1)
    assert _keys(cache_root) == set()


PINNER = """
import os, sys, time
from tracer.cache import usage
usage.pin(sys.argv[1], sys.argv[2])
print("pinned", flush=True)
sys.stdin.readline()
"""


def test_an_entry_a_running_process_loaded_is_never_evicted(cache_root):
    keys = [_entry(cache_root, n) for n in range(3)]
    for key in keys:
        _age(cache_root, key, 1000)
    child = subprocess.Popen([sys.executable, "-c", PINNER, cache_root, keys[1]], cwd=REPO,
                             env=dict(os.environ, PYTHONPATH=REPO), stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "pinned"
        usage.evict(cache_root, limit=1)
        assert _keys(cache_root) == {keys[1]}                 # pinned by a live process
    finally:
        child.communicate("\n", timeout=60)
    assert child.returncode == 0
    usage.evict(cache_root, limit=1)                          # its process is gone
    assert _keys(cache_root) == set()
    assert os.listdir(os.path.join(cache_root, "pins")) == []


def test_builds_keep_the_folder_under_the_limit(cache_root, monkeypatch):
    monkeypatch.setattr(usage, "EVICT_INTERVAL", 0.0)
    first = _entry(cache_root, 0)
    one = usage.entries(cache_root)[first]["bytes"]
    monkeypatch.setenv("TRACER_CACHE_MAX_BYTES", str(int(2.5 * one)))
    for n in range(1, 6):
        _entry(cache_root, n)
        time.sleep(0.01)                                      # distinct last-use times
    total = sum(e["bytes"] for e in usage.entries(cache_root).values())
    assert total <= 2.5 * one
    assert _entry(cache_root, 5) in _keys(cache_root)        # the newest stays


@pytest.mark.parametrize("raw, want", [("", usage.DEFAULT_MAX_BYTES), ("1000", 1000),
                                       ("500M", 500 << 20), ("2G", 2 << 30), ("1.5k", 1536),
                                       ("0", 0)])
def test_size_limit_setting(raw, want, monkeypatch):
    monkeypatch.setenv("TRACER_CACHE_MAX_BYTES", raw)
    assert usage.max_bytes() == want


def test_a_bad_size_limit_names_the_variable(monkeypatch):
    monkeypatch.setenv("TRACER_CACHE_MAX_BYTES", "lots")
    with pytest.raises(ValueError, match="TRACER_CACHE_MAX_BYTES"):
        usage.max_bytes()


COMPILED = """
import numpy as np, tracer as tr
tr.config.background_compile = False
f = tr.compile(lambda x: np.tanh(x).sum(), backend="c")
print(f(np.ones(3)))
"""


def test_cli_info_reports_kinds_hits_and_sizes(cache_root):
    env = dict(os.environ, TRACER_CACHE_DIR=cache_root, PYTHONPATH=REPO)
    for _ in range(2):                        # a cold process, then a warm one
        done = subprocess.run([sys.executable, "-c", COMPILED], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    info = subprocess.run([sys.executable, "-m", "tracer", "cache", "info"], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=120)
    assert info.returncode == 0, info.stderr
    rows = {line.split()[0]: line.split() for line in info.stdout.splitlines()
            if line.split() and line.split()[0] in ("module", "kernel", "runtime")}
    assert rows["module"][1:2] == ["1"] and rows["runtime"][1:2] == ["1"]
    assert int(rows["kernel"][1]) >= 1                       # tanh and the sum
    hits, builds = int(rows["module"][-3]), int(rows["module"][-2])
    assert (hits, builds) == (1, 1) and rows["module"][-1] == "50%"
    with open(os.path.join(cache_root, "stats.json"), encoding="utf-8") as handle:
        stats = json.load(handle)
    assert stats["module"] == {"hits": 1, "builds": 1}
    assert "limit:" in info.stdout
