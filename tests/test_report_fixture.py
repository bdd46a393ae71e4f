"""A small scored region in a SQLite database, shared by the report tests.

Seven sites of a made-up 太原市 run: one municipal portal, two districts, three counties (one of
them unreachable) and a county-level city; one district is vetoed. The numbers are chosen so
the statistics can be followed by hand (see docs/reports.md for the formulas):

    site        level        content function interaction feedback  total  rank
    taiyuan     municipal        90      80        70         60      80.0   1
    gujiao      county_city      80      75        60         70      73.5   2
    xiaodian    district         75      70        50         40      65.0   3
    qingxu      county           70      60        50         50      61.0   4
    yangqu      county           55      40        30         20      42.0   5
    yingze      district         60      50        40         30      40.0   6  (vetoed: 50 → 40)
    loufan      county        unreachable (DNS lookup failed)           –      –

An earlier run (year 2025, same rubric) gives the year-over-year rows. Crawled strings carry
hostile text (``<script>``, ``=HYPERLINK(...)``) to prove that every output keeps them as text.

The tests of this module check that the loader returns what was stored.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from evalcrawler.db import make_engine, session_scope
from evalcrawler.db.models import (
    IndicatorScore,
    Measurement,
    Run,
    ScoreSet,
    Site,
    SiteScore,
)
from evalcrawler.reports.data import ReportData, load_report_data
from tests.databases import session_database

GENERATED_AT = datetime(2026, 12, 1, 8, 0, 0, tzinfo=timezone.utc)
SCRIPT = "<script>alert(1)</script>"
HYPERLINK = '=HYPERLINK("http://evil.example/","点我")'

RUBRIC_YAML = """\
id: testrubric
title: 测试指标体系 Test rubric
version: "1.0"
based_on: 中国政府网站绩效评估 2013 (abridged for tests)
levels: [municipal, district, county, county_city]
categories:
  content: {points: 40, name_zh: 信息内容, name: Content}
  function: {points: 30, name_zh: 网站功能, name: Function}
  interaction: {points: 20, name_zh: 互动交流, name: Interaction}
  feedback: {points: 10, name_zh: 回应关切, name: Feedback}
vetoes:
  - id: stale_home
    name_zh: 首页长期不更新
    when: home_age_days > 14
    cap: 40
indicators:
  - {id: c1, category: content, name_zh: 首页信息更新, name: Home page updates, points: 20}
  - {id: c2, category: content, name_zh: 栏目更新, name: Column updates, points: 20}
  - {id: f1, category: function, name_zh: 站内搜索, name: Site search, points: 10}
  - {id: f2, category: function, name_zh: 链接可用性, name: Working links, points: 20}
  - {id: i1, category: interaction, name_zh: 留言办理, name: Message board, points: 10}
  - {id: i2, category: interaction, name_zh: 在线访谈, name: Online interviews, points: 10,
     manual: true}
  - {id: b1, category: feedback, name_zh: 回复及时性, name: Reply latency, points: 10}
