"""Letters marked done without a reply date (docs/metrics.md "Letter (thread)"): replied, with
unknown latency — counted in board_replied, left out of the latency metrics and of
board_overdue with a reason saying how many, never unanswered, never a V5 veto."""

from __future__ import annotations

from datetime import date, datetime

from evalcrawler.facts import PageFacts, SiteFacts, Thread
from evalcrawler.scoring.engine import score_sites
from evalcrawler.scoring.metrics import compute_metrics
from evalcrawler.scoring.results import Thresholds
from evalcrawler.scoring.rubric import load_rubric

HOST = "www.demo.gov.cn"
AS_OF = date(2019, 12, 31)


def u(path: str) -> str:
    return f"https://{HOST}{path}"


def letter(n: int, asked: date, replied: date | None, state: str, **kw: object) -> Thread:
    return Thread(
        title=f"letter {n}", url=u(f"/xj/{n}.html"), asked=asked, replied=replied, state=state, **kw
    )  # type: ignore[arg-type]


def site(*threads: Thread, details: list[Thread] | None = None) -> SiteFacts:
    pages = [
        PageFacts(url=u("/"), final_url=u("/"), status=200, is_html=True, is_home=True),
        PageFacts(
            url=u("/xj/"), final_url=u("/xj/"), status=200, is_html=True, threads=list(threads)
        ),
    ]
    for t in details or []:
        pages.append(
            PageFacts(url=t.url or "", final_url=t.url or "", status=200, is_html=True, threads=[t])
        )
    return SiteFacts(site_id="demo", url=u("/"), pages=pages, hosts=frozenset({HOST}))


BOARD = [
    # Replied with dates: 2, 10 and 100 days (the last one overdue).
    letter(1, date(2019, 11, 1), date(2019, 11, 3), "replied"),
    letter(2, date(2019, 10, 1), date(2019, 10, 11), "replied"),
    letter(3, date(2019, 6, 1), date(2019, 9, 9), "replied"),
    # 办理完毕 without 处理时间, asked 300 days before the as-of date.
    letter(4, date(2019, 3, 6), None, "replied"),
    letter(5, date(2019, 12, 20), None, "replied"),
    # Open for 11 days.
    letter(6, date(2019, 12, 20), None, "unanswered"),
]


def test_a_letter_done_without_a_reply_date_is_replied_with_unknown_latency() -> None:
    m = compute_metrics(site(*BOARD), Thresholds(), AS_OF)
    assert m.value("board_threads") == 6
    assert m.value("board_replied") == 5
    assert m.value("board_reply_rate") == 5 / 6
    assert m.value("board_reply_median_days") == 10.0  # of 2, 10, 100
    assert m.value("board_reply_p90_days") == 82.0  # 10 + 0.8 × (100 − 10)
    assert m.value("board_overdue") == 1  # letter 3; not letter 4 (300 days, no reply date)
    assert m.value("board_unanswered_max_days") == 11
    note = "2 of 5 replied letters show no reply date: latency unknown, left out"
    assert m.values["board_reply_median_days"].reason == note
    assert m.values["board_reply_p90_days"].reason == note
    assert m.values["board_overdue"].reason == (
        "2 of 5 replied letters show no reply date: latency unknown, not counted as overdue"
    )
    assert m.values["board_reply_rate"].reason is None
    rows = {t.url: (t.state, t.replied, t.latency_days, t.overdue) for t in m.threads}
    assert rows[u("/xj/4.html")] == ("replied", None, None, False)
    assert rows[u("/xj/3.html")] == ("replied", date(2019, 9, 9), 100.0, True)


def test_the_note_is_absent_when_every_replied_letter_has_a_date() -> None:
    m = compute_metrics(site(*BOARD[:3], BOARD[5]), Thresholds(), AS_OF)
    assert m.values["board_reply_median_days"].reason is None
    assert m.values["board_overdue"].reason is None


def test_only_undated_replies_leave_the_latency_unmeasured_with_the_reason() -> None:
    m = compute_metrics(site(BOARD[3], BOARD[5]), Thresholds(), AS_OF)
    assert m.value("board_reply_median_days") is None
    assert m.values["board_reply_median_days"].reason == (
        "1 of 1 replied letters show no reply date: latency unknown, left out"
    )
    assert m.value("board_replied") == 1


def test_the_detail_pages_state_and_texts_win_over_the_list_row() -> None:
    row = letter(4, date(2019, 3, 6), None, "unknown")
    detail = letter(
        4,
        datetime(2019, 3, 6, 9, 0),
        None,
        "replied",
        source="detail",
        question="问题",
        reply="答复",
    )
    dated = letter(1, date(2019, 11, 1), date(2019, 11, 3), "replied")
    m = compute_metrics(site(row, dated, details=[detail]), Thresholds(), AS_OF)
    rows = {t.url: (t.state, t.asked, t.replied) for t in m.threads}
    # Without the detail page's 办理完毕 the letter would be open 300 days: overdue, and V5.
    assert rows[u("/xj/4.html")] == ("replied", datetime(2019, 3, 6, 9, 0), None)
    assert m.value("board_unanswered_max_days") == 0
    without = compute_metrics(site(row, dated), Thresholds(), AS_OF)
    assert without.value("board_unanswered_max_days") == 300


def test_no_v5_veto_from_a_letter_done_without_a_reply_date() -> None:
    rubric = load_rubric("gov2013")

    def v5_unanswered(board: list[Thread]) -> list[str]:
        [result] = score_sites(rubric, [site(*board)], AS_OF)
        reasons = [part for r in result.veto_reasons for part in r.split("; ")]
        return [r for r in reasons if "board_unanswered_max_days" in r]

    assert v5_unanswered(BOARD) == []
    open_board = [*BOARD[:3], letter(4, date(2019, 3, 6), None, "unanswered")]
    assert v5_unanswered(open_board) == [
        "V5 互动回应差: board_unanswered_max_days = 300 (above 90)"
    ]
