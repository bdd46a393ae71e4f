"""Service guides (办事指南): the labels a guide shows, each with its value.

A 办事指南 page is a table or a run of lines of labelled fields — 事项名称, 办理依据, 申报材料,
办理时限, 收费标准 … each followed by its value —, whatever boxes of related regulations or
downloads (dated links) stand beside it. :func:`guide_labels` finds the labels of that
vocabulary that stand as labels of their own text (a cell, a line, ``label：value``) and are
followed by a value, outside links, navigation, footers and comments; the scoring
(:mod:`evalcrawler.scoring.pages`) calls a page with enough of them a guide, never a column nor
a blank column. A list table's header row (事项名称 | 办理时限 | 收费标准) shows labels that
follow each other, not labels with values: it counts one label at most.
"""

from __future__ import annotations

import re

from evalcrawler.spiders.walk import FOOTER, HARD, NAV, P_COMMENT, Walk, render

# The labels of a guide's fields (the key elements of docs/rubrics.md's guide indicators, and
# the time limit), without those a message board's letters or a contact box also show
# (办理时间, 办理部门, 联系电话 …).
GUIDE_LABELS = (
    "事项名称",
    "服务事项",
    "设定依据",
    "办理依据",
    "法律依据",
    "实施依据",
    "事项依据",
    "申请条件",
    "受理条件",
    "办理条件",
    "办理材料",
    "申请材料",
    "申报材料",
    "所需材料",
    "提交材料",
    "办理地点",
    "受理地点",
    "办理窗口",
    "办理地址",
    "办理机构",
    "受理机构",
    "实施机构",
    "实施主体",
    "收费标准",
    "收费依据",
    "是否收费",
    "办理时限",
    "法定时限",
    "承诺时限",
    "办理流程",
    "办事流程",
    "办理程序",
    "受理方式",
    "办理方式",
)
_LABEL = re.compile(
    r"^[\s\d一二三四五六七八九十、.．()（）【】\[\]]*(" + "|".join(GUIDE_LABELS) + r")"
    r"[^：:\s]{0,4}\s*([：:]?)\s*(.*)$",
    re.S,
)
_LOOKAHEAD = 40  # pieces looked at for a label's value (blocks and blanks between)
_PIECES_READ = 200_000


def guide_labels(w: Walk) -> list[str]:
    """The guide labels the page shows with a value, each once, in page order."""
    pieces = w.pieces
    found: list[str] = []
    for i, (text, link, _sid, flags) in enumerate(pieces[:_PIECES_READ]):
        if link >= 0 or flags & (NAV | FOOTER | P_COMMENT) or text == HARD:
            continue
        label = _label_of(text)
        if label is None or label[0] in found:
            continue
        if label[1] or _value_follows(w, i + 1):
            found.append(label[0])
    return found


def _label_of(text: str) -> tuple[str, str] | None:
    """The label a text starts with and the value after it on the same text (``label：value``),
    or ``None`` (no label, or a sentence that starts with a label's words)."""
    if len(text) > 200:
        return None
    m = _LABEL.match(render(text))
    if m is None or (m.group(3) and not m.group(2)):
        return None
    return m.group(1), m.group(3)


def _value_follows(w: Walk, start: int) -> bool:
    """The next shown text after a label is a value (any text, a link's too), not a label."""
    for text, _link, _sid, flags in w.pieces[start : start + _LOOKAHEAD]:
        if text == HARD or flags & P_COMMENT or not text.strip():
            continue
        return _label_of(text) is None
    return False
