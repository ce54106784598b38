from pathlib import Path

from stackhub import specs
from stackhub.cli import main

COMMITTED = Path(__file__).parents[2] / "specs" / "v1"


def test_committed_schemas_match_the_models():
    assert specs.stale(COMMITTED) == [], "run: stackhub specs generate --out specs/v1"


def test_check_reports_drift_and_generate_fixes_it(tmp_path, capsys):
    specs.generate(tmp_path)
    (tmp_path / "warehouse.json").write_text("{}\n")
    (tmp_path / "left-over.json").write_text("{}\n")
    assert main(["specs", "check", "--out", str(tmp_path)]) == 1
    assert "differ from the models: warehouse.json, left-over.json" in capsys.readouterr().err
    assert main(["specs", "generate", "--out", str(tmp_path)]) == 0
    (tmp_path / "left-over.json").unlink()
    assert main(["specs", "check", "--out", str(tmp_path)]) == 0


def test_every_schema_says_it_is_generated():
    import json

    for name, content in specs.render().items():
        doc = json.loads(content)
        assert doc["$comment"].endswith("by 'stackhub specs generate'. Do not edit."), name
        assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
