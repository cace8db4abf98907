"""Builders of the malformed-input catalogue: data, files and command lines, made at test time in a fresh directory.

A case's ``build(tmp)`` writes what it needs under ``tmp`` and returns the arguments after ``synthaudit``;
outputs go under ``tmp / OUT`` so that the verdict (:mod:`tests.audit.malformed.run`) can see what was written.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ROWS = 60
FAST = "fidelity.marginals,constraints.schema"
"""Checks cheap enough for every case (cases that need a role's check add it)."""
OUT = "out"
"""Every case writes its outputs under ``<tmp>/out``."""
BAD, ODD, ANY = (2,), (0, 1), (0, 1, 2)
"""Allowed exit codes: bad input or usage; valid but odd input (audited); either, as long as it is clean."""


@dataclass(frozen=True, slots=True)
class Case:
    """One input: ``build(tmp)`` writes its files and returns the arguments after ``synthaudit``."""

    name: str
    build: Callable[[Path], list[str]]
    expect: tuple[int, ...]
    slow: bool = False


_BOOL_TEXT = ["true", "False", "TRUE", "yes", "no", "0", "1", "", "N", "t"]


# ----------------------------------------------------------------- data builders
def good(seed: int = 0, rows: int = ROWS) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 90, rows),
            "city": rng.choice(["a", "b", "c"], rows),
            "income": rng.normal(5e4, 1e4, rows).round(2),
            "sex": rng.choice(["f", "m"], rows),
            "y": rng.choice(["no", "yes"], rows),
        }
    )


def to_csv(frame: pd.DataFrame, **kwargs: object) -> bytes:
    return frame.to_csv(index=False, **kwargs).encode("utf-8")  # type: ignore[call-overload]


def to_parquet(table: pa.Table | pd.DataFrame) -> bytes:
    if isinstance(table, pd.DataFrame):
        table = pa.Table.from_pandas(table, preserve_index=False)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()


def lines(header: str, row: Callable[[int], str], rows: int = ROWS) -> bytes:
    return (header + "\n" + "".join(row(i) + "\n" for i in range(rows))).encode("utf-8")


