"""Scores from the summaries the warehouse returns, defined exactly as Evidently 0.7 and scipy define them.

Everything here takes counts or a handful of numbers, never rows: a frequency vector per column, an exact KS
gap, a distance and a standard deviation. Sources are in the README, next to each formula.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import stats
from scipy.spatial import distance

__all__ = [
    "chisquare_pvalue",
    "jensenshannon",
    "ks_pvalue",
    "ks_statistic",
    "psi",
    "sturges_edges",
    "wasserstein_normed",
]

#: ``ks_2samp(method="auto")`` computes the exact p-value up to this many values per sample (scipy's MAX_AUTO_N).
KS_EXACT_MAX_N = 10_000
#: Evidently divides the Wasserstein distance by max(std(reference), this).
WASSERSTEIN_MIN_NORM = 0.001
#: Evidently cuts numerical columns into histogram bins for JS and PSI only above this many reference values.
BINNED_MIN_DISTINCT = 20


def ks_statistic(n1: int, n2: int, gap: int) -> float:
    """The two-sample KS statistic from the exact gap ``max |cr * n2 - cq * n1|``."""
    return gap / (n1 * n2)


def ks_pvalue(n1: int, n2: int, gap: int) -> float:
    """The p-value ``scipy.stats.ks_2samp(reference, current)`` returns (two-sided, method "auto") for samples
    of ``n1`` and ``n2`` values whose ECDFs differ by at most ``gap / (n1 * n2)``.

    scipy's exact distribution is private, but its p-value depends only on the sizes and the statistic; so
    up to the exact-method limit the public ``ks_2samp`` is called on two samples of the same sizes that have
    the same statistic (zeros then ones), which returns scipy's exact p-value, fallbacks included. Above the
    limit it is scipy's asymptotic formula, ``kstwo.sf(D, round(n1 * n2 / (n1 + n2)))``.
    """
    if max(n1, n2) <= KS_EXACT_MAX_N:
        below_ref, below_cur = _lattice_point(n1, n2, gap)
        reference = np.repeat([0.0, 1.0], [below_ref, n1 - below_ref])
        current = np.repeat([0.0, 1.0], [below_cur, n2 - below_cur])
        with warnings.catch_warnings():
            # scipy warns when it falls back to the asymptotic formula; the result is still its answer.
            warnings.simplefilter("ignore", RuntimeWarning)
            return float(stats.ks_2samp(reference, current).pvalue)
    m, n = sorted((float(n1), float(n2)), reverse=True)
    effective_n = m * n / (m + n)
    return float(np.clip(stats.kstwo.sf(ks_statistic(n1, n2, gap), np.round(effective_n)), 0.0, 1.0))


def _lattice_point(n1: int, n2: int, gap: int) -> tuple[int, int]:
    """Counts (a, b), 0 <= a <= n1 and 0 <= b <= n2, with a * n2 - b * n1 == gap.

    The data's own maximising point (or its mirror (n1 - a, n2 - b)) is such a pair, so one exists; this finds
    the smallest by solving the linear Diophantine equation a * q - b * p = h with p, q = n1 / g, n2 / g.
    """
    g = math.gcd(n1, n2)
    p, q, h = n1 // g, n2 // g, gap // g
    a = h * pow(q, -1, p) % p
    b, remainder = divmod(a * q - h, p)
    assert remainder == 0
    if b < 0:
        steps = -(b // q)  # ceil(-b / q)
        a, b = a + steps * p, b + steps * q
    return a, b


def wasserstein_normed(distance_: float, reference_std: float) -> float:
    """Evidently's normed Wasserstein: scipy's distance over max(np.std(reference), 0.001), std with ddof=0."""
    return distance_ / max(reference_std, WASSERSTEIN_MIN_NORM)


def chisquare_pvalue(reference_counts: np.ndarray, current_counts: np.ndarray) -> float:
    """Evidently's chi-square: observed current counts against the reference counts scaled to the current size,
    over the union of categories; the p-value of ``scipy.stats.chisquare``."""
    expected = reference_counts * (current_counts.sum() / reference_counts.sum())
    with warnings.catch_warnings():
        # A category absent from the reference has expected count 0: scipy returns p = 0 with a warning.
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(stats.chisquare(current_counts, expected).pvalue)


def jensenshannon(reference_counts: np.ndarray, current_counts: np.ndarray) -> float:
    """``scipy.spatial.distance.jensenshannon`` of the two frequency vectors, natural logarithm (Evidently)."""
    return float(
        distance.jensenshannon(reference_counts / reference_counts.sum(), current_counts / current_counts.sum())
    )


def psi(reference_counts: np.ndarray, current_counts: np.ndarray) -> float:
    """Evidently's PSI: sum((r - c) * ln(r / c)) over the shares per bin, empty bins filled first."""
    reference = _fill_empty(reference_counts / reference_counts.sum())
    current = _fill_empty(current_counts / current_counts.sum())
    return float(np.sum((reference - current) * np.log(reference / current)))


def _fill_empty(shares: np.ndarray) -> np.ndarray:
    # Evidently's get_binned_data(feel_zeroes=True): an empty bin gets 0.0001, or a millionth of the smallest
    # non-empty share when that share is itself at most 0.0001.
    smallest = shares[shares != 0].min()
    return np.where(shares == 0, smallest / 10**6 if smallest <= 0.0001 else 0.0001, shares)


def sturges_edges(low: float, high: float, size: int, *, integer: bool) -> np.ndarray:
    """The bin edges of ``np.histogram_bin_edges(values, bins="sturges")`` for ``size`` values in [low, high],
    low < high (binned columns have more than 20 distinct values).

    Mirrors numpy's steps (width = range / (log2(size) + 1), at least 1 for integer data since numpy 2.1;
    ceil(range / width) equal bins; ``linspace`` edges) so that the bins, hence the counts, are numpy's.
    """
    width = (high - low) / (np.log2(size) + 1.0)
    if integer and width < 1:
        width = 1
    return np.linspace(low, high, int(np.ceil((high - low) / width)) + 1)
