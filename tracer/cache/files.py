"""File primitives of the cache: per-key locks, atomic writes, checksums.

POSIX only (fcntl.flock). A lock file may be deleted by `clear` while another
process waits on it, so `locked` re-checks after acquiring that the path still
names the file it locked.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator


@contextlib.contextmanager
def locked(lock_path: str) -> Iterator[None]:
    """Hold an exclusive flock on `lock_path` (created 0600) for the with-block."""
    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            held = os.fstat(fd)
            try:
                current = os.stat(lock_path)
            except FileNotFoundError:
                current = None
            if current is not None and (current.st_dev, current.st_ino) == (held.st_dev, held.st_ino):
                break
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)          # the file was removed or replaced while we waited: retry
    try:
        yield
    finally:
        os.close(fd)          # closing releases the flock


def temp_path(directory: str, prefix: str, suffix: str) -> str:
    """A fresh, unused file name in `directory` (the file exists, empty, mode 0600)."""
    fd, path = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=directory)
    os.close(fd)
    return path


def fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(directory: str) -> None:
    """Make renames in `directory` durable (best effort: some filesystems refuse)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def publish(temp: str, final: str) -> None:
    """fsync `temp` then rename it onto `final`: readers see the old file or the new one."""
    fsync_file(temp)
    os.replace(temp, final)


def write_atomic(path: str, data: bytes, prefix: str) -> None:
    """Write `data` to `path` through a temp file in the same folder and a rename."""
    temp = temp_path(os.path.dirname(path), prefix, ".tmp")
    try:
        with open(temp, "wb") as handle:
            handle.write(data)
        publish(temp, path)
    except BaseException:
        remove_quietly(temp)
        raise


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def remove_quietly(path: str) -> bool:
    """Remove `path` if it exists; True when something was removed."""
    try:
        os.remove(path)
        return True
    except FileNotFoundError:
        return False
