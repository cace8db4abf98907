"""The catalogue's usage cases: holdout and eval sets, roles, option values, policy files, outputs, and the
``trend``, ``report``, ``compare`` and ``init`` commands."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from tests.audit.malformed.builders import (
    ANY,
    BAD,
    ODD,
    OUT,
    ROWS,
    Case,
    _compare,
    _config,
    _eval_set,
    _existing_dir,
    _holdout,
    _holdout_directory,
    _holdout_is_real,
    _init,
    _link_to,
    _link_to_file,
    _output,
    _report,
    _result_with,
    _trend,
    _trend_dir,
    _under_a_file,
    _whole_audit,
    _with,
    chat,
    check,
    good,
    jsonl,
    lines,
    same,
    to_csv,
    to_parquet,
    with_options,
    write,
)


def _high_card_target() -> pd.DataFrame:
    return _with(y=[f"id-{i}" for i in range(ROWS)])


def _float_target() -> pd.DataFrame:
    return _with(y=np.random.default_rng(0).normal(size=ROWS))


def _all_missing_target() -> pd.DataFrame:
    return _with(y=[None] * ROWS)


def _type_flip(data: dict[str, object]) -> None:
    data["checks"] = "not a list"


def _nan_in_result(data: dict[str, object]) -> None:
    data["passed"] = None


def _drop_key(data: dict[str, object]) -> None:
    data.pop("checks", None)


def _trend_long_name(tmp: Path) -> list[str]:
    return ["trend", write(tmp, "real.csv", to_csv(good())), str(tmp / ("x" * 300))]


def _trend_dangling(tmp: Path) -> list[str]:
    for i in (1, 2, 3):
        write(tmp / "gens", f"g{i}.csv", to_csv(good(i)))
    os.symlink(tmp / "gone.csv", tmp / "gens" / "g0.csv")
    return ["trend", write(tmp, "real.csv", to_csv(good())), str(tmp / "gens"), "--no-audits"]


USAGE_CASES: list[Case] = [
    # --- holdout and eval sets
    Case("holdout with different columns", _holdout(to_csv(good(2).rename(columns={"age": "AGE"}))), BAD),
    Case("holdout with one row", _holdout(to_csv(good(2).head(1)), only="fidelity.marginals,leakage.membership"), ANY),
    Case("holdout is the real file", _holdout_is_real, ODD),
    Case("holdout is an empty directory", _holdout_directory, BAD),
    Case(
        "holdout with words where real has numbers",
        _holdout(to_csv(_with(age=["old"] * ROWS)), only="fidelity.marginals,leakage.membership"),
        ODD,
    ),
    Case("eval set sharing no column", _eval_set(lines("zzz", lambda i: f"q{i}")), BAD),
    Case("eval set empty file", _eval_set(b""), BAD),
    Case("eval set as a JSON lines chat", _eval_set(jsonl(chat(10)), "jsonl"), ANY),
    Case(
        "eval set with raw bytes in a common column",
        _eval_set(to_parquet(pa.table({"city": pa.array([b"\xff\x00"] * 10, pa.binary())})), "parquet"),
        BAD,
    ),
    Case("eval set with a list in a common column", _eval_set(jsonl([{"city": ["a", "b"]}] * 10), "jsonl"), BAD),
    # --- roles: target, sensitive, text, pairs
    Case("--target missing column", with_options("--target", "nope"), BAD),
    Case(
        "--target constant",
        with_options("--target", "y", only="fidelity.marginals,balance.outcome_gaps", real=_with(y=["yes"] * ROWS)),
        ODD,
    ),
    Case(
        "--target all-missing",
        with_options("--target", "y", only="fidelity.marginals,balance.outcome_gaps", real=_all_missing_target()),
        ANY,
    ),
    Case(
        "--target high-cardinality strings",
        with_options(
            "--target",
            "y",
            "--sensitive",
            "sex",
            only="fidelity.marginals,balance.outcome_gaps",
            real=_high_card_target(),
        ),
        ANY,
    ),
    Case(
        "--target float with --task classification",
        with_options(
            "--target",
            "y",
            "--task",
            "classification",
            only="fidelity.marginals,balance.outcome_gaps",
            real=_float_target(),
        ),
        ANY,
    ),
    Case(
        "--target strings with --task regression",
        with_options("--target", "y", "--task", "regression", only="fidelity.marginals,balance.outcome_gaps"),
        BAD,
    ),
    Case(
        "--positive-label not a class",
        with_options("--target", "y", "--positive-label", "maybe", only="fidelity.marginals,balance.outcome_gaps"),
        BAD,
    ),
    Case("--positive-label without --target", with_options("--positive-label", "yes"), BAD),
    Case("--task bogus", with_options("--target", "y", "--task", "ranking"), BAD),
    Case("--sensitive missing column", with_options("--sensitive", "gender"), BAD),
    Case(
        "--sensitive constant",
        with_options(
            "--sensitive",
            "sex",
            only="fidelity.marginals,balance.representation,balance.group_fidelity",
            real=_with(sex=["f"] * ROWS),
        ),
        ODD,
    ),
    Case(
        "--sensitive continuous numbers",
        with_options("--sensitive", "income", only="fidelity.marginals,balance.representation,balance.group_fidelity"),
        ANY,
    ),
    Case(
        "--sensitive same as --target",
        with_options("--sensitive", "y", "--target", "y", only="fidelity.marginals,balance.outcome_gaps"),
        ANY,
    ),
    Case(
        "--sensitive all-missing",
        with_options(
            "--sensitive", "sex", only="fidelity.marginals,balance.representation", real=_with(sex=[None] * ROWS)
        ),
        ANY,
    ),
    Case(
        "--text on a numeric column",
        with_options("--text", "income", only="fidelity.marginals,diversity.duplicates"),
        ANY,
    ),
    Case("--text missing column", with_options("--text", "prompt"), BAD),
    Case("--pair without a colon", with_options("--pair", "city"), BAD),
    Case("--pair naming missing columns", with_options("--pair", "q:a"), BAD),
    Case("--pair naming one column twice", with_options("--pair", "city:city"), BAD),
    Case("--id missing column", with_options("--id", "uid"), BAD),
    Case("--quasi-identifiers missing column", with_options("--quasi-identifiers", "zip"), BAD),
    Case("--columns with only unknown names", with_options("--columns", "zip,phone"), BAD),
    Case("--columns of commas only", with_options("--columns", ",,,"), ANY),
    Case("whole default audit of a frame of odd columns, holdout, target, sensitive", _whole_audit, ODD, slow=True),
    # --- option values
    Case("--seed negative", with_options("--seed", "-1"), BAD),
    Case(
        "--seed beyond 64 bits", with_options("--seed", str(2**70), only="fidelity.marginals,fidelity.detection"), ANY
    ),
    Case("--max-rows 0", with_options("--max-rows", "0"), BAD),
    Case("--max-rows 1", with_options("--max-rows", "1"), ANY),
    Case("--max-rows not a number", with_options("--max-rows", "ten"), BAD),
    Case("--only unknown check", with_options(only="fidelity.nope"), BAD),
    Case("--only unknown suite", with_options(only="astrology"), BAD),
    Case(  # blanks in --only select nothing, so every check is selected: the skip keeps the case short
        "--only empty string", with_options("--skip", "fidelity,diversity,leakage,balance", only=","), ANY
    ),
    Case("--skip everything", with_options("--skip", "fidelity,diversity,leakage,balance,constraints"), ANY),
    Case("--skip unknown check", with_options("--skip", "nope.nope"), BAD),
    Case("--preset unknown", with_options("--preset", "lenient"), BAD),
    Case("--engine unknown", with_options("--engine", "spark"), BAD),
    Case("--workers negative (local engine)", with_options("--workers", "-3"), ANY),
    Case("--report and --no-report", with_options("--report", "x.html"), BAD),
    Case("unknown option", with_options("--frobnicate"), BAD),
    Case(
        "--embedding-model that does not exist, text column",
        same(
            to_csv(_with(note=[f"a note {i % 7}" for i in range(ROWS)])),
            "csv",
            "--text",
            "note",
            "--embedding-model",
            "/nonexistent/model",
            only="fidelity.marginals,diversity.embedding",
        ),
        ANY,
    ),
    Case(
        "--cache-dir is a file",
        lambda tmp: check(
            write(tmp, "real.csv", to_csv(good())),
            write(tmp, "synth.csv", to_csv(good(1))),
            tmp,
            "--cache-dir",
            write(tmp, "cachefile", b"x"),
        ),
        ANY,
    ),
    Case("--signoff with markup, a bell and a newline", with_options("--signoff", "<b>x</b>\x07\n, Role"), ODD),
    # --- policy files
    Case("--config a role that does not exist", _config("roles:\n  age: banana\n"), BAD),
    Case("--config waivers as a number", _config("waivers: 3\n"), BAD),
    Case(
        "--config missing file",
        lambda tmp: check(
            write(tmp, "real.csv", to_csv(good())),
            write(tmp, "synth.csv", to_csv(good(1))),
            tmp,
            "--config",
            str(tmp / "nope.yaml"),
        ),
        BAD,
    ),
    Case("--config invalid YAML", _config("checks: [unclosed\n  - : :"), BAD),
    Case("--config a YAML list", _config("- a\n- b\n"), BAD),
    Case("--config empty file", _config(""), ANY),
    Case("--config unknown key", _config("frobnicate: 3\n"), BAD),
    Case("--config timeout_s as text", _config("timeout_s: soon\n"), BAD),
    Case("--config params of an unknown check", _config("checks:\n  fidelity.nope:\n    params: {}\n"), BAD),
    Case(
        "--config a wrong param type",
        _config("checks:\n  fidelity.marginals:\n    params:\n      max_columns: many\n"),
        BAD,
    ),
    Case("--config roles for an unknown column", _config("roles:\n  zzz: numeric\n"), BAD),
    Case(
        "--config binary garbage",
        lambda tmp: check(
            write(tmp, "real.csv", to_csv(good())),
            write(tmp, "synth.csv", to_csv(good(1))),
            tmp,
            "--config",
            write(tmp, "p.yaml", bytes(range(256))),
        ),
        BAD,
    ),
    Case(
        "--config is a directory",
        lambda tmp: check(
            write(tmp, "real.csv", to_csv(good())), write(tmp, "synth.csv", to_csv(good(1))), tmp, "--config", str(tmp)
        ),
        BAD,
    ),
    # --- outputs
    Case(
        "--json name too long for the system",
        _output(lambda tmp: str(tmp / OUT / ("z" * 300 + ".json")), "--json"),
        BAD,
    ),
    Case("--report to an existing directory", _output(_existing_dir), BAD),
    Case("--json to an existing directory", _output(_existing_dir, "--json"), BAD),
    Case("--junit under a regular file", _output(_under_a_file, "--junit"), BAD),
    Case("--markdown under a regular file", _output(_under_a_file, "--markdown"), BAD),
    Case(
        "--report in a missing directory (created)",
        _output(lambda tmp: str(tmp / OUT / "new" / "deeper" / "r.html")),
        ODD,
    ),
    Case("--export-expectations to an existing directory", _output(_existing_dir, "--export-expectations"), BAD),
    Case("--json through a symlink to /dev/full (disk full)", _output(_link_to("/dev/full"), "--json"), BAD),
    Case("--json through a symlink to /dev/null", _output(_link_to("/dev/null"), "--json"), ODD),
    Case("--report through a symlink to a file", _output(_link_to_file), ODD),
    # --- trend
    Case("trend: a generation path too long for the system", _trend_long_name, BAD),
    Case("trend: a dangling link in the generations directory", _trend_dangling, BAD),
    Case("trend: two generations", _trend([to_csv(good(1)), to_csv(good(2))]), BAD),
    Case("trend: three clean generations", _trend([to_csv(good(i)) for i in (1, 2, 3)]), ODD),
    Case(
        "trend: a generation with other columns",
        _trend([to_csv(good(1)), to_csv(good(2).rename(columns=str.upper)), to_csv(good(3))]),
        BAD,
    ),
    Case("trend: an empty generation file", _trend([to_csv(good(1)), b"", to_csv(good(3))]), BAD),
    Case("trend: a directory among several generations", _trend([to_csv(good(1)), None, to_csv(good(3))]), BAD),
    Case("trend: one empty directory", _trend([None]), BAD),
    Case("trend: directory with two files", _trend_dir({"g1.csv": to_csv(good(1)), "g2.csv": to_csv(good(2))}), BAD),
    Case("trend: generations of one row", _trend([to_csv(good(i).head(1)) for i in (1, 2, 3)]), BAD),
    Case(
        "trend: constant generations",
        _trend([lines("age,city", lambda i: "1,a")] * 3, real=lines("age,city", lambda i: "1,a")),
        ANY,
    ),
    Case("trend: --text missing column", _trend([to_csv(good(i)) for i in (1, 2, 3)], "--text", "prompt"), BAD),
    Case(
        "trend: --json to an existing directory",
        lambda tmp: [*_trend([to_csv(good(i)) for i in (1, 2, 3)])(tmp)[:-2], "--json", _existing_dir(tmp)],
        BAD,
    ),
    Case(
        "trend: the real file as every generation",
        lambda tmp: [
            "trend",
            write(tmp, "real.csv", to_csv(good())),
            str(tmp / "real.csv"),
            str(tmp / "real.csv"),
            str(tmp / "real.csv"),
            "--no-audits",
        ],
        ODD,
    ),
    # --- report
    Case("report: missing file", lambda tmp: ["report", str(tmp / "nope.json")], BAD),
    Case("report: empty file", _report(b""), BAD),
    Case("report: not JSON", _report(b"<html>"), BAD),
    Case("report: a JSON list", _report(b"[1, 2]"), BAD),
    Case("report: a JSON object of something else", _report(b'{"hello": "world"}'), BAD),
    Case("report: checks is a string", _result_with(_type_flip), BAD),
    Case("report: passed is null", _result_with(_nan_in_result), ANY),
    Case("report: checks key removed", _result_with(_drop_key), BAD),
    Case("report: a directory", lambda tmp: ["report", str(tmp)], BAD),
    Case("report: invalid UTF-8", _report(b'{"a": "\xff"}'), BAD),
    Case(
        "report: a genuine result, HTML to an existing directory",
        lambda tmp: [*_report(None)(tmp), "--report", _existing_dir(tmp)],
        BAD,
    ),
    # --- compare
    Case("compare: two genuine results", _compare(None), ODD),
    Case("compare: current is garbage", _compare(b"\x00\x01garbage"), BAD),
    Case("compare: baseline is a JSON array", _compare(None, baseline=b"[]"), BAD),
    Case("compare: --sigma negative", _compare(None, "--sigma", "-1"), BAD),
    Case("compare: --sigma nan", _compare(None, "--sigma", "nan"), BAD),
    Case("compare: --sigma inf", _compare(None, "--sigma", "inf"), ANY),
    Case("compare: --status-rule bogus", _compare(None, "--status-rule", "sometimes"), BAD),
    Case("compare: a trend result as current", _compare(b'{"generations": [], "passed": true}'), BAD),
    # --- init
    Case("init: onto an existing directory", _init(_existing_dir), BAD),
    Case("init: --force onto an existing directory", _init(_existing_dir, "--force"), BAD),
    Case("init: under a regular file", _init(_under_a_file), BAD),
    Case("init: in a missing directory (created)", _init(lambda tmp: str(tmp / OUT / "new" / "p.yaml")), (0,)),
]
