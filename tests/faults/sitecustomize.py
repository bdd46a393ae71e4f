"""Fault injection for the CLI in a subprocess (tests/test_bad_input.py puts this folder on
``PYTHONPATH``; Python imports ``sitecustomize`` at start-up).

``EVALCRAWL_TEST_FAULT="ERRNO:GLOB[;ERRNO:GLOB…]"``: opening a file for writing (``os.open``,
which ``tempfile`` uses) or making a folder (``os.mkdir``) whose path matches ``GLOB`` fails
as the file system would: ``EROFS`` or ``EACCES`` at once, as for a read-only folder — even
for root, who may write anywhere else; ``ENOSPC`` by opening ``/dev/full`` instead, so the
first write fails as on a full disk.
"""

from __future__ import annotations

import errno
import fnmatch
import os

_SPEC = os.environ.get("EVALCRAWL_TEST_FAULT", "")

if _SPEC:
    _RULES = [
        (getattr(errno, code), glob)
        for code, glob in (rule.split(":", 1) for rule in _SPEC.split(";") if rule)
    ]
    _WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT
    _real_open = os.open
    _real_mkdir = os.mkdir

    def _fault(path: object) -> int | None:
        name = os.path.abspath(os.fsdecode(path))  # type: ignore[arg-type]
        return next((code for code, glob in _RULES if fnmatch.fnmatch(name, glob)), None)

    def _open(path, flags, mode=0o777, *, dir_fd=None):  # type: ignore[no-untyped-def]
        code = _fault(path) if flags & _WRITE and dir_fd is None else None
        if code == errno.ENOSPC:
            return _real_open("/dev/full", os.O_WRONLY | (flags & os.O_CLOEXEC))
        if code is not None:
            raise OSError(code, os.strerror(code), os.fsdecode(path))
        return _real_open(path, flags, mode, dir_fd=dir_fd)

    def _mkdir(path, mode=0o777, *, dir_fd=None):  # type: ignore[no-untyped-def]
        code = _fault(path) if dir_fd is None else None
        if code is not None:
            raise OSError(code, os.strerror(code), os.fsdecode(path))
        return _real_mkdir(path, mode, dir_fd=dir_fd)

    os.open = _open
    os.mkdir = _mkdir
