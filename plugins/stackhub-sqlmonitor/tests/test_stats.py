"""The summary-side helpers against numpy and scipy on the rows they summarise."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats
from stackhub_sqlmonitor import _stats


@pytest.mark.parametrize(("n1", "n2"), [(1, 1), (1, 7), (6, 4), (9, 6), (12, 12), (5, 13)])
def test_every_ks_gap_maps_to_a_lattice_point_with_scipys_pvalue(n1: int, n2: int) -> None:
    gaps = {abs(a * n2 - b * n1) for a, b in itertools.product(range(n1 + 1), range(n2 + 1))}
    for gap in gaps:
        a, b = _stats._lattice_point(n1, n2, gap)
        assert 0 <= a <= n1
        assert 0 <= b <= n2
        assert a * n2 - b * n1 == gap
        reference = np.repeat([0.0, 1.0], [a, n1 - a])
        current = np.repeat([0.0, 1.0], [b, n2 - b])
        assert _stats.ks_pvalue(n1, n2, gap) == stats.ks_2samp(reference, current).pvalue


@pytest.mark.parametrize(
    ("values", "size"),
    [
        (np.random.default_rng(1).normal(size=777), 777),
        (np.random.default_rng(2).integers(0, 10_000, size=5000), 5000),
        # Integers over a range shorter than log2(size) + 1: numpy widens the bins to 1.
        (np.arange(2**21) % 21, 2**21),
        (np.array([0.1, 0.7, 1e-300, 3.0] * 6), 24),
    ],
)
def test_sturges_edges_equal_numpys(values: np.ndarray, size: int) -> None:
    edges = _stats.sturges_edges(
        float(values.min()), float(values.max()), size, integer=np.issubdtype(values.dtype, np.integer)
    )
    np.testing.assert_array_equal(edges, np.histogram_bin_edges(values, bins="sturges"))


def test_psi_fills_empty_bins_like_evidently() -> None:
    # Reference's smallest share is 1e-5 (<= 0.0001): its empty bin gets 1e-11; current's gets 0.0001.
    reference = np.array([99_999.0, 1.0, 0.0])
    current = np.array([5.0, 0.0, 5.0])
    r = np.array([0.99999, 0.00001, 1e-11])
    c = np.array([0.5, 0.0001, 0.5])
    assert _stats.psi(reference, current) == pytest.approx(np.sum((r - c) * np.log(r / c)), rel=1e-12)
