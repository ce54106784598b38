from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lineage_support import STACK, migrated_mlflow_store


def pytest_configure(config: pytest.Config) -> None:
    # An exception on the lineage thread is a bug even when the events still arrive (the caller drained them).
    config.addinivalue_line("filterwarnings", "error::pytest.PytestUnhandledThreadExceptionWarning")
    # MLflow's own use of SQLAlchemy, warned about when it opens a store: nothing a test here can act on.
    config.addinivalue_line("filterwarnings", "ignore:The ``noload`` loader strategy is deprecated:DeprecationWarning")


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test runs in its own folder: stacks write .stackhub/ there. Discovery sees the installed plugins,
    all of them, whatever STACKHUB_LOAD_PLUGINS says where the tests run."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("STACKHUB_LOAD_PLUGINS", raising=False)
    return tmp_path


@pytest.fixture(scope="session")
def mlflow_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty MLflow SQLite store, migrated once: creating one runs MLflow's migrations, which take seconds."""
    return migrated_mlflow_store(tmp_path_factory.mktemp("mlflow-template"))


@pytest.fixture
def stack_file(workdir: Path, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    def write(text: str = STACK) -> Path:
        path = workdir / "stack.yaml"
        path.write_text(text)
        if "plugin: mlflow" in text:
            # The tracker's store as MLflow creates it, copied instead of migrated again for every test.
            store = workdir / ".stackhub" / "mlflow.db"
            store.parent.mkdir(exist_ok=True)
            shutil.copyfile(request.getfixturevalue("mlflow_template"), store)
        return path

    return write
