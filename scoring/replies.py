"""Reply quality: does an official reply answer the letter, only pass it on, paste a template,
or say nothing?

Four classes, decided by transparent rules (docs/replies.md has the full lists):

* ``substantive`` — the reply answers: an action taken, a finding, a decision, a date or
  deadline, a rule or procedure that settles the question, or a figure.
* ``transfer_only`` — it says the letter was passed on (已转…, 已转交, 交由…办理) and nothing
  that answers.
* ``template`` — it would be substantive, but the same text, up to names, dates and numbers, is
  the reply to at least ``min_others`` other letters of the same site (MinHash over character
  shingles, then the exact Jaccard similarity of the candidates).
* ``no_answer`` — nothing that answers: empty, thanks and promises only, a referral only
  (请拨打…), only questions, or the letter pasted back.

The reply is cut into clauses at ``。！？；，：`` and every clause is sorted into greeting,
acknowledgement, thanks, header, transfer, referral, promise, question or content; only
content clauses can make a reply substantive, and only through the markers below. The
content-based classes come first: a forwarding note that the site pasted a hundred times is
``transfer_only`` (its reason says how often it repeats), ``template`` is kept for answers that
look like answers but are the same text for many letters.

:func:`classify_reply` classifies one reply; a site-level pass (:class:`SiteReplies` over all the
site's replies, then :func:`classify_site_replies`) gives every reply its template context.
Each result is ``(class, reason)``, the reason a short human-readable string quoting the text
that decided it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from datasketch import MinHash, MinHashLSH

__all__ = [
    "CLASSES",
    "SiteReplies",
    "classify_reply",
    "classify_site_replies",
    "clauses",
    "template_key",
]

SUBSTANTIVE = "substantive"
TRANSFER_ONLY = "transfer_only"
TEMPLATE = "template"
NO_ANSWER = "no_answer"
CLASSES: tuple[str, ...] = (SUBSTANTIVE, TRANSFER_ONLY, TEMPLATE, NO_ANSWER)

DEFAULT_SIMILARITY = 0.8
"""Jaccard similarity of two replies' shingle sets from which they count as the same text."""
DEFAULT_MIN_OTHERS = 2
"""A reply is a template when at least this many other replies of the site are the same text."""
SHINGLE = 4
NUM_PERM = 128
MINHASH_SEED = 1  # fixed: the same replies always give the same signatures and candidates

# ------------------------------------------------------------------------------ clause kinds

_CJK = re.compile(r"[\u4e00-\u9fff]")
_SPLIT = re.compile(r"[。!?;,:\n\r]+")
_DATE = re.compile(
    r"(?:\d{4}|[二〇零一两三四五六七八九]{4})\s*[年.\-/]\s*\d{1,2}\s*[月.\-/]\s*\d{1,2}\s*日?"
    r"|[二〇零一]{1,4}[〇零一二三四五六七八九十]*年[一二三四五六七八九十]+月[一二三四五六七八九十]+日"
    r"|\d{1,2}月\d{1,2}日"
)
_PHONE = re.compile(r"\d{3,4}[-—]?\d{7,8}|\b(?:12345|12319|12358|12315|12329|12123|95\d{3})\b")

