"""What a letter is about: one of the topic classes that Chinese 12345 and 留言 platforms use.

Classes: 城乡建设, 环境保护, 交通运输, 教育文体, 劳动和社会保障, 商贸旅游, 卫生计生, and 其他.

The model is a multinomial naive Bayes over ``jieba`` words, trained by ``tools/train_topics.py``
on the public 2020 Teddy Cup C data set (附件2: 9,210 letters with their first-level labels) and
shipped as ``models/topics.json.gz``: the vocabulary and, per word, the log-probability of the
word in each class. It loads with the standard library and numpy; scoring a letter adds the log
prior of each class to the log-probabilities of its known words (unknown words are skipped).

附件2 has no 其他: a letter is 其他 when the model knows none of its words, or when no class
reaches ``MIN_PROBABILITY`` (set before the model was evaluated, not tuned). Every result says
why, naming the words that weighed most for the chosen class.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "MIN_PROBABILITY",
    "OTHER",
    "TOPICS",
    "TopicModel",
    "TopicResult",
    "classify_topic",
    "load_model",
    "tokenize",
]

TOPICS: tuple[str, ...] = (
    "城乡建设",
    "环境保护",
    "交通运输",
    "教育文体",
    "劳动和社会保障",
    "商贸旅游",
    "卫生计生",
    "其他",
)
OTHER = "其他"
MIN_PROBABILITY = 0.6
"""A letter whose best class has a lower posterior probability is 其他."""
MODEL_RESOURCE = "models/topics.json.gz"
MODEL_FORMAT = 1

_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")


@lru_cache(maxsize=1)
def _jieba() -> Any:
    # jieba 0.42 imports pkg_resources, which newer setuptools deprecates with a warning; the
    # import is jieba's business, not a problem of ours.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*pkg_resources.*")
        import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def tokenize(text: str | None) -> list[str]:
    """``jieba`` words of ``text`` (precise mode), keeping only words with a Chinese character,
    a letter or a digit."""
    if not text:
        return []
    return [w for w in _jieba().lcut(text) if _WORD.search(w)]


class TopicResult(NamedTuple):
    topic: str
    probability: float | None  # posterior of the chosen class (None when no word is known)
    reason: str


@dataclass(frozen=True)
class TopicModel:
    """The shipped model: classes, log priors, vocabulary and per-word log-probabilities."""

    classes: tuple[str, ...]
    log_prior: np.ndarray  # (classes,)
    index: dict[str, int]  # word -> row of log_prob
    log_prob: np.ndarray  # (words, classes)
    meta: dict[str, Any]

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> TopicModel:
        if doc.get("format") != MODEL_FORMAT:
            raise ValueError(f"topic model format {doc.get('format')!r}, expected {MODEL_FORMAT}")
        classes = tuple(doc["classes"])
        unknown = [c for c in classes if c not in TOPICS]
        if unknown:
            raise ValueError(f"topic model has classes outside TOPICS: {', '.join(unknown)}")
        words = list(doc["words"])
        log_prob = np.asarray(doc["log_prob"], dtype=np.float64).reshape(len(words), len(classes))
        return cls(
            classes=classes,
            log_prior=np.asarray(doc["log_prior"], dtype=np.float64),
            index={w: i for i, w in enumerate(words)},
            log_prob=log_prob,
            meta=dict(doc.get("meta") or {}),
        )

    def to_json(self) -> dict[str, Any]:
        words = sorted(self.index, key=self.index.__getitem__)
        return {
            "format": MODEL_FORMAT,
            "classes": list(self.classes),
            "log_prior": [round(float(x), 4) for x in self.log_prior],
            "words": words,
            "log_prob": [round(float(x), 3) for x in self.log_prob.ravel()],
            "meta": self.meta,
        }

    def save(self, path: str | Path) -> None:
        data = json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":"))
        # No file name and mtime 0 in the gzip header: the same model always gives the same bytes.
        with open(path, "wb") as raw, gzip.GzipFile("", "wb", fileobj=raw, mtime=0) as handle:
            handle.write(data.encode("utf-8"))

    def posterior(self, words: Iterable[str]) -> tuple[np.ndarray, list[str]]:
        """Posterior probabilities of the classes and the words the model knows."""
        known = [w for w in words if w in self.index]
        scores = self.log_prior.copy()
        if known:
            scores += self.log_prob[[self.index[w] for w in known]].sum(axis=0)
        scores -= scores.max()
        probs = np.exp(scores)
        return probs / probs.sum(), known

    def evidence(self, known: list[str], klass: int, limit: int = 3) -> list[str]:
        """The known words that weigh most for class ``klass`` against the average class."""
        weights: dict[str, float] = {}
        for word in known:
            row = self.log_prob[self.index[word]]
            weights[word] = float(row[klass] - row.mean())
        ranked = sorted(weights.items(), key=lambda t: (-t[1], t[0]))
        return [w for w, v in ranked[:limit] if v > 0]

    def classify(self, words: list[str]) -> TopicResult:
        probs, known = self.posterior(words)
        if not known:
            return TopicResult(OTHER, None, "其他: none of the words is in the model")
        best = int(np.argmax(probs))
        p = float(probs[best])
        label = self.classes[best]
        cue = ", ".join(self.evidence(known, best)) or "no single word"
        if p < MIN_PROBABILITY:
            return TopicResult(
                OTHER, p, f"其他: the best class {label} has {p:.2f} < {MIN_PROBABILITY} ({cue})"
            )
        return TopicResult(label, p, f"{label} {p:.2f}: {cue}")


def load_model(path: str | Path | None = None) -> TopicModel:
    """The shipped model (read once), or the model at ``path``."""
    if path is None:
        return _shipped_model()
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return TopicModel.from_json(json.load(handle))


@lru_cache(maxsize=1)
def _shipped_model() -> TopicModel:
    ref = resources.files("evalcrawler.scoring").joinpath(MODEL_RESOURCE)
    with ref.open("rb") as raw, gzip.GzipFile(fileobj=raw) as handle:
        return TopicModel.from_json(json.loads(handle.read().decode("utf-8")))


def classify_topic(
    title: str | None, text: str | None = None, model: TopicModel | None = None
) -> TopicResult:
    """The topic of a letter from its title and, when known, its text."""
    words = tokenize(" ".join(p for p in (title, text) if p))
    return (model or load_model()).classify(words)
