"""Drift reports: the warehouse-native monitor (stackhub-sqlmonitor on stackhub-duckdb) vs Evidently's data drift
preset on the same reference and current tables (1M rows x 20 mixed columns each), time and peak memory; then the
native monitor alone at 100M rows on a file-backed DuckDB database held to a memory limit (out of core).

    python benchmarks/drift_report.py [--rows 1000000] [--large-rows 100000000] [--repeat 2]
        [--memory-limit 8GB] [--max-temp-size SIZE] [--smoke] [--report FILE]

One deterministic DuckDB generator (hash-based uniforms, Box-Muller normals) makes both tables: 10 numerical
columns (normal, integer, exponential) and 10 categorical ones (2 to 10,000 categories), half of each shifted in
the current table. At ``--rows`` it writes them to Parquet once; every contender starts from the two files in a
process of its own and ends with a verdict and a score per column: stackhub loading the files into an in-memory
DuckDB or reading them in place, Evidently reading them into pandas, and the same two default tests written by
hand with numpy/scipy. The verdicts are compared first, column by column. At ``--large-rows`` the tables are
generated inside a DuckDB file in a temporary folder (``TMPDIR``) and only stackhub runs: Evidently is not run
there, the report estimates the memory its pandas frames alone would take instead. ``--large-rows 0`` skips it.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Any

from _harness import Measured, Report, add_report_argument, isolated, machine, mebibytes, ratio, seconds

if TYPE_CHECKING:
    from stackhub import Monitor, Warehouse
    from stackhub.categories.monitor import DriftReport

# Heavy packages are imported inside the functions that need them, and by each contender's ``prepare`` before
# its clock starts: a contender's process then holds only its own libraries, and its peak memory is its own.

NUMERICAL = tuple(f"n{k}" for k in range(10))
CATEGORICAL = tuple(f"c{k}" for k in range(10))
CARDINALITIES = (2, 3, 5, 7, 10, 20, 50, 100, 1_000, 10_000)
#: (shift, hash salt) of each table: the current table's odd-numbered columns are shifted.
TABLES = {"reference": (0.0, 0), "current": (0.3, 1000)}
#: Evidently's default threshold of both tests it picks for more than 1,000 reference rows.
THRESHOLD = 0.1
#: Evidently's data drift preset flags the dataset when at least this share of its columns drifted.
DRIFT_SHARE = 0.5
#: Both tools pick other tests (KS, chi-square) for a reference of at most this many rows.
SMALL_REFERENCE_ROWS = 1_000
SMOKE_ROWS, SMOKE_LARGE_ROWS = 20_000, 200_000


def uniform(seed: int) -> str:
    """A deterministic uniform in (0, 1) per row, from DuckDB's hash of the row number and a seed."""
    return f"((hash(i, {seed}) % 1000000) + 0.5) / 1000000.0"


def rows_sql(rows: int, *, shift: float, salt: int) -> str:
    """The SELECT that generates one table: normals (n0-n4), integers with ties (n5-n7), exponentials (n8, n9)
    and categories (c0-c9), each odd-numbered column shifted by ``shift``."""
    columns = []
    for k in range(5):
        u1, u2 = uniform(salt + 2 * k), uniform(salt + 2 * k + 1)
        columns.append(f"{shift if k % 2 else 0.0} + sqrt(-2 * ln({u1})) * cos(2 * pi() * {u2}) AS n{k}")
    for k in range(5, 8):
        columns.append(
            f"CAST(floor({uniform(salt + 20 + k)} * {1000 + (100 * shift if k % 2 else 0)}) AS BIGINT) AS n{k}"
        )
    for k in range(8, 10):
        columns.append(f"-ln({uniform(salt + 20 + k)}) * {1 + (shift if k % 2 else 0)} AS n{k}")
    for k, cardinality in enumerate(CARDINALITIES):  # skewed towards low codes when shifted
        skew = 1 + shift if k % 2 else 1
        columns.append(
            f"'cat_' || CAST(floor(pow({uniform(salt + 40 + k)}, {skew}) * {cardinality}) AS INTEGER) AS c{k}"
        )
    return f"SELECT {', '.join(columns)} FROM range({rows}) AS t(i)"


@dataclass(frozen=True)
class Files:
    reference: str
    current: str


