"""The report files: golden CSVs, a deterministic HTML, the workbook, and hostile text.

Golden files live in tests/golden/. After an intended change of the outputs, regenerate them
with ``EVALCRAWL_UPDATE_GOLDEN=1 pytest tests/test_report_outputs.py`` and review the diff.
The golden HTML has its charts cut out (their layout depends on the fonts and the matplotlib
version of the machine); the charts are checked by the determinism and SVG tests instead.
"""

from __future__ import annotations

import csv
import io
import os
import re
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from lxml import html as lxml_html
from openpyxl import load_workbook

from evalcrawler import __version__
from evalcrawler.errors import ReportError
from evalcrawler.reports import tables, writers
from evalcrawler.reports.cells import csv_cell, neutralise
from evalcrawler.reports.data import load_report_data, report_data_from_results
from evalcrawler.reports.html_report import safe_href
from evalcrawler.reports.writers import CSV_FILES, report_run, write_reports
from evalcrawler.scoring.results import (
    METRICS,
    ColumnResult,
    IndicatorResult,
    Measurement,
    SiteMetrics,
    SiteResult,
    ThreadResult,
)

try:
    from tests.test_report_fixture import GENERATED_AT, HYPERLINK, SCRIPT, build_db
except ImportError:  # tests/ is not a package: pytest puts the folder itself on sys.path
    from test_report_fixture import GENERATED_AT, HYPERLINK, SCRIPT, build_db

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("EVALCRAWL_UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("db")
    return build_db(folder / "r.db")


@pytest.fixture(scope="module")
def written(stored, tmp_path_factory: pytest.TempPathFactory) -> Path:
    engine, run_id = stored
    out = tmp_path_factory.mktemp("out")
    write_reports(load_report_data(engine, run_id), out, generated_at=GENERATED_AT)
    return out


def _compare_golden(name: str, actual: bytes) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual)
    assert path.exists(), f"missing golden file {path}; run with EVALCRAWL_UPDATE_GOLDEN=1"
    expected = path.read_bytes()
    if actual != expected:
        # Show the first differing line rather than two blobs.
        for number, (a, e) in enumerate(
            zip(actual.decode().splitlines(), expected.decode().splitlines(), strict=False), 1
        ):
            assert a == e, f"{name}:{number} differs from the golden file"
        assert actual == expected, f"{name}: length differs from the golden file"


def _without_charts(page: str) -> str:
    page = re.sub(
        r'(<svg id="(chart-[a-z]+)"[^>]*>).*?</svg>',
        r'<svg id="\2"><!-- chart --></svg>',
        page,
        flags=re.S,
    )
    return page.replace(f"evalcrawl {__version__}", "evalcrawl VERSION")


# --- CSV ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CSV_FILES)
def test_csv_matches_golden(written: Path, name: str) -> None:
    _compare_golden(name, (written / name).read_bytes())


def test_csv_headers_are_the_contract(written: Path) -> None:
    contract = {
        "scores.csv": "rank,site_id,name_zh,name,level,url,total,content,function,interaction,"
        "feedback,veto,veto_reasons,status,pages",
        "indicators.csv": "site_id,indicator_id,category,name_zh,value,score,max_score,status,"
        "evidence_url",
        "measurements.csv": "site_id,metric,value",
        "columns.csv": "site_id,column,url,kind,items,latest,age_days,stale,blank",
        "threads.csv": "site_id,url,title,asked,replied,latency_days,overdue",
        "regional.csv": "year,region,statistic,group,measure,n,excluded,mean,median,std,cv,min,"
        "max,range,value",
    }
    for name, prefix in contract.items():
        raw = (written / name).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), f"{name} must be utf-8-sig"
        header = raw.decode("utf-8-sig").splitlines()[0]
        assert header == prefix or header.startswith(prefix + ","), name


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text("utf-8-sig"))))


def test_scores_csv_ranks_first_unreachable_last(written: Path) -> None:
    rows = _rows(written / "scores.csv")
    assert [r["rank"] for r in rows] == ["1", "2", "3", "4", "5", "6", ""]
    assert rows[-1]["site_id"] == "loufan" and rows[-1]["status"] == "unreachable"
    assert rows[-1]["total"] == "" and rows[-1]["reason"].startswith("DNS lookup failed")
    vetoed = next(r for r in rows if r["site_id"] == "yingze")
    assert vetoed["veto"] == "true" and vetoed["veto_reasons"].startswith("首页长期不更新")
    assert rows[0]["total"] == "80.00" and rows[0]["total_change"] == "5.50"


