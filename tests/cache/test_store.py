"""The cache in one process: hits, keys, damaged entries, folder safety, errors."""
from __future__ import annotations

import json
import os
import stat
import warnings

import pytest

from tests.cache.tiny import ADD_SOURCE, FLAGS
from tracer import cache
from tracer.cache import CacheWarning, CompileError, CompilerNotFoundError, compiled_library


def build(root, source=ADD_SOURCE, flags=FLAGS, compiler=("cc",)):
    return compiled_library(source, compiler=list(compiler), flags=list(flags), directory=root)


def test_second_call_is_a_hit(cache_root, load_add):
    before = cache.compile_count()
    path = build(cache_root)
    assert cache.compile_count() == before + 1
    assert build(cache_root) == path
    assert cache.compile_count() == before + 1
    assert os.path.isabs(path) and os.path.dirname(path) == cache_root
    assert load_add(path)(2, 40) == 2 + 40


def test_key_covers_source_flags_and_compiler(cache_root, counting_cc):
    paths = {build(cache_root),
             build(cache_root, source=ADD_SOURCE + "/* changed */\n"),
             build(cache_root, flags=[*FLAGS, "-DX=1"]),
             build(cache_root, compiler=[counting_cc[0]])}
    assert len(paths) == 4
    assert cache.info(cache_root)["entries"] == 4


def test_native_flags_add_the_cpu_features():
    from tracer.cache.key import cpu_target
    assert cpu_target(["-O3"]) != cpu_target(["-O3", "-march=native"])
    assert cpu_target(["-O3"]) == cpu_target(["-O2"])   # the machine alone otherwise


def _one_warning_rebuild(cache_root, load_add, damage):
    """Build, damage the entry, build again: one CacheWarning, one compile, a working lib."""
    path = build(cache_root)
    damage(path)
    before = cache.compile_count()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = build(cache_root)
    assert [w.category for w in caught] == [CacheWarning], [str(w.message) for w in caught]
    assert "damaged" in str(caught[0].message)
    assert again == path and cache.compile_count() == before + 1
    assert load_add(again)(7, -3) == 7 - 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert build(cache_root) == path       # healthy again: no warning, no compile
    assert cache.compile_count() == before + 1


def test_truncated_library_is_rebuilt(cache_root, load_add):
    def truncate(path):
        with open(path, "r+b") as handle:
            handle.truncate(os.path.getsize(path) // 2)
    _one_warning_rebuild(cache_root, load_add, truncate)


def test_same_size_corruption_is_caught_by_the_checksum(cache_root, load_add):
    def flip_a_byte(path):
        with open(path, "r+b") as handle:
            handle.seek(os.path.getsize(path) // 2)
            byte = handle.read(1)
            handle.seek(-1, os.SEEK_CUR)
            handle.write(bytes([byte[0] ^ 0xFF]))
    _one_warning_rebuild(cache_root, load_add, flip_a_byte)


def test_corrupted_checksum_is_rebuilt(cache_root, load_add):
    def wrong_checksum(path):
        meta_path = path[:-len(".so")] + ".json"
        with open(meta_path) as handle:
            meta = json.load(handle)
        meta["sha256"] = "0" * 64
        with open(meta_path, "w") as handle:
            json.dump(meta, handle)
    _one_warning_rebuild(cache_root, load_add, wrong_checksum)


def test_garbled_or_missing_metadata_is_rebuilt(cache_root, load_add):
    def garble(path):
        with open(path[:-len(".so")] + ".json", "w") as handle:
            handle.write('{"sha256": ')
    _one_warning_rebuild(cache_root, load_add, garble)
    clean = str(cache_root) + "-2"
    _one_warning_rebuild(clean, load_add, lambda path: os.remove(path[:-len(".so")] + ".json"))


def test_new_folder_is_private_whatever_the_umask(tmp_path):
    root = tmp_path / "deep" / "cache"
    old_umask = os.umask(0)
    try:
        build(str(root))
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(os.stat(root).st_mode) == 0o700


def test_world_writable_folder_is_refused(tmp_path, load_add):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.warns(CacheWarning, match="others can write"):
        path = build(str(shared))
    used = os.path.dirname(path)
    assert not path.startswith(str(shared)) and os.listdir(shared) == []
    assert stat.S_IMODE(os.stat(used).st_mode) == 0o700 and os.stat(used).st_uid == os.getuid()
    assert load_add(path)(1, 1) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")               # one warning per process, not per call
        assert build(str(shared)) == path
        assert cache.cache_dir(str(shared)) == used


def test_group_writable_folder_is_refused(tmp_path):
    shared = tmp_path / "group"
    shared.mkdir()
    shared.chmod(0o770)
    with pytest.warns(CacheWarning, match="others can write"):
        assert cache.cache_dir(str(shared)) != str(shared)


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to give a folder to another user")
def test_folder_owned_by_another_user_is_refused(tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir(mode=0o700)
    os.chown(foreign, 65534, 65534)
    with pytest.warns(CacheWarning, match="owned by another user"):
        assert cache.cache_dir(str(foreign)) != str(foreign)


def test_compile_error_names_the_kept_source_and_stderr(cache_root):
    broken = "int add(int a, int b) { return a + ; }\n"
    with pytest.raises(CompileError) as raised:
        build(cache_root, source=broken)
    error = raised.value
    assert error.source_path and os.path.exists(error.source_path)
    with open(error.source_path) as handle:
        assert handle.read() == broken
    assert error.source_path in str(error) and "error" in error.stderr
    assert error.stderr in str(error)
    assert cache.info(cache_root)["entries"] == 0


def test_missing_compiler_is_a_compile_error(cache_root):
    with pytest.raises(CompilerNotFoundError, match="no-such-cc-"):
        build(cache_root, compiler=["no-such-cc-4711"])
    assert issubclass(CompilerNotFoundError, CompileError)


def test_info_and_clear(cache_root):
    build(cache_root)
    build(cache_root, flags=[*FLAGS, "-O3"])
    stats = cache.info(cache_root)
    on_disk = sum(os.path.getsize(os.path.join(cache_root, n)) for n in os.listdir(cache_root))
    assert stats == {"location": cache_root, "entries": 2, "bytes": on_disk}
    assert cache.clear(cache_root) == 2
    assert os.listdir(cache_root) == []
    assert cache.info(cache_root) == {"location": cache_root, "entries": 0, "bytes": 0}
    before = cache.compile_count()
    build(cache_root)                                 # a cleared cache compiles again
    assert cache.compile_count() == before + 1


def test_config_cache_dir_is_the_default_location(tmp_path, monkeypatch):
    import tracer as tr
    saved = tr.config.cache_dir
    try:
        tr.config.cache_dir = str(tmp_path / "via-config")
        assert cache.cache_dir() == str(tmp_path / "via-config")
    finally:
        tr.config.cache_dir = saved
    monkeypatch.delenv("TRACER_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.default_cache_dir() == str(tmp_path / "xdg" / "tracer")
    monkeypatch.setenv("TRACER_CACHE_DIR", str(tmp_path / "env"))
    assert cache.default_cache_dir() == str(tmp_path / "env")


def test_a_deleted_cache_folder_is_recreated_private(cache_root, load_add):
    build(cache_root)
    for name in os.listdir(cache_root):
        os.remove(os.path.join(cache_root, name))
    os.rmdir(cache_root)
    path = build(cache_root)
    assert stat.S_IMODE(os.stat(cache_root).st_mode) == 0o700
    assert load_add(path)(3, 4) == 3 + 4