_GREETING = re.compile(r"(?:您|你)好|^(?:尊敬的|亲爱的)?(?:网友|网民|市民|乘客|朋友)")
_GREETING_WORDS = re.compile(
    r"尊敬的|亲爱的|网友|网民|市民|乘客|朋友|平台|您好|你好|[“\"][^”\"]{0,40}[”\"]|UU\d+|A\d{5,}"
)
_ACK = re.compile(r"收悉|已悉知|已知悉|已阅悉|已收到|已经收到|来信收悉|已查看|获悉")
_THANKS = re.compile(
    r"感谢|谢谢|欢迎|敬请|恳请|请予理解|谅解|不便|歉意|祝您|祝你|支持与理解|理解与支持|此复|"
    r"特此(?:回复|说明|函复)|请您支持|请支持"
)
_HEADER = re.compile(
    r"(?:回复|答复|说明|汇报|函复|回帖|报告)如下|(?:现|特)(?:将|就|作|对)[^。]{0,30}(?:回复|答复|说明|汇报)"
)
_ATTENTION = re.compile(
    r"^(?:[^。]{0,20})(?:高度重视|十分重视|非常重视|高度关注|迅速|立即|认真)[^。]{0,12}$"
)
_TRANSFER = re.compile(
    r"(?:转交|转至|转给|转到|批转|移交|转送|转办|交由|交办)"
    r"|(?:已|已经|迅速|立即|及时|并|现)转(?![让学诊移换运型入向业发达正账户])"
    r"|已将[^，。]{0,20}转"
    r"|转[^，。]{0,25}?(?:调查核处|调查、核处|核查、办复|调查处置|调查处理|核实处理|核实、办理|核处|"
    r"进行处理|处理|办理)"
    r"|(?:汇报|报告)给?[^，。]{0,12}(?:领导|县委|县政府|区委|区政府)"
)
_REFERRAL = re.compile(
    r"(?:请|可|可以|建议|欢迎|您可|你可|也可|直接)[^，。]{0,15}"
    r"(?:拨打|致电|来电|电话|联系|咨询|反映|投诉|举报|查询|查阅|提供)"
    r"|(?:电话|热线)[^，。]{0,6}\d"
)
_PROMISE = re.compile(
    r"(?:进一步|继续|持续|不断|切实|努力|尽最大|尽快|尽量|更加|积极)"
    r"|(?:加强|加大|强化|提升|提高|改进|规范|重视|关注|监督|做好|完善|维护)"
)
_QUESTION = re.compile(r"[?？]\s*$")

# Markers of substance, by kind (the first kind found names the reason).
_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "a finding",
        re.compile(
            r"经查|经调查|经核实|经核查|经了解|经现场|经审核|经复核|经实地|据了解|据调查|"
            r"(?:调查|检查|核查|现场)发现|(?<!不)属实|不属实|确有|确实|的确|未发现|不存在"
        ),
    ),
    (
        "an action taken",
        re.compile(
            r"已(?:经)?[^，。]{0,12}?(?:完成|整改|拆除|下达|下发|责令|立案|处罚|约谈|召开|安装|修复|"
            r"更换|清理|调整|开通|取缔|停止|停工|解决|发放|协调|关闭|落实|组织|安排|检查|查处|暂扣|"
            r"退还|退款|纠正|批评|公示|签订|达成|出台|印发|建成|竣工|恢复|通电|纳入|列入|批复|审批|"
            r"启动|受理|上报|报送|核发|制定|划分|增设|设置|改造|补助|撤销|封存|复绿|硬化|填埋|去函|审核)"
            r"|已[^，。]{0,6}?通知|(?:进行|开展|作出|下达|召开|组织|安排|采取|了解)了"
            r"|依法[^，。]{0,6}(?:查处|处罚|取缔|立案)"
            r"|当场|当即|责令|约谈"
        ),
    ),
    (
        "a decision",
        re.compile(r"决定|(?<!不)同意|不同意|批准|批复|暂缓|不予|不再|予以"),
    ),
    (
        "a date or deadline",
        re.compile(
            r"预计|将于|拟于|计划于|年底前|月底前|\d+月\d+日前|\d+月底|年内|"
            r"争取[^，。]{0,15}(?:完成|开工|建成|交付|开通|通车)|完工后|建成后|完成后"
        ),
    ),
    (
        "a plan",
        re.compile(
            r"(?:将|会|拟|计划)[^，。]{0,12}(?:设立|增设|增加|设置|安装|加装|修建|新建|建设|开通|调整|"
            r"拆除|整治|改造|查处|取缔|检测|搬迁|恢复|维修|更换|发放|退还|清退|启动|硬化|填埋|督促)"
        ),
    ),
    (
        "an explanation",
        re.compile(r"由于|因为|原因是|原因在于|之所以|目的是|是为了|势必|所以|因此"),
    ),
    (
        "a rule",
        re.compile(
            r"《[^》]{2,60}》|第[一二三四五六七八九十百零\d]+条|规定|(?:依据|根据|按照)[^，。]{0,30}"
            r"(?:法|规定|办法|条例|文件|通知|意见|标准|政策|细则|规范|规程|程序)|不得|应当|必须|"
            r"不属于|不符合|不能|有效期|标准为|标准是|原则上|原则是"
        ),
    ),
    (
        "a figure",
        re.compile(
            r"\d+(?:\.\d+)?\s*(?:元|万元|亿元|%|％|个|户|人|名|米|公里|平方米|㎡|亩|台|辆|天|"
            r"小时|分钟|次|家|所|条|栋|套|吨|公顷|周岁)"
        ),
    ),
)
_PROCEDURE = re.compile(
    r"可以|可凭|可向|可到|可申请|(?:需|须|应)[^，。]{0,4}(?:提供|携带|持|到|在|办理|缴纳|申请|经|由|向|按)"
    r"|由[^，。]{1,20}(?:负责|办理|承担|决定)|(?:到|凭|持|可|在)[^，。]{0,20}办理|携带|目前|正在|现为|现已"
)


