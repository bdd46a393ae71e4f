"""Reply quality on real replies: the hand-labelled sample of the 2020 Teddy Cup C data set
(tests/fixtures/real/replies-sample.csv, see PROVENANCE-replies.md).

Floors are the values measured when the rules were frozen; the held-out rows (id >= 96500)
were not used to write them. A change that lowers a floor must say why in its commit.
"""

from __future__ import annotations

import csv
import hashlib
from functools import lru_cache

import pytest

from evalcrawler.scoring.agreement import accuracy, macro_f1, per_class
from evalcrawler.scoring.replies import (
    CLASSES,
    SiteReplies,
    classify_reply,
    classify_site_replies,
    template_key,
)
from tests.conftest import FIXTURES

SAMPLE = FIXTURES / "real" / "replies-sample.csv"
SAMPLE_SHA256 = "435cc7ef76951e8425dfa3816f5bfe05c7ad31c0ab218c5734a664c1d75e5ad0"
DEV_BELOW = 96500


@lru_cache(maxsize=1)
def sample() -> tuple[list[dict[str, str]], list[tuple[str, str]]]:
    """The labelled rows and the site-level pass over all of them (computed once)."""
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return rows, classify_site_replies([r["reply"] for r in rows])


def result_of(reply_id: str) -> tuple[str, str]:
    rows, results = sample()
    return next(results[i] for i, r in enumerate(rows) if r["id"] == reply_id)


def test_sample_is_the_documented_one() -> None:
    assert hashlib.sha256(SAMPLE.read_bytes()).hexdigest() == SAMPLE_SHA256
    rows, _ = sample()
    assert len(rows) == 308
    counts = {c: sum(1 for r in rows if r["label"] == c) for c in CLASSES}
    assert counts == {"substantive": 245, "transfer_only": 53, "template": 0, "no_answer": 10}
    assert sum(1 for r in rows if int(r["id"]) < DEV_BELOW) == 161


@pytest.mark.parametrize(
    ("part", "n", "min_accuracy", "min_macro_f1"),
    [("held_out", 147, 0.952, 0.865), ("all", 308, 0.974, 0.905)],
)
def test_agreement_with_hand_labels(
    part: str, n: int, min_accuracy: float, min_macro_f1: float
) -> None:
    rows, results = sample()
    index = [i for i, r in enumerate(rows) if part == "all" or int(r["id"]) >= DEV_BELOW]
    assert len(index) == n
    truth = [rows[i]["label"] for i in index]
    predicted = [results[i][0] for i in index]
    assert accuracy(truth, predicted) >= min_accuracy
    assert macro_f1(per_class(truth, predicted, CLASSES)) >= min_macro_f1


def test_per_class_floors_on_held_out_rows() -> None:
    rows, results = sample()
    index = [i for i, r in enumerate(rows) if int(r["id"]) >= DEV_BELOW]
    scores = {
        s.label: s
        for s in per_class(
            [rows[i]["label"] for i in index], [results[i][0] for i in index], CLASSES
        )
    }
    floors = {  # (precision, recall) measured on the held-out rows
        "substantive": (0.968, 0.958),
        "transfer_only": (0.977, 0.955),
        "no_answer": (0.571, 0.8),
    }
    for label, (precision, recall) in floors.items():
        assert scores[label].precision >= precision, label
        assert scores[label].recall >= recall, label
    # No reply of the sample is a template by the hand rule, and none is called one.
    assert (scores["template"].support, scores["template"].predicted) == (0, 0)


@pytest.mark.parametrize(
    ("reply_id", "expected"),
    [
        ("8722", ("substantive", "substantive: a rule: A市居住证有效期为一年")),
        (
            "18240",
            (
                "substantive",
                "substantive: a finding: 经查,您所反映问题位于东六路以东、漓楚东路以北",
            ),
        ),
        ("99561", ("substantive", "substantive: a rule: 根据相关规定及您的情况")),
        ("78479", ("transfer_only", "transfer only: 您反映的问题已转医保局核查、办复")),
        (
            "178547",
            (
                "transfer_only",
                "transfer only: 你所反映的问题已转交相关单位调查处置 "
                "(the same text as 2 other replies of this site)",
            ),
        ),
        ("124045", ("no_answer", "no answer: only questions")),
        ("97307", ("no_answer", "no answer: only a referral: 请拨打办公电话")),
        (
            "120442",
            (
                "no_answer",
                "no answer: only a referral: 您反映的问题可以直接向L市消费者协会投诉、举报",
            ),
        ),
        (
            "122596",
            (
                "no_answer",
                "no answer: no action, finding, decision, date or rule "
                "(greetings, thanks and promises only)",
            ),
        ),
    ],
)
def test_each_class_on_real_replies(reply_id: str, expected: tuple[str, str]) -> None:
    assert result_of(reply_id) == expected


