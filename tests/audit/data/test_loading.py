"""Tests of :mod:`synthaudit.data.loading`: formats, encodings, malformed files and their messages."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthaudit.data import loading
from synthaudit.data.loading import LoadedTable, frame_sha256, load_table
from synthaudit.errors import InputError

CSV_TEXT = "id,score,name,flag\n1,0.5,alice,x\n2,,bob,\n3,2.25,,y\n"


def _write(path: Path, data: str | bytes) -> Path:
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def _assert_reference(table: LoadedTable) -> None:
    """The frame of CSV_TEXT: ints, floats with a missing value, strings with missing values."""
    frame = table.frame
    assert list(frame.columns) == ["id", "score", "name", "flag"]
    assert (table.n_rows, table.n_columns) == (3, 4)
    assert isinstance(frame.index, pd.RangeIndex)
    assert frame["id"].dtype == np.int64
    assert frame["id"].tolist() == [1, 2, 3]
    assert frame["score"].dtype == np.float64
    assert frame["score"].iloc[0] == 0.5
    assert np.isnan(frame["score"].iloc[1])
    assert frame["name"].dtype == object
    assert frame["name"].iloc[:2].tolist() == ["alice", "bob"]
    assert pd.isna(frame["name"].iloc[2])
    assert frame["flag"].isna().tolist() == [False, True, False]


def test_csv_types_and_missing_values(tmp_path: Path) -> None:
    path = _write(tmp_path / "real.csv", CSV_TEXT)
    table = load_table(path, label="real")
    _assert_reference(table)
    assert (table.label, table.format, table.source) == ("real", "csv", str(path))
    assert all(isinstance(v, str) for v in table.frame["name"].dropna())


def test_csv_usual_null_markers_are_missing(tmp_path: Path) -> None:
    path = _write(tmp_path / "real.csv", "a,b\n1,NA\nnull,x\n3,N/A\n")
    frame = load_table(path, label="real").frame
    assert frame["a"].isna().tolist() == [False, True, False]
    assert frame["b"].isna().tolist() == [True, False, True]


def test_csv_quoted_delimiters_and_newlines(tmp_path: Path) -> None:
    path = _write(tmp_path / "real.csv", 'a,b\n1,"x, y"\n2,"two\nlines"\n3,"say ""hi"""\n')
    frame = load_table(path, label="real").frame
    assert frame["b"].tolist() == ["x, y", "two\nlines", 'say "hi"']


def test_tsv(tmp_path: Path) -> None:
    path = _write(tmp_path / "synth.TSV", CSV_TEXT.replace(",", "\t"))
    table = load_table(path, label="synthetic")
    _assert_reference(table)
    assert table.format == "tsv"


def test_txt_is_csv(tmp_path: Path) -> None:
    table = load_table(_write(tmp_path / "real.txt", CSV_TEXT), label="real")
    _assert_reference(table)
    assert table.format == "csv"


def test_parquet(tmp_path: Path) -> None:
    source = pd.DataFrame({"id": [1, 2, 3], "score": [0.5, None, 2.25], "name": ["alice", "bob", None]})
    path = tmp_path / "real.parquet"
    source.to_parquet(path)
    table = load_table(path, label="real")
    assert table.format == "parquet"
    pd.testing.assert_frame_equal(table.frame, source)
    assert table.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_parquet_named_index_becomes_a_column(tmp_path: Path) -> None:
    path = tmp_path / "real.pq"
    pd.DataFrame({"id": [7, 8], "x": [1.0, 2.0]}).set_index("id").to_parquet(path)
    frame = load_table(path, label="real").frame
    assert sorted(frame.columns) == ["id", "x"]
    assert frame["id"].tolist() == [7, 8]
    assert isinstance(frame.index, pd.RangeIndex)


def test_jsonl(tmp_path: Path) -> None:
    lines = ['{"id": 1, "score": 0.5, "name": "alice"}', "", '{"id": 2, "score": null, "name": "bob"}']
    table = load_table(_write(tmp_path / "real.jsonl", "\n".join(lines) + "\n"), label="real")
    assert table.format == "jsonl"
    assert table.frame["id"].tolist() == [1, 2]
    assert table.frame["name"].tolist() == ["alice", "bob"]
    assert np.isnan(table.frame["score"].iloc[1])


def test_json_lines_with_mixed_types_falls_back(tmp_path: Path) -> None:
    path = _write(tmp_path / "real.ndjson", '{"a": 1}\n{"a": "x"}\n')
    assert load_table(path, label="real").frame["a"].tolist() == [1, "x"]