def test_measurements_csv_has_every_metric_in_catalogue_order(written: Path) -> None:
    rows = _rows(written / "measurements.csv")
    assert len(rows) == 7 * len(METRICS)
    assert [r["metric"] for r in rows[: len(METRICS)]] == list(METRICS)
    ipv6 = next(r for r in rows if r["site_id"] == "taiyuan" and r["metric"] == "ipv6")
    assert ipv6["value"] == "" and ipv6["reason"].startswith("DNS cannot be asked")
    https = next(r for r in rows if r["site_id"] == "yangqu" and r["metric"] == "https")
    assert https["value"] == "false"


def test_csv_cells() -> None:
    assert csv_cell(None) == "" and csv_cell(float("nan")) == ""
    assert csv_cell(True) == "true" and csv_cell(3) == "3"
    assert csv_cell(2.675, 2) == "2.68" and csv_cell(0.1 + 0.2) == "0.3"
    assert csv_cell(-15.5, 2) == "-15.50"  # numbers are never neutralised
    assert csv_cell("-15.5") == "'-15.5"  # text that looks like a formula is
    assert csv_cell({"b": 1, "a": "中"}) == '{"a":"中","b":1}'
    assert csv_cell(date(2026, 1, 2)) == "2026-01-02"
    for start in "=+-@\t\r":
        assert neutralise(start + "x") == "'" + start + "x"
    assert neutralise("太原") == "太原"


# --- HTML ---------------------------------------------------------------------------------


def test_html_is_deterministic_and_matches_golden(stored, tmp_path: Path) -> None:
    engine, run_id = stored
    data = load_report_data(engine, run_id)
    first = write_reports(data, tmp_path / "a", generated_at=GENERATED_AT, formats=("html",))
    second = write_reports(
        load_report_data(engine, run_id),
        tmp_path / "b",
        generated_at=GENERATED_AT,
        formats=("html",),
    )
    assert [p.name for p in first] == ["report.html"]
    page = first[0].read_text("utf-8")
    assert page == second[0].read_text("utf-8")  # charts included
    assert "2026-12-01 08:00:00 UTC" in page
    _compare_golden("report.html", _without_charts(page).encode("utf-8"))


def test_html_loads_nothing_and_runs_nothing(written: Path) -> None:
    page = (written / "report.html").read_text("utf-8")
    tree = lxml_html.fromstring(page)
    assert tree.xpath("//script|//link|//img|//iframe|//object|//embed|//video|//audio") == []
    assert "@import" not in page and not re.search(r"url\((?!#)", page)
    assert not tree.xpath("//*[@src]")
    csp = tree.xpath('//meta[@http-equiv="Content-Security-Policy"]/@content')
    assert csp and csp[0].startswith("default-src 'none'")
    for element in tree.xpath("//*[@href]"):
        href = element.get("href")
        if href.startswith("#"):
            continue  # in-page links (the table of contents)
        assert element.tag == "a" and href.startswith(("https://", "http://")), href
    # Every id is unique (two inline charts must not share matplotlib's ids).
    ids = tree.xpath("//@id")
    assert len(ids) == len(set(ids))
    for attribute in tree.xpath("//@*[starts-with(name(), 'on')]"):
        pytest.fail(f"event handler attribute {attribute!r}")


def test_html_charts_keep_chinese_as_text(written: Path) -> None:
    page = (written / "report.html").read_text("utf-8")
    charts = re.findall(r'<svg id="chart-[a-z]+".*?</svg>', page, flags=re.S)
    # Categories, levels, reply days by topic, reply quality by site, totals by year.
    assert [re.match(r'<svg id="(chart-[a-z]+)"', c)[1] for c in charts] == [
        "chart-categories",
        "chart-levels",
        "chart-topics",
        "chart-quality",
        "chart-years",
    ]
    for chart in charts:
        assert "<?xml" not in chart and "<metadata" not in chart and "dc:date" not in chart
        # svg.fonttype = none: labels are <text>, no glyph outlines are embedded.
        assert "<text" in chart and "DejaVuSans-" not in chart
        assert "Noto Sans CJK SC" in chart
    assert "太原市</text>" in charts[0] and "信息内容</text>" in charts[0]
    assert "县级市" in charts[1]


