"""The words message boards use: field labels, reply states, and what names a board page.

docs/metrics.md ("Letter (thread)") lists them; :mod:`evalcrawler.spiders.boards` and
:mod:`evalcrawler.spiders.boardfields` read pages with them. The vocabularies are those of real
boards (12345 platforms, 市长信箱, 政民互动 boards, the 局长信箱 templates of a government CMS):
an asked label is a verb of writing (来信, 留言, 咨询 …) with 时间 or 日期, a reply label a verb
of answering or handling (回复, 答复, 处理, 办理 …) with 时间 or 日期.
"""

from __future__ import annotations

import re
from collections.abc import Iterator


def _timed(*verbs: str) -> tuple[str, ...]:
    return tuple(f"{verb}{unit}" for verb in verbs for unit in ("时间", "日期"))


ASKED_LABELS = _timed("来信", "留言", "咨询", "提问", "提交", "投诉", "反映", "写信")
"""Labels of the day a letter was written."""

ACCEPTED_LABELS = _timed("受理")
"""The day the office accepted the letter: read as the asked day only where no asked label is
shown, and only on a board page (a 办件 page shows 受理时间 for service applications)."""

REPLY_LABELS = _timed("回复", "答复", "处理", "办理", "反馈", "办结", "回信")
"""Labels of the day a letter was answered."""

STATE_LABELS = (
    "办理状态",
    "处理状态",
    "回复状态",
    "办事状态",
    "受理状态",
    "信件状态",
    "当前状态",
    "状态",
)
"""Labels of a letter's state (its value is a state word)."""

OUTCOME_LABELS = ("处理情况", "办理情况", "处理结果", "办理结果")
"""Labels boards use both for a state (处理情况：办理完毕) and for the reply's text (处理情况:
经调查 …): a short value that is a state word is the state, a longer one the reply."""

QUESTION_LABELS = (
    "来信内容",
    "留言内容",
    "咨询内容",
    "信件内容",
    "反映内容",
    "投诉内容",
    "提问内容",
    "诉求内容",
    "问题内容",
    "问题描述",
    "来信详情",
    "留言详情",
)
"""Labels of the letter's own text."""

REPLY_TEXT_LABELS = (
    "回复内容",
    "答复内容",
    "回复意见",
    "答复意见",
    "处理意见",
    "办理意见",
    "办理内容",
    "回复详情",
    "答复详情",
    "信件回复",
)
"""Labels of the reply's text (and :data:`OUTCOME_LABELS` with a longer value)."""

TITLE_LABELS = (
    "信件标题",
    "来信标题",
    "留言标题",
    "咨询标题",
    "反映标题",
    "来信主题",
    "信件主题",
    "留言主题",
    "咨询主题",
    "投诉主题",
    "标题",
    "主题",
)
"""Labels of the letter's subject."""

TITLE_COLUMNS = (*TITLE_LABELS, "问题", "咨询问题")
"""Header cells of a list table's subject column (a Q&A board's 编号 | 问题 | 咨询时间); 问题
alone is no field label of a letter's page (问题：… there is the letter's text)."""

OTHER_LABELS = (
    "来信人",
    "留言人",
    "写信人",
    "咨询人",
    "投诉人",
    "姓名",
    "承办单位",
    "答复单位",
    "回复单位",
    "办理单位",
    "受理单位",
    "处理单位",
    "答复部门",
    "回复部门",
    "办理部门",
    "处理部门",
    "督办部门",
    "答复机构",
    "满意度",
    "回复满意度",
    "评价",
    "附件",
    "编号",
    "信件编号",
    "受理编号",
    "查询码",
    "信件类型",
    "所属类型",
    "问题类别",
    "类型",
    "是否公开",
    "浏览量",
    "浏览次数",
    "点击数",
)
"""Other fields of a letter: read for nothing, but a value ends where one starts."""

DATE_COLUMNS = ("时间", "日期", "发布时间", "发布日期")
"""Column headers that name a date without saying whose: a board table's asked column only
when the table also has a state column and the page is a board page."""

REPLIED_WORDS = (
    "已回复",
    "已答复",
    "已办结",
    "办理完毕",
    "处理完毕",
    "已处理",
    "已反馈",
    "已办理",
    "已完成",
    "已回信",
    "办结",
)
"""States of an answered letter."""

UNANSWERED_WORDS = (
    "正在办理",
    "正在处理",
    "办理中",
    "处理中",
    "待回复",
    "未回复",
    "未答复",
    "待处理",
    "未处理",
    "待办理",
    "已受理",
    "受理中",
    "待受理",
    "未受理",
    "未办结",
    "已转办",
    "转办中",
)
"""States of a letter not answered yet. Checked first: 未办结 holds 办结, 未处理 is no 已处理."""