def test_json_array_of_records(tmp_path: Path) -> None:
    records = [{"id": 1, "name": "alice"}, {"id": 2, "name": None}]
    path = _write(tmp_path / "real.json", json.dumps(records, indent=2))
    table = load_table(path, label="real")
    assert table.format == "json"
    assert table.frame["id"].tolist() == [1, 2]
    assert table.frame["name"].iloc[0] == "alice"
    assert pd.isna(table.frame["name"].iloc[1])


def test_json_file_with_json_lines(tmp_path: Path) -> None:
    path = _write(tmp_path / "real.json", '{"a": 1}\n{"a": 2}\n')
    assert load_table(path, label="real").frame["a"].tolist() == [1, 2]


def test_malformed_json_line_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "real.jsonl", '{"a": 1}\n{"a": 2}\n{"a": 3\n{"a": 4}\n')
    with pytest.raises(InputError, match=r"real file '.*real\.jsonl' has invalid JSON on line 3"):
        load_table(path, label="real")


def test_json_line_that_is_not_an_object(tmp_path: Path) -> None:
    path = _write(tmp_path / "real.jsonl", '{"a": 1}\n[1, 2]\n')
    with pytest.raises(InputError, match="line 2, not an object"):
        load_table(path, label="real")


def test_malformed_json_array_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "real.json", '[\n{"a": 1},\n{"a": 2,,}\n]\n')
    with pytest.raises(InputError, match=r"not valid JSON: .* on line 3"):
        load_table(path, label="real")


def test_gzip_csv_and_jsonl(tmp_path: Path) -> None:
    path = _write(tmp_path / "real.CSV.GZ", gzip.compress(CSV_TEXT.encode()))
    table = load_table(path, label="real")
    _assert_reference(table)
    assert table.format == "csv"
    assert table.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    jsonl = _write(tmp_path / "real.jsonl.gz", gzip.compress(b'{"a": 1}\n{"a": 2}\n'))
    assert load_table(jsonl, label="real").frame["a"].tolist() == [1, 2]


def test_corrupt_gzip(tmp_path: Path) -> None:
    path = _write(tmp_path / "real.csv.gz", gzip.compress(CSV_TEXT.encode())[:-12])
    with pytest.raises(InputError, match="not a valid gzip file"):
        load_table(path, label="real")


def test_bom_is_stripped(tmp_path: Path) -> None:
    path = _write(tmp_path / "real.csv", b"\xef\xbb\xbf" + CSV_TEXT.encode())
    table = load_table(path, label="real")
    _assert_reference(table)
    assert table.frame.columns[0] == "id"


def test_latin1_without_encoding_names_line_offset_and_fix(tmp_path: Path) -> None:
    text = "id,city\n1,Paris\n2,Zurich\n3,Montr\xe9al\n"
    path = _write(tmp_path / "real.csv", text.encode("latin-1"))
    offset = text.encode("latin-1").index(b"\xe9")
    with pytest.raises(InputError) as info:
        load_table(path, label="real")
    message = str(info.value)
    assert message.startswith(f"real file '{path}' is not valid utf-8")
    assert "line 4" in message
    assert f"byte offset {offset}" in message
    assert "--encoding latin-1" in message
    assert "\n" not in message


def test_latin1_with_encoding_loads(tmp_path: Path) -> None:
    text = "id,caf\xe9\n1,cr\xe8me br\xfbl\xe9e\n2,na\xefve\n"
    path = _write(tmp_path / "real.csv", text.encode("latin-1"))
    table = load_table(path, label="real", encoding="latin-1")
    assert list(table.frame.columns) == ["id", "caf\xe9"]
    assert table.frame["caf\xe9"].tolist() == ["cr\xe8me br\xfbl\xe9e", "na\xefve"]
    assert table.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_latin1_jsonl_with_encoding_loads(tmp_path: Path) -> None:
    path = _write(tmp_path / "real.jsonl", '{"name": "Montr\xe9al"}\n'.encode("latin-1"))
    assert load_table(path, label="real", encoding="latin-1").frame["name"].tolist() == ["Montr\xe9al"]


