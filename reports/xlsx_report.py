"""The XLSX report: ``report.xlsx``, one sheet per CSV table plus a summary, byte for byte
the same for the same data (fixed document properties and zip timestamps)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from evalcrawler import __version__
from evalcrawler.reports.cells import INDEX_DECIMALS, SCORE_DECIMALS, xlsx_cell
from evalcrawler.reports.data import ReportData, SiteReport
from evalcrawler.reports.html_report import fmt_datetime, fmt_score
from evalcrawler.reports.overview import headline
from evalcrawler.reports.regional import regional_table
from evalcrawler.reports.tables import Table

SHEETS: tuple[str, ...] = (
    "scores",
    "regional",
    "findings",
    "indicators",
    "measurements",
    "columns",
    "threads",
    "broken",
    "years",
)


def _summary_rows(data: ReportData, generated_at: datetime) -> list[tuple[str, Any]]:
    regional = regional_table(data)
    head = headline(data, regional)

    def names(sites: Sequence[SiteReport]) -> str:
        return "; ".join(f"{s.name_zh or s.name} ({fmt_score(s.total)})" for s in sites)

    return [
        ("region", data.region_id),
        ("region_name", data.title_name),
        ("run_id", data.run_id),
        ("year", data.year),
        ("as_of", data.as_of.isoformat() if data.as_of else None),
        ("crawl_date", data.crawl_date.isoformat() if data.crawl_date else None),
        ("rubric", f"{data.rubric.id} {data.rubric.version}".strip()),
        ("rubric_title", data.rubric.title),
        ("rubric_sha256", data.rubric.sha256),
        ("generated_at", fmt_datetime(generated_at)),
        ("generator", f"evalcrawl {__version__}"),
        ("sites", head.n_sites),
        ("ranked", head.n_included),
        ("measured", head.n_measured),
        ("partial", head.n_partial),
        ("not_measured", head.n_unreachable),
        ("vetoed", head.n_veto),
        ("leaders", names(head.leaders)),
        ("trailers", names(head.trailers)),
        ("mean_total", head.mean_total),
        ("gap_total (municipal − district+county+county_city)", head.gap_total),
        ("gap_total (municipal − county+county_city)", head.gap_counties_total),
        ("gini_total", head.gini_total),
        ("theil_total", head.theil_total),
        ("theil_between_share", head.theil_between_share),
        ("previous_year", head.previous_year),
        ("yoy_mean_total", head.yoy_mean_total),
    ]


def _display_width(value: Any) -> int:
    text = "" if value is None else str(value)
    # CJK characters take two columns in Excel's default font.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def render_xlsx(data: ReportData, tables: dict[str, Table], generated_at: datetime) -> bytes:
    """The workbook: a summary sheet, every CSV table, and the rubric's indicators."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDE6F0")

    def add_sheet(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        sheet = workbook.create_sheet(title)
        sheet.append([xlsx_cell(c) for c in columns])
        widths = [_display_width(c) for c in columns]
        for row in rows:
            sheet.append(list(row))
            for index, value in enumerate(row):
                widths[index] = max(widths[index], min(_display_width(value), 60))
        for cell in sheet[1]:
            cell.font = header_font
            cell.fill = header_fill
            cell.alignment = Alignment(vertical="top")
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = max(6, width + 2)
        sheet.freeze_panes = "A2"
        if sheet.max_row > 1:
            sheet.auto_filter.ref = sheet.dimensions
        for sheet_row in sheet.iter_rows(min_row=2):
            for cell in sheet_row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, never a formula
                elif isinstance(cell.value, float):
                    cell.number_format = "0.00##"

    workbook.remove(workbook.active)
    summary = _summary_rows(data, generated_at)
    index_items = {"gini_total", "theil_total", "theil_between_share"}
    add_sheet(
        "summary",
        ["item", "value"],
        [
            [
                xlsx_cell(key),
                xlsx_cell(value, INDEX_DECIMALS if key in index_items else SCORE_DECIMALS),
            ]
            for key, value in summary
        ],
    )
    for name in SHEETS:
        table = tables[name]
        add_sheet(
            name,
            table.columns,
            (
                [xlsx_cell(row.get(c), table.decimals_of(c, row)) for c in table.columns]
                for row in table.rows
            ),
        )
    rubric_columns = ["id", "category", "name_zh", "name", "points", "manual", "levels"]
    add_sheet(
        "rubric",
        rubric_columns,
        ([xlsx_cell(ind.get(c)) for c in rubric_columns] for ind in data.rubric.indicators),
    )

    moment = (
        generated_at.astimezone(timezone.utc).replace(tzinfo=None)
        if (generated_at.tzinfo is not None)
        else generated_at
    )
    moment = moment.replace(microsecond=0)
    props = workbook.properties
    props.creator = f"evalcrawl {__version__}"
    props.title = f"{data.title_name} {data.year or ''} evalcrawl report".strip()
    props.created = moment
    props.modified = moment
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _normalise_zip(buffer.getvalue(), moment)


def _normalise_zip(payload: bytes, moment: datetime) -> bytes:
    """openpyxl stamps the save time into docProps/core.xml and every zip entry; replace both
    with ``moment`` so the same report gives the same bytes."""
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    zip_time = (
        max(moment.year, 1980),
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
    )
    source = zipfile.ZipFile(io.BytesIO(payload))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = content.decode("utf-8")
                text = re.sub(
                    r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                    rf"\g<1>{stamp}\g<2>",
                    text,
                )
                content = text.encode("utf-8")
            entry = zipfile.ZipInfo(info.filename, date_time=zip_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, content)
    return out.getvalue()
