"""The reference statistics, computed from the rows the way Evidently 0.7 does with numpy and scipy.

Written from Evidently's stattest code, independently of the plugin's summary-based versions, so that a
mistake in the plugin's SQL or post-processing shows up as a mismatch here.
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.spatial import distance


def clean(values: np.ndarray) -> np.ndarray:
    """Evidently's column cleaning of values without nulls: infinities become NaN, then NaN is dropped."""
    return values[np.isfinite(values)] if values.dtype.kind == "f" else values


def ks(reference: np.ndarray, current: np.ndarray) -> float:
    return float(stats.ks_2samp(reference, current).pvalue)


def chisquare(reference: np.ndarray, current: np.ndarray) -> float:
    keys = list(set(reference) | set(current))
    ref_counts = {k: int(np.sum(reference == k)) for k in keys}
    cur_counts = {k: int(np.sum(current == k)) for k in keys}
    k_norm = current.shape[0] / reference.shape[0]
    return float(stats.chisquare([cur_counts[k] for k in keys], [ref_counts[k] * k_norm for k in keys]).pvalue)


def wasserstein(reference: np.ndarray, current: np.ndarray) -> float:
    return float(stats.wasserstein_distance(reference, current) / max(np.std(reference), 0.001))


def binned(reference: np.ndarray, current: np.ndarray, *, numerical: bool, fill: bool) -> tuple[np.ndarray, np.ndarray]:
    """Evidently's get_binned_data: Sturges histogram for numerical columns with > 20 reference values,
    value shares otherwise; optionally the empty-bin filling that PSI uses."""
    if numerical and len(np.unique(reference)) > 20:
        edges = np.histogram_bin_edges(np.concatenate([reference, current]), bins="sturges")
        ref_shares = np.histogram(reference, edges)[0] / len(reference)
        cur_shares = np.histogram(current, edges)[0] / len(current)
    else:
        keys = list(set(reference) | set(current))
        ref_shares = np.array([np.sum(reference == k) / len(reference) for k in keys])
        cur_shares = np.array([np.sum(current == k) / len(current) for k in keys])
    if fill:
        for shares in (ref_shares, cur_shares):
            smallest = min(shares[shares != 0])
            np.place(shares, shares == 0, smallest / 10**6 if smallest <= 0.0001 else 0.0001)
    return ref_shares, cur_shares


def jensenshannon(reference: np.ndarray, current: np.ndarray, *, numerical: bool) -> float:
    ref_shares, cur_shares = binned(reference, current, numerical=numerical, fill=False)
    return float(distance.jensenshannon(ref_shares, cur_shares))


def psi(reference: np.ndarray, current: np.ndarray, *, numerical: bool) -> float:
    ref_shares, cur_shares = binned(reference, current, numerical=numerical, fill=True)
    return float(np.sum((ref_shares - cur_shares) * np.log(ref_shares / cur_shares)))


def score(method: str, reference: np.ndarray, current: np.ndarray, *, numerical: bool) -> float:
    reference, current = clean(reference), clean(current)
    if method == "ks":
        return ks(reference, current)
    if method == "chisquare":
        return chisquare(reference, current)
    if method == "wasserstein":
        return wasserstein(reference, current)
    if method == "jensenshannon":
        return jensenshannon(reference, current, numerical=numerical)
    return psi(reference, current, numerical=numerical)