def write_parquet(folder: Path, rows: int) -> Files:
    import duckdb

    files = Files(str(folder / "reference.parquet"), str(folder / "current.parquet"))
    with duckdb.connect() as connection:
        for path, (shift, salt) in zip((files.reference, files.current), TABLES.values(), strict=True):
            connection.execute(f"COPY ({rows_sql(rows, shift=shift, salt=salt)}) TO '{path}' (FORMAT parquet)")
    return files


@dataclass(frozen=True)
class Verdict:
    column: str
    method: str
    score: float
    drifted: bool


@dataclass(frozen=True)
class Outcome:
    """What a contender ends with: per-column verdicts, the dataset's, and how long getting the data ready took."""

    columns: tuple[Verdict, ...]
    dataset_drifted: bool
    loaded: float
    #: pandas' own count of its two frames' bytes, and the process's peak memory once its imports were done
    #: (Evidently only).
    frame_bytes: int = 0
    imported_bytes: int = 0

    def by_column(self) -> dict[str, Verdict]:
        return {v.column: v for v in self.columns}


# -- contenders: each a module-level function run in a spawned process, from the Parquet files to verdicts --------


def import_stackhub() -> None:
    # pandas too: pyarrow's ChunkedArray.to_numpy, which the monitor calls on the summaries, imports it first.
    import pandas  # noqa: F401
    import stackhub_duckdb._warehouse  # noqa: F401
    import stackhub_sqlmonitor._monitor  # noqa: F401


def import_evidently() -> None:
    import evidently.presets  # noqa: F401
    import pandas  # noqa: F401


def import_scipy() -> None:
    # pandas and pyarrow.dataset too: pyarrow.parquet.read_table imports them on first use.
    import pandas  # noqa: F401
    import pyarrow.dataset
    import pyarrow.parquet  # noqa: F401
    import scipy.spatial.distance
    import scipy.stats  # noqa: F401


def stackhub_monitor(warehouse: Warehouse) -> Monitor:
    """The warehouse-native monitor computing in ``warehouse``."""
    from stackhub import Monitor
    from stackhub_sqlmonitor import plugin

    monitor = plugin.create({"warehouse": "warehouse"}, dependencies={"warehouse": warehouse})
    assert isinstance(monitor, Monitor)
    return monitor


def stackhub_outcome(report: DriftReport, loaded: float) -> Outcome:
    columns = tuple(Verdict(c.column, c.method, c.score, c.drifted) for c in report.columns)
    return Outcome(columns, report.dataset_drifted, loaded)


def stackhub_drift(files: Files, in_place: bool) -> Outcome:
    from stackhub.categories.monitor import TableRef
    from stackhub_duckdb import plugin as duckdb_plugin

    with duckdb_plugin.create({"path": ":memory:"}) as warehouse:
        start = perf_counter()
        if in_place:  # a TableRef may name a query: each of the monitor's statements then scans the files
            reference = TableRef(warehouse, f"SELECT * FROM read_parquet('{files.reference}')")
            current = TableRef(warehouse, f"SELECT * FROM read_parquet('{files.current}')")
        else:
            for name, path in (("reference", files.reference), ("current", files.current)):
                warehouse.query(f"CREATE TABLE {name} AS SELECT * FROM read_parquet('{path}')")
            reference, current = TableRef(warehouse, "reference"), TableRef(warehouse, "current")
        loaded = perf_counter() - start
        return stackhub_outcome(stackhub_monitor(warehouse).drift_report(reference, current), loaded)


def evidently_drift(files: Files) -> Outcome:
    """Evidently as a user calls it: both files into pandas, the column types declared, the preset's defaults."""
    import pandas as pd
    from evidently import DataDefinition, Dataset, Report
    from evidently.legacy.calculations import stattests
    from evidently.presets import DataDriftPreset

    imported_bytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    start = perf_counter()
    reference, current = pd.read_parquet(files.reference), pd.read_parquet(files.current)
    loaded = perf_counter() - start
    definition = DataDefinition(numerical_columns=list(NUMERICAL), categorical_columns=list(CATEGORICAL))
    snapshot = Report([DataDriftPreset()], include_tests=True).run(
        Dataset.from_pandas(current, data_definition=definition),
        Dataset.from_pandas(reference, data_definition=definition),
    )
    result = snapshot.dict()
    # A ValueDrift metric names its test by display name ("Jensen-Shannon distance"); its StatTest has the name.
    names = {t.display_name: t.name for t in vars(stattests).values() if isinstance(t, stattests.StatTest)}
    scores = {}
    for metric in result["metrics"]:
        config = metric["config"]
        if config["type"].endswith(":ValueDrift"):
            scores[config["column"]] = (names[config["method"]], float(metric["value"]))
    # Evidently's own verdicts are its tests: a column's drift test fails when the column drifted, the dataset's
    # "share of drifted columns" test when the dataset did.
    failed, dataset_drifted = {}, False
    for test in result["tests"]:
        params = test["metric_config"]["params"]
        if params["type"].endswith(":ValueDrift"):
            failed[params["column"]] = test["status"] == "FAIL"
        elif params["type"].endswith(":DriftedColumnsCount"):
            dataset_drifted = test["status"] == "FAIL"
    columns = tuple(Verdict(name, *scores[name], failed[name]) for name in (*NUMERICAL, *CATEGORICAL))
    frame_bytes = int(reference.memory_usage().sum() + current.memory_usage().sum())
    return Outcome(columns, dataset_drifted, loaded, frame_bytes, imported_bytes)


