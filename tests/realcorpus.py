"""The labelled corpus of real government pages, and how the extractor scores on it.

Every page under ``tests/fixtures/real/corpus/<site>/`` is a real page saved by a third party
(provenance in the SOURCES-*.md files there) with a hand-written label beside it
(``<name>.json``: page kind, its main list, blank or not, publish date, letters). The labels
were written by reading the pages, never by running the extractor. :func:`evaluate` runs
extraction and the page-level rules (:mod:`evalcrawler.scoring.pages`) on every page and
compares each field with its label: the gate ``tests/test_accuracy_real.py`` pins floors on
the result, and ``bench/accuracy_real.py`` prints it as a table.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from evalcrawler.facts import PageFacts, calendar_day
from evalcrawler.scoring.pages import BLANK, COLUMN, dated, page_verdict
from evalcrawler.scoring.results import Thresholds
from evalcrawler.spiders.extract import extract_page

CORPUS = Path(__file__).resolve().parent / "fixtures" / "real" / "corpus"
FLOORS = Path(__file__).resolve().parent / "fixtures" / "real" / "accuracy-floors.json"

# Label kinds that are columns (a list of dated links kept up to date) and kinds that are not;
# home and portal pages are neither (the home page is never a column; a portal of several lists
# is left out of the column decision).
COLUMN_KINDS = {"column", "board_list"}
NOT_COLUMN_KINDS = {
    "article",
    "guide",
    "form",
    "intro",
    "empty_column",
    "letter",
    "search_results",
    "other",
}
OWN_TEXT_NEVER_BLANK = 300  # a page with this much text of its own is never a blank column


@dataclass
class Page:
    label: dict[str, Any]
    path: Path
    facts: PageFacts

    @property
    def name(self) -> str:
        return str(self.label["file"])


def load_labels(root: Path = CORPUS) -> list[tuple[dict[str, Any], Path]]:
    out = []
    for label_path in sorted(root.glob("*/*.json")):
        label = json.loads(label_path.read_text(encoding="utf-8"))
        page = root / label["file"]
        if not page.exists():
            raise FileNotFoundError(f"{label_path}: its page {label['file']} is missing")
        out.append((label, page))
    return out


def corpus_hash(root: Path = CORPUS) -> str:
    """sha256 over every page and label of the corpus (names and bytes)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.glob("*/*") if p.suffix in (".html", ".json")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def page_url(label: dict[str, Any]) -> str:
    if label.get("url"):
        return str(label["url"])
    return f"http://{label['site']}/{label['file'].split('/', 1)[1]}"


def extract(label: dict[str, Any], path: Path) -> PageFacts:
    # Every corpus file is UTF-8 text (some were decoded from GBK by the index that served
    # them while their meta still says gb2312): the header says what the bytes are.
    return extract_page(
        page_url(label),
        path.read_bytes(),
        {"content-type": "text/html; charset=utf-8"},
        200,
        fetched=date.fromisoformat(label["captured"]),
    )


def load(root: Path = CORPUS) -> list[Page]:
    return [Page(label, path, extract(label, path)) for label, path in load_labels(root)]


# ------------------------------------------------------------------------------- scoring


@dataclass
class Field:
    """One field's agreement: ``n`` labelled cases, ``right`` of them read right."""

    name: str
    n: int = 0
    right: int = 0
    wrong: list[str] = field(default_factory=list)  # "file: expected … got …"

    def add(self, ok: bool, page: Page, expected: Any, got: Any) -> None:
        self.n += 1
        if ok:
            self.right += 1
        else:
            self.wrong.append(f"{page.name}: expected {expected!r}, got {got!r}")

    @property
    def share(self) -> float | None:
        return self.right / self.n if self.n else None


@dataclass
class Binary:
    """A yes/no decision: precision, recall and F1 of "yes"."""

    name: str
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    wrong: list[str] = field(default_factory=list)

    def add(self, truth: bool, said: bool, page: Page, note: str = "") -> None:
        if truth and said:
            self.tp += 1
        elif said:
            self.fp += 1
            self.wrong.append(f"{page.name}: false yes{note}")
        elif truth:
            self.fn += 1
            self.wrong.append(f"{page.name}: missed{note}")
        else:
            self.tn += 1

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None or p + r == 0:
            return None if p is None and r is None else 0.0
        return 2 * p * r / (p + r)


@dataclass
class Report:
    pages: int
    sites: int
    column: Binary
    blank: Binary
    listed: Binary
    items: Field
    newest: Field
    home_latest: Field
    publish: Field
    publish_false: Field  # pages without a publish date of their own: none read
    asked: Field
    replied: Field
    state: Field
    long_text_blank: list[str]  # pages with > 300 characters of their own text called blank

    def numbers(self) -> dict[str, float | None]:
        """The figures the floors pin (None: nothing to measure)."""
        return {
            "column_precision": self.column.precision,
            "column_recall": self.column.recall,
            "column_f1": self.column.f1,
            "list_recall": self.listed.recall,
            "items_exact": self.items.share,
            "newest_exact": self.newest.share,
            "home_latest_exact": self.home_latest.share,
            "blank_precision": self.blank.precision,
            "blank_recall": self.blank.recall,
            "publish_exact": self.publish.share,
            "publish_none_right": self.publish_false.share,
            "letter_asked_exact": self.asked.share,
            "letter_replied_exact": self.replied.share,
            "letter_state_exact": self.state.share,
        }


