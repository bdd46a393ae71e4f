"""The accuracy gate's letter rows (bench/accuracy_real.py, tests/realcorpus.py): printed, "not
measured" while a corpus holds no labelled letter, and measured once one is labelled."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests import boardsites as B
from tests.realcorpus import evaluate, load, load_labels, table

ROOT = Path(__file__).resolve().parents[1]


def _bench(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    monkeypatch.setattr(sys, "argv", ["accuracy_real.py", "--quiet"])
    import accuracy_real

    accuracy_real.main()
    return capsys.readouterr().out


def test_the_bench_prints_the_letter_rows_measured_on_the_labelled_letters(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real corpus labels the questions of a real board's box (www.bjjs.gov.cn 服务大厅,
    SOURCES-F.md): the letter rows count them, and the "not measured" note is gone."""
    labelled = sum(len(label.get("letters") or []) for label, _page in load_labels())
    assert labelled == 10
    out = _bench(monkeypatch, capsys)
    for row in ("letter asked date exact", "letter reply date exact", "letter state exact"):
        assert f"| {row} | {labelled} | " in out
        assert f"| {row} | 0 | not measured (no labelled case) |" not in out
    assert "the corpus holds no real message-board page yet" not in out


def test_the_bench_says_why_the_letter_rows_are_not_measured_without_letters(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    host = tmp_path / "www.gov.cn"
    host.mkdir()
    (host / "article.html").write_text(
        "<html><body><h1>标题</h1><p>正文</p></body></html>", encoding="utf-8"
    )
    label = _label("article", "article", [])
    label["file"] = "www.gov.cn/article.html"
    label["site"] = "www.gov.cn"
    (host / "article.json").write_text(json.dumps(label, ensure_ascii=False), "utf-8")
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    import accuracy_real

    monkeypatch.setattr(accuracy_real, "load", lambda: load(tmp_path))
    out = _bench(monkeypatch, capsys)
    for row in ("letter asked date exact", "letter reply date exact", "letter state exact"):
        assert f"| {row} | 0 | not measured (no labelled case) |" in out
    assert "the corpus holds no real message-board page yet" in out


def _label(name: str, kind: str, letters: list[dict[str, object]]) -> dict[str, object]:
    return {
        "file": f"www.jms.gov.cn/{name}.html",
        "source": {"repo": "built", "path": name, "commit": None, "read_file_id": None},
        "changes": "built from a real board's structure (tests/boardsites.py)",
        "url": None,
        "url_source": "unknown",
        "site": "www.jms.gov.cn",
        "captured": "2020-01-01",
        "captured_source": "built",
        "kind": kind,
        "blank": False,
        "list": None,
        "home_latest": None,
        "publish_date": None,
        "letters": letters,
        "own_text_chars": 0,
        "notes": "",
    }


def test_the_gate_compares_letters_once_a_board_page_is_labelled(tmp_path: Path) -> None:
    """Not an accuracy figure (the pages are built): the gate's letter rows work."""
    letters = B.jms_letters()
    done = next(x for x in letters if x.replied is not None)
    undated = next(x for x in letters if x.done and x.replied is None)
    pages = {
        "letter-a": (B.jms_detail_page(done), done, done.replied.isoformat()),
        "letter-b": (B.jms_detail_page(undated), undated, None),
    }
    host = tmp_path / "www.jms.gov.cn"
    host.mkdir()
    for name, (page, x, replied) in pages.items():
        (host / f"{name}.html").write_text(page, encoding="utf-8")
        truth = [
            {
                "title": x.subject,
                "asked": x.asked.isoformat(),
                "replied": replied,
                "state": "replied",
            }
        ]
        label = _label(name, "letter", truth)
        (host / f"{name}.json").write_text(json.dumps(label, ensure_ascii=False), "utf-8")
    report = evaluate(load(tmp_path))
    assert (report.asked.n, report.asked.share) == (2, 1.0)
    assert (report.replied.n, report.replied.share) == (2, 1.0)
    assert (report.state.n, report.state.share) == (2, 1.0)
    assert "| letter state exact | 2 | 1.00 |" in table(report)
    # A wrong label is caught.
    label = json.loads((host / "letter-b.json").read_text("utf-8"))
    label["letters"][0]["state"] = "unanswered"
    (host / "letter-b.json").write_text(json.dumps(label, ensure_ascii=False), "utf-8")
    report = evaluate(load(tmp_path))
    assert report.state.share == 0.5
    assert report.state.wrong == [
        "www.jms.gov.cn/letter-b.html: expected 'unanswered', got 'replied'"
    ]