def scipy_drift(files: Files) -> Outcome:
    """The two tests Evidently picks here, by hand: normed Wasserstein (numerical), Jensen-Shannon (categorical)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    from scipy import stats
    from scipy.spatial import distance

    start = perf_counter()
    reference, current = pq.read_table(files.reference), pq.read_table(files.current)
    loaded = perf_counter() - start
    columns = []
    for name in NUMERICAL:
        ref = reference[name].to_numpy().astype(np.float64)
        cur = current[name].to_numpy().astype(np.float64)
        score = float(stats.wasserstein_distance(ref, cur) / max(np.std(ref), 0.001))
        columns.append(Verdict(name, "wasserstein", score, score >= THRESHOLD))
    for name in CATEGORICAL:
        keys = pc.unique(pa.chunked_array([*reference[name].chunks, *current[name].chunks]))
        ref_counts, cur_counts = (
            np.bincount(pc.index_in(table[name], value_set=keys).to_numpy(), minlength=len(keys))
            for table in (reference, current)
        )
        score = float(distance.jensenshannon(ref_counts / ref_counts.sum(), cur_counts / cur_counts.sum()))
        columns.append(Verdict(name, "jensenshannon", score, score >= THRESHOLD))
    drifted = sum(v.drifted for v in columns) / len(columns) >= DRIFT_SHARE
    return Outcome(tuple(columns), drifted, loaded)


@dataclass(frozen=True)
class Contender:
    name: str
    run: Callable[..., Outcome]
    prepare: Callable[[], None]
    arguments: tuple[Any, ...] = ()
    reads: str = ""


STACKHUB = "stackhub, Parquet loaded into DuckDB"
EVIDENTLY = "Evidently, DataDriftPreset"
CONTENDERS = (
    Contender(STACKHUB, stackhub_drift, import_stackhub, (False,), "Parquet -> in-memory DuckDB tables"),
    Contender(
        "stackhub, Parquet read in place",
        stackhub_drift,
        import_stackhub,
        (True,),
        "a TableRef over read_parquet (no load; each statement scans)",
    ),
    Contender(EVIDENTLY, evidently_drift, import_evidently, (), "Parquet -> pandas -> Evidently Dataset"),
    Contender("numpy/scipy by hand", scipy_drift, import_scipy, (), "Parquet -> Arrow -> numpy"),
)


# -- the large run: stackhub alone, on a DuckDB file, out of core ------------------------------------------------


@dataclass(frozen=True)
class LargeDrift:
    """What the large report's process ends with: the outcome, or why there is none; where DuckDB spilled, how
    much it was allowed to (as DuckDB spells it) and the most it was seen to hold."""

    outcome: Outcome | None
    error: str | None
    temp_directory: str
    max_temp_size: str
    spilled_bytes: int


@dataclass(frozen=True)
class Large:
    database: str
    rows: int
    memory_limit: str
    free_disk: int
    #: Its value is the database file's size, or the text of the error that stopped the generation.
    generated: Measured
    #: None when the generation failed.
    drift: Measured | None


def large_generate(database: str, rows: int, memory_limit: str) -> int | str:
    """Both tables generated inside a DuckDB file (no Parquet); returns the file's size once checkpointed."""
    from stackhub import StackhubError
    from stackhub_duckdb import plugin as duckdb_plugin

    with duckdb_plugin.create({"path": database, "memory_limit": memory_limit}) as warehouse:
        try:
            for name, (shift, salt) in TABLES.items():
                warehouse.query(f"CREATE TABLE {name} AS {rows_sql(rows, shift=shift, salt=salt)}")
            warehouse.query("CHECKPOINT")
        except StackhubError as error:  # e.g. the disk is full
            return str(error)
    return Path(database).stat().st_size