@dataclass(frozen=True)
class Clause:
    """One clause of a reply and what it is."""

    text: str
    kind: str  # greeting | ack | thanks | header | attention | transfer | referral | promise
    #            | question | content


def _cjk_count(text: str) -> int:
    return len(_CJK.findall(text))


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def _is_greeting(text: str) -> bool:
    """Only a greeting: nothing but 网友“…”您好 and the like (and dates, numbers)."""
    return _cjk_count(_GREETING_WORDS.sub("", _DATE.sub("", text))) < 2


def _clause_kind(text: str) -> str:
    bare = _DATE.sub("", text).strip()
    if _cjk_count(bare) == 0:
        return "greeting"  # a date, a number or punctuation only
    if _TRANSFER.search(bare):
        return "transfer"
    strong = any(pattern.search(bare) for _, pattern in _MARKERS)
    if _GREETING.search(bare) and _is_greeting(bare):
        return "greeting"
    if _HEADER.search(bare) and not strong:
        return "header"
    if _ACK.search(bare) and not strong:
        return "ack"
    if _THANKS.search(bare) and not strong:
        return "thanks"
    if _QUESTION.search(text):
        return "question"
    if _REFERRAL.search(bare) or (_PHONE.search(bare) and not strong):
        return "referral"
    if _ATTENTION.search(bare) and not strong:
        return "attention"
    if _PROMISE.search(bare) and not strong and not _PROCEDURE.search(bare):
        return "promise"
    return "content"


def clauses(reply_text: str) -> list[Clause]:
    """The reply cut at ``。！？；，：`` (after NFKC; a colon between digits, as in 18:00, does
    not cut) with the kind of every clause. A piece of fewer than four Chinese characters
    (经查，…) is joined to the piece after it."""
    text = _normalise(reply_text)
    pieces = [
        m.group(0).strip()
        for m in re.finditer(r"(?:[^。!?;,:\n\r]|(?<=\d):(?=\d))+(?:[。!?;,:]|$)", text)
    ]
    merged: list[str] = []
    carry = ""
    for piece in pieces:
        if not piece:
            continue
        piece = carry + piece
        carry = ""
        if _cjk_count(piece) < 4 and not _is_greeting(piece):
            carry = piece
            continue
        merged.append(piece)
    if carry:
        merged.append(carry)
    return [Clause(p.rstrip("。!?;,:").strip(), _clause_kind(p)) for p in merged]


