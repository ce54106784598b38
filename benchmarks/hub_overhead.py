"""What going through the hub costs, side by side with DuckDB called directly on the same database file:

1. a warehouse query returning 10M rows as Arrow: ``stack["warehouse"].query(sql)`` on a stack opened with
   ``open_stack`` (lineage on: START and COMPLETE to the embedded store) vs ``duckdb.connect(path).sql(sql)
   .to_arrow_table()``;
2. a point-in-time training set of 1M entity rows over 10M feature rows: ``stack["features"]
   .get_historical_features`` (the warehouse-native feature store) vs the very SQL statement that call sends to
   DuckDB, captured from it, run directly after the same upload of the entity rows.

Hub and direct calls alternate round by round on the same file, so machine noise hits both alike; the overhead is
the difference of the medians relative to the direct median. Both sides' results are compared before any time is
reported.

    python benchmarks/hub_overhead.py [--rows 10000000] [--entities 1000000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import stackhub
from _harness import Report, add_report_argument, seconds
from stackhub.categories.feature_store import Entity, Feature, FeatureView

STACK = """\
stack: overhead
spec: "1"
components:
  warehouse: {{plugin: duckdb, config: {{path: "{folder}/warehouse.duckdb"}}}}
  features: {{plugin: sqlfeatures, config: {{warehouse: warehouse}}}}
lineage:
  transport: {{type: store, path: "{folder}/lineage.db"}}