@contextmanager
def largest_size(folder: Path, every: float = 0.2) -> Iterator[list[int]]:
    """Sample the bytes of the files in ``folder`` (DuckDB's spill) while the block runs; yields a one-item list
    that holds the largest size seen."""
    largest, done = [0], threading.Event()

    def sample() -> None:
        while not done.wait(every):
            try:
                size = sum(f.stat().st_blocks * 512 for f in folder.iterdir())  # allocated, not apparent
            except OSError:  # absent, or a file removed while listed
                continue
            largest[0] = max(largest[0], size)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield largest
    finally:
        done.set()
        sampler.join()


def large_drift(database: str, memory_limit: str, max_temp_size: str) -> LargeDrift:
    """The report on the file's two tables, read in place."""
    from stackhub import StackhubError
    from stackhub.categories.monitor import TableRef
    from stackhub_duckdb import plugin as duckdb_plugin

    with duckdb_plugin.create({"path": database, "memory_limit": memory_limit}) as warehouse:
        # The plugin's config has no field for it; SET GLOBAL reaches every cursor of the database.
        warehouse.query(f"SET GLOBAL max_temp_directory_size = '{max_temp_size}'")
        settings = warehouse.query(
            "SELECT current_setting('temp_directory') AS folder, current_setting('max_temp_directory_size') AS size"
        ).to_pylist()[0]
        monitor = stackhub_monitor(warehouse)
        outcome, error = None, None
        with largest_size(Path(settings["folder"])) as spilled:
            try:
                report = monitor.drift_report(TableRef(warehouse, "reference"), TableRef(warehouse, "current"))
                outcome = stackhub_outcome(report, 0.0)
            except StackhubError as failure:  # e.g. out of memory once the spill reached its limit
                error = str(failure)
    return LargeDrift(outcome, error, settings["folder"], settings["size"], spilled[0])


def run_large(folder: Path, rows: int, memory_limit: str, max_temp_size: str | None) -> Large:
    database = str(folder / "drift_large.duckdb")
    free_disk = shutil.disk_usage(folder).free
    print(f"generating 2 x {rows:,} rows in {database} ...", flush=True)
    generated = isolated(large_generate, database, rows, memory_limit, prepare=import_stackhub)
    if isinstance(generated.value, str):
        return Large(database, rows, memory_limit, free_disk, generated, None)
    if max_temp_size is None:  # the spill may take half of what is left on the disk, not DuckDB's default 90%
        max_temp_size = f"{shutil.disk_usage(folder).free // 2 // 2**20}MiB"
    print(f"stackhub drift report at {rows:,} rows (memory limit {memory_limit}, spill up to {max_temp_size}) ...")
    drift = isolated(large_drift, database, memory_limit, max_temp_size, prepare=import_stackhub)
    return Large(database, rows, memory_limit, free_disk, generated, drift)


# -- the report ------------------------------------------------------------------------------------------------------


GENERATE_STEP = "generate both tables (CREATE TABLE AS SELECT, CHECKPOINT)"


def gibibytes(value: float) -> str:
    return f"{value / 2**30:,.1f} GiB"


def relative(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-300)


def flag(drifted: bool) -> str:
    return "drift" if drifted else "-"


