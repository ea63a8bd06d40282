"""One writer per folder: an exclusive lock that a process holds for as long as it writes there.

    with folder_lock(run, "training"):     # a second trainer on the same folder gets a ConfigError naming
        ...                                # the run and the process holding it

The lock is `flock` on a small file in the folder, so the kernel releases it whenever its holder ends,
however it ends (an exception, Ctrl-C, SIGKILL, a power cut): a lock left by a dead process is free
again by construction, with no pid to check and no file to clean up. The file itself stays (deleting it
would let a third process lock a fresh file while a second still holds the old one). The holder writes
who it is into the file, for the message the next one prints.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from acgan.errors import ConfigError

LOCK_NAME = ".acgan-lock"


@contextlib.contextmanager
def folder_lock(folder: Path, doing: str) -> Iterator[None]:
    """Hold `folder`'s lock while the block runs; if another process holds it, a ConfigError naming it."""
    path = folder / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        raise ConfigError(f"{folder}: cannot create its lock file {LOCK_NAME} ({err.strerror or err})") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(f"{folder}: another acgan process is already {doing} it ({holder(fd)}); wait for it "
                              "to finish or stop it") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me(doing)).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the only descriptor releases the lock


def me(doing: str) -> dict[str, object]:
    return {"pid": os.getpid(), "host": socket.gethostname(), "doing": doing,
            "since": time.strftime("%Y-%m-%d %H:%M:%S"), "command": " ".join(sys.argv)[:200]}


def holder(fd: int) -> str:
    """Who holds the lock, as its holder wrote it (it may still be writing: then less is known)."""
    try:
        info = json.loads(os.pread(fd, 4096, 0))
        return f"pid {int(info['pid'])} on {str(info['host'])[:64]}, {str(info['doing'])[:32]} since {info['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "a process that has not said who it is yet"