def test_bad_byte_across_chunk_boundary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Line and offset stay exact when a multi-byte character is split between chunks."""
    monkeypatch.setattr(loading, "CHUNK_SIZE", 7)
    data = "a,b\n1,\xe9\xe9\n2,\u20ac\n".encode() + b"3,\xff\n"
    path = _write(tmp_path / "real.csv", data)
    bad = data.index(b"\xff")
    with pytest.raises(InputError, match=rf"FF on line 4 at byte offset {bad}"):
        load_table(path, label="real")
    valid = _write(tmp_path / "valid.csv", "a,b\n1,\xe9\xe9\n2,\u20ac\n")
    assert load_table(valid, label="real").frame["b"].tolist() == ["\xe9\xe9", "\u20ac"]


def test_truncated_character_at_end_of_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "real.csv", b"a,b\n1,2\n3,\xe2\x82")
    with pytest.raises(InputError, match="line 3 at byte offset 10"):
        load_table(path, label="real")


def test_unknown_encoding(tmp_path: Path) -> None:
    path = _write(tmp_path / "real.csv", CSV_TEXT)
    with pytest.raises(InputError, match="unknown encoding 'klingon'"):
        load_table(path, label="real", encoding="klingon")


def test_extra_field_names_line_4(tmp_path: Path) -> None:
    path = _write(tmp_path / "real.csv", "a,b,c\n1,2,3\n4,5,6\n7,8,9,10\n11,12,13\n")
    with pytest.raises(InputError) as info:
        load_table(path, label="synthetic")
    message = str(info.value)
    assert message.startswith(f"synthetic file '{path}' has too many fields on line 4")
    assert "expected 3" in message
    assert "found 4" in message
    assert "fix or remove" in message


def test_missing_field_line_number_counts_quoted_newlines(tmp_path: Path) -> None:
    path = _write(tmp_path / "real.tsv", 'a\tb\n1\t"x\ny"\n2\n')
    with pytest.raises(InputError, match=r"too few fields on line 4: expected 2 .* found 1"):
        load_table(path, label="real")


def test_unbalanced_quote(tmp_path: Path) -> None:
    path = _write(tmp_path / "real.csv", 'a,b\n1,x\n2,"y\n3,z\n4,w\n')
    with pytest.raises(InputError, match="unbalanced quote: the quoted field starting on line 3"):
        load_table(path, label="real")


def test_stray_quote_inside_a_field_is_data(tmp_path: Path) -> None:
    path = _write(tmp_path / "real.csv", "name,height\nbob,5'11\"\nann,6'\n")
    assert load_table(path, label="real").frame["height"].tolist() == ["5'11\"", "6'"]


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    with pytest.raises(InputError, match=rf"real file '{path}' does not exist; check the path\."):
        load_table(path, label="real")


def test_directory(tmp_path: Path) -> None:
    path = tmp_path / "dir.csv"
    path.mkdir()  # a directory is read as shards (synthaudit.data.shards); an empty one holds none
    with pytest.raises(InputError, match="holds no data file"):
        load_table(path, label="holdout")


def test_empty_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "real.csv", b"")
    with pytest.raises(InputError, match=r"real file '.*real\.csv' is empty \(0 bytes\).*no data rows"):
        load_table(path, label="real")


def test_blank_lines_only(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no data rows"):
        load_table(_write(tmp_path / "real.csv", "\n\n\n"), label="real")


@pytest.mark.parametrize("name", ["real.csv", "real.csv.gz"])
def test_header_only(tmp_path: Path, name: str) -> None:
    data = b"a,b,c\n"
    path = _write(tmp_path / name, gzip.compress(data) if name.endswith(".gz") else data)
    with pytest.raises(InputError, match="has no data rows"):
        load_table(path, label="real")


def test_json_array_of_non_objects(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="non-object at position 1 of its array"):
        load_table(_write(tmp_path / "real.json", '[{"a": 1}, 2]'), label="real")


def test_empty_json_array(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="has no data rows"):
        load_table(_write(tmp_path / "real.json", "[]"), label="real")


def test_duplicate_columns(tmp_path: Path) -> None:
    path = _write(tmp_path / "real.csv", "a,b,a,c,b\n1,2,3,4,5\n")
    with pytest.raises(InputError, match=r"duplicate column names \['a', 'b'\]"):
        load_table(path, label="real")


def test_column_names_kept_exactly(tmp_path: Path) -> None:
    path = _write(tmp_path / "real.csv", " a ,,b \n1,2,3\n")
    assert list(load_table(path, label="real").frame.columns) == [" a ", "", "b "]


def test_unknown_suffix(tmp_path: Path) -> None:
    path = _write(tmp_path / "real.xlsx", b"PK")
    with pytest.raises(InputError) as info:
        load_table(path, label="real")
    assert str(info.value).startswith(f"real file '{path}' has an unsupported format")
    assert ".csv" in str(info.value) and ".parquet" in str(info.value)


def test_invalid_parquet(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a readable Parquet file"):
        load_table(_write(tmp_path / "real.parquet", b"not parquet at all"), label="real")


def test_dataframe_input() -> None:
    source = pd.DataFrame({1: [1, 2], "b": ["x", "y"]}, index=[10, 20])
    table = load_table(source, label="synthetic")
    assert (table.source, table.format) == ("<DataFrame>", "dataframe")
    assert table.sha256 == frame_sha256(source) and len(table.sha256) == 64
    assert list(table.frame.columns) == ["1", "b"]
    assert isinstance(table.frame.index, pd.RangeIndex)
    assert table.frame["b"].tolist() == ["x", "y"]
    assert (table.n_rows, table.n_columns) == (2, 2)
    assert list(source.columns) == [1, "b"] and list(source.index) == [10, 20]


def test_dataframe_fingerprint_is_stable_and_sensitive_to_content() -> None:
    frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", None]})
    fingerprint = frame_sha256(frame)
    # the same content, built another way, in another object
    assert frame_sha256(pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", None]})) == fingerprint
    assert load_table(frame, label="real").sha256 == fingerprint
    changed = [
        frame.assign(a=[1, 2, 4]),  # a value
        frame.iloc[::-1],  # the row order (and index)
        frame.set_axis([5, 6, 7]),  # the index alone
        frame.rename(columns={"a": "c"}),  # a column name
        frame.astype({"a": "float64"}),  # a dtype
    ]
    assert len({fingerprint, *map(frame_sha256, changed)}) == len(changed) + 1
    # in a fresh process too (no per-process hash seed)
    code = (
        "import pandas as pd; from synthaudit.data.loading import frame_sha256; "
        "print(frame_sha256(pd.DataFrame({'a': [1, 2, 3], 'b': ['x', 'y', None]})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == fingerprint


def test_dataframe_fingerprint_of_unhashable_cells() -> None:
    frame = pd.DataFrame({"a": [[1], [2]], "b": [{"k": 1}, {"k": 2}]})
    assert frame_sha256(frame) == frame_sha256(frame.copy())
    assert frame_sha256(frame) != frame_sha256(frame.assign(a=[[1], [3]]))


def test_dataframe_duplicate_and_empty() -> None:
    with pytest.raises(InputError, match=r"synthetic data '<DataFrame>' has duplicate column names \['1'\]"):
        load_table(pd.DataFrame([[1, 2]], columns=[1, "1"]), label="synthetic")
    with pytest.raises(InputError, match="has no data rows"):
        load_table(pd.DataFrame({"a": []}), label="synthetic")
    with pytest.raises(InputError, match="has no columns"):
        load_table(pd.DataFrame(index=range(3)), label="synthetic")


def test_sha256_matches_hashlib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading, "CHUNK_SIZE", 16)
    path = _write(tmp_path / "real.csv", CSV_TEXT * 3)
    assert load_table(path, label="real").sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_dates_become_nanosecond_datetimes(tmp_path: Path) -> None:
    path = _write(tmp_path / "real.csv", "d,t\n2020-01-01,2020-01-01 10:00:00\n2021-02-03,2021-02-03 11:30:00\n")
    frame = load_table(path, label="real").frame
    assert frame["d"].dtype == "datetime64[ns]"
    assert frame["t"].dtype == "datetime64[ns]"
    assert frame["t"].iloc[1] == pd.Timestamp("2021-02-03 11:30:00")


def test_dates_outside_the_nanosecond_range_stay_text(tmp_path: Path) -> None:
    path = _write(tmp_path / "real.csv", "d,t\n9999-12-31,2020-01-01\n0001-01-01,2021-01-01\n")
    frame = load_table(path, label="real").frame
    assert frame["d"].tolist() == ["9999-12-31", "0001-01-01"]
    assert frame["t"].dtype == "datetime64[ns]"


def test_row_longer_than_a_pyarrow_block(tmp_path: Path) -> None:
    long_text = "x" * 3_000_000
    path = _write(tmp_path / "real.csv", f'a,b\n1,"{long_text}"\n2,short\n')
    assert load_table(path, label="real").frame["b"].str.len().tolist() == [3_000_000, 5]
