"""Exact quantiles of a column split into partitions: radix selection on the bits of the floats.

A quantile sketch (KLL, t-digest) answers within a rank error and its answer depends on the order in which
rows arrive, so two engines that split the rows differently disagree. Here the answer is *exact* and
depends only on the multiset of values: it equals ``np.quantile(values, q)`` (method "linear") bit for bit.

How: every finite float64 maps to a 64-bit key whose unsigned order is the float order
(:func:`sortable_keys`). The order statistics a quantile needs are found 16 bits of key at a time. Each
round is one pass over the partitions with a mergeable :class:`RadixCounts` state — counts of the next
16-bit digit of the keys that share an already fixed prefix — so an engine runs it per partition and adds
the states. After at most four rounds every needed key, hence every needed value, is known exactly; the
last step interpolates exactly as NumPy does. Memory: 2¹⁶ counts per open prefix (two per quantile).
Missing and non-finite values are left out (as :class:`synthaudit.artefacts.coding.ColumnCoding` does);
−0.0 is read as 0.0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np

__all__ = [
    "DIGIT_BITS",
    "ExactQuantiles",
    "RadixCounts",
    "exact_quantiles",
    "keys_to_values",
    "sortable_keys",
]

DIGIT_BITS = 16
"""Key bits resolved per pass; 64 / 16 = at most four passes."""
_DIGITS = 1 << DIGIT_BITS
_SIGN = np.uint64(1 << 63)
_ROUNDS = 64 // DIGIT_BITS


def sortable_keys(values: np.ndarray) -> np.ndarray:
    """64-bit keys of finite float64 values whose unsigned order is the values' order (−0.0 as 0.0).

    Positive floats get their sign bit set; negative floats have every bit flipped.
    """
    bits = (np.asarray(values, dtype=np.float64) + 0.0).view(np.uint64)
    negative = (bits & _SIGN) != 0
    return np.where(negative, ~bits, bits | _SIGN)


def keys_to_values(keys: np.ndarray) -> np.ndarray:
    """The floats back from :func:`sortable_keys` keys."""
    keys = np.asarray(keys, dtype=np.uint64)
    positive = (keys & _SIGN) != 0
    return np.where(positive, keys & ~_SIGN, ~keys).view(np.float64)


def _finite_keys(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return sortable_keys(values[np.isfinite(values)])


class RadixCounts:
    """One pass of radix selection: counts of the 16-bit digit at ``shift`` of keys under open ``prefixes``.

    ``prefixes`` are the already fixed high bits (``key >> (shift + 16)``), sorted; in the first pass
    (``shift = 48``) there is one empty prefix and every key counts. ``counts[p, d]`` is the number of
    values whose key has prefix ``prefixes[p]`` and digit ``d``. Mergeable: counts add, exactly.
    """

    __slots__ = ("counts", "prefixes", "shift")

    def __init__(self, shift: int, prefixes: np.ndarray, counts: np.ndarray | None = None) -> None:
        if shift % DIGIT_BITS or not 0 <= shift < 64:
            raise ValueError(f"shift must be a multiple of {DIGIT_BITS} in [0, 64), got {shift}")
        self.shift = shift
        self.prefixes = np.asarray(prefixes, dtype=np.uint64)
        shape = (len(self.prefixes), _DIGITS)
        self.counts = np.zeros(shape, dtype=np.int64) if counts is None else np.asarray(counts, dtype=np.int64)

    def update(self, values: np.ndarray) -> RadixCounts:
        """Count the finite values of one batch (missing and infinite values are skipped)."""
        keys = _finite_keys(values)
        digit = ((keys >> np.uint64(self.shift)) & np.uint64(_DIGITS - 1)).astype(np.intp)
        if self.shift + DIGIT_BITS >= 64:
            row = np.zeros(len(keys), dtype=np.intp)
        else:
            prefix = keys >> np.uint64(self.shift + DIGIT_BITS)
            row = np.searchsorted(self.prefixes, prefix)
            hit = row < len(self.prefixes)
            hit[hit] = self.prefixes[row[hit]] == prefix[hit]
            row, digit = row[hit], digit[hit]
        cells = np.bincount(row * _DIGITS + digit, minlength=self.counts.size)
        self.counts += cells.reshape(self.counts.shape)
        return self

    def merge(self, other: RadixCounts) -> RadixCounts:
        """The state of both parts' values (the same pass: equal shift and prefixes)."""
        if self.shift != other.shift or not np.array_equal(self.prefixes, other.prefixes):
            raise ValueError("only states of the same pass merge")
        return RadixCounts(self.shift, self.prefixes, self.counts + other.counts)

    def finalise(self) -> np.ndarray:
        """The counts, prefixes × 2¹⁶ digits."""
        return self.counts.copy()

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, RadixCounts)
            and self.shift == other.shift
            and np.array_equal(self.prefixes, other.prefixes)
            and np.array_equal(self.counts, other.counts)
        )

    __hash__ = None  # type: ignore[assignment]


