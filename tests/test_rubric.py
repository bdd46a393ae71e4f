"""Tests of evalcrawler.scoring.rubric: the shipped rubrics load, and broken ones fail with
exact messages that name the file, the line and the key."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
import yaml

from evalcrawler.errors import RubricError
from evalcrawler.scoring.detectors import DetectorConfig, registered_detectors
from evalcrawler.scoring.results import CATEGORIES, METRICS, Thresholds
from evalcrawler.scoring.rubric import (
    Indicator,
    Rubric,
    bundled_rubrics,
    load_rubric,
    parse_rubric,
)
from evalcrawler.scoring.rules import RULES

BROKEN = Path(__file__).parent / "rubrics"
RUBRICS = Path(__file__).resolve().parent.parent / "rubrics"


def all_measures(rubric: Rubric) -> list[DetectorConfig]:
    return list(rubric.measures())


# ------------------------------------------------------------------ the shipped rubrics


def test_bundled_rubrics_are_listed() -> None:
    assert bundled_rubrics() == ["checklist2019", "gov2013"]


@pytest.mark.parametrize("rubric_id", ["gov2013", "checklist2019"])
def test_shipped_rubric_is_valid(rubric_id: str) -> None:
    rubric = load_rubric(rubric_id)
    assert rubric.id == rubric_id
    assert rubric.label == f"rubrics/{rubric_id}.yaml"
    # The four categories of scores.csv, adding up to 100.
    assert list(rubric.categories) == list(CATEGORIES)
    assert sum(c.points for c in rubric.categories.values()) == pytest.approx(100)
    for cid, cat in rubric.categories.items():
        points = sum(i.points for i in rubric.indicators if i.category == cid)
        assert points == pytest.approx(cat.points), cid
    ids = [i.id for i in rubric.indicators] + [v.id for v in rubric.vetoes]
    assert len(ids) == len(set(ids))
    # Every automatic indicator has a parsed measure and rule; manual ones have neither.
    for ind in rubric.indicators:
        if ind.manual:
            assert ind.measure is None and ind.rule is None
        else:
            assert isinstance(ind.measure, DetectorConfig), ind.id
            assert type(ind.rule) in RULES.values(), ind.id
    # Every metric a measure names is in the catalogue.
    for measure in all_measures(rubric):
        assert set(measure.metrics()) <= set(METRICS)
    # The text is what the file holds; its hash, that of its content (canonical JSON).
    text = (RUBRICS / f"{rubric_id}.yaml").read_text(encoding="utf-8")
    assert rubric.text == text
    canonical = json.dumps(
        yaml.safe_load(text), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    assert rubric.sha256 == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert isinstance(rubric.thresholds, Thresholds)


def test_shipped_rubric_by_path_is_the_same() -> None:
    by_id = load_rubric("gov2013")
    by_path = load_rubric(str(RUBRICS / "gov2013.yaml"))
    assert by_path.sha256 == by_id.sha256
    assert by_path.label == str(RUBRICS / "gov2013.yaml")


def test_gov2013_categories_and_points() -> None:
    rubric = load_rubric("gov2013")
    assert {k: c.points for k, c in rubric.categories.items()} == {
        "content": 35,
        "function": 35,
        "interaction": 15,
        "feedback": 15,
    }
    assert 40 <= len(rubric.indicators) <= 50
    manual = {i.id for i in rubric.indicators if i.manual}
    assert manual == {"F08", "T06b"}
    # B06 答复质量 is measured from the reply texts; a person's score still replaces it.
    assert {i.id for i in rubric.indicators if i.manual_override} == {"B06"}
    # Technical rows belong to function.
    assert {i.category for i in rubric.indicators if i.id.startswith("T")} == {"function"}
    municipal_only = {i.id for i in rubric.indicators if i.levels == ["municipal"]}
    assert municipal_only == {"F07", "I06"}


def test_gov2013_thresholds_are_the_official_ones() -> None:
    th = load_rubric("gov2013").thresholds
    assert th.stale_days == {"news": 14, "notice": 180, "policy": 180, "other": 365}
    assert th.overdue_days == 90
    assert th.board_window_days == 365
    assert th.probe_count == 5
    assert th.probe_timeout_s == 15
    assert th.search_query == "政府"
    assert "暂无信息" in th.empty_phrases and "正在建设" in th.empty_phrases
    assert list(th.column_kinds) == ["notice", "policy", "news"]


@pytest.mark.parametrize("rubric_id", ["gov2013", "checklist2019"])
def test_shipped_thresholds_are_the_metric_defaults(rubric_id: str) -> None:
    # The demo web's truth file is computed with the default Thresholds: the shipped rubrics
    # spell those defaults out, so a change to either must be made in both.
    assert load_rubric(rubric_id).thresholds == Thresholds()


def test_gov2013_vetoes_use_the_official_thresholds() -> None:
    rubric = load_rubric("gov2013")
    conds = {(v.id, c.metric or c.indicator): c for v in rubric.vetoes for _, c in v.conditions()}
    v1 = conds[("V1", "home_probe_failures")]
    assert (v1.per, v1.at_least, v1.if_null) == ("home_probes", 0.05, "pass")
    v2 = conds[("V2", "home_age_days")]
    assert (v2.above, v2.if_null) == (14, "veto")  # undated counts as not updated
    assert conds[("V3", "columns_stale")].at_least == 5
    assert conds[("V3", "columns_blank")].at_least == 5
    assert conds[("V5", "board_unanswered_max_days")].above == 90
    assert conds[("V5", "I01")].is_ is False
    assert conds[("V6", "F01")].is_ is False
    assert rubric.veto("V4").manual
    assert rubric.verdict.veto_cap == 59


def test_gov2013_header_says_what_is_official_and_what_is_ours() -> None:
    text = load_rubric("gov2013").text
    header = text.split("\nid:", 1)[0]
    assert "国办函〔2015〕15号" in header
    assert "国办秘函〔2019〕19号" in header
    assert "structured after the 2013 CSTC evaluation; the exact 2013 weights are not" in header
    assert "public, these weights are ours" in header
    # The single-crawl approximation of the availability rule is stated.
    assert "approximates" in text and "20 %" in text


def test_checklist2019_pass_rule_and_mapping() -> None:
    rubric = load_rubric("checklist2019")
    assert rubric.verdict.pass_mark == 60
    assert rubric.verdict.veto_cap == 59
    assert {v.id for v in rubric.vetoes if v.manual} == {"V1", "V4b", "V6b"}
    header = rubric.text.split("\nid:", 1)[0]
    assert "UNVERIFIED" in header and "[U]" in header
    for category in CATEGORIES:
        assert re.search(rf"^#\s+{category}\s", header, re.M), category


def test_crawl_keywords_cover_detectors_and_column_kinds() -> None:
    rubric = load_rubric("gov2013")
    words = rubric.crawl_keywords()
    assert len(words) == len(set(words))
    for word in ("政府概况", "办事指南", "书记信箱", "政策解读", "访谈", "通知公告", "要闻"):
        assert word in words
    assert "" not in words


def test_describe_and_summary() -> None:
    rubric = load_rubric("gov2013")
    text = rubric.describe()
    assert text.startswith("gov2013 — ")
    for needle in ("content", "35", "V2", "home_age_days above 14 (null: veto)", "C04", "F08"):
        assert needle in text
    assert "manual (a person scores it)" in text
    assert rubric.summary() == "gov2013 2026.1: 48 indicators (2 manual), 6 vetoes, 100 points"


def test_unknown_rubric_id() -> None:
    with pytest.raises(RubricError) as info:
        load_rubric("gov2031")
    assert info.value.message == (
        "unknown rubric 'gov2031'; did you mean 'gov2013'? bundled rubrics: checklist2019, "
        "gov2013 (or give the path of a rubric YAML file)"
    )


def test_missing_rubric_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(RubricError) as info:
        load_rubric(str(path))
    assert info.value.message == f"{path}: no such file; check the path"


def test_minimal_rubric_defaults() -> None:
    rubric = load_rubric(str(BROKEN / "minimal.yaml"))
    assert rubric.levels == ["municipal", "district", "county", "county_city"]
    assert rubric.total_points == 100
    assert rubric.thresholds == Thresholds()
    assert rubric.verdict.veto_cap == 59 and rubric.verdict.pass_mark is None
    assert [i.id for i in rubric.applicable("county")] == ["C01", "F01"]


def test_version_number_becomes_text() -> None:
    text = (BROKEN / "minimal.yaml").read_text(encoding="utf-8").replace('"1"', "2026.1")
    assert parse_rubric(text, "x.yaml").version == "2026.1"


def test_yaml_anchors_reuse_a_measure() -> None:
    rubric = load_rubric("gov2013")
    c07 = rubric.indicator("C07")
    c06 = rubric.indicator("C06")
    assert c07.measure.denominator.model_dump() == c06.measure.model_dump()


def test_every_detector_and_rule_is_documented() -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs" / "rubrics.md").read_text("utf-8")
    for name in registered_detectors():
        assert f"`{name}`" in doc, name
    for name in RULES:
        assert f"`{name}`" in doc, name
    for key in Indicator.model_fields:
        assert f"`{key}`" in doc, key


# -------------------------------------------------------------------- broken rubrics

CASES = [
    ("syntax_error.yaml", "12: invalid YAML: expected ',' or ']', but got '}'"),
    (
        "unknown_key.yaml",
        "12: indicators[0].weight: unknown key; check the spelling against the documentation",
    ),
    ("missing_key.yaml", "8: indicators[0].name_zh: required key is missing"),
    (
        "duplicate_indicator.yaml",
        "14: indicators[1].id: duplicate indicator id 'C01' (also indicators[0]); "
        "ids must be unique",
    ),
    (
        "duplicate_veto.yaml",
        "11: vetoes[1].id: duplicate veto id 'V1' (also vetoes[0]); ids must be unique",
    ),
    (
        "unknown_category.yaml",
        "16: indicators[1].category: unknown category 'funtcion' (did you mean 'function'?); "
        "categories: content, function",
    ),
    (
        "unknown_metric.yaml",
        "14: indicators[0].measure.metric: unknown metric 'search_from' "
        "(did you mean 'search_form'?); the catalogue is in docs/metrics.md",
    ),
    (
        "unknown_detector.yaml",
        "13: indicators[0].measure.detector: unknown detector 'keyword' "
        "(did you mean 'keywords'?); detectors: noop, metric, keywords, regex, dated_items, "
        "url_pattern, page_elements, compare, all_of, any_of, count_of, share_of, best_of, "
        "ratio",
    ),
    (
        "invalid_regex.yaml",
        "18: indicators[0].measure.of[1].patterns[0]: invalid regex: missing ), "
        "unterminated subpattern at position 7",
    ),
    (
        "category_points.yaml",
        "6: categories.content.points: 60 points, but the indicators of content add up to "
        "50; make them equal",
    ),
    (
        "total_points.yaml",
        "5: total_points: the categories add up to 90 points, not the rubric's total_points 100",
    ),
    (
        "steps_order.yaml",
        "18: indicators[0].rule.steps[2].at_most: steps must go from the best value to the "
        "worst: at_most 7 cannot follow at_most 14",
    ),
    (
        "linear_bounds.yaml",
        "16: indicators[0].rule.full_at: must differ from zero_at (both are 0.1)",
    ),
    (
        "veto_unknown_metric.yaml",
        "12: vetoes[0].any[1].metric: unknown metric 'home_down' "
        "(did you mean 'home_probes'?); the catalogue is in docs/metrics.md",
    ),
    (
        "bad_level.yaml",
        "12: indicators[0].levels[0]: must be one of 'municipal', 'district', 'county' or "
        "'county_city'",
    ),
    ("zero_points.yaml", "17: indicators[1].points: must be > 0"),
    ("probe_count.yaml", "6: thresholds.probe_count: must be <= 100"),
    ("veto_cap.yaml", "6: verdict.veto_cap: must be <= 100.0"),
    ("window_days.yaml", "17: indicators[0].measure.window_days: must be <= 3660"),
    ("negative_points.yaml", "7: categories.function.points: must be > 0"),
    (
        "veto_unknown_indicator.yaml",
        "10: vetoes[0].when.indicator: unknown indicator 'F1' (did you mean 'F01'?)",
    ),
    (
        "unknown_rule.yaml",
        "14: indicators[0].rule.type: unknown rule type 'step' (did you mean 'steps'?); "
        "rule types: presence, steps, linear, ratio, deduct",
    ),
    (
        "step_points.yaml",
        "21: indicators[1].rule.steps[0].points: 80 is more than the indicator's 60 points",
    ),
    (
        "manual_with_measure.yaml",
        "13: indicators[0].measure: a manual indicator is scored by a person: remove measure "
        "and rule (or set manual: false)",
    ),
    (
        "missing_rule.yaml",
        "8: indicators[0].rule: required key is missing (or set manual: true for a check a "
        "person makes)",
    ),
    (
        "veto_two_comparisons.yaml",
        "10: vetoes[0].when: give exactly one comparison: at_most, below, at_least, above or "
        "is (found at_least, above)",
    ),
    (
        "unknown_kind.yaml",
        "12: indicators[0].measure.kinds[0]: unknown column kind 'notices'; kinds: notice, "
        "policy, news, other",
    ),
    ("empty.yaml", "1: the file is empty"),
]


@pytest.mark.parametrize(("name", "expected"), CASES, ids=[c[0] for c in CASES])
def test_broken_rubric_message(name: str, expected: str) -> None:
    path = BROKEN / name
    with pytest.raises(RubricError) as info:
        load_rubric(str(path))
    assert info.value.message == f"{path}:{expected}"
    # As the CLI prints it: one line, "Error: file:line: key: message".
    assert "\n" not in info.value.format_message()


def test_every_broken_rubric_is_tested() -> None:
    files = {p.name for p in BROKEN.glob("*.yaml")} - {"minimal.yaml"}
    assert files == {name for name, _ in CASES}
    assert len(files) >= 12


def test_error_names_the_bundled_file() -> None:
    text = (RUBRICS / "gov2013.yaml").read_text(encoding="utf-8")
    broken = text.replace("    points: 4\n", "    points: -4\n", 1)
    line = broken[: broken.index("points: -4")].count("\n") + 1
    index = next(i for i, ind in enumerate(load_rubric("gov2013").indicators) if ind.points == 4)
    with pytest.raises(RubricError) as info:
        parse_rubric(broken, "rubrics/gov2013.yaml")
    assert info.value.message == (
        f"rubrics/gov2013.yaml:{line}: indicators[{index}].points: must be > 0"
    )


@pytest.mark.parametrize(
    ("measure", "expected"),
    [
        ("{detector: keywords, keywords: []}", "measure.keywords: list should have at least 1"),
        ("{detector: keywords, keywords: [概况], in: [body]}", "measure.in[0]: must be one of"),
        (
            "{detector: keywords, keywords: [概况], in: [titles], value: ok_share}",
            "measure.value: checks link",
        ),
        ("{detector: dated_items, window_days: 30}", "measure: give at least one of columns"),
        ("{detector: compare, measure: {detector: noop}}", "measure: give exactly one compar"),
        ("{detector: ratio, numerator: {detector: noop}}", "measure.denominator: required key"),
        ("{detector: all_of, of: [{detector: metric}]}", "measure.of[0].metric: required key"),
        ("{metric: pages}", "measure.detector: required key is missing"),
        ("[pages]", "measure: must be a mapping with a `detector:` key"),
        ("{detector: regex, patterns: ['(']}", "measure.patterns[0]: invalid regex: missing )"),
    ],
)
def test_measure_errors(measure: str, expected: str) -> None:
    text = (BROKEN / "minimal.yaml").read_text(encoding="utf-8")
    text = text.replace("{detector: keywords, keywords: [概况]}", measure)
    with pytest.raises(RubricError) as info:
        parse_rubric(text, "t.yaml")
    assert f"t.yaml:17: indicators[0].{expected}" in info.value.message


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            "{type: steps, steps: [{at_least: 5, points: 30}, {at_most: 3, points: 20}]}",
            "rule.steps[1].at_most: steps mix directions: at_most cannot follow at_least",
        ),
        (
            "{type: steps, steps: [{at_least: 5, points: 30}, {at_least: 3, points: 40}]}",
            "rule.steps[1].points: steps must go from the most points to the least: 40 cannot "
            "follow 30",
        ),
        ("{type: steps, steps: [{points: 30}]}", "rule.steps[0]: give exactly one threshold"),
        ("{type: deduct, per: 0}", "rule.per: must be > 0"),
        ("{type: ratio, scale: 2}", "rule.scale: unknown key"),
    ],
)
def test_rule_errors(rule: str, expected: str) -> None:
    text = (BROKEN / "minimal.yaml").read_text(encoding="utf-8")
    text = text.replace("rule: {type: presence}", f"rule: {rule}", 1)
    with pytest.raises(RubricError) as info:
        parse_rubric(text, "t.yaml")
    assert f"t.yaml:18: indicators[0].{expected}" in info.value.message


def test_steps_may_follow_a_strict_step_at_the_same_threshold() -> None:
    text = (
        (BROKEN / "minimal.yaml")
        .read_text(encoding="utf-8")
        .replace(
            "rule: {type: presence}",
            "rule: {type: steps, steps: [{above: 5, points: 60}, {at_least: 5, points: 30}]}",
            1,
        )
    )
    rule = parse_rubric(text, "t.yaml").indicator("C01").rule
    assert [rule.score(v, 60) for v in (6, 5, 4)] == [60, 30, 0]


def test_veto_and_indicator_ids_must_differ() -> None:
    text = (BROKEN / "minimal.yaml").read_text(encoding="utf-8").replace("id: V1", "id: C01")
    with pytest.raises(RubricError) as info:
        parse_rubric(text, "t.yaml")
    assert info.value.message.startswith("t.yaml:9: vetoes[0].id: 'C01' is also an indicator id")


def test_stale_days_kind_must_exist() -> None:
    text = (
        (BROKEN / "minimal.yaml")
        .read_text(encoding="utf-8")
        .replace("categories:", "thresholds:\n  stale_days: {news: 14, nwes: 30}\ncategories:", 1)
    )
    with pytest.raises(RubricError) as info:
        parse_rubric(text, "t.yaml")
    assert info.value.message == (
        "t.yaml:6: thresholds.stale_days.nwes: unknown column kind 'nwes'; kinds: notice, "
        "policy, news, other (add it to column_kinds first)"
    )


def test_indicator_level_must_be_a_rubric_level() -> None:
    text = (BROKEN / "minimal.yaml").read_text(encoding="utf-8")
    text = text.replace('version: "1"', 'version: "1"\nlevels: [municipal, county]')
    text = text.replace("    points: 60\n", "    points: 60\n    levels: [district]\n", 1)
    with pytest.raises(RubricError) as info:
        parse_rubric(text, "t.yaml")
    assert info.value.message == (
        "t.yaml:18: indicators[0].levels[0]: level 'district' is not one of the rubric's "
        "levels (municipal, county)"
    )


def test_a_misspelt_key_gets_the_nearest_one_suggested() -> None:
    text = (RUBRICS / "gov2013.yaml").read_text(encoding="utf-8")
    line = text.splitlines().index("  probe_count: 5") + 1
    with pytest.raises(RubricError) as error:
        parse_rubric(text.replace("  probe_count: 5", "  probe_cuont: 5"), "typo.yaml")
    assert error.value.message == (
        f"typo.yaml:{line}: thresholds.probe_cuont: unknown key; check the spelling against "
        "the documentation; did you mean 'probe_count'?"
    )
