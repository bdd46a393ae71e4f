"""Accuracy of page-fact extraction on real government pages: the table, and the floors.

    .venv/bin/python bench/accuracy_real.py                 # the table, then every miss
    .venv/bin/python bench/accuracy_real.py --update-floors # pin today's figures as floors
    .venv/bin/python bench/accuracy_real.py --update-floors --allow-lower "why"

The corpus is tests/fixtures/real/corpus (labelled by hand, see tests/realcorpus.py); the
floors are tests/fixtures/real/accuracy-floors.json, enforced by tests/test_accuracy_real.py.
A floor is never lowered unless ``--allow-lower`` says why; the reason is kept in the file.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.realcorpus import FLOORS, corpus_hash, evaluate, load, table  # noqa: E402


def floor_of(value: float | None) -> float | None:
    return None if value is None else math.floor(value * 1000) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update-floors", action="store_true", help="pin the figures as floors")
    parser.add_argument("--allow-lower", metavar="REASON", help="let a floor go down, saying why")
    parser.add_argument("--quiet", action="store_true", help="the table only, not the misses")
    args = parser.parse_args()
    report = evaluate(load())
    print(table(report))
    if not report.asked.n:
        print(
            "\nLetters (asked, reply date, state): not measured — the corpus holds no real "
            "message-board page yet (tests/fixtures/real/corpus/SOURCES-E.md). The board rules "
            "are tested on pages built from real boards' structures with real letters "
            "(tests/test_boards.py, tests/test_board_crawl.py); those are no accuracy figure."
        )
    if not args.quiet:
        for part in (report.column, report.blank, report.listed, report.items, report.newest):
            for miss in part.wrong:
                print(f"  {part.name}: {miss}")
        for part in (report.home_latest, report.publish, report.publish_false):
            for miss in part.wrong:
                print(f"  {part.name}: {miss}")
        for part in (report.asked, report.replied, report.state):
            for miss in part.wrong:
                print(f"  {part.name}: {miss}")
    if not args.update_floors:
        return
    old = json.loads(FLOORS.read_text(encoding="utf-8")) if FLOORS.exists() else {"floors": {}}
    new = {name: floor_of(value) for name, value in report.numbers().items()}
    lower = {
        name: (old["floors"].get(name), value)
        for name, value in new.items()
        if old["floors"].get(name) is not None and (value is None or value < old["floors"][name])
    }
    if lower and not args.allow_lower:
        sys.exit(
            f"refused: these floors would go down (old, new): {lower}; say why with --allow-lower"
        )
    history = old.get("history", [])
    if lower:
        history.append(
            {"date": date.today().isoformat(), "lowered": lower, "why": args.allow_lower}
        )
    out = {
        "corpus_sha256": corpus_hash(),
        "pages": report.pages,
        "sites": report.sites,
        "floors": new,
        "history": history,
    }
    FLOORS.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"floors written to {FLOORS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