def _snippet(text: str, limit: int = 24) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class _Substance:
    kind: str | None  # the marker kind that made it substantive, None when not substantive
    clause: str = ""


def _substance(parts: Sequence[Clause]) -> _Substance:
    content = [c for c in parts if c.kind == "content" and _cjk_count(c.text) >= 4]
    for c in content:
        bare = _DATE.sub("", c.text)
        for kind, pattern in _MARKERS:
            if pattern.search(bare):
                return _Substance(kind, c.text)
    # No strong marker: a stated procedure or state of affairs still answers when there is
    # enough of it (two clauses, or one of at least 12 characters).
    procedural = [c for c in content if _PROCEDURE.search(c.text)]
    if len(procedural) >= 2 or any(_cjk_count(c.text) >= 12 for c in procedural):
        return _Substance("a procedure or state of affairs", procedural[0].text)
    return _Substance(None)


# ----------------------------------------------------------------------------- templates


_NAME_QUOTE = re.compile(r"[“\"][^”\"]{0,40}[”\"]")
_USER_ID = re.compile(r"UU\d+|A\d{5,}")
_DIGITS = re.compile(r"\d+")
_NON_TEXT = re.compile(r"[^\u4e00-\u9fffA-Za-z0]")


def template_key(reply_text: str) -> str:
    """The reply with names, quoted letter titles, dates and numbers blanked and punctuation
    dropped: two replies that differ only in those have the same key."""
    text = _normalise(reply_text)
    text = _DATE.sub("", text)
    text = _NAME_QUOTE.sub("“”", text)
    text = _USER_ID.sub("", text)
    text = _DIGITS.sub("0", text)
    return _NON_TEXT.sub("", text)


def _shingles(key: str) -> set[str]:
    if len(key) <= SHINGLE:
        return {key} if key else set()
    return {key[i : i + SHINGLE] for i in range(len(key) - SHINGLE + 1)}


def _jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass
class SiteReplies:
    """All the replies of one site, indexed for the template check (MinHash LSH over 4-character
    shingles of :func:`template_key`; candidates are then compared exactly)."""

    similarity: float = DEFAULT_SIMILARITY
    _sets: list[set[str]] = field(default_factory=list, repr=False)
    _lsh: MinHashLSH | None = field(default=None, repr=False)

    @classmethod
    def from_replies(
        cls, replies: Iterable[str], similarity: float = DEFAULT_SIMILARITY
    ) -> SiteReplies:
        if not 0.0 < similarity <= 1.0:
            raise ValueError(f"similarity must be in (0, 1], got {similarity}")
        site = cls(similarity=similarity)
        site._lsh = MinHashLSH(threshold=similarity, num_perm=NUM_PERM)
        for index, reply in enumerate(replies):
            shingles = _shingles(template_key(reply))
            site._sets.append(shingles)
            if shingles:
                site._lsh.insert(index, _minhash(shingles))
        return site

    def __len__(self) -> int:
        return len(self._sets)

    def similar(self, reply_text: str, exclude: int | None = None) -> list[tuple[int, float]]:
        """Replies of the site that are the same text as ``reply_text`` (index, similarity),
        best first; ``exclude`` leaves out the reply's own position."""
        shingles = _shingles(template_key(reply_text))
        if not shingles or self._lsh is None:
            return []
        found = []
        for index in self._lsh.query(_minhash(shingles)):
            if index == exclude:
                continue
            score = _jaccard(shingles, self._sets[index])
            if score >= self.similarity:
                found.append((index, score))
        return sorted(found, key=lambda t: (-t[1], t[0]))


def _minhash(shingles: set[str]) -> MinHash:
    m = MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED)
    m.update_batch([s.encode("utf-8") for s in sorted(shingles)])
    return m


# ----------------------------------------------------------------------------- classify


def _count(n: int) -> str:
    return f"{n} other repl{'y' if n == 1 else 'ies'}"


