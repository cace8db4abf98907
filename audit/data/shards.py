"""Sharded inputs: a directory or a glob pattern of data files, read shard by shard into one table.

Data pipelines (Spark, Ray, Dask, Hugging Face datasets) write tables as many part files. ``synthaudit check
real/ synth/`` reads every data file of a directory (or ``'real/part-*.parquet'``, quoted) in name order,
each with the single-file reader and its checks, and stacks them. Markers and hidden files that such tools
leave beside the data (``_SUCCESS``, ``.crc``, ``.DS_Store``, names starting with ``_`` or ``.``) are skipped.
Every shard must be in one format and have the same columns in the same order; a data file that cannot be
opened (a broken or looping symbolic link) is bad input, never skipped; the table's SHA-256 covers the shards'
names and their own SHA-256s, in order.
"""

from __future__ import annotations

import glob
import hashlib
from collections.abc import Callable
from pathlib import Path

from synthaudit.errors import InputError

__all__ = ["GLOB_CHARACTERS", "is_sharded", "shard_files", "shards_sha256"]

GLOB_CHARACTERS = frozenset("*?[")
"""Characters that make a path a glob pattern (when no file has that exact name)."""


def is_sharded(path: Path) -> bool:
    """Whether ``path`` names shards: an existing directory, or a pattern with glob characters.

    A path the system cannot even look up (a name too long) is not shards: the file reader reports it.
    """
    try:
        if path.is_dir():
            return True
        exists = path.exists()
    except OSError:
        return False
    return not exists and any(ch in GLOB_CHARACTERS for ch in str(path))


def _is_data_file(path: Path, known_format: Callable[[Path], str]) -> bool:
    name = path.name
    return path.is_file() and not name.startswith(("_", ".")) and not name.endswith(".crc") and bool(known_format(path))


def shard_files(path: Path, shown: str, label: str, known_format: Callable[[Path], str]) -> list[Path]:
    """The data files of a directory (not recursive) or matching a glob pattern, in name order.

    ``known_format(path)`` gives a file's format (empty when synthaudit cannot read it). Bad input: no data
    file, or data files in more than one format.
    """
    if path.is_dir():
        candidates = sorted(p for p in path.iterdir())
        where = f"directory '{shown}'"
    else:
        candidates = sorted(Path(p) for p in glob.glob(str(path)))
        where = f"pattern '{shown}'"
    broken = [
        p
        for p in candidates
        if not p.name.startswith(("_", ".")) and known_format(p) and not p.is_file() and not p.is_dir()
    ]
    if broken:  # a data file that cannot be opened (a dangling link, a link loop): never audit the rest silently
        raise InputError(
            f"{label} {where} holds '{broken[0].name}', which is not a readable file (a broken or looping symbolic "
            "link?); fix or remove it"
        )
    files = [p for p in candidates if _is_data_file(p, known_format)]
    if not files:
        seen = ", ".join(p.name for p in candidates[:5]) or "nothing"
        raise InputError(
            f"{label} {where} holds no data file (found {seen}); give a directory or pattern of CSV, TSV, "
            "Parquet or JSON lines files"
        )
    formats = sorted({known_format(p) for p in files})
    if len(formats) > 1:
        raise InputError(
            f"{label} {where} mixes formats ({', '.join(formats)}); keep one format per input or name the files "
            "with a pattern such as 'dir/*.parquet'"
        )
    return files


def shards_sha256(names_and_digests: list[tuple[str, str | None]]) -> str:
    """One fingerprint of a sharded table: SHA-256 over each shard's name and SHA-256, in order."""
    digest = hashlib.sha256(b"synthaudit.shards.v1\n")
    for name, sha in names_and_digests:
        digest.update(f"{name}\t{sha or ''}\n".encode())
    return digest.hexdigest()
