"""The tracker suite: every MUST of ``stackhub.categories.tracker.Tracker`` (and of ``SupportsModelRegistry``),
proven through the interface alone.

Experiments and models get unique names (``stackhub_ct_<label>_<random>``), so the suite may share a server with
other runs. The tracker interface has no delete operation, so what a check creates stays in the store.
Timestamps are whole seconds and metric values exact binary fractions, so no check depends on a tracker's
precision beyond what the spec promises.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from stackhub import AlreadyExists, Conflict, InvalidInput, NotFound
from stackhub.categories.tracker import Experiment, Metric, ModelVersion, Run, SupportsModelRegistry, Tracker

from ._framework import ConformanceSuite, must, requires, unique_name

__all__ = ["TrackerSuite"]

# The spec's sentences, verbatim from the docstrings of ``Tracker`` and ``SupportsModelRegistry``.
EXPERIMENT_EXISTS = "MUST raise ``AlreadyExists`` when one of that name exists."
EXPERIMENT_BY_NAME = "Return an experiment by name."
EXPERIMENT_MISSING = "MUST raise ``NotFound`` when there is none."
RUN_STARTS = "Start a run in the named experiment, status ``RUNNING``."
RUN_EXPERIMENT_MISSING = "MUST raise ``NotFound`` when the experiment does not exist."
RUN_ENDS = "MUST set its status and end time."
UNKNOWN_RUN = "MUST raise ``NotFound`` for an unknown run."
PARAMS_AS_STRINGS = "Record params, stored as strings."
PARAM_AGAIN = "MUST accept logging a param again with the same value."
PARAM_CONFLICT = "MUST raise ``Conflict`` when a param is logged again with a different value."
METRICS_KEPT = "MUST keep every logged value: metrics are append-only histories."
TAGS_OVERWRITTEN = "MUST overwrite a tag's earlier value."
ARTIFACT_STORED = (
    "MUST make the stored content listable by ``list_artifacts`` and retrievable by ``download_artifact``."
)
ARTIFACT_LOCAL_MISSING = "MUST raise ``NotFound`` when ``local_path`` does not exist."
ARTIFACT_PATH = "Store a file or directory with the run, under ``artifact_path``; return its artifact path."
ARTIFACTS_LISTED = "Return the paths of every file stored with the run, relative to its artifact root, sorted."
ARTIFACT_IDENTICAL = "MUST return content identical to what was logged."
ARTIFACT_UNKNOWN = "MUST raise ``NotFound`` for an unknown path."
RUN_CONTENT = "Return a run with its params, latest metrics and tags."
HISTORY_ORDER = "Return every value logged for a metric, ordered by step, then timestamp."
SEARCH_EXACT = "MUST return exactly the runs that satisfy every comparison, in the requested order."
SEARCH_INVALID = "MUST raise ``InvalidInput`` for a filter outside that grammar."
VERSIONS = "MUST number versions 1, 2, 3, ... per model name."
VERSION_UNKNOWN = "MUST raise ``NotFound`` for an unknown model or version."

#: A fixed moment, so that histories and their order reproduce exactly.
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
SEED = 20_261_126


def unknown_run_id() -> str:
    return unique_name("no_such_run")


def _bytes(size: int, seed: int) -> bytes:
    """Deterministic bytes with every byte value in them (NUL, CR, LF, 0xFF), which text handling would mangle."""
    return bytes(range(256)) + random.Random(seed).randbytes(size)


def _differs(path: Path, expected: bytes) -> str:
    """Where the file at ``path`` differs from ``expected``, or ``""``. Compared outside ``assert`` on purpose: on
    CI pytest explains a failed ``==`` of two bytes objects with a full diff, which for 200 kB runs for hours
    (pytest-dev/pytest#8998) and so stalls a vendor's CI on a broken plugin instead of failing it."""
    got = path.read_bytes()
    if got == expected:
        return ""
    at = next((i for i, (a, b) in enumerate(zip(got, expected, strict=False)) if a != b), min(len(got), len(expected)))
    return f"{len(got):,} bytes against {len(expected):,}, first different at byte {at:,}"


def _history(tracker: Tracker, run_id: str, key: str) -> list[tuple[int, float, datetime]]:
    history = tracker.get_metric_history(run_id, key)
    assert all(isinstance(m, Metric) and m.key == key for m in history), (
        f"get_metric_history({key!r}) returned entries that are not Metric objects of that key: {history}."
    )
    return [(m.step, m.value, m.timestamp) for m in history]


class TrackerSuite(ConformanceSuite):
    """Subclass it, set ``plugin`` and define a ``component_config`` fixture (see ``ConformanceSuite``)."""

    category: ClassVar[str | None] = "tracker"

    @pytest.fixture
    def experiment(self, component: Tracker) -> str:
        """A fresh experiment's name."""
        return component.create_experiment(unique_name("experiment")).name

    @pytest.fixture
    def run_id(self, component: Tracker, experiment: str) -> str:
        return component.start_run(experiment).id

    # -- experiments ------------------------------------------------------------------------------------

    @must("get_experiment", EXPERIMENT_BY_NAME)
    def test_create_experiment_then_get_it_by_name(self, component: Tracker) -> None:
        name = unique_name("experiment")
        created = component.create_experiment(name)
        assert isinstance(created, Experiment), f"create_experiment() returned a {type(created).__name__}."
        assert created.name == name, f"create_experiment({name!r}) returned an experiment named {created.name!r}."
        found = component.get_experiment(name)
        assert found == created, f"get_experiment({name!r}) returned {found}, create_experiment() {created}."

    @must("create_experiment", EXPERIMENT_EXISTS)
    def test_create_experiment_raises_already_exists(self, component: Tracker) -> None:
        name = unique_name("experiment")
        created = component.create_experiment(name)
        with pytest.raises(AlreadyExists):
            component.create_experiment(name)
        assert component.get_experiment(name) == created, "A refused create_experiment() changed the experiment."

    @must("get_experiment", EXPERIMENT_MISSING)
    def test_get_experiment_raises_not_found(self, component: Tracker) -> None:
        with pytest.raises(NotFound):
            component.get_experiment(unique_name("missing"))

    # -- runs -------------------------------------------------------------------------------------------

    @must("start_run", RUN_STARTS)
    def test_start_run_is_running_in_the_experiment(self, component: Tracker, experiment: str) -> None:
        run = component.start_run(experiment, run_name="first", tags={"team": "ml"})
        assert isinstance(run, Run), f"start_run() returned a {type(run).__name__}."
        stored = component.get_run(run.id)
        for what in (run, stored):
            assert what.status == "RUNNING", f"A started run has status {what.status!r}, expected 'RUNNING'."
            assert what.experiment_id == component.get_experiment(experiment).id, "The run is in another experiment."
            assert what.name == "first", f"The run is named {what.name!r}, expected 'first'."
            assert what.tags.get("team") == "ml", f"The tags given to start_run() are missing: {what.tags}."
            assert what.end_time is None, f"A running run has an end time ({what.end_time})."

    @must("start_run", RUN_EXPERIMENT_MISSING)
    def test_start_run_raises_not_found_for_a_missing_experiment(self, component: Tracker) -> None:
        with pytest.raises(NotFound):
            component.start_run(unique_name("missing"))

    @must("end_run", RUN_ENDS)
    @pytest.mark.parametrize(
        "status", [None, "FINISHED", "FAILED", "KILLED"], ids=["default", "finished", "failed", "killed"]
    )
    def test_end_run_sets_status_and_end_time(self, component: Tracker, experiment: str, status: str | None) -> None:
        run = component.start_run(experiment)
        if status is None:
            component.end_run(run.id)
        else:
            component.end_run(run.id, status)  # type: ignore[arg-type]
        ended = component.get_run(run.id)
        expected = status or "FINISHED"
        assert ended.status == expected, f"end_run({status!r}) left status {ended.status!r}, expected {expected!r}."
        assert ended.end_time is not None, "end_run() set no end time."
        assert ended.end_time >= run.start_time, (
            f"The run ended ({ended.end_time}) before it started ({run.start_time})."
        )

    @must("end_run", UNKNOWN_RUN)
    def test_end_run_raises_not_found(self, component: Tracker) -> None:
        with pytest.raises(NotFound):
            component.end_run(unknown_run_id())

    @must("get_run", RUN_CONTENT)
    def test_get_run_returns_params_latest_metrics_and_tags(self, component: Tracker, run_id: str) -> None:
        component.log_params(run_id, {"depth": "4"})
        # Steps and timestamps rise together, so "latest" means the same value by either.
        for step, value in enumerate((0.75, 0.5, 0.25)):
            component.log_metrics(run_id, {"loss": value}, step=step, timestamp=T0 + timedelta(seconds=step))
        component.log_metrics(run_id, {"accuracy": 0.5})
        component.set_tags(run_id, {"stage": "dev"})
        run = component.get_run(run_id)
        assert run.id == run_id, f"get_run({run_id!r}) returned run {run.id!r}."
        assert run.params == {"depth": "4"}, f"The run's params are {run.params}."
        assert run.metrics == {"loss": 0.25, "accuracy": 0.5}, f"The run's latest metrics are {run.metrics}."
        assert run.tags.get("stage") == "dev", f"The run's tags are {run.tags}."

    @must("get_run", UNKNOWN_RUN)
    def test_get_run_raises_not_found(self, component: Tracker) -> None:
        with pytest.raises(NotFound):
            component.get_run(unknown_run_id())

    # -- params -----------------------------------------------------------------------------------------

    @must("log_params", PARAMS_AS_STRINGS)
    def test_params_are_stored_as_strings(self, component: Tracker, run_id: str) -> None:
        params: dict[str, str | int | float | bool] = {"lr": 0.125, "epochs": 30, "shuffle": True, "model": "tree"}
        component.log_params(run_id, params)
        stored = component.get_run(run_id).params
        assert stored == {k: str(v) for k, v in params.items()}, f"Params {params} were stored as {stored}."

    @must("log_params", PARAM_AGAIN)
    def test_log_params_accepts_the_same_value_again(self, component: Tracker, run_id: str) -> None:
        component.log_params(run_id, {"lr": 0.125, "model": "tree"})
        component.log_params(run_id, {"lr": 0.125})
        component.log_params(run_id, {"model": "tree", "depth": 4})  # with a new param in the same call
        stored = component.get_run(run_id).params
        assert stored == {"lr": "0.125", "model": "tree", "depth": "4"}, f"The params are {stored}."

    @must("log_params", PARAM_CONFLICT)
    def test_log_params_raises_conflict_for_a_different_value(self, component: Tracker, run_id: str) -> None:
        component.log_params(run_id, {"lr": 0.125})
        with pytest.raises(Conflict):
            component.log_params(run_id, {"lr": 0.5})
        stored = component.get_run(run_id).params
        assert stored.get("lr") == "0.125", f"A refused param changed the stored value to {stored.get('lr')!r}."

    # -- metrics ----------------------------------------------------------------------------------------

    @must("log_metrics", METRICS_KEPT)
    def test_log_metrics_keeps_every_value(self, component: Tracker, run_id: str) -> None:
        logged = []
        for i, value in enumerate((1.0, 0.5, 0.5, 0.25, 0.75)):
            step = i // 2  # two values at steps 0 and 1: a later value does not replace an earlier one
            moment = T0 + timedelta(seconds=i)
            component.log_metrics(run_id, {"loss": value, "other": -value}, step=step, timestamp=moment)
            logged.append((step, value, moment))
        history = _history(component, run_id, "loss")
        assert sorted(history) == sorted(logged), f"The history holds {history}, but {logged} were logged."
        assert len(_history(component, run_id, "other")) == len(logged), "Another metric's history lost values."

    @must("get_metric_history", HISTORY_ORDER)
    def test_metric_history_is_ordered_by_step_then_timestamp(self, component: Tracker, run_id: str) -> None:
        # Logged out of order on purpose: steps descending, and within step 1 the later timestamp first.
        points = [(3, 0.125, 0), (1, 0.5, 9), (1, 0.25, 5), (2, 0.375, 1), (0, 1.0, 8)]
        for step, value, second in points:
            component.log_metrics(run_id, {"loss": value}, step=step, timestamp=T0 + timedelta(seconds=second))
        expected = sorted((step, value, T0 + timedelta(seconds=second)) for step, value, second in points)
        expected.sort(key=lambda point: (point[0], point[2]))
        history = _history(component, run_id, "loss")
        assert history == expected, f"The history is {history}, expected ordered by step, then timestamp: {expected}."

    @must("log_metrics", UNKNOWN_RUN)
    def test_log_metrics_raises_not_found(self, component: Tracker) -> None:
        with pytest.raises(NotFound):
            component.log_metrics(unknown_run_id(), {"loss": 1.0})

    # -- tags -------------------------------------------------------------------------------------------

    @must("set_tags", TAGS_OVERWRITTEN)
    def test_set_tags_overwrites_earlier_values(self, component: Tracker, experiment: str) -> None:
        run = component.start_run(experiment, tags={"stage": "dev", "owner": "ana"})
        component.set_tags(run.id, {"stage": "staging"})
        component.set_tags(run.id, {"stage": "prod", "reviewed": "yes"})
        tags = component.get_run(run.id).tags
        expected = {"stage": "prod", "owner": "ana", "reviewed": "yes"}
        assert {k: tags.get(k) for k in expected} == expected, f"The run's tags are {tags}, expected {expected}."

    # -- artifacts --------------------------------------------------------------------------------------

    @must("log_artifact", ARTIFACT_STORED)
    @must("download_artifact", ARTIFACT_IDENTICAL)
    @pytest.mark.parametrize("artifact_path", [None, "nested/folder"], ids=["root", "nested"])
    def test_a_logged_file_is_listed_and_downloads_identical(
        self, component: Tracker, run_id: str, tmp_path: Path, artifact_path: str | None
    ) -> None:
        content = _bytes(200_000, SEED)
        source = tmp_path / "weights.bin"
        source.write_bytes(content)
        stored = component.log_artifact(run_id, source, artifact_path)
        expected = f"{artifact_path}/weights.bin" if artifact_path else "weights.bin"
        assert stored == expected, f"log_artifact() returned {stored!r}, expected {expected!r}."
        listed = component.list_artifacts(run_id)
        assert listed == [expected], f"list_artifacts() returned {listed}, expected [{expected!r}]."
        got = component.download_artifact(run_id, stored, tmp_path / "download")
        differs = _differs(Path(got), content)
        assert not differs, f"The downloaded {stored!r} differs from what was logged: {differs}."

    @must("log_artifact", ARTIFACT_PATH)
    @must("list_artifacts", ARTIFACTS_LISTED)
    def test_a_logged_directory_keeps_its_tree(self, component: Tracker, run_id: str, tmp_path: Path) -> None:
        tree = {"summary.txt": b"accuracy: 0.93\n", "plots/roc.svg": b"<svg/>", "plots/a/b/c.bin": _bytes(1_000, 1)}
        folder = tmp_path / "report"
        for relative, content in tree.items():
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            (folder / relative).write_bytes(content)
        (tmp_path / "z.txt").write_text("last")
        stored = component.log_artifact(run_id, folder, "docs")
        component.log_artifact(run_id, tmp_path / "z.txt")
        assert stored == "docs/report", f"log_artifact() of a directory returned {stored!r}, expected 'docs/report'."
        expected = sorted([*(f"docs/report/{relative}" for relative in tree), "z.txt"])
        listed = component.list_artifacts(run_id)
        assert listed == expected, f"list_artifacts() returned {listed}, expected every file, sorted: {expected}."
        for relative, content in tree.items():
            got = component.download_artifact(run_id, f"docs/report/{relative}", tmp_path / "download")
            differs = _differs(Path(got), content)
            assert not differs, f"The downloaded 'docs/report/{relative}' differs: {differs}."

    @must("log_artifact", ARTIFACT_LOCAL_MISSING)
    def test_log_artifact_raises_not_found_for_a_missing_local_path(
        self, component: Tracker, run_id: str, tmp_path: Path
    ) -> None:
        with pytest.raises(NotFound):
            component.log_artifact(run_id, tmp_path / "missing.bin")
        assert component.list_artifacts(run_id) == [], "A refused log_artifact() stored something."

    @must("download_artifact", ARTIFACT_UNKNOWN)
    def test_download_artifact_raises_not_found_for_an_unknown_path(
        self, component: Tracker, run_id: str, tmp_path: Path
    ) -> None:
        (tmp_path / "a.txt").write_text("a")
        component.log_artifact(run_id, tmp_path / "a.txt")
        with pytest.raises(NotFound):
            component.download_artifact(run_id, "never/logged.txt", tmp_path / "download")

    # -- search -----------------------------------------------------------------------------------------

    @pytest.fixture
    def searchable(self, component: Tracker, experiment: str) -> str:
        """Runs a..d, created in that order. No requested order below equals the creation order or its reverse,
        so a tracker that ignores ``order_by`` cannot pass by its default order.

        ====  ========  ======  ========  ========
        run   val.loss  model   team      status
        ====  ========  ======  ========  ========
        a     0.25      tree    core      FINISHED
        b     0.5       tree    x and y   RUNNING
        c     0.125     linear  core      RUNNING
        d     0.375     linear  x and y   FINISHED
        ====  ========  ======  ========  ========

        Plus a run in another experiment, matching most filters, that no search may return.
        """
        for i, (name, loss) in enumerate(zip("abcd", (0.25, 0.5, 0.125, 0.375), strict=True)):
            run = component.start_run(experiment, run_name=name, tags={"team": "x and y" if i % 2 else "core"})
            component.log_params(run.id, {"model": "tree" if i < 2 else "linear"})
            component.log_metrics(run.id, {"val.loss": loss, "acc": 0.5})
            if name in "ad":
                component.end_run(run.id)
        elsewhere = component.create_experiment(unique_name("elsewhere")).name
        stray = component.start_run(elsewhere, run_name="stray", tags={"team": "core"})
        component.log_params(stray.id, {"model": "tree"})
        component.log_metrics(stray.id, {"val.loss": 0.25, "acc": 0.5})
        return experiment

    @must("search_runs", SEARCH_EXACT)
    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            (None, "abcd"),
            ("metrics.val.loss < 0.3", "ac"),
            ("metrics.val.loss <= 0.25", "ac"),
            ("metrics.val.loss > 0.375", "b"),
            ("metrics.val.loss >= 0.375", "bd"),
            ("metrics.acc = 0.5", "abcd"),
            ("metrics.val.loss != 0.5", "acd"),
            ("params.model = 'tree'", "ab"),
            ("params.model != 'tree'", "cd"),
            ("tags.team = 'x and y'", "bd"),
            ("tags.team != 'x and y'", "ac"),
            ("attributes.status = 'FINISHED'", "ad"),
            ("attributes.status != 'FINISHED'", "bc"),
            ("attributes.run_name = 'c'", "c"),
            ("params.model = 'linear' and metrics.val.loss > 0.2 and tags.team = 'x and y'", "d"),
            ("params.model = 'none'", ""),
        ],
    )
    def test_search_runs_returns_exactly_the_matching_runs(
        self, component: Tracker, searchable: str, query: str | None, expected: str
    ) -> None:
        found = component.search_runs(searchable, filter=query)
        assert all(isinstance(run, Run) for run in found), "search_runs() returned objects that are not Run."
        names = sorted(run.name or "" for run in found)
        assert names == list(expected), (
            f"search_runs(filter={query!r}) returned runs {names}, expected {list(expected)}."
        )

    @must("search_runs", SEARCH_EXACT)
    @pytest.mark.parametrize(
        ("order_by", "max_results", "expected"),
        [
            (["metrics.val.loss ASC"], 1000, "cadb"),
            (["metrics.val.loss DESC"], 1000, "bdac"),
            (["params.model ASC", "attributes.run_name ASC"], 1000, "cdab"),
            (["metrics.val.loss DESC"], 2, "bd"),
        ],
    )
    def test_search_runs_returns_the_requested_order(
        self, component: Tracker, searchable: str, order_by: list[str], max_results: int, expected: str
    ) -> None:
        found = component.search_runs(searchable, order_by=order_by, max_results=max_results)
        names = [run.name for run in found]
        assert names == list(expected), (
            f"search_runs(order_by={order_by}) returned runs {names}, expected {list(expected)}."
        )

    @must("search_runs", SEARCH_INVALID)
    @pytest.mark.parametrize(
        "query",
        [
            "metrics.acc > 0.1 or params.model = 'tree'",
            "(metrics.acc > 0.1)",
            "metrics.acc LIKE 0.5",
            "params.model IN ('tree')",
            "params.model = tree",
            'params.model = "tree"',
            "params.model > 'a'",
            "tags.team < 'z'",
            "metric.acc > 0",
            "attributes.start_time = '0'",
            "metrics.acc >",
            "metrics.acc > 0.1 and",
        ],
    )
    def test_search_runs_raises_invalid_input_outside_the_grammar(
        self, component: Tracker, searchable: str, query: str
    ) -> None:
        with pytest.raises(InvalidInput):
            component.search_runs(searchable, filter=query)

    # -- model registry ---------------------------------------------------------------------------------

    def _model_source(self, component: Tracker, experiment: str, tmp_path: Path) -> str:
        run_id = component.start_run(experiment).id
        folder = tmp_path / "model"
        folder.mkdir(exist_ok=True)
        (folder / "weights.bin").write_bytes(_bytes(64, 2))
        component.log_artifact(run_id, folder)
        return run_id

    @requires("model_registry")
    @must("register_model", VERSIONS)
    def test_register_model_numbers_versions_per_name(
        self, component: Tracker, experiment: str, tmp_path: Path
    ) -> None:
        assert isinstance(component, SupportsModelRegistry), "The component does not implement SupportsModelRegistry."
        name, other = unique_name("model"), unique_name("model")
        runs = [self._model_source(component, experiment, tmp_path) for _ in range(3)]
        versions = [component.register_model(name, run, "model") for run in runs]
        assert all(isinstance(v, ModelVersion) for v in versions), "register_model() returned no ModelVersion."
        assert [v.version for v in versions] == ["1", "2", "3"], (
            f"Versions of {name!r}: {[v.version for v in versions]}."
        )
        assert [(v.name, v.run_id) for v in versions] == [(name, run) for run in runs], "Versions name other runs."
        first_of_other = component.register_model(other, runs[0], "model")
        assert first_of_other.version == "1", f"The first version of another model is {first_of_other.version!r}."
        assert component.get_model_version(name, "2") == versions[1], (
            "get_model_version() differs from what was registered."
        )

    @requires("model_registry")
    @must("get_model_version", VERSION_UNKNOWN)
    def test_get_model_version_raises_not_found(self, component: Tracker, experiment: str, tmp_path: Path) -> None:
        assert isinstance(component, SupportsModelRegistry), "The component does not implement SupportsModelRegistry."
        name = unique_name("model")
        with pytest.raises(NotFound):
            component.get_model_version(name, "1")
        component.register_model(name, self._model_source(component, experiment, tmp_path), "model")
        with pytest.raises(NotFound):
            component.get_model_version(name, "2")