def test_template_detector_finds_the_sample_repeats() -> None:
    """The repeated texts of the sample, found by reading: three copies of one forwarding note,
    and the same answer sent to two letters (18731/18752, differing in name and date only)."""
    rows, _ = sample()
    ids = [r["id"] for r in rows]
    site = SiteReplies.from_replies([r["reply"] for r in rows])

    def repeats(reply_id: str) -> list[tuple[str, float]]:
        i = ids.index(reply_id)
        return [(ids[j], round(s, 3)) for j, s in site.similar(rows[i]["reply"], exclude=i)]

    assert repeats("178547") == [("179558", 1.0), ("179560", 1.0)]
    assert repeats("18731") == [("18752", 1.0)]
    assert repeats("90445") == [("95419", 0.968)]
    assert repeats("88816") == []  # a long, specific answer


def test_a_pair_is_not_many_but_is_a_template_when_asked() -> None:
    rows, _ = sample()
    pair = [next(r["reply"] for r in rows if r["id"] == i) for i in ("18731", "18752")]
    assert [c for c, _ in classify_site_replies(pair)] == ["substantive", "substantive"]
    assert (
        classify_site_replies(pair, min_others=1)
        == [
            ("template", "template: 1.00 similar to 1 other reply of this site"),
        ]
        * 2
    )


def test_template_on_a_site_whose_replies_repeat() -> None:
    """One real answer (18731) sent to five letters with only the name and the date changed, as
    the real pair 18731/18752 shows the platform doing, among the sample's other replies."""
    rows, _ = sample()
    answer = next(r["reply"] for r in rows if r["id"] == "18731")
    copies = [
        answer.replace("UU008827", f"UU00{800 + k}").replace("2015年8月18日", f"2015年8月{k}日")
        for k in range(1, 6)
    ]
    others = [r["reply"] for r in rows[:40]]
    results = classify_site_replies(copies + others)
    assert (
        results[:5] == [("template", "template: 1.00 similar to 4 other replies of this site")] * 5
    )
    assert all(label != "template" for label, _ in results[5:])


def test_template_key_blanks_names_dates_and_numbers() -> None:
    a = "网友“UU008827”您好！来信收悉。现回复如下：县一中为4A1B且上707分。A7县教育局2015年8月18日"
    b = "网友“UU008965”您好！来信收悉。现回复如下。县一中为4A1B且上706分。A7县教育局2015年8月11日"
    assert (
        template_key(a)
        == template_key(b)
        == "网友您好来信收悉现回复如下县一中为0A0B且上0分A0县教育局"
    )


def test_empty_and_echoed_replies() -> None:
    assert classify_reply(None) == ("no_answer", "no answer: empty reply")
    assert classify_reply("  。。 ") == ("no_answer", "no answer: empty reply")
    letter = "A市某小区门口路灯坏了三个月，晚上一片漆黑，请尽快维修路灯，保障居民出行安全。"
    assert classify_reply(letter, letter_text=letter) == (
        "no_answer",
        "no answer: the reply repeats the letter",
    )
    # Without the letter, the same text is judged on its own words.
    assert classify_reply(letter)[0] != "template"


def test_site_pass_is_deterministic_and_independent_of_repeats_elsewhere() -> None:
    rows, results = sample()
    again = classify_site_replies([r["reply"] for r in rows])
    assert again == results
    # A reply alone (no site) is never a template.
    assert all(classify_reply(r["reply"])[0] != "template" for r in rows[:30])


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="letters and replies must have the same length"):
        classify_site_replies(["a"], letters=["x", "y"])
    with pytest.raises(ValueError, match=r"similarity must be in \(0, 1\], got 1.5"):
        SiteReplies.from_replies(["a"], similarity=1.5)
