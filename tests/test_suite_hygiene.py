"""The test suite leaves the working directory as it found it (tests/conftest.py checks every
session): a test that writes outside its temporary folders fails the session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_a_test_writing_in_the_working_directory_fails_the_session(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "kept.txt").write_text("as it was")
    (work / "test_stray.py").write_text(
        "from pathlib import Path\n\n\n"
        "def test_writes_here():\n"
        "    Path('evalcrawl-out').mkdir()\n"
        "    Path('evalcrawl-out/crawl.log').write_text('appended')\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.conftest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(work),
            "test_stray.py",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (
        f"the tests changed the working directory {work}: created evalcrawl-out/crawl.log"
        in proc.stdout
    ), proc.stdout
    assert "1 passed, 1 error" in proc.stdout


def test_the_working_directory_listing_sees_changes_but_not_caches(tmp_path: Path) -> None:
    from tests.conftest import working_directory_listing

    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "__pycache__").mkdir()
    before = working_directory_listing(tmp_path)
    assert set(before) == {"a.txt"}
    (tmp_path / "__pycache__" / "x.pyc").write_bytes(b"cache")
    assert working_directory_listing(tmp_path) == before
    (tmp_path / "a.txt").write_text("changed")
    assert working_directory_listing(tmp_path)["a.txt"] != before["a.txt"]