# --- Hostile text in every output ---------------------------------------------------------


def _hostile_data():
    region = {
        "id": "evil",
        "name": "Evil",
        "name_zh": "测试市",
        "sites": [
            {
                "id": "bad",
                "name_zh": SCRIPT,
                "name": HYPERLINK,
                "level": "municipal",
                "url": "https://bad.example.gov.cn/",
            },
            {
                "id": "ok",
                "name_zh": "@SUM(A1)县",
                "name": "+cmd|' /C calc'!A0",
                "level": "county",
                "url": "https://ok.example.gov.cn/",
            },
        ],
    }
    metrics = SiteMetrics(
        site_id="bad",
        values={
            "pages": Measurement(3),
            "home_latest": Measurement("-2026-01-01"),
            "home_status": Measurement(200, evidence_url="javascript:alert(1)"),
        },
        columns=[
            ColumnResult(SCRIPT, "https://bad.example.gov.cn/a", "news", 3, None, None, True, False)
        ],
        threads=[
            ThreadResult("javascript:alert(2)", HYPERLINK, date(2026, 1, 1), None, None, True)
        ],
    )
    results = [
        SiteResult(
            "bad",
            "municipal",
            "measured",
            50.0,
            {"content": 50.0, "function": 50.0, "interaction": 50.0, "feedback": 50.0},
            veto=True,
            veto_reasons=[SCRIPT],
            indicators=[
                IndicatorResult(
                    "x1",
                    "content",
                    SCRIPT,
                    HYPERLINK,
                    "=1+2",
                    1.0,
                    5.0,
                    "scored",
                    evidence_url="javascript:alert(3)",
                    evidence_text=HYPERLINK,
                    note=SCRIPT,
                ),
            ],
            metrics=metrics,
        ),
        SiteResult(
            "ok",
            "county",
            "measured",
            40.0,
            {"content": 40.0, "function": 40.0, "interaction": 40.0, "feedback": 40.0},
        ),
    ]
    return report_data_from_results(
        region,
        results,
        rubric_text=f"id: evil\ntitle: '{SCRIPT}'\n",
        rubric_id="evil",
        year=2026,
        as_of=date(2026, 11, 30),
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_hostile_text_is_text_in_every_output(tmp_path: Path) -> None:
    paths = write_reports(_hostile_data(), tmp_path, generated_at=GENERATED_AT)
    assert {p.name for p in paths} == {*CSV_FILES, "report.html", "report.xlsx"}

    # CSV: no cell that a spreadsheet would evaluate; the text survives behind a quote.
    seen = set()
    for name in CSV_FILES:
        for row in csv.reader(io.StringIO((tmp_path / name).read_text("utf-8-sig"))):
            for cell in row:
                if cell[:1] in ("=", "+", "-", "@"):
                    assert _is_number(cell), f"{name}: formula-like cell {cell!r}"
                seen.add(cell)
    assert "'" + HYPERLINK in seen and SCRIPT in seen and "'@SUM(A1)县" in seen
    assert "'+cmd|' /C calc'!A0" in seen and "'-2026-01-01" in seen and "'=1+2" in seen

    # XLSX: the same, and no cell is a formula.
    workbook = load_workbook(tmp_path / "report.xlsx")
    values = set()
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@")), cell.value
                    values.add(cell.value)
    assert "'" + HYPERLINK in values and SCRIPT in values

    # HTML: escaped everywhere, no script element, no javascript: link.
    page = (tmp_path / "report.html").read_text("utf-8")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    tree = lxml_html.fromstring(page)
    assert not tree.xpath("//script")
    assert all(not h.lower().startswith("javascript") for h in tree.xpath("//@href"))
    text = tree.text_content()
    assert SCRIPT in text and HYPERLINK in text
    # The chart labels are escaped by matplotlib's SVG writer as well.
    assert "<script>" not in " ".join(re.findall(r"<svg.*?</svg>", page, flags=re.S))


def test_safe_href() -> None:
    assert safe_href("https://www.taiyuan.gov.cn/a?b=1") == "https://www.taiyuan.gov.cn/a?b=1"
    for bad in (
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "data:text/html,x",
        "/relative",
        "file:///etc/passwd",
        "",
        None,
        "http://",
    ):
        assert safe_href(bad) is None, bad


# --- XLSX ---------------------------------------------------------------------------------


def test_xlsx_has_the_tables_and_is_deterministic(stored, tmp_path: Path) -> None:
    engine, run_id = stored
    data = load_report_data(engine, run_id)
    [first] = write_reports(data, tmp_path / "a", generated_at=GENERATED_AT, formats=("xlsx",))
    [second] = write_reports(data, tmp_path / "b", generated_at=GENERATED_AT, formats=("xlsx",))
    assert first.read_bytes() == second.read_bytes()
    workbook = load_workbook(first)
    assert workbook.sheetnames == [
        "summary",
        "scores",
        "regional",
        "findings",
        "indicators",
        "measurements",
        "columns",
        "threads",
        "broken",
        "years",
        "rubric",
    ]
    assert workbook.properties.created == datetime(2026, 12, 1, 8, 0)
    assert workbook.properties.modified == datetime(2026, 12, 1, 8, 0)
    scores = workbook["scores"]
    header = [c.value for c in scores[1]]
    assert header[:15] == [
        "rank",
        "site_id",
        "name_zh",
        "name",
        "level",
        "url",
        "total",
        "content",
        "function",
        "interaction",
        "feedback",
        "veto",
        "veto_reasons",
        "status",
        "pages",
    ]
    first_row = [c.value for c in scores[2]]
    assert first_row[:3] == [1, "taiyuan", "太原市人民政府"] and first_row[6] == 80.0
    assert first_row[11] is False
    assert scores.max_row == 8 and scores.freeze_panes == "A2"
    assert workbook["regional"].max_row == len(_rows_of_csv(data, "regional")) + 1
    summary = {r[0].value: r[1].value for r in workbook["summary"].iter_rows(min_row=2)}
    assert summary["gap_total (municipal − district+county+county_city)"] == pytest.approx(23.7)
    assert summary["not_measured"] == 1


def _rows_of_csv(data, stem: str) -> list[dict]:
    return tables.build_tables(data)[stem].rows


# --- API ----------------------------------------------------------------------------------


def test_report_run_rebuilds_from_the_database_alone(stored, written: Path, tmp_path: Path) -> None:
    engine, run_id = stored
    paths = report_run(engine, run_id, tmp_path, generated_at=GENERATED_AT)
    assert [p.name for p in paths] == [*CSV_FILES, "report.html", "report.xlsx"]
    for name in (*CSV_FILES, "report.html", "report.xlsx"):
        assert (tmp_path / name).read_bytes() == (written / name).read_bytes(), name
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def test_a_run_where_nothing_could_be_measured(tmp_path: Path) -> None:
    region = {
        "id": "down",
        "name": "Down",
        "sites": [
            {"id": "a", "name_zh": "甲市人民政府", "level": "municipal", "url": "https://a/"},
            {"id": "b", "name_zh": "乙县人民政府", "level": "county", "url": "https://b/"},
        ],
    }
    data = report_data_from_results(
        region,
        [SiteResult("a", "municipal", "unreachable", None, {})],
        reasons={"a": "connection refused"},
    )
    write_reports(data, tmp_path, generated_at=GENERATED_AT)
    scores = _rows(tmp_path / "scores.csv")
    assert [(r["site_id"], r["rank"], r["reason"]) for r in scores] == [
        ("a", "", "connection refused"),
        ("b", "", "not scored"),
    ]
    page = (tmp_path / "report.html").read_text("utf-8")
    assert "没有一个网站能够完成测评" in page and "connection refused" in page
    regional = _rows(tmp_path / "regional.csv")
    overall = next(
        r
        for r in regional
        if r["statistic"] == "summary" and r["group"] == "all" and r["measure"] == "total"
    )
    assert (overall["n"], overall["excluded"], overall["mean"]) == ("0", "2", "")


def test_write_reports_formats_and_errors(stored, tmp_path: Path, monkeypatch) -> None:
    engine, run_id = stored
    data = load_report_data(engine, run_id)
    paths = write_reports(data, tmp_path / "csv", formats=("csv",))
    assert [p.name for p in paths] == list(CSV_FILES)
    with pytest.raises(ReportError, match=r"unknown report format.*pdf"):
        write_reports(data, tmp_path, formats=("pdf",))
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ReportError, match="cannot create report folder"):
        write_reports(data, blocker / "out")
    # Without generated_at, SOURCE_DATE_EPOCH (reproducible builds) fixes the time.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(GENERATED_AT.timestamp())))
    assert writers.default_generated_at() == GENERATED_AT
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert writers.default_generated_at().tzinfo == timezone.utc