BOARD_WORDS = (
    "信箱",
    "留言",
    "来信",
    "信件",
    "咨询",
    "投诉",
    "问政",
    "民意",
    "互动",
    "诉求",
    "热线",
    "12345",
    "建议",
    "举报",
    "回复",
    "答复",
)
"""Words in a board page's title or headings (网上咨询, 市长信箱, 政民互动 …)."""

STATE_CELL_MAX = 8
"""Characters of a cell that is a state and nothing else (``[已办结]``, ``正在办理``)."""

_STATE_SET = frozenset(REPLIED_WORDS + UNANSWERED_WORDS)
_DECOR = str.maketrans("", "", " \t\r\n\xa0\u3000[]【】()（）<>《》·•")


def status_state(text: str) -> str | None:
    """``replied`` / ``unanswered`` from a state shown in ``text`` (已回复, 办理中 …), else
    ``None``; a word for an open letter wins (未回复 holds 回复)."""
    flat = "".join(text.split())
    for word in UNANSWERED_WORDS:
        if word in flat:
            return "unanswered"
    for word in REPLIED_WORDS:
        if word in flat:
            return "replied"
    return None


def state_cell(text: str) -> str | None:
    """The state of a cell that shows a state word and nothing else (``[已办结]``), else
    ``None``: a title that mentions 已办结 is no state."""
    flat = text.translate(_DECOR)
    if not flat or len(flat) > STATE_CELL_MAX or flat not in _STATE_SET:
        return None
    return status_state(flat)


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


KINDS: dict[str, tuple[str, ...]] = {
    "asked": ASKED_LABELS,
    "accepted": ACCEPTED_LABELS,
    "replied": REPLY_LABELS,
    "state": STATE_LABELS,
    "outcome": OUTCOME_LABELS,
    "question": QUESTION_LABELS,
    "reply": REPLY_TEXT_LABELS,
    "title": TITLE_LABELS,
    "other": OTHER_LABELS,
}
"""Each kind of field and its labels."""

_KIND_OF = {label: kind for kind, labels in KINDS.items() for label in labels}
_LEAD = " \t\r\n\xa0\u3000[【(（·•◆■●▲★"
# A label starts the text and ends at a colon, a space, a bracket, a digit or the text's end:
# 主题教育 is no 主题 label, 状态栏 no 状态.
LABEL_RE = re.compile(
    f"[{re.escape(_LEAD)}]*({_alternation(tuple(_KIND_OF))})"
    r"(?=$|[\s:：\]】)）\d\xa0\u3000])[\s\xa0\u3000]*[:：]?"
)
# A short text that ends with a colon is some field's label, whatever the field.
_COLON_LABEL = re.compile(r"[^\s:：]{1,10}[\s\xa0\u3000]*[:：][\s\xa0\u3000]*$")


def label_at(text: str) -> tuple[str, str, str] | None:
    """``(kind, label, rest)`` when ``text`` starts with a field label, else ``None``;
    ``rest`` is the text after the label and its colon."""
    m = LABEL_RE.match(text)
    if m is None:
        return None
    label = m.group(1)
    return _KIND_OF[label], label, text[m.end() :]


ONE_LINE = frozenset({"asked", "accepted", "replied", "state", "title", "other"})
"""Kinds of field whose value is one short line (a label may follow it in the same text)."""

_VALUE_MAX = 40
_NEXT_LABEL = re.compile(f"[\\s|｜/·]+({_alternation(tuple(_KIND_OF))})[\\s\xa0\u3000]*[:：]")


def labels_in(text: str) -> Iterator[tuple[str, str, str]]:
    """The labels a text shows: ``(kind, label, rest)`` for the label it starts with, then for
    each label that follows a one-line value (at most 40 characters) after a space or a bar
    and ends with a colon (``留言时间：2014-01-01 回复时间：2014-01-02``); ``rest`` is the text
    after the label up to the next one. A text value (the letter, the reply) runs on: a label
    inside it is prose."""
    m = LABEL_RE.match(text)
    while m is not None:
        label = m.group(1)
        kind, start = _KIND_OF[label], m.end()
        m = None
        if kind in ONE_LINE:
            m = _NEXT_LABEL.search(text, start, start + _VALUE_MAX + 40)
            if m is not None and m.start() - start > _VALUE_MAX:
                m = None
        yield kind, label, text[start : m.start() if m is not None else len(text)]


def starts_field(text: str) -> bool:
    """Whether ``text`` starts another field: a known label, or a short text ending with a
    colon (``联系电话：``)."""
    stripped = text.strip(_LEAD)
    return bool(stripped) and (label_at(stripped) is not None or bool(_COLON_LABEL.match(stripped)))


def is_board_title(text: str) -> bool:
    """Whether a page title or heading names a message board."""
    return any(word in text for word in BOARD_WORDS)