def jsonl(records: Sequence[Mapping[Any, Any]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode("utf-8")


def chat(rows: int = ROWS, seed: int = 0) -> list[dict[str, object]]:
    rng = np.random.default_rng(seed)
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    return [
        {
            "messages": [
                {"role": "user", "content": " ".join(rng.choice(words, 6))},
                {"role": "assistant", "content": " ".join(rng.choice(words, 9))},
            ]
        }
        for _ in range(rows)
    ]


def write(tmp: Path, name: str, content: bytes) -> str:
    path = tmp / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return str(path)


def out(tmp: Path, name: str = "r.json") -> str:
    return str(tmp / OUT / name)


def check(real: str, synth: str, tmp: Path, *extra: str, only: str | None = FAST) -> list[str]:
    args = ["check", real, synth, "--no-report", "--json", out(tmp), "--quiet", *extra]
    return [*args, "--only", only] if only else args


def pair(
    real: bytes, synth: bytes, suffix: str = "csv", *extra: str, only: str | None = FAST
) -> Callable[[Path], list[str]]:
    """A case whose real and synthetic files are ``real`` and ``synth``."""

    def build(tmp: Path) -> list[str]:
        return check(write(tmp, f"real.{suffix}", real), write(tmp, f"synth.{suffix}", synth), tmp, *extra, only=only)

    return build


def same(content: bytes, suffix: str = "csv", *extra: str, only: str | None = FAST) -> Callable[[Path], list[str]]:
    """A case whose real and synthetic files both hold ``content`` (the odd thing is on both sides)."""
    return pair(content, content, suffix, *extra, only=only)


def against_good(bad: bytes, suffix: str = "csv", *extra: str) -> Callable[[Path], list[str]]:
    """A case with a clean real file and ``bad`` as the synthetic file."""

    def build(tmp: Path) -> list[str]:
        return check(write(tmp, "real.csv", to_csv(good())), write(tmp, f"synth.{suffix}", bad), tmp, *extra)

    return build


def with_options(*extra: str, only: str = FAST, real: pd.DataFrame | None = None) -> Callable[[Path], list[str]]:
    """A case over clean data (or ``real`` on both sides, the synthetic one reseeded) with extra options."""

    def build(tmp: Path) -> list[str]:
        r = good() if real is None else real
        s = good(1) if real is None else real.sample(frac=1.0, random_state=1).reset_index(drop=True)
        return check(write(tmp, "real.csv", to_csv(r)), write(tmp, "synth.csv", to_csv(s)), tmp, *extra, only=only)

    return build


def _with(**columns: Any) -> pd.DataFrame:
    frame = good()
    for name, values in columns.items():
        frame[name] = values
    return frame


def _mixed_dates() -> pd.DataFrame:
    forms = ["2020-01-0{d}", "0{d}/02/2021", "2021-03-0{d}T10:00:00+05:00", "2021-03-0{d}T10:00:00Z", "Mar {d} 2021"]
    return _with(when=[forms[i % len(forms)].format(d=1 + i % 9) for i in range(ROWS)])


def _binary(cells: list[bytes]) -> pa.Table:
    return pa.table({"b": pa.array(cells, pa.binary()), "a": pa.array(range(len(cells)))})


def _datetimes_tz(tz: str | None) -> pa.Table:
    stamps = pd.date_range("2021-01-01", periods=ROWS, freq="h", tz=tz)
    return pa.table({"when": pa.array(stamps), "v": pa.array(np.arange(ROWS, dtype=float))})


def _nasty(seed: int, rows: int = 120) -> pd.DataFrame:
    """Every odd column at once: boolean words, mixed dates, infinities as text, constant, empty, extreme, ids."""
    frame = good(seed, rows)
    rng = np.random.default_rng(seed)
    forms = ["2020-01-0{d}", "0{d}/02/2021", "2021-03-0{d}T10:00:00+05:00", "Mar {d} 2021"]
    frame["flag"] = [_BOOL_TEXT[i] for i in rng.integers(0, len(_BOOL_TEXT), rows)]
    frame["when"] = [forms[i % len(forms)].format(d=1 + i % 9) for i in rng.integers(0, 40, rows)]
    frame["score"] = [("inf", "-inf", "NaN", "1e308", "-1e308", "0.5", "")[i] for i in rng.integers(0, 7, rows)]
    frame["const"] = 7
    frame["empty"] = None
    frame["uid"] = [f"u{seed}-{i}" for i in range(rows)]
    frame["note"] = [" ".join(rng.choice(["é", "😀", "lorem", "ipsum", "dolor"], 8)) for _ in range(rows)]
    return frame


def _whole_audit(tmp: Path) -> list[str]:
    real, synth = write(tmp, "real.csv", to_csv(_nasty(0))), write(tmp, "synth.csv", to_csv(_nasty(1)))
    holdout = write(tmp, "holdout.csv", to_csv(_nasty(2)))
    extra = ["--holdout", holdout, "--target", "y", "--sensitive", "sex", "--no-cache"]
    return check(real, synth, tmp, *extra, only=None)


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def _truncate(data: bytes, keep: float = 0.5) -> bytes:
    return data[: int(len(data) * keep)]


def _shards(build_files: Callable[[Path], None], *extra: str) -> Callable[[Path], list[str]]:
    """A case whose synthetic input is the directory ``synth/`` that ``build_files`` fills."""

    def build(tmp: Path) -> list[str]:
        (tmp / "synth").mkdir()
        build_files(tmp / "synth")
        return check(write(tmp, "real.csv", to_csv(good())), str(tmp / "synth"), tmp, *extra)

    return build


def _write_shards(*contents: tuple[str, bytes]) -> Callable[[Path], None]:
    def fill(folder: Path) -> None:
        for name, content in contents:
            write(folder, name, content)

    return fill


def _symlink_loop(tmp: Path) -> list[str]:
    os.symlink(tmp / "loop_b.csv", tmp / "loop_a.csv")
    os.symlink(tmp / "loop_a.csv", tmp / "loop_b.csv")
    return check(write(tmp, "real.csv", to_csv(good())), str(tmp / "loop_a.csv"), tmp)


def _symlink_loop_in_dir(tmp: Path) -> list[str]:
    (tmp / "synth").mkdir()
    write(tmp / "synth", "part-0.csv", to_csv(good(1)))
    os.symlink(tmp / "synth" / "part-1.csv", tmp / "synth" / "part-1.csv")
    return check(write(tmp, "real.csv", to_csv(good())), str(tmp / "synth"), tmp)


def _dangling_shard(folder: Path) -> None:
    write(folder, "p0.csv", to_csv(good(1)))
    os.symlink(folder / "gone.csv", folder / "p1.csv")


def _dangling_symlink(tmp: Path) -> list[str]:
    os.symlink(tmp / "gone.csv", tmp / "synth.csv")
    return check(write(tmp, "real.csv", to_csv(good())), str(tmp / "synth.csv"), tmp)


def _unreadable(tmp: Path) -> list[str]:
    synth = write(tmp, "synth.csv", to_csv(good(1)))
    os.chmod(synth, 0)
    return check(write(tmp, "real.csv", to_csv(good())), synth, tmp)


def _glob_nothing(tmp: Path) -> list[str]:
    return check(write(tmp, "real.csv", to_csv(good())), str(tmp / "nothing-*.csv"), tmp)


def _glob_real_and_synth(tmp: Path) -> list[str]:
    for i in range(3):
        write(tmp / "r", f"part-{i}.csv", to_csv(good(i, 30)))
        write(tmp / "s", f"part-{i}.csv", to_csv(good(10 + i, 30)))
    return check(str(tmp / "r" / "part-*.csv"), str(tmp / "s"), tmp)


def _file_named_like_a_glob(tmp: Path) -> list[str]:
    return check(write(tmp, "real[1].csv", to_csv(good())), write(tmp, "synth*.csv", to_csv(good(1))), tmp)


def _same_file(tmp: Path) -> list[str]:
    real = write(tmp, "real.csv", to_csv(good()))
    return check(real, real, tmp, only="fidelity.marginals,leakage.exact_copies")


def _holdout(holdout: bytes, suffix: str = "csv", *extra: str, only: str = FAST) -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        real, synth = write(tmp, "real.csv", to_csv(good())), write(tmp, "synth.csv", to_csv(good(1)))
        return check(real, synth, tmp, "--holdout", write(tmp, f"holdout.{suffix}", holdout), *extra, only=only)

    return build


def _holdout_is_real(tmp: Path) -> list[str]:
    real, synth = write(tmp, "real.csv", to_csv(good())), write(tmp, "synth.csv", to_csv(good(1)))
    return check(real, synth, tmp, "--holdout", real, only="fidelity.marginals,leakage.membership")


def _holdout_directory(tmp: Path) -> list[str]:
    (tmp / "empty").mkdir()
    real, synth = write(tmp, "real.csv", to_csv(good())), write(tmp, "synth.csv", to_csv(good(1)))
    return check(real, synth, tmp, "--holdout", str(tmp / "empty"))


def _eval_set(content: bytes, suffix: str = "csv") -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        real, synth = write(tmp, "real.csv", to_csv(good())), write(tmp, "synth.csv", to_csv(good(1)))
        evalset = write(tmp, f"eval.{suffix}", content)
        return check(real, synth, tmp, "--eval-set", evalset, only="fidelity.marginals,leakage.contamination")

    return build


def _output(where: Callable[[Path], str], flag: str = "--report") -> Callable[[Path], list[str]]:
    """A clean audit whose ``flag`` output goes to ``where(tmp)``."""

    def build(tmp: Path) -> list[str]:
        real, synth = write(tmp, "real.csv", to_csv(good())), write(tmp, "synth.csv", to_csv(good(1)))
        only = f"{FAST},constraints.expectations" if flag == "--export-expectations" else FAST
        args = ["check", real, synth, "--quiet", "--only", only, "--json", out(tmp)]
        if flag != "--report":
            args.append("--no-report")
        return [*args, flag, where(tmp)]

    return build


def _existing_dir(tmp: Path) -> str:
    (tmp / OUT / "taken").mkdir(parents=True)
    return str(tmp / OUT / "taken")


def _under_a_file(tmp: Path) -> str:
    return str(Path(write(tmp, "a_file", b"x")) / "r.out")


def _link_to(device: str) -> Callable[[Path], str]:
    """An output path that is a symbolic link to ``device`` (never the device itself: a regression that replaced
    the target would replace the link in the test's directory, not the machine's device)."""

    def where(tmp: Path) -> str:
        (tmp / OUT).mkdir(exist_ok=True)
        os.symlink(device, tmp / OUT / "linked")
        return str(tmp / OUT / "linked")

    return where


def _link_to_file(tmp: Path) -> str:
    (tmp / OUT).mkdir(exist_ok=True)
    os.symlink(write(tmp, "elsewhere/r.html", b"old"), tmp / OUT / "linked.html")
    return str(tmp / OUT / "linked.html")


def _config(text: str) -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        real, synth = write(tmp, "real.csv", to_csv(good())), write(tmp, "synth.csv", to_csv(good(1)))
        return check(real, synth, tmp, "--config", write(tmp, "policy.yaml", text.encode("utf-8")))

    return build


# ----------------------------------------------------------------- trend, report, compare, init
def _trend(generations: list[bytes | None], *extra: str, real: bytes | None = None) -> Callable[[Path], list[str]]:
    """``synthaudit trend``: a ``None`` generation is a directory; the rest are CSV contents."""

    def build(tmp: Path) -> list[str]:
        paths = []
        for i, content in enumerate(generations):
            if content is None:
                (tmp / f"gen{i}").mkdir()
                paths.append(str(tmp / f"gen{i}"))
            else:
                paths.append(write(tmp, f"gen{i}.csv", content))
        real_path = write(tmp, "real.csv", real if real is not None else to_csv(good()))
        return ["trend", real_path, *paths, "--no-audits", "--json", out(tmp), *extra]

    return build


def _trend_dir(files: dict[str, bytes], *extra: str) -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        (tmp / "gens").mkdir()
        for name, content in files.items():
            write(tmp / "gens", name, content)
        return ["trend", write(tmp, "real.csv", to_csv(good())), str(tmp / "gens"), "--no-audits", *extra]

    return build


@functools.cache
def _result_text(seed: int) -> str:
    """A genuine result, made through the API once per seed (two checks on 60 rows)."""
    from synthaudit import audit

    return audit(good(), good(seed), only=["fidelity.marginals", "constraints.schema"]).to_json()


def _saved_result(tmp: Path, name: str, seed: int = 1) -> str:
    path = tmp / name
    path.write_text(_result_text(seed) + "\n", encoding="utf-8")
    return str(path)


def _report(content: bytes | None, *extra: str) -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        path = _saved_result(tmp, "result.json") if content is None else write(tmp, "result.json", content)
        return ["report", path, *extra]

    return build


def _compare(current: bytes | None, *extra: str, baseline: bytes | None = None) -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        base = _saved_result(tmp, "base.json") if baseline is None else write(tmp, "base.json", baseline)
        cur = _saved_result(tmp, "cur.json", seed=2) if current is None else write(tmp, "cur.json", current)
        return ["compare", base, cur, "--json", out(tmp, "cmp.json"), *extra]

    return build


def _result_with(edit: Callable[[dict[str, object]], object]) -> Callable[[Path], list[str]]:
    """``synthaudit report`` of a genuine result after ``edit`` changed its JSON."""

    def build(tmp: Path) -> list[str]:
        path = Path(_saved_result(tmp, "result.json"))
        data = json.loads(path.read_text())
        edit(data)
        path.write_text(json.dumps(data))
        return ["report", str(path), "--report", out(tmp, "r.html")]

    return build


def _init(where: Callable[[Path], str], *extra: str) -> Callable[[Path], list[str]]:
    return lambda tmp: ["init", where(tmp), *extra]