@pytest.mark.parametrize(
    ("umask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)], ids=["022", "002", "077"]
)
def test_report_files_follow_the_umask(stored, tmp_path: Path, umask: int, mode: int) -> None:
    # Staged with mkstemp (always 0600) and renamed: the rename must not keep that mode.
    engine, run_id = stored
    data = load_report_data(engine, run_id)
    before = os.umask(umask)
    try:
        paths = write_reports(data, tmp_path, generated_at=GENERATED_AT)
    finally:
        os.umask(before)
    assert len(paths) == 11
    assert {p.name: oct(p.stat().st_mode & 0o777) for p in paths} == {
        p.name: oct(mode) for p in paths
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)


def test_html_of_a_run_with_several_regions(tmp_path: Path) -> None:
    region = {
        "id": "two",
        "name": "Two regions",
        "name_zh": "两地",
        "sites": [
            {"id": i, "name_zh": zh, "level": lv, "url": f"https://{i}.gov.cn/", "region": r}
            for i, zh, lv, r in (
                ("a", "甲市人民政府", "municipal", "ra"),
                ("a1", "甲一县人民政府", "county", "ra"),
                ("b", "乙市人民政府", "municipal", "rb"),
                ("b1", "乙一区人民政府", "district", "rb"),
            )
        ],
    }
    results = [
        SiteResult(k, "county", "measured", v, dict.fromkeys(("content", "function"), v))
        for k, v in {"a": 80.0, "a1": 60.0, "b": 50.0, "b1": 30.0}.items()
    ]
    data = report_data_from_results(region, results, year=2026)
    write_reports(data, tmp_path, generated_at=GENERATED_AT)
    page = (tmp_path / "report.html").read_text("utf-8")
    assert "地区 Region ra" in page and "地区 Region rb" in page and "全部地区 All regions" in page
    regional = _rows(tmp_path / "regional.csv")
    assert {r["region"] for r in regional} == {"all", "ra", "rb"}
    assert any(r["statistic"] == "theil_between_region" for r in regional)
    scores = _rows(tmp_path / "scores.csv")
    assert [r["region_id"] for r in scores] == ["ra", "ra", "rb", "rb"]
    # Categories the results do not carry are empty, not zero.
    assert scores[0]["interaction"] == "" and scores[0]["content"] == "80.00"


def test_cli_report_rebuilds_the_files(stored, written: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from evalcrawler.cli import main

    engine, run_id = stored
    url = engine.url.render_as_string(hide_password=False)
    out = tmp_path / "cli"
    result = CliRunner().invoke(
        main,
        ["report", "--run", str(run_id), "--db", url, "--out", str(out)],
        env={"SOURCE_DATE_EPOCH": str(int(GENERATED_AT.timestamp()))},
    )
    assert result.exit_code == 0, result.output
    assert "report.html" in result.output
    for name in (*CSV_FILES, "report.html", "report.xlsx"):
        assert (out / name).read_bytes() == (written / name).read_bytes(), name
    missing = CliRunner().invoke(main, ["report", "--run", "999", "--db", url, "--out", str(out)])
    assert missing.exit_code == 1
    assert "Error: no run 999 in the database" in missing.output


def test_characters_no_report_can_hold_are_dropped_everywhere(tmp_path: Path) -> None:
    """A column named 信息公开 + U+FFFE (a noncharacter: openpyxl refused every report for it)
    and a site named with a right-to-left override (U+202E) are written clean, in every file."""
    data = _hostile_data()
    data.sites[0].name_zh = "坏\u202e站"  # stored by an older evalcrawl, or in a region file
    data.sites[0].columns[0].column = "信息公开\ufffe\x0b"
    paths = write_reports(data, tmp_path, generated_at=GENERATED_AT)
    assert len(paths) == len(CSV_FILES) + 2
    for path in paths:
        if path.suffix == ".xlsx":
            workbook = load_workbook(path)
            text = "".join(
                str(cell.value)
                for sheet in workbook.worksheets
                for row in sheet.iter_rows()
                for cell in row
                if cell.value is not None
            )
        else:
            text = path.read_text("utf-8-sig")
        for bad in ("\ufffe", "\u202e", "\x0b"):
            assert bad not in text, (path.name, repr(bad))
    assert "信息公开" in (tmp_path / "columns.csv").read_text("utf-8-sig")


def test_a_writer_that_fails_costs_only_its_own_file(stored, tmp_path: Path, monkeypatch) -> None:
    engine, run_id = stored
    data = load_report_data(engine, run_id)

    def broken(*_: object) -> bytes:
        raise ValueError("All strings must be XML compatible")

    monkeypatch.setattr(writers, "render_xlsx", broken)
    with pytest.raises(ReportError) as failed:
        write_reports(data, tmp_path, generated_at=GENERATED_AT)
    assert str(failed.value) == (
        f"wrote 10 of 11 report files to {tmp_path}, but report.xlsx (ValueError: All strings "
        "must be XML compatible) could not be written; the others are complete. Please report "
        "this with the run's database"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*CSV_FILES, "report.html"])


def test_heat_map_cells_of_indicators_not_for_a_level_have_their_own_legend(tmp_path: Path) -> None:
    region = {
        "id": "lv",
        "name": "Levels",
        "sites": [
            {"id": "city", "name_zh": "甲市人民政府", "level": "municipal", "url": "https://a/"},
            {"id": "county", "name_zh": "乙县人民政府", "level": "county", "url": "https://b/"},
        ],
    }

    def indicator(ind_id: str, score: float | None) -> IndicatorResult:
        status = "scored" if score is not None else "not_measured"
        return IndicatorResult(ind_id, "content", ind_id, ind_id, None, score, 2.0, status)

    results = [
        SiteResult(
            "city",
            "municipal",
            "measured",
            80.0,
            {"content": 80.0},
            indicators=[indicator("X1", 2.0), indicator("X2", None), indicator("X3", 1.0)],
        ),
        # X3 is an indicator of municipal sites only: the county has none.
        SiteResult(
            "county",
            "county",
            "measured",
            60.0,
            {"content": 60.0},
            indicators=[indicator("X1", 0.0), indicator("X2", None)],
        ),
    ]
    data = report_data_from_results(region, results, year=2026, as_of=date(2026, 11, 30))
    write_reports(data, tmp_path, generated_at=GENERATED_AT, formats=("html",))
    tree = lxml_html.fromstring((tmp_path / "report.html").read_text("utf-8"))
    rows = {
        tr.xpath("string(td[1])").strip(): [td.get("class") for td in tr.xpath("td[@title]")]
        for tr in tree.xpath('//table[@class="heat"]/tbody/tr')
    }
    assert [rows[k] for k in sorted(rows)] == [
        ["h h4", "h h0"],  # X1
        ["h hn", "h hn"],  # X2: not measured
        ["h h2", "h ha"],  # X3: not applicable to the county
    ]
    legend = tree.xpath('string(//section[@id="heatmap"]/p[contains(@class, "legend")])')
    assert "未测 not measured" in legend
    assert "不适用 not applicable (not an indicator of the site's level)" in legend


def test_the_fonts_the_readme_names_are_in_the_reports_font_list() -> None:
    # The README tells readers without Chinese text which fonts to install: the report must
    # ask for those very fonts.
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text("utf-8")
    css = (ROOT / "reports" / "templates" / "report.css").read_text("utf-8")
    body_fonts = re.search(r"font: 14px/1\.55 ([^;]+);", css)
    assert body_fonts is not None
    for font in ("Noto Sans CJK SC", "Microsoft YaHei", "SimHei", "PingFang SC"):
        assert font in readme, font
        assert f'"{font}"' in body_fonts.group(1), font
    assert "fonts-noto-cjk" in readme
