"""Agreement of a classifier with hand labels: per-class precision, recall and F1, and the macro
F1 over the classes that occur in the labels (a class nobody labelled has no recall to measure,
so it is reported but left out of the mean)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ClassScore:
    label: str
    support: int  # how many items the hand labels put in this class
    predicted: int  # how many items the classifier put in it
    correct: int

    @property
    def precision(self) -> float | None:
        return self.correct / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.correct / self.support if self.support else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def per_class(
    truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str]
) -> list[ClassScore]:
    """One :class:`ClassScore` per label, in the order of ``labels``."""
    if len(truth) != len(predicted):
        raise ValueError("truth and predicted must have the same length")
    pairs = list(zip(truth, predicted, strict=True))
    return [
        ClassScore(
            label=label,
            support=sum(1 for t, _ in pairs if t == label),
            predicted=sum(1 for _, p in pairs if p == label),
            correct=sum(1 for t, p in pairs if t == p == label),
        )
        for label in labels
    ]


def macro_f1(scores: Sequence[ClassScore]) -> float:
    """Mean F1 over the classes with support (a class predicted but never labelled counts as
    F1 0 only when it has support; its false positives already lower the others' precision)."""
    present = [s for s in scores if s.support]
    if not present:
        raise ValueError("no labelled items")
    return sum(s.f1 or 0.0 for s in present) / len(present)


def accuracy(truth: Sequence[str], predicted: Sequence[str]) -> float:
    if not truth:
        raise ValueError("no labelled items")
    return sum(1 for t, p in zip(truth, predicted, strict=True) if t == p) / len(truth)


def markdown_table(scores: Sequence[ClassScore]) -> str:
    """The scores as a Markdown table (the README's format)."""

    def fmt(value: float | None) -> str:
        return "–" if value is None else f"{value:.2f}"

    lines = [
        "| class | labelled | predicted | precision | recall | F1 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for s in scores:
        lines.append(
            f"| {s.label} | {s.support} | {s.predicted} | {fmt(s.precision)} | "
            f"{fmt(s.recall)} | {fmt(s.f1)} |"
        )
    return "\n".join(lines)
