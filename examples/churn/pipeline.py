"""The churn pipeline: a whole ML lifecycle through the hub's public API, on any stack that has a warehouse,
a feature store, a tracker, a labeling tool and a monitor. Swap parts in the stack file; this code stays.

    python examples/churn/pipeline.py [--stack examples/churn/stack.yaml]

1. load raw customers and orders into the warehouse; derive weekly activity snapshots and churn labels in SQL
2. register the customer entity and two feature views; build a point-in-time-correct training set
3. train a gradient-boosted model; log params, per-stage validation AUC, metrics and the model; register it
4. score a later batch; send the least confident predictions to labeling; a reviewer labels them
5. report drift between the training features and the scoring batch
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import stackhub
from stackhub.categories.feature_store import Entity, Feature, FeatureView
from stackhub.categories.labeling import LabelSchema

sys.path.insert(0, str(Path(__file__).parent))
from data import as_timestamp, day_to_timestamp, generate, snapshot_days

HERE = Path(__file__).parent
TRAIN_DAYS = snapshot_days(63, 140)
SCORE_DAY = 205
FEATURES = [
    "customer_profile:is_pro",
    "customer_profile:age",
    "customer_activity:orders_30d",
    "customer_activity:spend_30d",
    "customer_activity:days_since_order",
]
FEATURE_COLUMNS = [ref.split(":")[1] for ref in FEATURES]
PROJECT = "churn-review"
REVIEW_ROWS = 40
EXPERIMENT = "churn"

# Weekly activity per customer: only orders in the 30 days up to the snapshot count (integer days keep the
# SQL portable across engines). Written once in DuckDB's dialect; the warehouse transpiles it.
ACTIVITY_SQL = """
SELECT c.customer_id, s.snapshot_ts AS event_timestamp, s.snapshot_ts AS created_timestamp,
       COUNT(o.order_id) AS orders_30d,
       COALESCE(SUM(o.amount), 0.0) AS spend_30d,
       COALESCE(s.snapshot_day - MAX(o.order_day), 30) AS days_since_order
FROM customers AS c
CROSS JOIN snapshots AS s
LEFT JOIN orders AS o
  ON o.customer_id = c.customer_id AND o.order_day <= s.snapshot_day AND o.order_day > s.snapshot_day - 30
WHERE c.signup_day <= s.snapshot_day
GROUP BY c.customer_id, s.snapshot_ts, s.snapshot_day
"""

# A customer churned at a snapshot when it places no order in the 30 days after it.
LABELS_SQL = """
SELECT c.customer_id, s.snapshot_day, s.snapshot_ts AS event_timestamp,
       CASE WHEN COUNT(o.order_id) = 0 THEN 1 ELSE 0 END AS churned
FROM customers AS c
CROSS JOIN snapshots AS s
LEFT JOIN orders AS o
  ON o.customer_id = c.customer_id AND o.order_day > s.snapshot_day AND o.order_day <= s.snapshot_day + 30
