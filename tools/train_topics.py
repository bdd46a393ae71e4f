"""Train the topic model shipped as scoring/models/topics.json.gz.

Training data: the 2020 Teddy Cup C data set, 附件2 (9,210 letters of one provincial message
board with their first-level labels 城乡建设, 环境保护, 交通运输, 教育文体, 劳动和社会保障,
商贸旅游, 卫生计生). Two forms are read:

* the data set's own table (``.xlsx`` or ``.csv``) with the columns 留言主题, 留言详情 and
  一级标签 (or 一级分类): title and text are joined and cut into words with jieba, as the
  classifier does at run time;
* a two-column table without header, already cut into words (words separated by spaces, label
  in the second column), such as ``过程数据/T1/原始数据集分词结果.xlsx`` of the public repository
  ``jesHrz/tipdm`` (commit 4223fed…; jieba words of title + text, stop words removed), which is
  what the shipped model was trained from. The full 附件2 table is larger than 4 MiB and was
  not available here; the repository and the data set are public.

The letters are split 80/20, stratified by class, with ``--seed`` (default 2020). The
smoothing ``alpha`` and the minimum document frequency are chosen by 5-fold cross-validation on
the 80 % only; the model is trained on the 80 % and scored once on the 20 %, and that score is
what the README reports and the model's ``meta`` records. ``--exclude`` drops every training
letter that starts with one of the titles of a CSV (column ``subject``), so the CI test
letters are never trained on.

    python tools/train_topics.py 原始数据集分词结果.xlsx \\
        --exclude tests/fixtures/real/topics-sample.csv --out scoring/models/topics.json.gz
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from evalcrawler.scoring.agreement import macro_f1, markdown_table, per_class
from evalcrawler.scoring.topics import OTHER, TOPICS, TopicModel, tokenize

ALPHAS = (0.1, 0.3, 1.0)
MIN_DFS = (1, 2)
FOLDS = 5
LABEL_COLUMNS = ("一级标签", "一级分类")


def read_letters(path: Path) -> tuple[list[list[str]], list[str], str]:
    """Words and labels of every letter, and which form the file had."""
    if path.suffix.lower() in (".xlsx", ".xls"):
        table = pd.read_excel(path, header=None, dtype=str)
    else:
        table = pd.read_csv(path, header=None, dtype=str, encoding="utf-8-sig")
    header = [str(v).strip() for v in table.iloc[0]]
    label_col = next((c for c in LABEL_COLUMNS if c in header), None)
    if label_col is not None and "留言主题" in header:
        body = table.iloc[1:]
        body.columns = header
        texts = (body["留言主题"].fillna("") + " " + body.get("留言详情", "").fillna("")).tolist()
        return [tokenize(t) for t in texts], body[label_col].str.strip().tolist(), "raw"
    if table.shape[1] != 2:
        sys.exit(
            f"Error: {path}: expected the columns 留言主题, 留言详情, 一级标签 or two columns "
            f"(words, label); found {table.shape[1]} columns"
        )
    words = [str(t).split() for t in table[0].fillna("")]
    return words, table[1].str.strip().tolist(), "segmented"


def excluded(words: list[list[str]], titles: Sequence[str]) -> set[int]:
    """Letters whose first words are (nearly) the words of one of ``titles``."""
    heads = [set(w[:30]) for w in words]
    out: set[int] = set()
    for title in titles:
        tw = {w for w in tokenize(title) if len(w) > 1}
        if len(tw) < 2:
            continue
        for i, head in enumerate(heads):
            if len(tw & head) / len(tw) >= 0.8:
                out.add(i)
    return out


def stratified_split(labels: Sequence[str], share: float, seed: int) -> tuple[list[int], list[int]]:
    rng = random.Random(seed)
    by_class: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        by_class[label].append(i)
    test: set[int] = set()
    for label in sorted(by_class):
        members = by_class[label][:]
        rng.shuffle(members)
        test.update(members[: round(len(members) * share)])
    return [i for i in range(len(labels)) if i not in test], sorted(test)


def fit(
    words: Sequence[list[str]],
    labels: Sequence[str],
    classes: Sequence[str],
    alpha: float,
    min_df: int,
) -> TopicModel:
    df: Counter[str] = Counter()
    for w in words:
        df.update(set(w))
    vocab = sorted(t for t, n in df.items() if n >= min_df)
    index = {t: i for i, t in enumerate(vocab)}
    counts = np.zeros((len(vocab), len(classes)))
    prior = np.zeros(len(classes))
    for w, label in zip(words, labels, strict=True):
        c = classes.index(label)
        prior[c] += 1
        for t in w:
            if t in index:
                counts[index[t], c] += 1
    log_prob = np.log((counts + alpha) / (counts.sum(axis=0) + alpha * len(vocab)))
    return TopicModel(
        classes=tuple(classes),
        log_prior=np.log(prior / prior.sum()),
        index=index,
        log_prob=log_prob,
        meta={},
    )


def argmax_labels(model: TopicModel, words: Sequence[list[str]]) -> list[str]:
    """The most probable class of each letter (no 其他: that is the run-time rule)."""
    return [model.classes[int(np.argmax(model.posterior(w)[0]))] for w in words]


def choose(
    words: list[list[str]], labels: list[str], classes: list[str], seed: int
) -> tuple[float, int]:
    folds = [i % FOLDS for i in range(len(words))]
    random.Random(seed).shuffle(folds)
    best: tuple[float, float, int] | None = None
    for alpha in ALPHAS:
        for min_df in MIN_DFS:
            scores = []
            for k in range(FOLDS):
                tr = [i for i, f in enumerate(folds) if f != k]
                te = [i for i, f in enumerate(folds) if f == k]
                model = fit([words[i] for i in tr], [labels[i] for i in tr], classes, alpha, min_df)
                pred = argmax_labels(model, [words[i] for i in te])
                scores.append(macro_f1(per_class([labels[i] for i in te], pred, classes)))
            mean = sum(scores) / len(scores)
            print(f"  alpha {alpha}, min_df {min_df}: cross-validated macro F1 {mean:.4f}")
            if best is None or mean > best[0]:
                best = (mean, alpha, min_df)
    assert best is not None
    return best[1], best[2]


def main() -> None:
    parser = argparse.ArgumentParser(description="Train the topic model from 附件2.")
    parser.add_argument("data", type=Path, help="附件2 (.xlsx/.csv), raw or cut into words")
    parser.add_argument(
        "--exclude", type=Path, help="CSV whose 'subject' titles must not be trained on"
    )
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--holdout", type=float, default=0.2)
    parser.add_argument("--out", type=Path, default=Path("scoring/models/topics.json.gz"))
    parser.add_argument("--source", default="", help="where the data came from (kept in meta)")
    args = parser.parse_args()

    words, labels, form = read_letters(args.data)
    classes = [t for t in TOPICS if t != OTHER]
    strange = sorted(set(labels) - set(classes))
    if strange:
        sys.exit(f"Error: {args.data}: labels outside the seven classes: {', '.join(strange)}")
    print(f"{len(words)} letters ({form}): {dict(sorted(Counter(labels).items()))}")
    drop: set[int] = set()
    if args.exclude:
        with args.exclude.open(encoding="utf-8", newline="") as handle:
            titles = [row["subject"] for row in csv.DictReader(handle)]
        drop = excluded(words, titles)
        print(f"excluded {len(drop)} letters that start with a title of {args.exclude}")
    keep = [i for i in range(len(words)) if i not in drop]
    words = [words[i] for i in keep]
    labels = [labels[i] for i in keep]

    train, test = stratified_split(labels, args.holdout, args.seed)
    print(f"train {len(train)}, held out {len(test)} (stratified, seed {args.seed})")
    tw, tl = [words[i] for i in train], [labels[i] for i in train]
    alpha, min_df = choose(tw, tl, classes, args.seed)
    model = fit(tw, tl, classes, alpha, min_df)
    truth = [labels[i] for i in test]
    predicted = argmax_labels(model, [words[i] for i in test])
    scores = per_class(truth, predicted, classes)
    held_out = {
        "letters": len(test),
        "macro_f1": round(macro_f1(scores), 4),
        "f1": {s.label: round(s.f1 or 0.0, 4) for s in scores},
    }
    print(f"alpha {alpha}, min_df {min_df}, {len(model.index)} words")
    print(f"held-out macro F1 {held_out['macro_f1']}")
    print(markdown_table(scores))
    meta = {
        "source": args.source or str(args.data.name),
        "form": form,
        "letters": len(words) + len(drop),
        "excluded": len(drop),
        "train": len(train),
        "seed": args.seed,
        "holdout": args.holdout,
        "alpha": alpha,
        "min_df": min_df,
        "held_out": held_out,
    }
    model = TopicModel(model.classes, model.log_prior, model.index, model.log_prob, meta)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