"""

POINTS = {"c1": 20, "c2": 20, "f1": 10, "f2": 20, "i1": 10, "i2": 10, "b1": 10}
NAMES = {
    "c1": ("content", "首页信息更新", "Home page updates"),
    "c2": ("content", "栏目更新", "Column updates"),
    "f1": ("function", "站内搜索", "Site search"),
    "f2": ("function", "链接可用性", "Working links"),
    "i1": ("interaction", "留言办理", "Message board"),
    "i2": ("interaction", "在线访谈", "Online interviews"),
    "b1": ("feedback", "回复及时性", "Reply latency"),
}

SITES: list[dict[str, Any]] = [
    {
        "id": "taiyuan",
        "name_zh": "太原市人民政府",
        "name": "Taiyuan Municipal People's Government",
        "level": "municipal",
        "url": "https://www.taiyuan.gov.cn/",
    },
    {
        "id": "xiaodian",
        "name_zh": "小店区人民政府",
        "name": "Xiaodian District People's Government",
        "level": "district",
        "url": "https://www.tyxd.gov.cn/",
    },
    {
        "id": "yingze",
        "name_zh": "迎泽区人民政府",
        "name": "Yingze District People's Government",
        "level": "district",
        "url": "https://www.yingze.gov.cn/",
    },
    {
        "id": "qingxu",
        "name_zh": "清徐县人民政府",
        "name": "Qingxu County People's Government",
        "level": "county",
        "url": "https://www.qingxu.gov.cn/",
    },
    {
        "id": "yangqu",
        "name_zh": "阳曲县人民政府",
        "name": '=HYPERLINK("http://evil.example/","Yangqu")',
        "level": "county",
        "url": "https://www.yangqu.gov.cn/",
    },
    {
        "id": "loufan",
        "name_zh": "娄烦县人民政府",
        "name": "Loufan County People's Government",
        "level": "county",
        "url": "https://www.loufan.gov.cn/",
    },
    {
        "id": "gujiao",
        "name_zh": "古交市人民政府",
        "name": "Gujiao City People's Government",
        "level": "county_city",
        "url": "https://www.gujiao.gov.cn/",
    },
]

# (content, function, interaction, feedback, total, rank) per year; None = unreachable.
SCORES: dict[int, dict[str, tuple[float, float, float, float, float, int] | None]] = {
    2026: {
        "taiyuan": (90, 80, 70, 60, 80.0, 1),
        "xiaodian": (75, 70, 50, 40, 65.0, 3),
        "yingze": (60, 50, 40, 30, 40.0, 6),
        "qingxu": (70, 60, 50, 50, 61.0, 4),
        "yangqu": (55, 40, 30, 20, 42.0, 5),
        "loufan": None,
        "gujiao": (80, 75, 60, 70, 73.5, 2),
    },
    2025: {
        "taiyuan": (85, 75, 60, 60, 74.5, 1),
        "xiaodian": (70, 60, 50, 30, 59.0, 3),
        "yingze": (65, 55, 45, 40, 55.5, 4),
        "qingxu": (60, 55, 40, 40, 52.5, 5),
        "yangqu": (50, 40, 30, 30, 41.0, 7),
        "loufan": (55, 45, 30, 20, 43.5, 6),
        "gujiao": (75, 70, 55, 60, 68.0, 2),
    },
}
VETOED = {"yingze": ["首页长期不更新（home_age_days = 40 > 14）"]}


def _indicator_scores(content: float, function: float, interaction: float, feedback: float):
    """Split category scores into indicator points (so findings have something to rank)."""
    c_earned = content / 100 * 40
    f_earned = function / 100 * 30
    c1 = min(20.0, round(c_earned * 0.6 * 2) / 2)
    f1 = min(10.0, round(f_earned * 0.25 * 2) / 2)
    return {
        "c1": c1,
        "c2": round(c_earned - c1, 2),
        "f1": f1,
        "f2": round(f_earned - f1, 2),
        "i1": min(10.0, interaction / 100 * 20),
        "i2": None,  # manual: never faked
        "b1": feedback / 100 * 10,
    }


def _details(site_id: str, year: int) -> dict[str, Any]:
    columns: list[dict[str, Any]] = []
    threads: list[dict[str, Any]] = []
    if site_id == "taiyuan":
        columns = [
            {
                "column": "要闻动态",
                "url": "https://www.taiyuan.gov.cn/yw/",
                "kind": "news",
                "items": 20,
                "latest": f"{year}-11-28",
                "age_days": 2,
                "stale": False,
                "blank": False,
            },
            {
                "column": HYPERLINK,
                "url": "https://www.taiyuan.gov.cn/tzgg/",
                "kind": "notice",
                "items": 5,
                "latest": f"{year - 2}-12-31",
                "age_days": 699,
                "stale": True,
                "blank": False,
            },
        ]
        threads = [
            {
                "url": "https://www.taiyuan.gov.cn/hdjl/1.html",
                "title": f"{SCRIPT}关于道路维修的咨询",
                "asked": f"{year}-03-01",
                "replied": f"{year}-07-15",
                "latency_days": 136.0,
                "overdue": True,
                "state": "replied",
                "reply_quality": "substantive",
                "reply_quality_reason": "substantive: a finding: 经查,该路段已列入维修计划",
                "topic": "城乡建设",
            },
            {
                "url": "https://www.taiyuan.gov.cn/hdjl/2.html",
                "title": "公交线路调整建议",
                "asked": f"{year}-10-10",
                "replied": f"{year}-10-12",
                "latency_days": 2.0,
                "overdue": False,
                "state": "replied",
                "reply_quality": "transfer_only",
                "reply_quality_reason": "transfer only: 您反映的问题已转市公交公司办理",
                "topic": "交通运输",
            },
        ]
    elif site_id == "xiaodian":
        columns = [
            {
                "column": SCRIPT,
                "url": "https://www.tyxd.gov.cn/tz/",
                "kind": "other",
                "items": 3,
                "latest": f"{year - 1}-01-05",
                "age_days": 694,
                "stale": True,
                "blank": False,
            }
        ]
        threads = [
            {
                "url": "javascript:alert(1)",
                "title": "=1+1 供暖问题",
                "asked": f"{year}-05-01",
                "replied": None,
                "latency_days": None,
                "overdue": True,
                "state": "unanswered",
                "topic": "城乡建设",
            }
        ]
    elif site_id == "qingxu":
        columns = [
            {
                "column": "政策文件",
                "url": "https://www.qingxu.gov.cn/zcwj/",
                "kind": "policy",
                "items": 0,
                "latest": None,
                "age_days": None,
                "stale": False,
                "blank": True,
                "reason": "the page shows 暂无信息 where its list should be; "
                "reached through a navigation link",
            }
        ]
    return {"columns": columns, "threads": threads}


def _measurements(site_id: str, scored: bool, total: float | None) -> dict[str, Any]:
    if not scored:
        return {"home_status": (0, "DNS lookup failed for www.loufan.gov.cn")}
    return {
        "pages": (120 if site_id == "taiyuan" else 40, None),
        "home_status": (200, None),
        "https": (site_id != "yangqu", None),
        "broken_ratio": (round((100 - (total or 0)) / 1000, 4), None),
        "home_latest": ("2026-11-28", None),
        "home_age_days": (40 if site_id == "yingze" else 2, None),
        "ipv6": (None, "DNS cannot be asked in the test sandbox"),
        "board_reply_rate": (0.5 if site_id == "taiyuan" else None, None),
    }


def populate(engine: Engine, year: int, *, superseded: bool = False) -> int:
    """Store one scored run of the fixture region for ``year``; return its id."""
    scores = SCORES[year]
    region = {"id": "taiyuan", "name": "Taiyuan", "name_zh": "太原市", "sites": SITES}
    with session_scope(engine) as session:
        run = Run(
            region_id="taiyuan",
            region_name="Taiyuan",
            year=year,
            rubric_id="testrubric",
            as_of=date(year, 11, 30),
            crawl_date=date(year, 11, 30),
            status="scored",
            superseded=superseded,
            created_at=datetime(year, 11, 30, 1, 0),
            region=region,
        )
        session.add(run)
        session.flush()
        score_set = ScoreSet(
            run_id=run.id,
            rubric_id="testrubric",
            rubric_title="测试指标体系 Test rubric",
            rubric_version="1.0",
            rubric_sha256="0" * 64,
            rubric_text=RUBRIC_YAML,
            as_of=date(year, 11, 30),
            scored_at=datetime(year, 11, 30, 6, 0),
        )
        session.add(score_set)
        for spec in SITES:
            numbers = scores[spec["id"]]
            site = Site(
                run_id=run.id,
                site_id=spec["id"],
                region_id="taiyuan",
                name_zh=spec["name_zh"],
                name=spec["name"],
                level=spec["level"],
                url=spec["url"],
                crawl_state="done",
                status="measured" if numbers else "unreachable",
                reason=None if numbers else "DNS lookup failed: www.loufan.gov.cn",
            )
            session.add(site)
            session.flush()
            if numbers is None:
                session.add(
                    SiteScore(
                        score_set_id=score_set.id,
                        site_pk=site.id,
                        rank=None,
                        total=None,
                        categories=dict.fromkeys(
                            ("content", "function", "interaction", "feedback")
                        ),
                        veto=False,
                        veto_reasons=[],
                        status="unreachable",
                        pages=0,
                        details={"columns": [], "threads": []},
                    )
                )
            else:
                content, function, interaction, feedback, total, rank = numbers
                vetoed = year == 2026 and spec["id"] in VETOED
                session.add(
                    SiteScore(
                        score_set_id=score_set.id,
                        site_pk=site.id,
                        rank=rank,
                        total=total,
                        categories={
                            "content": content,
                            "function": function,
                            "interaction": interaction,
                            "feedback": feedback,
                        },
                        veto=vetoed,
                        veto_reasons=VETOED.get(spec["id"], []) if vetoed else [],
                        status="partial" if spec["id"] == "yangqu" else "measured",
                        pages=120 if spec["id"] == "taiyuan" else 40,
                        details=_details(spec["id"], year),
                    )
                )
                for indicator_id, score in _indicator_scores(
                    content, function, interaction, feedback
                ).items():
                    category, name_zh, name = NAMES[indicator_id]
                    manual = indicator_id == "i2"
                    evidence_url = f"{spec['url']}{indicator_id}/"
                    evidence_text = f"{name_zh}：{spec['name_zh']}"
                    if spec["id"] == "taiyuan" and indicator_id == "c2":
                        evidence_text = HYPERLINK
                    if spec["id"] == "xiaodian" and indicator_id == "f2":
                        evidence_url = "javascript:alert(1)"
                        evidence_text = SCRIPT
                    session.add(
                        IndicatorScore(
                            score_set_id=score_set.id,
                            site_pk=site.id,
                            indicator_id=indicator_id,
                            category=category,
                            name_zh=name_zh,
                            name=name,
                            value=None if manual else round(score / POINTS[indicator_id], 4),
                            score=None if manual else score,
                            max_score=POINTS[indicator_id],
                            status="manual" if manual else "scored",
                            evidence_url=None if manual else evidence_url,
                            evidence_text=None if manual else evidence_text,
                            note="needs a person" if manual else None,
                        )
                    )
            for metric, (value, reason) in _measurements(
                spec["id"], numbers is not None, numbers[4] if numbers else None
            ).items():
                session.add(
                    Measurement(
                        score_set_id=score_set.id,
                        site_pk=site.id,
                        metric=metric,
                        value=value,
                        reason=reason,
                        evidence_url=spec["url"] if metric == "home_status" else None,
                    )
                )
        session.flush()
        return run.id


def build_db(where: Path | str) -> tuple[Engine, int]:
    """A database with the 2025 and 2026 runs (plus a superseded 2025 run that must be
    ignored); returns the engine and the 2026 run's id.

    ``where`` is a database URL, or the path of a SQLite file (a PostgreSQL database instead
    when EVALCRAWL_TEST_DB asks for one, see tests/databases.py)."""
    url = where if isinstance(where, str) else session_database(where)
    engine = make_engine(url)
    populate(engine, 2025, superseded=True)
    populate(engine, 2025)
    run_id = populate(engine, 2026)
    return engine, run_id


# ---------------------------------------------------------------------------------------------
# Tests of the loader on this fixture


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> ReportData:
    """The report data as loaded from SQLite, to compare every database's with."""
    engine, run_id = build_db(f"sqlite:///{tmp_path_factory.mktemp('ref') / 'r.db'}")
    data = load_report_data(engine, run_id)
    engine.dispose()
    return data