def _newest(page: PageFacts) -> date | None:
    return max((calendar_day(i.date) for i in dated(page)), default=None)


def _day(value: Any) -> date | None:
    return calendar_day(value) if value is not None else None


def _norm(title: str) -> str:
    return re.sub(r"\s+", "", title or "")


def evaluate(pages: Iterable[Page], thresholds: Thresholds | None = None) -> Report:
    th = thresholds or Thresholds()
    pages = list(pages)
    rep = Report(
        pages=len(pages),
        sites=len({p.label["site"] for p in pages}),
        column=Binary("column"),
        blank=Binary("blank"),
        listed=Binary("list recognised"),
        items=Field("item count"),
        newest=Field("newest item date"),
        home_latest=Field("home page newest date"),
        publish=Field("publish date"),
        publish_false=Field("no publish date where none"),
        asked=Field("letter asked"),
        replied=Field("letter replied"),
        state=Field("letter state"),
        long_text_blank=[],
    )
    for page in pages:
        label, facts = page.label, page.facts
        kind = label["kind"]
        verdict = page_verdict(facts, th)
        note = f" ({kind}; {verdict.reason})"
        if kind in COLUMN_KINDS or kind in NOT_COLUMN_KINDS:
            rep.column.add(
                kind in COLUMN_KINDS and not label["blank"], verdict.kind == COLUMN, page, note
            )
        if kind != "home":
            rep.blank.add(bool(label["blank"]), verdict.kind == BLANK, page, note)
            if verdict.kind == BLANK and (label.get("own_text_chars") or 0) > OWN_TEXT_NEVER_BLANK:
                rep.long_text_blank.append(page.name)
        lst = label.get("list")
        if lst:
            got_items = len(dated(facts))
            rep.listed.add(True, got_items > 0, page, f" ({kind})")
            rep.items.add(got_items == lst["items"], page, lst["items"], got_items)
            newest = _newest(facts)
            rep.newest.add(str(newest) == lst["newest"], page, lst["newest"], str(newest))
        if kind == "home" and label.get("home_latest"):
            got = max((calendar_day(i.date) for i in facts.dated_links if i.date), default=None)
            rep.home_latest.add(
                str(got) == label["home_latest"], page, label["home_latest"], str(got)
            )
        if label.get("publish_date"):
            got = _day(facts.publish_date)
            rep.publish.add(
                str(got) == label["publish_date"], page, label["publish_date"], str(got)
            )
        elif kind in NOT_COLUMN_KINDS | COLUMN_KINDS | {"portal"}:
            got = _day(facts.publish_date)
            rep.publish_false.add(got is None, page, None, str(got))
        threads = {_norm(t.title): t for t in facts.threads}
        for letter in label.get("letters") or []:
            found = threads.get(_norm(letter["title"]))
            asked = str(_day(found.asked)) if found and found.asked else None
            replied = str(_day(found.replied)) if found and found.replied else None
            want_asked = letter["asked"][:10] if letter.get("asked") else None
            want_replied = letter["replied"][:10] if letter.get("replied") else None
            rep.asked.add(asked == want_asked, page, want_asked, asked)
            rep.replied.add(replied == want_replied, page, want_replied, replied)
            got_state = found.state if found else None
            rep.state.add(got_state == letter["state"], page, letter["state"], got_state)
    return rep


def table(rep: Report) -> str:
    """The report as a Markdown table (the README's accuracy section shows it)."""

    def pct(x: float | None) -> str:
        return "—" if x is None else f"{x:.2f}"

    rows = [
        (
            "column page recognised",
            rep.column.n,
            f"P {pct(rep.column.precision)} · R {pct(rep.column.recall)} · F1 {pct(rep.column.f1)}",
        ),
        (
            "blank column",
            rep.blank.n,
            f"P {pct(rep.blank.precision)} · R {pct(rep.blank.recall)} "
            f"({rep.blank.tp + rep.blank.fn} blank)",
        ),
        ("main list recognised", rep.listed.n, f"R {pct(rep.listed.recall)}"),
        ("item count exact", rep.items.n, pct(rep.items.share)),
        ("newest item date exact", rep.newest.n, pct(rep.newest.share)),
        ("home page newest date exact", rep.home_latest.n, pct(rep.home_latest.share)),
        ("publish date exact", rep.publish.n, pct(rep.publish.share)),
        ("no publish date where none", rep.publish_false.n, pct(rep.publish_false.share)),
        ("letter asked date exact", rep.asked.n, pct(rep.asked.share)),
        ("letter reply date exact", rep.replied.n, pct(rep.replied.share)),
        ("letter state exact", rep.state.n, pct(rep.state.share)),
    ]
    lines = [
        f"Real corpus: {rep.pages} labelled pages from {rep.sites} sites.",
        "",
        "| field | labelled | agreement |",
        "|---|---:|---|",
    ]
    lines += [
        f"| {name} | {n} | {value if n else 'not measured (no labelled case)'} |"
        for name, n, value in rows
    ]
    return "\n".join(lines)
