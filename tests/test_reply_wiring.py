"""Reply quality and topics in a run: every letter's class, reason and topic (threads.csv),
the reply_* metrics, and B06 答复质量 scored from them (or by a person through the manual-scores
CSV). The replies and titles are real (tests/fixtures/real/replies-sample.csv, 2020 Teddy Cup
C 附件4, see PROVENANCE-replies.md); the hand labels of both samples are the known truth."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pytest

from evalcrawler.facts import PageFacts, SiteFacts, Thread
from evalcrawler.scoring.engine import load_manual_scores, score_sites
from evalcrawler.scoring.metrics import compute_metrics
from evalcrawler.scoring.results import Thresholds
from evalcrawler.scoring.rubric import load_rubric

REAL = Path(__file__).parent / "fixtures" / "real"
HOST = "www.demo.gov.cn"
AS_OF = date(2019, 12, 31)


def _sample(name: str) -> dict[str, dict[str, str]]:
    with (REAL / name).open(encoding="utf-8-sig", newline="") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


REPLIES = _sample("replies-sample.csv")
TOPICS = _sample("topics-sample.csv")


def u(path: str) -> str:
    return f"https://{HOST}{path}"


def real_letter(n: int, sample_id: str, *, user: str | None = None) -> Thread:
    """Letter ``n`` of the board: the title and reply of a real letter, asked ``n`` days before
    the as-of date and replied five days later. ``user`` replaces the user id the reply is
    addressed to (the platform answers repeated letters with the same text that way)."""
    row = REPLIES[sample_id]
    reply = row["reply"]
    if user is not None:
        start = reply.index("UU")
        end = reply.index("”", start)
        reply = reply[:start] + user + reply[end:]
    asked = AS_OF - timedelta(days=10 + n)
    return Thread(
        title=row["subject"],
        url=u(f"/xj/{n}.html"),
        asked=asked,
        replied=asked + timedelta(days=5),
        state="replied",
        source="detail",
        question=row["message"],
        reply=reply,
    )


def site(*threads: Thread) -> SiteFacts:
    pages = [PageFacts(url=u("/"), final_url=u("/"), status=200, is_html=True, is_home=True)]
    for t in threads:
        pages.append(
            PageFacts(url=t.url or "", final_url=t.url or "", status=200, is_html=True, threads=[t])
        )
    return SiteFacts(site_id="demo", url=u("/"), pages=pages, hosts=frozenset({HOST}))


# Three substantive answers, two transfer notes, one referral only, the same answer sent to
# three letters (a template), a replied letter whose detail page shows no reply text, and an
# open letter.
BOARD = [
    real_letter(1, "8960"),
    real_letter(2, "98779"),
    real_letter(3, "99226"),
    real_letter(4, "78479"),
    real_letter(5, "78506"),
    real_letter(6, "120442"),
    real_letter(7, "17904"),
    real_letter(8, "17904", user="UU0083001"),
    real_letter(9, "17904", user="UU0083002"),
    Thread(
        "公交站牌信息更新不及时", u("/xj/10.html"), AS_OF - timedelta(days=40), AS_OF, "replied"
    ),
    Thread("小区门口路灯不亮", u("/xj/11.html"), AS_OF - timedelta(days=3), None, "unanswered"),
]
EXPECTED = {
    1: "substantive",
    2: "substantive",
    3: "substantive",
    4: "transfer_only",
    5: "transfer_only",
    6: "no_answer",
    7: "template",
    8: "template",
    9: "template",
    10: "",
    11: "",
}


def _by_number(threads):
    return {int(t.url.rsplit("/", 1)[1].split(".")[0]): t for t in threads}


def test_every_letter_gets_its_reply_class_against_the_hand_labels() -> None:
    m = compute_metrics(site(*BOARD), Thresholds(), AS_OF)
    rows = _by_number(m.threads)
    assert {n: t.reply_quality for n, t in rows.items()} == EXPECTED
    # The classes 1–6 are the hand labels of the real sample.
    for n, sample_id in enumerate(("8960", "98779", "99226", "78479", "78506", "120442"), 1):
        assert rows[n].reply_quality == REPLIES[sample_id]["label"]
    assert rows[4].reply_quality_reason == "transfer only: 您反映的问题已转医保局核查、办复"
    assert rows[6].reply_quality_reason.startswith("no answer: only a referral: ")
    assert rows[7].reply_quality_reason == "template: 1.00 similar to 2 other replies of this site"
    assert rows[10].reply_quality_reason == "" and rows[11].reply_quality_reason == ""


def test_every_letter_gets_a_topic_matching_the_hand_label() -> None:
    m = compute_metrics(site(*BOARD), Thresholds(), AS_OF)
    rows = _by_number(m.threads)
    for n, sample_id in enumerate(
        ("8960", "98779", "99226", "78479", "78506", "120442", "17904"), 1
    ):
        assert rows[n].topic == TOPICS[sample_id]["label"], (n, sample_id)
    assert rows[4].topic == "劳动和社会保障"
    assert rows[6].topic == "商贸旅游"


def test_reply_share_metrics_count_letters_of_the_window_with_a_reply_text() -> None:
    m = compute_metrics(site(*BOARD), Thresholds(), AS_OF)
    assert m.value("reply_texts") == 9
    assert m.value("reply_substantive_share") == pytest.approx(3 / 9)
    assert m.value("reply_transfer_share") == pytest.approx(2 / 9)
    assert m.value("reply_template_share") == pytest.approx(3 / 9)
    assert m.value("reply_no_answer_share") == pytest.approx(1 / 9)
    assert m.values["reply_template_share"].evidence_url == u("/xj/7.html")
    assert m.values["reply_no_answer_share"].evidence_url == u("/xj/6.html")


def test_b06_is_scored_from_the_substantive_share() -> None:
    rubric = load_rubric("gov2013")
    (poor,) = score_sites(rubric, [site(*BOARD)], AS_OF)
    b06 = next(i for i in poor.indicators if i.indicator_id == "B06")
    assert (b06.status, b06.score) == ("scored", 0.0)  # 3 of 9 < 0.5
    assert b06.value == 0.3333  # rounded as indicators.csv shows it
    good = [real_letter(1, "8960"), real_letter(2, "98779"), real_letter(3, "99226")]
    good += [real_letter(4, "78559"), real_letter(5, "78479")]
    (fine,) = score_sites(rubric, [site(*good)], AS_OF)
    b06 = next(i for i in fine.indicators if i.indicator_id == "B06")
    assert (b06.status, b06.score, b06.value) == ("scored", 1.0, 0.8)  # 4 of 5 ≥ 0.8
    (half,) = score_sites(rubric, [site(*good[:3], *good[4:], BOARD[5])], AS_OF)
    b06 = next(i for i in half.indicators if i.indicator_id == "B06")
    assert (b06.status, b06.score, b06.value) == ("scored", 0.5, 0.6)  # 3 of 5 ≥ 0.5


def test_b06_is_not_measured_without_reply_texts_and_a_person_overrides_it(
    tmp_path: Path,
) -> None:
    rubric = load_rubric("gov2013")
    (bare,) = score_sites(rubric, [site(*BOARD[9:])], AS_OF)
    b06 = next(i for i in bare.indicators if i.indicator_id == "B06")
    # Not measured, it goes back to a person: left out of the available points, not a 0.
    assert (b06.status, b06.score) == ("manual", None)
    assert b06.note.startswith(
        "not measured (reply_substantive_share: no letter asked in the 365 days before "
        "2019-12-31 shows its reply text); needs a person: "
    )
    without_b06 = bare.categories["feedback"]
    b06_points = next(i for i in load_rubric("gov2013").indicators if i.id == "B06").points
    feedback_points = sum(
        r.max_score for r in bare.indicators if r.category == "feedback" and r.status != "manual"
    )
    earned = sum(r.score or 0 for r in bare.indicators if r.category == "feedback")
    assert without_b06 == pytest.approx(100 * earned / feedback_points, abs=0.005)
    assert b06_points == 1

    path = tmp_path / "manual.csv"
    path.write_text("site_id,indicator_id,score\ndemo,B06,1\n", encoding="utf-8-sig")
    manual = load_manual_scores(path, rubric)
    assert manual == {("demo", "B06"): 1.0}
    (overridden,) = score_sites(rubric, [site(*BOARD)], AS_OF, manual)
    b06 = next(i for i in overridden.indicators if i.indicator_id == "B06")
    assert (b06.status, b06.score) == ("scored", 1.0)
    assert b06.note == "scored by a person (manual-scores CSV)"
    (measured,) = score_sites(rubric, [site(*BOARD)], AS_OF)
    assert overridden.categories["feedback"] > measured.categories["feedback"]