def verdicts(report: Report, ours: Outcome, theirs: Outcome, rows: int) -> None:
    """stackhub vs Evidently column by column: a summary first (a disagreement listed with its numbers), then the
    table."""
    mine, other = ours.by_column(), theirs.by_column()
    table, same_test, agreeing, disagreements = [], 0, 0, []
    for name in (*NUMERICAL, *CATEGORICAL):
        a, b = mine[name], other[name]
        difference = relative(a.score, b.score)
        if a.method == b.method:
            same_test += 1
            agreeing += a.drifted == b.drifted
            if a.drifted != b.drifted:
                disagreements.append(
                    f"`{name}` ({a.method}): stackhub {a.score:.12g} ({flag(a.drifted)}), Evidently {b.score:.12g} "
                    f"({flag(b.drifted)}), threshold {THRESHOLD}, scores {difference:.1e} apart"
                )
            same = "yes" if a.drifted == b.drifted else "**no**"
        else:
            same = "(other test)"
        test = a.method if a.method == b.method else f"{a.method} / {b.method}"
        kind = "numerical" if name in NUMERICAL else "categorical"
        scores = [f"{a.score:.6f}", f"{b.score:.6f}", f"{difference:.1e}"]
        table.append([f"`{name}`", kind, test, *scores, flag(a.drifted), flag(b.drifted), same])
    summary = (
        f"**Verdicts at {rows:,} rows, stackhub vs Evidently**: the same on {agreeing} of the {same_test} columns "
        f"that get the same test on both sides ({len(table) - same_test} get another test); dataset drifted: "
        f"stackhub {ours.dataset_drifted}, Evidently {theirs.dataset_drifted}."
    )
    report.note(summary + ("" if not disagreements else " Disagreements: " + "; ".join(disagreements) + "."))
    header = ["column", "type", "test", "score stackhub", "score Evidently", "relative difference"]
    report.table([*header, "stackhub", "Evidently", "same verdict"], table)


def others(measured: dict[str, Measured]) -> str:
    """The contenders besides stackhub's first and Evidently against stackhub's first."""
    base = measured[STACKHUB].value.by_column()
    lines = []
    for name, result in measured.items():
        if name not in (STACKHUB, EVIDENTLY):
            other = result.value.by_column()
            same = sum(other[c].drifted == base[c].drifted for c in base)
            worst = max(relative(other[c].score, base[c].score) for c in base)
            lines.append(f"{name}: the same verdicts on {same}/{len(base)} columns, scores at most {worst:.1e} apart")
    return "Against the first row: " + "; ".join(lines) + "."


def timings(report: Report, measured: dict[str, Measured], repeat: int) -> None:
    base = measured[STACKHUB].best
    header = ["contender", "reads the Parquet files as", f"time (best of {repeat})", "of which reading"]
    report.table(
        [*header, "vs stackhub", "peak memory"],
        [
            [c.name, c.reads, seconds(m.best), seconds(m.value.loaded), ratio(m.best, base), mebibytes(m.peak_bytes)]
            for c in CONTENDERS
            for m in [measured[c.name]]
        ],
    )
    evidently = measured[EVIDENTLY].best
    speedups = []
    for contender in CONTENDERS:
        if contender.run is stackhub_drift:
            speedup = evidently / measured[contender.name].best
            speedups.append(f"{speedup:.1f}x that of {contender.name} ({'met' if speedup >= 10 else 'not met'})")
    report.note(f"Evidently's time (target: at least 10x stackhub's) is {'; '.join(speedups)}. {others(measured)}")


def large_section(report: Report, large: Large, small: Outcome, rows: int, evidently: Measured) -> None:
    generated = large.generated
    on_disk = "not written" if isinstance(generated.value, str) else f"{gibibytes(generated.value)} on disk"
    report.note(
        f"**{large.rows:,} rows x 20 columns per table: stackhub alone, out of core.** The same generator writes "
        f"both tables inside a DuckDB file ({large.database}, in a temporary folder removed afterwards, "
        f"{gibibytes(large.free_disk)} free before; {on_disk}), DuckDB held to `memory_limit = "
        f"'{large.memory_limit}'`; the report reads the tables in place. Each step runs in a process of its own."
    )
    if large.drift is None:
        report.table(["step", "outcome"], [[GENERATE_STEP, f"failed: {generated.value}"]])
    else:
        large_drift_results(report, large, large.drift, small, rows)
    frame_bytes, imported_bytes = evidently.value.frame_bytes, evidently.value.imported_bytes
    per_row = frame_bytes / (2 * rows)
    working = evidently.peak_bytes - imported_bytes  # what the run added to the imports' footprint
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    report.note(
        f"Evidently is not run there. Its two pandas frames at {rows:,} rows take {mebibytes(frame_bytes)} "
        f"(`DataFrame.memory_usage()`, {per_row:.0f} bytes a row; a string cell counts as its pointer, since "
        f"pyarrow's `to_pandas` shares repeated strings), so at {large.rows:,} rows the frames alone take "
        f"{gibibytes(per_row * 2 * large.rows)}. Its run at {rows:,} rows added {mebibytes(working)} to the "
        f"{mebibytes(imported_bytes)} of its imports ({working / frame_bytes:.1f}x the frames), which projects "
        f"to {gibibytes(imported_bytes + working * large.rows / rows)} at {large.rows:,} rows. This machine has "
        f"{gibibytes(physical)}."
    )