def _repeats(similar: Sequence[tuple[int, float]]) -> str:
    if not similar:
        return ""
    mean = sum(s for _, s in similar) / len(similar)
    return f"{mean:.2f} similar to {_count(len(similar))}"


def _letter_echo(reply: str, letter: str | None) -> bool:
    if not letter:
        return False
    a, b = _shingles(template_key(reply)), _shingles(template_key(letter))
    return len(a) >= 5 and len(a & b) / len(a) >= DEFAULT_SIMILARITY


def classify_reply(
    reply_text: str | None,
    letter_text: str | None = None,
    site_replies: SiteReplies | Sequence[str] | None = None,
    *,
    min_others: int = DEFAULT_MIN_OTHERS,
    position: int | None = None,
) -> tuple[str, str]:
    """Classify one reply; returns ``(class, reason)``.

    ``letter_text``, when known, lets a reply that only pastes the letter back count as no
    answer. ``site_replies`` is the site's replies (this one included) as a :class:`SiteReplies`
    or a list of texts; without it no reply is a template. ``position`` is this reply's index in
    ``site_replies`` (so it is not counted as its own copy); without it, one identical copy is
    taken to be the reply itself.
    """
    text = _normalise(reply_text or "")
    if _cjk_count(text) == 0:
        return NO_ANSWER, "no answer: empty reply"
    if _letter_echo(text, letter_text):
        return NO_ANSWER, "no answer: the reply repeats the letter"
    site = _as_site(site_replies)
    similar = site.similar(text, exclude=position) if site is not None else []
    if site is not None and position is None and similar and similar[0][1] >= 0.999:
        similar = similar[1:]  # the reply's own entry
    parts = clauses(text)
    found = _substance(parts)
    repeated = _repeats(similar)
    if found.kind is not None:
        if len(similar) >= min_others:
            return TEMPLATE, f"template: {repeated} of this site"
        return SUBSTANTIVE, f"substantive: {found.kind}: {_snippet(found.clause)}"
    suffix = f" (the same text as {_count(len(similar))} of this site)" if similar else ""
    transfer = next((c for c in parts if c.kind == "transfer"), None)
    if transfer is not None:
        return TRANSFER_ONLY, f"transfer only: {_snippet(transfer.text)}{suffix}"
    kinds = {c.kind for c in parts}
    if kinds == {"question"} or (kinds <= {"question", "greeting"} and "question" in kinds):
        return NO_ANSWER, f"no answer: only questions{suffix}"
    referral = next((c for c in parts if c.kind == "referral"), None)
    if referral is not None:
        return NO_ANSWER, f"no answer: only a referral: {_snippet(referral.text)}{suffix}"
    return NO_ANSWER, (
        "no answer: no action, finding, decision, date or rule (greetings, thanks and "
        f"promises only){suffix}"
    )


def _as_site(site_replies: SiteReplies | Sequence[str] | None) -> SiteReplies | None:
    if site_replies is None or isinstance(site_replies, SiteReplies):
        return site_replies
    return SiteReplies.from_replies(site_replies)


def classify_site_replies(
    replies: Sequence[str | None],
    letters: Sequence[str | None] | None = None,
    *,
    similarity: float = DEFAULT_SIMILARITY,
    min_others: int = DEFAULT_MIN_OTHERS,
) -> list[tuple[str, str]]:
    """The site-level pass: classify every reply of one site with all the others as its
    template context. ``letters[i]`` is the letter ``replies[i]`` answers (optional)."""
    if letters is not None and len(letters) != len(replies):
        raise ValueError("letters and replies must have the same length")
    site = SiteReplies.from_replies([r or "" for r in replies], similarity=similarity)
    return [
        classify_reply(
            reply,
            letters[i] if letters is not None else None,
            site,
            min_others=min_others,
            position=i,
        )
        for i, reply in enumerate(replies)
    ]