class ExactQuantiles:
    """The plan of an exact quantile computation: which pass to run next, and the answer at the end.

    Use: ``state = plan.first()``; repeat ``state = <state updated with every partition, merged>``,
    ``state = plan.advance(state)`` until it returns ``None``; then ``plan.result()``. :func:`exact_quantiles`
    does this for an in-memory sequence of partitions.
    """

    def __init__(self, quantiles: Sequence[float]) -> None:
        self.quantiles = np.asarray(quantiles, dtype=np.float64)
        if np.any(~(self.quantiles >= 0.0) | (self.quantiles > 1.0)):
            raise ValueError("quantiles must be in [0, 1]")
        self.count = -1
        self.ranks = np.empty(0, dtype=np.int64)
        self._keys = np.zeros(0, dtype=np.uint64)  # fixed high bits of each wanted rank's key
        self._within = np.zeros(0, dtype=np.int64)  # rank inside its prefix
        self._shift = 64 - DIGIT_BITS

    def first(self) -> RadixCounts:
        """The state of the first pass (top 16 bits of every key)."""
        return RadixCounts(64 - DIGIT_BITS, np.zeros(1, dtype=np.uint64))

    def advance(self, state: RadixCounts) -> RadixCounts | None:
        """Read a finished pass; the next pass's empty state, or ``None`` when the answer is known."""
        if state.shift != self._shift:
            raise ValueError("states must be fed in pass order")
        if self.count < 0:
            self.count = int(state.counts.sum())
            if self.count == 0:
                return None
            self.ranks = _needed_ranks(self.count, self.quantiles)
            self._keys = np.zeros(len(self.ranks), dtype=np.uint64)
            self._within = self.ranks.copy()
        position = np.searchsorted(state.prefixes, self._keys)
        cumulative = np.cumsum(state.counts[position], axis=1)
        digit = np.array([np.searchsorted(c, w, side="right") for c, w in zip(cumulative, self._within, strict=True)])
        before = np.where(digit > 0, cumulative[np.arange(len(digit)), np.maximum(digit - 1, 0)], 0)
        self._within = self._within - before
        self._keys = (self._keys << np.uint64(DIGIT_BITS)) | digit.astype(np.uint64)
        if self._shift == 0:
            return None
        self._shift -= DIGIT_BITS
        return RadixCounts(self._shift, np.unique(self._keys))

    def result(self) -> np.ndarray:
        """The quantiles, as ``np.quantile(finite values, quantiles)`` (NaN for no finite value)."""
        if self.count == 0:
            return np.full(len(self.quantiles), np.nan)
        if self._shift != 0 or self.count < 0:
            raise ValueError("the passes are not finished")
        values = dict(zip(self.ranks.tolist(), keys_to_values(self._keys).tolist(), strict=True))
        return _numpy_linear(self.count, self.quantiles, values)


def _needed_ranks(n: int, quantiles: np.ndarray) -> np.ndarray:
    below, above = _indexes(n, quantiles)
    return np.unique(np.concatenate([below, above]))


def _indexes(n: int, quantiles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Order statistics NumPy's "linear" method interpolates between (as in ``numpy.lib._function_base_impl``)."""
    virtual = (n - 1) * quantiles
    previous = np.floor(virtual)
    above = virtual >= n - 1
    low = np.where(above, n - 1, previous).astype(np.int64)
    high = np.where(above, n - 1, previous + 1).astype(np.int64)
    return low, high


def _numpy_linear(n: int, quantiles: np.ndarray, values: dict[int, float]) -> np.ndarray:
    """NumPy's linear interpolation between the order statistics, operation for operation (same rounding)."""
    virtual = (n - 1) * quantiles
    previous = np.floor(virtual)
    above = virtual >= n - 1
    gamma = virtual - np.where(above, -1.0, previous)
    low, high = _indexes(n, quantiles)
    a = np.array([values[int(i)] for i in low], dtype=np.float64)
    b = np.array([values[int(i)] for i in high], dtype=np.float64)
    diff = b - a
    out = a + diff * gamma
    np.subtract(b, diff * (1 - gamma), out=out, where=gamma >= 0.5)
    return out


def exact_quantiles(
    partitions: Sequence[np.ndarray] | Callable[[], Iterable[np.ndarray]], quantiles: Sequence[float]
) -> np.ndarray:
    """``np.quantile`` of the finite values of all ``partitions`` together, computed pass by pass.

    ``partitions`` is a sequence of arrays, or a function returning a fresh iterable of them (read once per
    pass, at most four passes). The result does not depend on how the values are split, bit for bit.
    """
    plan = ExactQuantiles(quantiles)
    state: RadixCounts | None = plan.first()
    for _ in range(_ROUNDS):
        if state is None:
            break
        parts = partitions() if callable(partitions) else partitions
        merged = state
        for part in parts:
            merged = merged.merge(RadixCounts(state.shift, state.prefixes).update(part))
        state = plan.advance(merged)
    return plan.result()