def large_drift_results(report: Report, large: Large, drift: Measured, small: Outcome, rows: int) -> None:
    """The large run's two steps, and its verdicts against those at ``rows``."""
    generated, result = large.generated, drift.value
    assert isinstance(result, LargeDrift)
    spill = (
        f"spilled to {result.temp_directory} (allowed {result.max_temp_size}); "
        f"the most seen there: {gibibytes(result.spilled_bytes)}"
    )
    steps = [[GENERATE_STEP, seconds(generated.best), mebibytes(generated.peak_bytes), ""]]
    if result.outcome is None:
        steps.append(["drift report", "failed", mebibytes(drift.peak_bytes), f"{spill}; {result.error}"])
    else:
        steps.append(["drift report", seconds(drift.best), mebibytes(drift.peak_bytes), spill])
    report.table(["step", "time", "peak memory", "disk"], steps)
    if result.outcome is None:
        return
    big = result.outcome.by_column()
    same = sum(big[v.column].drifted == v.drifted for v in small.columns)
    changed = [
        f"`{v.column}` {v.score:.4f} -> {big[v.column].score:.4f}"
        for v in small.columns
        if big[v.column].drifted != v.drifted
    ]
    noise = f" (changed: {', '.join(changed)}: a distance between samples includes their noise)" if changed else ""
    report.note(
        f"Verdicts at {large.rows:,} rows: the same as stackhub's at {rows:,} on {same}/20 columns{noise}; "
        f"dataset drifted: {result.outcome.dataset_drifted}."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of each table, stackhub vs Evidently")
    parser.add_argument("--large-rows", type=int, default=100_000_000, help="rows of each table, stackhub alone")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each contender at --rows (best is reported)")
    parser.add_argument("--memory-limit", default="8GB", help="DuckDB's memory limit at --large-rows")
    parser.add_argument(
        "--max-temp-size", help="how much DuckDB may spill at --large-rows (default: half the free disk space)"
    )
    add_report_argument(parser)
    args = parser.parse_args()
    rows, large_rows, repeat = (
        (SMOKE_ROWS, SMOKE_LARGE_ROWS, 1) if args.smoke else (args.rows, args.large_rows, args.repeat)
    )
    if rows <= SMALL_REFERENCE_ROWS:
        parser.error(f"--rows must exceed {SMALL_REFERENCE_ROWS:,}: below, both tools pick other tests")

    measured: dict[str, Measured] = {}
    with tempfile.TemporaryDirectory(prefix="drift_report_") as name:
        folder = Path(name)
        print(f"writing 2 x {rows:,} rows to Parquet in {folder} ...", flush=True)
        files = write_parquet(folder, rows)
        for contender in CONTENDERS:
            print(f"  {contender.name} ...", flush=True)
            measured[contender.name] = isolated(
                contender.run, files, *contender.arguments, repeat=repeat, prepare=contender.prepare
            )
        large = run_large(folder, large_rows, args.memory_limit, args.max_temp_size) if large_rows else None

    report = Report("Drift reports", "python benchmarks/drift_report.py")
    report.note(
        f"{machine()}. Reference and current tables of {rows:,} rows x 20 columns (10 numerical: normal, integer, "
        "exponential; 10 categorical, 2 to 10,000 categories), half of the columns shifted in the current one, "
        "written once to Parquet. Each contender runs in a process of its own, its libraries imported before the "
        "clock starts; timed: from the two files to a verdict and a score per column (reading the files "
        "included). Peak memory: the process's largest resident set, imports included. Both tools use their "
        "defaults (Evidently's, which stackhub-sqlmonitor follows): normed Wasserstein distance for numerical "
        f"columns and Jensen-Shannon distance for categorical ones, threshold {THRESHOLD}; Evidently is told the "
        "column types with a DataDefinition, as stackhub infers them from the Arrow types."
    )
    verdicts(report, measured[STACKHUB].value, measured[EVIDENTLY].value, rows)
    timings(report, measured, repeat)
    if large is not None:
        large_section(report, large, measured[STACKHUB].value, rows, measured[EVIDENTLY])
    report.finish(args.report, smoke=args.smoke)


if __name__ == "__main__":
    main()
