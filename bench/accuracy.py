"""Measurement accuracy on the demo web: how many sites each metric gets exactly right.

Crawls the offline demo web (seven fictional sites with planted, known differences; their
expected metric values are in evalcrawler/demo/truth.json) with the full page budget and with a
small one, and prints, per metric, how many of the seven sites were measured exactly as the
truth file says (timings: within the truth's range), plus the columns and letters found.

    python bench/accuracy.py                # full budget (500) and --max-pages 60
    python bench/accuracy.py --budgets 500  # one budget only
    python bench/accuracy.py --markdown     # the table as it appears in the README
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from evalcrawler import pipeline
from evalcrawler.db import make_engine, session_scope, store
from evalcrawler.db.facts import load_site_facts
from evalcrawler.demo import demo_region, free_port
from evalcrawler.scoring.metrics import compute_metrics
from evalcrawler.scoring.results import METRICS, Thresholds

TRUTH = json.loads(resources.files("evalcrawler.demo").joinpath("truth.json").read_text("utf-8"))


def matches(expected: Any, got: Any) -> bool:
    if isinstance(expected, dict):
        return got is not None and expected["min"] <= got <= expected["max"]
    if isinstance(expected, bool) or expected is None or isinstance(expected, str):
        return got == expected
    return (
        isinstance(got, (int, float)) and not isinstance(got, bool) and (abs(got - expected) < 1e-6)
    )


def measure(budget: int, folder: Path) -> dict[str, Any]:
    region = demo_region(free_port(19700))
    region_file = folder / f"demo-{budget}.yaml"
    region_file.write_text(yaml.safe_dump(region.model_dump(mode="json"), allow_unicode=True))
    db_url = f"sqlite:///{folder / f'accuracy-{budget}.db'}"
    started = time.monotonic()
    outcome = pipeline.run(
        str(region_file),
        db_url=db_url,
        out=folder / f"out-{budget}",
        crawl_only=True,
        max_pages=budget,
    )
    crawl_seconds = time.monotonic() - started
    as_of = region.as_of
    assert as_of is not None
    with session_scope(make_engine(db_url)) as session:
        facts = load_site_facts(session, store.get_run(session, outcome.run_id))
    per_metric = {m: 0 for m in METRICS}
    wrong: dict[str, list[str]] = {m: [] for m in METRICS}
    columns_right = threads_right = 0
    for site in facts:
        truth = TRUTH["sites"][site.site_id]
        result = compute_metrics(site, Thresholds(), as_of)
        for metric in METRICS:
            if matches(truth["metrics"][metric], result.value(metric)):
                per_metric[metric] += 1
            else:
                wrong[metric].append(site.site_id)
        got_columns = sorted(
            (c.url.split("/", 3)[3], c.kind, c.items, c.stale, c.blank) for c in result.columns
        )
        want_columns = sorted(
            (c["url"].lstrip("/"), c["kind"], c["items"], c["stale"], c["blank"])
            for c in truth["columns"]
        )
        columns_right += got_columns == want_columns
        got_threads = sorted((str(t.asked), str(t.replied)) for t in result.threads)
        want_threads = sorted((t["asked"], str(t["replied"])) for t in truth["threads"])
        threads_right += got_threads == want_threads
    return {
        "budget": budget,
        "sites": len(facts),
        "crawl_seconds": round(crawl_seconds, 1),
        "per_metric": per_metric,
        "wrong": {m: s for m, s in wrong.items() if s},
        "columns": columns_right,
        "threads": threads_right,
    }


def table(results: list[dict[str, Any]], markdown: bool) -> str:
    heads = ["metric"] + [f"--max-pages {r['budget']}" for r in results]
    rows = []
    for metric in METRICS:
        rows.append([metric] + [f"{r['per_metric'][metric]}/{r['sites']}" for r in results])
    rows.append(["columns.csv rows, all right"] + [f"{r['columns']}/{r['sites']}" for r in results])
    rows.append(["threads.csv rows, all right"] + [f"{r['threads']}/{r['sites']}" for r in results])
    exact = [sum(v == r["sites"] for v in r["per_metric"].values()) for r in results]
    rows.append(["metrics exact on every site"] + [f"{e}/{len(METRICS)}" for e in exact])
    rows.append(["crawl time (7 sites)"] + [f"{r['crawl_seconds']} s" for r in results])
    if markdown:
        lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(str(row[i])) for row in [heads, *rows]) for i in range(len(heads))]
    return "\n".join(
        "  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True))
        for row in [heads, *rows]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", default="500,60", help="page budgets to measure")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    budgets = [int(b) for b in args.budgets.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        results = [measure(b, Path(tmp)) for b in budgets]
    print(table(results, args.markdown))
    for r in results:
        for metric, sites in r["wrong"].items():
            print(f"budget {r['budget']}: {metric} differs on {', '.join(sites)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
