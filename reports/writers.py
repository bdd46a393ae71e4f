"""Writers: the CSV files of DESIGN.md, one self-contained ``report.html`` and ``report.xlsx``.

Every output is deterministic for a given :class:`ReportData` and ``generated_at``: rows in a
fixed order, numbers rounded half-up to a documented number of decimals, SVG without dates,
XLSX with fixed document properties and zip timestamps. Crawled text is untrusted: HTML escapes
it (Jinja2 autoescape), links only ever point to http(s) URLs, and CSV/XLSX cells that a
spreadsheet would read as a formula are neutralised with a leading apostrophe.
"""

from __future__ import annotations

import csv
import functools
import io
import logging
import os
import tempfile
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine

from evalcrawler.errors import ReportError
from evalcrawler.reports.cells import csv_cell
from evalcrawler.reports.data import ReportData, load_report_data
from evalcrawler.reports.html_report import render_html
from evalcrawler.reports.tables import Table, build_tables
from evalcrawler.reports.xlsx_report import render_xlsx

logger = logging.getLogger(__name__)

FORMATS: tuple[str, ...] = ("csv", "html", "xlsx")

CSV_FILES: tuple[str, ...] = (
    "scores.csv",
    "indicators.csv",
    "measurements.csv",
    "regional.csv",
    "columns.csv",
    "threads.csv",
    "broken.csv",
    "findings.csv",
    "years.csv",
)


def file_mode() -> int:
    """The mode a new file gets under the process's umask (0644 under 022).

    Reports are staged with :func:`tempfile.mkstemp`, which always creates 0600 files: they
    get this mode before they are renamed, so others can open them as they can any file the
    user writes. (``os.umask`` can only be read by setting it: it is set back at once.)
    """
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _stage(path: Path, payload: bytes, mode: int) -> Path:
    """Write ``payload`` to a temporary file next to ``path`` with ``mode``; return it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(payload)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def render_csv(table: Table) -> bytes:
    """The table as CSV: UTF-8 with BOM (Excel then reads Chinese right), ``\\n`` line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([csv_cell(row.get(c), table.decimals_of(c, row)) for c in table.columns])
    return buffer.getvalue().encode("utf-8-sig")


def write_reports(
    data: ReportData,
    out_dir: Path,
    *,
    generated_at: datetime | None = None,
    formats: Iterable[str] = FORMATS,
) -> list[Path]:
    """Write the reports of ``data`` into ``out_dir`` (created if missing); return the paths
    written, in a fixed order. ``generated_at`` defaults to ``SOURCE_DATE_EPOCH`` when set,
    else now (UTC, whole seconds)."""
    formats = tuple(formats)
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ReportError(
            f"unknown report format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}"
        )
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(
            f"cannot create report folder {out_dir}: {exc.strerror}; choose another --out"
        ) from None
    generated_at = generated_at or default_generated_at()
    tables = build_tables(data)
    renders: list[tuple[str, Callable[[], bytes]]] = []
    if "csv" in formats:
        for name in CSV_FILES:
            renders.append((name, functools.partial(render_csv, tables[name.removesuffix(".csv")])))
    if "html" in formats:
        renders.append(("report.html", lambda: render_html(data, tables, generated_at).encode()))
    if "xlsx" in formats:
        renders.append(("report.xlsx", lambda: render_xlsx(data, tables, generated_at)))
    # Every file is written to a temporary file first and all are renamed at the end, so a
    # failure of the disk (full, read-only) leaves the earlier reports as they were, never half
    # a set. A file that cannot be made (its writer fails on the data) does not cost the others:
    # they are written and the error names the one that failed.
    staged: list[tuple[Path, Path]] = []  # (temporary file, report file)
    mode = file_mode()
    failed: list[str] = []
    try:
        for name, render in renders:
            try:
                payload = render()
            except OSError:
                raise
            except Exception as exc:  # a writer's bug or a value it cannot hold: say which
                logger.exception("writing %s failed", name)
                failed.append(f"{name} ({type(exc).__name__}: {str(exc)[:200]})")
                continue
            path = out_dir / name
            staged.append((_stage(path, payload, mode), path))
        for tmp, path in staged:
            os.replace(tmp, path)
    except OSError as exc:
        raise ReportError(
            f"cannot write reports in {out_dir}: {exc.strerror or exc}; check the folder's "
            "permissions and free space"
        ) from None
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
    if failed:
        raise ReportError(
            f"wrote {len(staged)} of {len(renders)} report files to {out_dir}, but "
            f"{'; '.join(failed)} could not be written; the others are complete. Please "
            "report this with the run's database"
        )
    return [path for _, path in staged]


def report_run(
    engine: Engine,
    run_id: int,
    out_dir: Path,
    *,
    rubric_id: str | None = None,
    generated_at: datetime | None = None,
    formats: Iterable[str] = FORMATS,
) -> list[Path]:
    """``evalcrawl report --run ID --out DIR``: rebuild every report from the database alone."""
    data = load_report_data(engine, run_id, rubric_id)
    return write_reports(data, out_dir, generated_at=generated_at, formats=formats)


def default_generated_at() -> datetime:
    """``SOURCE_DATE_EPOCH`` (the reproducible-builds convention) if set, else now, in UTC."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
    return datetime.now(timezone.utc).replace(microsecond=0)
