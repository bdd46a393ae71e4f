"""The accuracy gate on real pages (the htmldate/trafilatura pattern).

The extractor and the page rules run on every labelled real page of tests/fixtures/real/corpus
(:mod:`tests.realcorpus`); each figure must stay at or above the floor pinned in
tests/fixtures/real/accuracy-floors.json, which also pins the corpus it was measured on (a
hash). A change that reads real pages worse fails here. To move the floors after improving the
extractor or adding pages: ``python bench/accuracy_real.py --update-floors`` (it never lowers a
floor unless told why with ``--allow-lower "reason"``, which is kept in the file).
"""

from __future__ import annotations

import json

import pytest

from tests.realcorpus import FLOORS, OWN_TEXT_NEVER_BLANK, corpus_hash, evaluate, load


@pytest.fixture(scope="module")
def report():
    return evaluate(load())


@pytest.fixture(scope="module")
def floors():
    return json.loads(FLOORS.read_text(encoding="utf-8"))


def test_the_floors_were_measured_on_this_corpus(floors):
    assert floors["corpus_sha256"] == corpus_hash(), (
        "the real corpus changed since the floors were pinned: run "
        "`python bench/accuracy_real.py --update-floors` and commit the new floors"
    )


def test_no_figure_falls_below_its_floor(report, floors):
    got = report.numbers()
    below = {
        name: (got[name], floor)
        for name, floor in floors["floors"].items()
        if floor is not None and (got[name] is None or got[name] < floor - 1e-9)
    }
    assert not below, f"below the floor (measured, floor): {below}"


def test_no_page_with_text_of_its_own_is_a_blank_column(report):
    """A false 不合格 is the worst error: a page with more than 300 characters of its own text
    (a service guide, a form, an introduction, an article) is never a blank column."""
    assert report.long_text_blank == [], f"> {OWN_TEXT_NEVER_BLANK} characters yet blank"