"""
QUERY = "SELECT * FROM trips"
FEATURES = ["driver_stats:trips", "driver_stats:rating", "driver_stats:zone"]
DRIVERS = 100_000
YEAR_SECONDS = 365 * 24 * 3600


def generate(path: Path, rows: int, feature_rows: int, entities: int) -> pa.Table:
    """The queried table and the feature table in the DuckDB file; returns the entity rows."""
    with duckdb.connect(str(path)) as connection:
        connection.execute(
            f"""
            CREATE TABLE trips AS
            SELECT i AS trip_id,
                   TIMESTAMP '2025-01-01' + to_seconds(hash(i, 1) % {YEAR_SECONDS}) AS started_at,
                   (hash(i, 2) % 100000) / 100.0 AS fare,
                   'zone-' || (hash(i, 3) % 50)::VARCHAR AS zone,
                   hash(i, 4) % 2 = 0 AS shared
            FROM range({rows}) AS t(i)
            """
        )
        connection.execute(
            f"""
            CREATE TABLE driver_stats AS
            SELECT i % {DRIVERS} AS driver_id,
                   TIMESTAMP '2025-01-01' + to_seconds((hash(i, 5) % {YEAR_SECONDS // 60}) * 60) AS event_ts,
                   TIMESTAMP '2025-01-01' + to_seconds(hash(i, 6) % {YEAR_SECONDS}) AS created_ts,
                   (hash(i, 7) % 1000)::BIGINT AS trips,
                   (hash(i, 8) % 10000) / 100.0 AS rating,
                   'zone-' || (hash(i, 9) % 50)::VARCHAR AS zone
            FROM range({feature_rows}) AS t(i)
            """
        )
        return connection.sql(
            f"""
            SELECT (hash(i, 10) % {DRIVERS * 11 // 10})::BIGINT AS driver_id,
                   TIMESTAMP '2025-01-01' + to_seconds(hash(i, 11) % {YEAR_SECONDS}) AS event_timestamp,
                   i AS request_id
            FROM range({entities}) AS t(i)
            """
        ).to_arrow_table()


def apply_views(folder: Path) -> None:
    with stackhub.open_stack(folder / "stack.yaml", lineage=False) as stack:
        stack["features"].apply(  # type: ignore[attr-defined]
            [Entity(name="driver", join_keys=("driver_id",))],
            [
                FeatureView(
                    name="driver_stats",
                    entities=("driver",),
                    source="driver_stats",
                    timestamp_field="event_ts",
                    created_timestamp_field="created_ts",
                    features=(
                        Feature(name="trips", dtype="int64"),
                        Feature(name="rating", dtype="double"),
                        Feature(name="zone", dtype="string"),
                    ),
                )
            ],
        )


def captured_training_call(folder: Path, entity_rows: pa.Table) -> tuple[str, pa.Table, str]:
    """What the feature store sends its warehouse for this training set: the scratch table's name and content it
    uploads, and the point-in-time statement (captured with lineage off)."""
    uploads: list[tuple[str, pa.Table]] = []
    statements: list[str] = []
    with stackhub.open_stack(folder / "stack.yaml", lineage=False) as stack:
        warehouse: Any = stack["warehouse"]
        write, query = warehouse.write, warehouse.query

        def recording_write(table: str, data: pa.Table, **kwargs: Any) -> Any:
            uploads.append((table, data))
            return write(table, data, **kwargs)

        def recording_query(sql: str, **kwargs: Any) -> pa.Table:
            statements.append(sql)
            return query(sql, **kwargs)

        # On these instances only; the stack is closed right after.
        warehouse.write, warehouse.query = recording_write, recording_query
        stack["features"].get_historical_features(entity_rows, FEATURES)  # type: ignore[attr-defined]
    ((scratch, upload),) = uploads
    (statement,) = [s for s in statements if scratch in s]
    return scratch, upload, statement


def hub_query(folder: Path) -> tuple[pa.Table, float]:
    with stackhub.open_stack(folder / "stack.yaml") as stack:
        start = time.perf_counter()
        table = stack["warehouse"].query(QUERY)  # type: ignore[attr-defined]
        return table, time.perf_counter() - start


def direct_query(folder: Path) -> tuple[pa.Table, float]:
    with duckdb.connect(str(folder / "warehouse.duckdb")) as connection:
        start = time.perf_counter()
        table = connection.sql(QUERY).to_arrow_table()
        return table, time.perf_counter() - start


def hub_training_set(folder: Path, entity_rows: pa.Table) -> tuple[pa.Table, float]:
    with stackhub.open_stack(folder / "stack.yaml") as stack:
        start = time.perf_counter()
        table = stack["features"].get_historical_features(entity_rows, FEATURES)  # type: ignore[attr-defined]
        return table, time.perf_counter() - start


def direct_training_set(folder: Path, scratch: str, upload: pa.Table, statement: str) -> tuple[pa.Table, float]:
    """The captured statement on DuckDB, between the same upload and drop of the scratch table."""
    with duckdb.connect(str(folder / "warehouse.duckdb")) as connection:
        start = time.perf_counter()
        connection.register("upload", upload)
        connection.execute(f'CREATE TABLE "{scratch}" AS SELECT * FROM upload')
        table = connection.sql(statement).to_arrow_table()
        connection.execute(f'DROP TABLE "{scratch}"')
        return table, time.perf_counter() - start


def alternate(
    rounds: int, hub: Callable[[], tuple[pa.Table, float]], direct: Callable[[], tuple[pa.Table, float]]
) -> tuple[list[float], list[float], pa.Table, pa.Table]:
    hub_times: list[float] = []
    direct_times: list[float] = []
    hub_table = direct_table = pa.table({})
    for _ in range(rounds):
        hub_table, took = hub()
        hub_times.append(took)
        direct_table, took = direct()
        direct_times.append(took)
    return hub_times, direct_times, hub_table, direct_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--features", type=int, default=10_000_000)
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    add_report_argument(parser)
    args = parser.parse_args()
    if args.smoke:
        args.rows, args.features, args.entities, args.rounds = 100_000, 100_000, 10_000, 2

    report = Report("Hub overhead", "python benchmarks/hub_overhead.py")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "stack.yaml").write_text(STACK.format(folder=folder))
        entity_rows = generate(folder / "warehouse.duckdb", args.rows, args.features, args.entities)
        apply_views(folder)

        hub_times, direct_times, hub_table, direct_table = alternate(
            args.rounds, lambda: hub_query(folder), lambda: direct_query(folder)
        )
        if not hub_table.equals(direct_table):
            raise SystemExit("The hub's query result differs from DuckDB's.")
        rows.append((f"query, {args.rows:,} rows to Arrow", hub_times, direct_times))

        scratch, upload, statement = captured_training_call(folder, entity_rows)
        hub_times, direct_times, hub_table, direct_table = alternate(
            args.rounds,
            lambda: hub_training_set(folder, entity_rows),
            lambda: direct_training_set(folder, scratch, upload, statement),
        )
        _check_training_sets(hub_table, direct_table, entity_rows)
        rows.append(
            (f"training set, {args.entities:,} entity rows x {args.features:,} feature rows", hub_times, direct_times)
        )

    table = []
    for label, hub_times, direct_times in rows:
        hub, direct = statistics.median(hub_times), statistics.median(direct_times)
        table.append((label, seconds(hub), seconds(direct), f"{(hub - direct) / direct:+.1%}"))
    report.note(
        f"Medians of {args.rounds} alternating rounds on one DuckDB file; the hub with lineage on (embedded store). "
        "The direct training set runs the statement the feature store sent, captured from it, after the same "
        "upload of the entity rows."
    )
    report.table(("operation", "through the hub", "DuckDB directly", "overhead"), table)
    report.finish(args.report, smoke=args.smoke)


def _check_training_sets(hub: pa.Table, direct: pa.Table, entity_rows: pa.Table) -> None:
    """Same feature values for every entity row: the statement returns them in the entity rows' order, which is
    the order the hub returns them in, after the entity rows' own columns (under aliases of its own)."""
    if hub.num_rows != entity_rows.num_rows or direct.num_rows != entity_rows.num_rows:
        raise SystemExit("A training set lost or gained entity rows.")
    features = hub.columns[entity_rows.num_columns :]
    if [c.combine_chunks() for c in features] != [c.combine_chunks() for c in direct.columns[-len(features) :]]:
        raise SystemExit("The hub's training set differs from the direct statement's.")


if __name__ == "__main__":
    main()