WHERE c.signup_day <= s.snapshot_day
GROUP BY c.customer_id, s.snapshot_day, s.snapshot_ts
ORDER BY s.snapshot_day, c.customer_id
"""


def load(stack: stackhub.Stack, say: Callable[[str], None]) -> dict[str, int]:
    warehouse = stack["warehouse"]
    customers, orders = generate()
    signup_day = pc.cast(
        pc.divide(
            pc.subtract(pc.cast(customers["signup_ts"], pa.int64()), int(as_timestamp(0).timestamp() * 1e6)),
            86_400_000_000,
        ),
        pa.int64(),
    )
    customers = customers.append_column("signup_day", signup_day)
    days = np.array([*TRAIN_DAYS, SCORE_DAY], dtype="int64")
    snapshots = pa.table({"snapshot_day": days, "snapshot_ts": day_to_timestamp(days)})
    for name, table in (("customers", customers), ("orders", orders), ("snapshots", snapshots)):
        warehouse.write(name, table, mode="overwrite")
    activity = warehouse.query(ACTIVITY_SQL, dialect="duckdb")
    warehouse.write("customer_activity", activity, mode="overwrite")
    labels = warehouse.query(LABELS_SQL, dialect="duckdb")
    warehouse.write("churn_labels", labels, mode="overwrite")
    say(
        f"loaded {customers.num_rows:,} customers and {orders.num_rows:,} orders; {activity.num_rows:,} activity snapshots"
    )
    return {"customers": customers.num_rows, "orders": orders.num_rows, "activity_rows": activity.num_rows}


def register_features(stack: stackhub.Stack) -> None:
    customer = Entity(name="customer", join_keys=("customer_id",))
    profile = FeatureView(
        name="customer_profile",
        entities=("customer",),
        source="customers",
        timestamp_field="signup_ts",
        features=(Feature(name="is_pro", dtype="int64"), Feature(name="age", dtype="int64")),
    )
    activity = FeatureView(
        name="customer_activity",
        entities=("customer",),
        source="customer_activity",
        timestamp_field="event_timestamp",
        created_timestamp_field="created_timestamp",
        features=(
            Feature(name="orders_30d", dtype="int64"),
            Feature(name="spend_30d", dtype="double"),
            Feature(name="days_since_order", dtype="int64"),
        ),
        ttl=timedelta(days=14),
    )
    stack["features"].apply([customer], [profile, activity])


def entity_rows(stack: stackhub.Stack, where: str) -> pa.Table:
    return stack["warehouse"].query(
        f"SELECT customer_id, event_timestamp, churned, snapshot_day FROM churn_labels WHERE {where}"
        " ORDER BY snapshot_day, customer_id",
        dialect="duckdb",
    )


def matrix(table: pa.Table) -> np.ndarray:
    # Null features (no qualifying row) become NaN; the model handles them.
    return np.column_stack([pc.fill_null(pc.cast(table[c], pa.float64()), np.nan).to_numpy() for c in FEATURE_COLUMNS])


def train(stack: stackhub.Stack, training: pa.Table, say: Callable[[str], None]) -> dict[str, Any]:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import accuracy_score, roc_auc_score

    tracker = stack["tracker"]
    with contextlib.suppress(stackhub.AlreadyExists):  # a second run logs into the same experiment
        tracker.create_experiment(EXPERIMENT)
    valid_mask = pc.greater_equal(training["snapshot_day"], TRAIN_DAYS[-2]).to_numpy(zero_copy_only=False)
    x, y = matrix(training), training["churned"].to_numpy()
    params = {"max_iter": 80, "learning_rate": 0.1, "max_depth": 4, "random_state": 0}
    model = HistGradientBoostingClassifier(**params)
    model.fit(x[~valid_mask], y[~valid_mask])

    run = tracker.start_run(EXPERIMENT, run_name="churn-gbm", tags={"stack": stack.name})
    tracker.log_params(
        run.id, {**params, "features": ",".join(FEATURE_COLUMNS), "train_rows": int((~valid_mask).sum())}
    )
    for step, proba in enumerate(model.staged_predict_proba(x[valid_mask]), start=1):
        if step % 10 == 0:
            tracker.log_metrics(run.id, {"valid_auc": float(roc_auc_score(y[valid_mask], proba[:, 1]))}, step=step)
    proba = model.predict_proba(x[valid_mask])[:, 1]
    metrics = {
        "valid_auc": float(roc_auc_score(y[valid_mask], proba)),
        "valid_accuracy": float(accuracy_score(y[valid_mask], proba >= 0.5)),
        "valid_churn_rate": float(y[valid_mask].mean()),
    }
    tracker.log_metrics(run.id, metrics, step=model.n_iter_)  # early stopping may end before max_iter
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.pkl"
        path.write_bytes(pickle.dumps(model))
        tracker.log_artifact(run.id, path, "model")
    version = None
    if "model_registry" in tracker.capabilities:
        version = tracker.register_model("churn-gbm", run.id, "model").version
    tracker.end_run(run.id)
    say(f"trained on {int((~valid_mask).sum()):,} rows: validation AUC {metrics['valid_auc']:.3f}, run {run.id}")
    return {"model": model, "run_id": run.id, "metrics": metrics, "model_version": version}


def review(
    stack: stackhub.Stack, scoring: pa.Table, proba: np.ndarray, model_version: object, say: Callable[[str], None]
) -> dict[str, Any]:
    labeling = stack["labels"]
    try:
        labeling.get_project(PROJECT)
    except stackhub.NotFound:
        labeling.create_project(
            PROJECT,
            LabelSchema(
                input="text", labels=("churn", "stay"), instructions="Will this customer order again within 30 days?"
            ),
        )
    least_confident = np.argsort(np.abs(proba - 0.5), kind="stable")[:REVIEW_ROWS]
    unsure = scoring.take(pa.array(least_confident))
    keys = pc.binary_join_element_wise(pc.cast(unsure["customer_id"], pa.string()), pa.scalar(f"day{SCORE_DAY}"), "@")
    text = pc.binary_join_element_wise(
        "customer ",
        pc.cast(unsure["customer_id"], pa.string()),
        ": ",
        pc.cast(unsure["orders_30d"], pa.string()),
        " orders, spend ",
        pc.cast(pc.round(unsure["spend_30d"], 2), pa.string()),
        " in 30 days",
        "",
    )
    tasks = pa.table({"key": keys, "text": text, "customer_id": unsure["customer_id"]})
    submitted = labeling.submit_tasks(PROJECT, tasks, key="key")
    if "predictions" in labeling.capabilities:  # model-assisted labeling: the reviewer sees the model's guess
        guess = pa.array(proba[least_confident])
        labeling.submit_predictions(
            PROJECT,
            pa.table({"key": keys, "label": pc.if_else(pc.greater_equal(guess, 0.5), "churn", "stay"), "score": guess}),
            model_version=str(model_version),
        )
    # The reviewer is simulated from what happened next (the ground truth); a person would use the tool's UI.
    # Tasks reviewed in an earlier run keep their annotations; only new ones are labelled.
    done = labeling.export_annotations(PROJECT)["key"]
    todo = pc.invert(pc.is_in(keys, value_set=done))
    reviewed = pa.table(
        {
            "key": keys,
            "label": pc.if_else(pc.equal(unsure["churned"], 1), "churn", "stay"),
            "annotator": pa.array(["reviewer"] * unsure.num_rows),
        }
    ).filter(todo)
    labeling.annotate(PROJECT, reviewed)
    exported = labeling.export_annotations(PROJECT)
    status = labeling.task_status(PROJECT)
    say(
        f"sent the {tasks.num_rows} least confident predictions to labeling; {status.annotated} of {status.total} tasks annotated"
    )
    return {"submitted": submitted.created, "annotations": exported.num_rows, "status": status}


def run(stack_path: str | Path, say: Callable[[str], None] = print) -> dict[str, Any]:
    started = time.perf_counter()
    summary: dict[str, Any] = {}
    with stackhub.open_stack(stack_path) as stack, stack.pipeline("churn"):
        summary["stack"] = describe(stack)
        say(f"stack {stack.name!r}: " + ", ".join(f"{name}={plugin}" for name, plugin, _ in summary["stack"]))
        say("1/5 loading raw data into the warehouse")
        summary["loaded"] = load(stack, say)
        say("2/5 registering features; building a point-in-time training set")
        register_features(stack)
        train_rows = entity_rows(stack, f"snapshot_day <= {TRAIN_DAYS[-1]}")
        training = stack["features"].get_historical_features(train_rows, FEATURES)
        say(f"point-in-time training set: {training.num_rows:,} rows x {len(FEATURES)} features")
        summary["training"] = training
        summary["training_rows"] = training.num_rows
        say("3/5 training and tracking the model")
        trained = train(stack, training, say)
        summary.update({k: trained[k] for k in ("run_id", "metrics", "model_version")})

        say("4/5 scoring a new batch; the least confident rows go to labeling")
        scoring = stack["features"].get_historical_features(entity_rows(stack, f"snapshot_day = {SCORE_DAY}"), FEATURES)
        proba = trained["model"].predict_proba(matrix(scoring))[:, 1]
        summary["scored"] = scoring.num_rows
        summary["labeling"] = review(stack, scoring, proba, trained["model_version"] or trained["run_id"], say)

        say("5/5 drift between the training features and the new batch")
        report = stack["monitor"].drift_report(training.select(FEATURE_COLUMNS), scoring.select(FEATURE_COLUMNS))
        summary["drift"] = report
        drifted = [c.column for c in report.columns if c.drifted]
        say(f"drift: {len(drifted)} of {len(report.columns)} feature columns drifted ({', '.join(drifted) or 'none'})")
        lineage_db = lineage_store(stack)
    # Closing the stack delivered its lineage: the store now answers for the model.
    if lineage_db is not None and summary["model_version"] is not None:
        summary["lineage"] = model_lineage(lineage_db, f"models/churn-gbm/{summary['model_version']}")
        summary["lineage_db"] = lineage_db
    summary["seconds"] = time.perf_counter() - started
    return summary


def describe(stack: stackhub.Stack) -> list[tuple[str, str, str]]:
    """(component, plugin, its config) for each component: what runs where."""
    return [
        (name, spec.plugin, ", ".join(f"{key}={value}" for key, value in (spec.config or {}).items()))
        for name, spec in stack.definition.components.items()
    ]


def lineage_store(stack: stackhub.Stack) -> str | None:
    from stackhub.lineage.config import LineageConfig

    return (stack.definition.lineage or LineageConfig()).store_path


def model_lineage(db: str, model: str) -> str:
    from stackhub.lineage.render import render
    from stackhub.lineage.store import LineageStore

    store = LineageStore(db)
    try:
        return render(store.lineage(model, "upstream"), "tree")
    finally:
        store.close()


def print_summary(summary: dict[str, Any], stack_path: str) -> None:
    m, drift = summary["metrics"], summary["drift"]
    width = max(len(name) for name, _, _ in summary["stack"])
    lines = ["", f"Summary ({summary['seconds']:.1f} s)", "  ran on"]
    lines += [f"    {name:<{width}}  {plugin:<12} {config}" for name, plugin, config in summary["stack"]]
    lines += [
        f"  data       {summary['loaded']['customers']:,} customers, {summary['loaded']['orders']:,} orders"
        f" -> {summary['training_rows']:,} point-in-time training rows",
        f"  model      validation AUC {m['valid_auc']:.3f}, accuracy {m['valid_accuracy']:.3f}"
        f" (churn rate {m['valid_churn_rate']:.2f}); tracker run {summary['run_id']}"
        + (f", registered as churn-gbm v{summary['model_version']}" if summary["model_version"] else ""),
        f"  labeling   {summary['labeling']['submitted']} tasks from {summary['scored']:,} scored customers;"
        f" {summary['labeling']['annotations']} annotations exported",
        f"  drift      dataset {'DRIFTED' if drift.dataset_drifted else 'stable'}"
        f" ({sum(c.drifted for c in drift.columns)} of {len(drift.columns)} columns)",
    ]
    lines += [
        f"    {c.column:<17} {c.method} {c.score:.3g} (threshold {c.threshold:g}){'  DRIFT' if c.drifted else ''}"
        for c in drift.columns
    ]
    if "lineage" in summary:
        model = f"models/churn-gbm/{summary['model_version']}"
        lines += [
            "",
            f"What trained {model} (stackhub lineage upstream {model} --stack {os.path.relpath(stack_path)}):",
        ]
        lines += ["  " + line for line in summary["lineage"].splitlines()]
    print("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", default=str(HERE / "stack.yaml"), help="Stack file (default: the embedded stack).")
    args = parser.parse_args(argv)
    try:
        summary = run(args.stack)
    except stackhub.StackhubError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print_summary(summary, args.stack)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
