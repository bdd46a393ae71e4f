"""The whole pipeline on real pages: the labelled corpus served on loopback, crawled with the CLI.

    .venv/bin/python bench/real_run.py
    .venv/bin/python bench/real_run.py --explain www.pingtan.gov.cn/zwgk/yw/ptyw/

Serves the loopback mirror of tests/fixtures/real/corpus (tests/realweb.py: each site at its
own host name, resolved to 127.0.2.N by an injected resolver, its pages at their own paths,
a start page that links them through navigation), runs ``evalcrawl run`` on it, prints the
rows of columns.csv, then ``evalcrawl explain`` of each page given with ``--explain`` (host and
path, as in the corpus). docs/explain.md shows such output.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import realweb  # noqa: E402

EVALCRAWL = str(Path(sys.executable).with_name("evalcrawl"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--explain", action="append", default=[], metavar="HOST/PATH")
    parser.add_argument("--keep", metavar="DIR", help="keep the run's files in DIR")
    args = parser.parse_args()
    folder = Path(args.keep or tempfile.mkdtemp(prefix="evalcrawl-real-"))
    folder.mkdir(parents=True, exist_ok=True)
    sites = realweb.mirror_sites()
    port = realweb.free_port(sites)
    region = folder / "real.yaml"
    region.write_text(
        yaml.safe_dump(
            {
                "id": "real",
                "name": "Real pages",
                "crawl": {"delay": 0.05, "allow_nets": ["127.0.0.0/8"]},
                "sites": realweb.region_sites(sites, port),
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    db = f"sqlite:///{folder / 'real.db'}"
    env = {
        **os.environ,
        "EVALCRAWL_ADDRESS_RESOLVER": realweb.RESOLVER,
        realweb.HOSTS_ENV: realweb.hosts_env(sites),
        "PYTHONPATH": str(ROOT),
    }
    realweb.serve(sites, port)
    try:
        run = subprocess.run(
            [
                *(EVALCRAWL, "run", "--region", str(region), "--db", db),
                *("--out", str(folder / "out"), "--max-pages", "60", "--check-budget", "60"),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        realweb.stop(sites)
    if run.returncode not in (0, 3):
        sys.exit(f"evalcrawl run failed ({run.returncode}):\n{run.stderr}")
    with (folder / "out" / "columns.csv").open(encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            kind = "blank " if row["blank"] == "true" else "column"
            print(f"{kind} {row['items']:>3} {row['latest'] or '—':10} {row['url']}")
            print(f"       {row['reason']}")
    for target in args.explain:
        url = f"http://{target.split('/', 1)[0]}:{port}/{target.split('/', 1)[1]}"
        out = subprocess.run(
            [EVALCRAWL, "explain", "--run", "1", "--db", db, url],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        print()
        print(f"$ evalcrawl explain --run 1 {url}")
        print(out.stdout.rstrip() or out.stderr.rstrip())


if __name__ == "__main__":
    main()
