"""The topic classifier: the shipped model, its held-out record, and real letters it was not
trained on (tests/fixtures/real/topics-sample.csv: 308 letter titles of 附件4 labelled by hand,
see PROVENANCE-topics.md).

The titles are short and the labels follow the eight-class scheme (with 其他), so agreement there
is far below the model's held-out score on 附件2; the floors pin what it reaches.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from evalcrawler.scoring.agreement import accuracy, macro_f1, per_class
from evalcrawler.scoring.topics import (
    MIN_PROBABILITY,
    TOPICS,
    TopicModel,
    TopicResult,
    classify_topic,
    load_model,
    tokenize,
)
from tests.conftest import FIXTURES, ROOT

SAMPLE = FIXTURES / "real" / "topics-sample.csv"
MODEL = ROOT / "scoring" / "models" / "topics.json.gz"


@lru_cache(maxsize=1)
def sample() -> tuple[list[dict[str, str]], list[TopicResult]]:
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return rows, [classify_topic(r["subject"]) for r in rows]


def test_shipped_model_is_small_and_loads_without_scikit_learn() -> None:
    assert MODEL.stat().st_size <= 2 * 1024 * 1024
    model = load_model()
    assert "sklearn" not in sys.modules
    assert model.classes == TOPICS[:-1]  # the seven classes of 附件2; 其他 is a rule
    assert model.log_prob.shape == (72805, 7)
    assert load_model() is model  # read once


def test_held_out_record_of_the_shipped_model() -> None:
    """What tools/train_topics.py measured on the stratified 20 % it held out (README)."""
    meta = load_model().meta
    assert (meta["letters"], meta["excluded"], meta["train"], meta["seed"]) == (
        9210,
        29,
        7344,
        2020,
    )
    assert (meta["alpha"], meta["min_df"]) == (0.3, 1)
    held_out = meta["held_out"]
    assert held_out["letters"] == 1837
    assert held_out["macro_f1"] == 0.8931
    assert held_out["f1"] == {
        "城乡建设": 0.8848,
        "环境保护": 0.9344,
        "交通运输": 0.8305,
        "教育文体": 0.9272,
        "劳动和社会保障": 0.9121,
        "商贸旅游": 0.8602,
        "卫生计生": 0.9023,
    }


def test_agreement_on_real_letters_it_was_not_trained_on() -> None:
    rows, results = sample()
    assert len(rows) == 308
    truth = [r["label"] for r in rows]
    predicted = [r.topic for r in results]
    scores = {s.label: s for s in per_class(truth, predicted, TOPICS)}
    assert accuracy(truth, predicted) >= 0.538
    assert macro_f1(list(scores.values())) >= 0.490
    floors = {"城乡建设": 0.66, "环境保护": 0.576, "教育文体": 0.806, "劳动和社会保障": 0.603}
    for label, floor in floors.items():
        assert (scores[label].f1 or 0.0) >= floor, label
    seven = [i for i, t in enumerate(truth) if t != "其他"]
    assert accuracy([truth[i] for i in seven], [predicted[i] for i in seven]) >= 0.587


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "关于小孩读泉塘幼儿园事宜的咨询",
            ("教育文体", 0.86, "教育文体 0.86: 幼儿园, 小孩, 咨询"),
        ),
        (
            "L市出租车乱收费，投诉都没用",
            ("交通运输", 0.92, "交通运输 0.92: 出租车, 乱收费, L"),
        ),
        (
            "咨询F5县农村医疗保险的相关问题",
            ("劳动和社会保障", 0.92, "劳动和社会保障 0.92: 医疗保险, 咨询, F5"),
        ),
        (
            "咨询身份证挂失一事",
            ("其他", 0.53, "其他: the best class 交通运输 has 0.53 < 0.6 (挂失, 身份证)"),
        ),
    ],
)
def test_real_titles(title: str, expected: tuple[str, float, str]) -> None:
    topic, probability, reason = classify_topic(title)
    assert (topic, round(probability or 0.0, 2), reason) == expected


def test_other_when_no_word_is_known_or_no_class_is_sure() -> None:
    assert classify_topic("") == TopicResult(
        "其他", None, "其他: none of the words is in the model"
    )
    assert classify_topic(None, "。。。") == TopicResult(
        "其他", None, "其他: none of the words is in the model"
    )
    topic, probability, _ = classify_topic("希望K市奥新燃气能在网上缴费")
    assert topic == "其他" and probability is not None and probability < MIN_PROBABILITY


def test_title_and_text_are_read_together() -> None:
    title_only = classify_topic("反映J5县的问题")
    with_text = classify_topic("反映J5县的问题", "学校乱收学费，老师有偿补课，学生家长负担很重")
    assert with_text.topic == "教育文体"
    assert with_text != title_only


def test_tokenize_keeps_words_with_letters_digits_or_chinese() -> None:
    assert tokenize("A市西湖建筑集团占道施工，有安全隐患！") == [
        "A",
        "市",
        "西湖",
        "建筑",
        "集团",
        "占",
        "道",
        "施工",
        "有",
        "安全隐患",
    ]
    assert tokenize(None) == []


def test_model_round_trip_gives_the_shipped_bytes(tmp_path: Path) -> None:
    path = tmp_path / "copy.json.gz"
    load_model().save(path)
    assert path.read_bytes() == MODEL.read_bytes()
    assert (
        hashlib.sha256(MODEL.read_bytes()).hexdigest()
        == hashlib.sha256(path.read_bytes()).hexdigest()
    )


def test_bad_model_files(tmp_path: Path) -> None:
    def write(doc: dict) -> Path:
        path = tmp_path / "bad.json.gz"
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            json.dump(doc, handle)
        return path

    with pytest.raises(ValueError, match="topic model format 2, expected 1"):
        load_model(write({"format": 2}))
    with pytest.raises(ValueError, match="topic model has classes outside TOPICS: 治安"):
        load_model(
            write(
                {"format": 1, "classes": ["治安"], "log_prior": [0.0], "words": [], "log_prob": []}
            )
        )


def test_a_tiny_model_scores_by_hand() -> None:
    """Two classes, two words: the posterior is the normalised product of prior and word
    probabilities, computed here by hand."""
    model = TopicModel(
        classes=("城乡建设", "环境保护"),
        log_prior=np.log([0.5, 0.5]),
        index={"物业": 0, "噪音": 1},
        log_prob=np.log([[0.8, 0.1], [0.2, 0.9]]),
        meta={},
    )
    result = model.classify(["物业", "物业", "未知"])
    assert result.topic == "城乡建设"
    assert result.probability == pytest.approx(0.64 / (0.64 + 0.01))
    assert result.reason == "城乡建设 0.98: 物业"
