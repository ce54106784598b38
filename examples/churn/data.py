"""Synthetic e-commerce data for the churn example: customers and their orders over 240 days, generated with
vectorised numpy (seeded, so every run and every stack sees the same rows). After day 180 prices rise, so the
spend of the scoring period drifts away from the training period's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa

START = datetime(2026, 1, 1, tzinfo=UTC)
DAYS = 240
PRICE_CHANGE_DAY = 180


def day_to_timestamp(days: np.ndarray) -> pa.Array:
    """Day numbers (floats allowed) since START as UTC timestamps."""
    micros = (days * 86_400_000_000).astype("int64") + int(START.timestamp() * 1_000_000)
    return pa.array(micros, pa.timestamp("us", tz="UTC"))


def generate(customers: int = 3000, seed: int = 7) -> tuple[pa.Table, pa.Table]:
    """Return (customers, orders) as Arrow tables."""
    rng = np.random.default_rng(seed)
    ids = np.arange(1, customers + 1, dtype="int64")
    signup_day = rng.uniform(0, 60, customers)
    is_pro = (rng.random(customers) < 0.3).astype("int64")
    age = rng.integers(18, 75, customers).astype("int64")
    # Each customer orders at a personal rate that decays for those who will churn.
    base_rate = rng.gamma(2.0, 0.06, customers) * (1 + 0.8 * is_pro)
    churn_day = np.where(rng.random(customers) < 0.45, rng.uniform(60, DAYS, customers), np.inf)

    expected = base_rate * (DAYS - signup_day)
    counts = rng.poisson(expected)
    owner = np.repeat(np.arange(customers), counts)
    order_day = signup_day[owner] + rng.random(owner.size) * (DAYS - signup_day[owner])
    kept = order_day < churn_day[owner]
    owner, order_day = owner[kept], order_day[kept]
    price_factor = np.where(order_day >= PRICE_CHANGE_DAY, 1.6, 1.0)
    amount = np.round(rng.lognormal(3.2, 0.6, owner.size) * price_factor * (1 + 0.5 * is_pro[owner]), 2)
    order_ids = np.arange(1, owner.size + 1, dtype="int64")

    customers_table = pa.table(
        {
            "customer_id": ids,
            "signup_ts": day_to_timestamp(signup_day),
            "is_pro": is_pro,
            "age": age,
        }
    )
    orders_table = pa.table(
        {
            "order_id": order_ids,
            "customer_id": ids[owner],
            "order_day": order_day.astype("int64"),
            "order_ts": day_to_timestamp(order_day),
            "amount": amount,
        }
    ).sort_by("order_ts")
    return customers_table, orders_table


def snapshot_days(first: int, last: int, every: int = 7) -> list[int]:
    return list(range(first, last + 1, every))


def as_timestamp(day: int) -> datetime:
    return START + timedelta(days=day)
