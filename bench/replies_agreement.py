"""Reply quality against the hand labels: 308 real replies of the 2020 Teddy Cup C data set.

Runs the site-level pass of :mod:`evalcrawler.scoring.replies` over the whole labelled sample
(all of it is one platform, so the sample is the template context), then prints per-class
precision, recall and F1 for the development rows (``id < 96500``, used to write the rules),
the held-out rows and all rows, and with ``--disagreements`` every reply where the classifier
and the hand label differ.

    python bench/replies_agreement.py
    python bench/replies_agreement.py --disagreements
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from evalcrawler.scoring.agreement import accuracy, macro_f1, markdown_table, per_class
from evalcrawler.scoring.replies import CLASSES, classify_site_replies

SAMPLE = Path(__file__).resolve().parent.parent / "tests/fixtures/real/replies-sample.csv"
DEV_BELOW = 96500  # rows with a smaller id were used to write the rules


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--disagreements", action="store_true", help="list every disagreement")
    args = parser.parse_args()
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    results = classify_site_replies([r["reply"] for r in rows])
    parts = {
        "development": [i for i, r in enumerate(rows) if int(r["id"]) < DEV_BELOW],
        "held out": [i for i, r in enumerate(rows) if int(r["id"]) >= DEV_BELOW],
        "all": list(range(len(rows))),
    }
    for name, index in parts.items():
        truth = [rows[i]["label"] for i in index]
        predicted = [results[i][0] for i in index]
        scores = per_class(truth, predicted, CLASSES)
        print(
            f"\n{name}: {len(index)} replies, accuracy {accuracy(truth, predicted):.3f}, "
            f"macro F1 {macro_f1(scores):.3f} (classes with labels)"
        )
        print(markdown_table(scores))
    if args.disagreements:
        print()
        for i, row in enumerate(rows):
            label, reason = results[i]
            if label != row["label"]:
                print(f"{row['id']}: labelled {row['label']}, classified {label} ({reason})")


if __name__ == "__main__":
    main()