def test_load_report_data_reads_what_was_stored(db_url: str, reference: ReportData) -> None:
    engine, run_id = build_db(db_url)
    data = load_report_data(engine, run_id)
    assert data.year == 2026
    assert data.region_name_zh == "太原市"
    assert [s.site_id for s in data.sites] == [s["id"] for s in SITES]
    city = data.site("taiyuan")
    assert city.total == 80.0 and city.rank == 1
    assert city.categories == {"content": 90, "function": 80, "interaction": 70, "feedback": 60}
    assert [i.indicator_id for i in city.indicators] == ["c1", "c2", "f1", "f2", "i1", "i2", "b1"]
    assert city.columns[1].latest == date(2024, 12, 31)
    assert city.threads[0].asked == date(2026, 3, 1)
    assert data.site("loufan").status == "unreachable"
    assert not data.site("loufan").included
    assert data.site("yingze").veto
    assert data.rubric.total_points == 100
    assert data.rubric.categories["content"]["name_zh"] == "信息内容"
    assert [v["id"] for v in data.rubric.vetoes] == ["stale_home"]
    # The previous year is the non-superseded 2025 run.
    assert data.previous is not None and data.previous.year == 2025
    assert data.previous.run_id == 2
    assert data.previous.previous is None
    assert json.dumps(data.site("loufan").categories) == json.dumps(
        {"content": None, "function": None, "interaction": None, "feedback": None}
    )
    # Every value of every site, every indicator and measurement as loaded from SQLite: the
    # reports, which are functions of this object, are the same on every database.
    assert data == reference


def test_load_report_data_errors_say_what_to_do(db_url: str) -> None:
    from evalcrawler.errors import ReportError

    engine, run_id = build_db(db_url)
    with pytest.raises(ReportError, match=r"no run 99.*evalcrawl runs"):
        load_report_data(engine, 99)
    with pytest.raises(ReportError, match=r"no scores under rubric 'other'.*evalcrawl score"):
        load_report_data(engine, run_id, "other")
    with session_scope(engine) as session:
        bare = Run(
            region_id="x", year=2026, rubric_id="r", created_at=datetime(2026, 1, 1), region={}
        )
        session.add(bare)
        session.flush()
        bare_id = bare.id
    with pytest.raises(ReportError, match="has not been scored yet"):
        load_report_data(engine, bare_id)
