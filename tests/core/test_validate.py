"""Every validation layer, on real files: a good stack and one broken stack per kind of mistake."""

from __future__ import annotations

import json

import pytest
from stackhub.validate import EXIT_INVALID, EXIT_OK, EXIT_UNREACHABLE, validate

pytestmark = pytest.mark.usefixtures("fake_plugins")

GOOD = """\
stack: good
spec: "1"
components:
  warehouse:
    plugin: fakewh
    config:
      url: "${FAKE_URL:-http://127.0.0.1:1}"
  features:
    plugin: fakefs
    config: {warehouse: warehouse}
"""


def found(report):
    """Findings of every layer but conformance: the throwaway plugins have no reports (tested on their own)."""
    return [f for f in report.findings if f.layer != "conformance"]


def codes(report):
    return [(f.code, f.location.rsplit("/", 1)[-1] if f.location else None) for f in found(report)]


def test_good_stack_is_valid_and_live(write_stack):
    report = validate(write_stack(GOOD))
    assert found(report) == []
    assert report.exit_code == EXIT_OK
    assert {n: c.live for n, c in report.components.items()} == {"warehouse": "ok", "features": "ok"}


def test_offline_skips_live_checks(write_stack):
    path = write_stack(GOOD.replace("url: ", "reachable: false\n      url: "))
    report = validate(path, offline=True)
    assert report.exit_code == EXIT_OK
    assert report.components["warehouse"].live == "not checked"


def test_bad_yaml_gives_line_and_column(write_stack):
    report = validate(write_stack("stack: x\ncomponents:\n  warehouse: {plugin: fakewh\n"))
    assert codes(report) == [("SH102", "stack.yaml:4:1")]
    assert found(report)[0].message.startswith("The file is not valid YAML: expected ',' or '}'")
    assert report.exit_code == EXIT_INVALID


def test_missing_file(tmp_path):
    report = validate(tmp_path / "nope.yaml")
    assert codes(report) == [("SH101", "nope.yaml")]
    assert found(report)[0].fix == "Check the path, or create one with 'stackhub init'."


def test_schema_errors_point_at_their_keys(write_stack):
    text = 'stack: s\nspec: "1"\ncolour: blue\ncomponents:\n  warehouse:\n    plugn: fakewh\n'
    report = validate(write_stack(text))
    assert sorted(codes(report)) == [
        ("SH103", "stack.yaml:3:9"),
        ("SH103", "stack.yaml:6:12"),
        ("SH103", "stack.yaml:6:5"),
    ]
    messages = {f.message for f in found(report)}
    assert "colour: Extra inputs are not permitted." in messages
    assert "components.warehouse.plugin: Field required." in messages


def test_duplicate_keys_are_an_error(write_stack):
    report = validate(write_stack(GOOD + "stack: again\n"))
    assert ("SH103", "stack.yaml:11:1") in codes(report)
    assert "Key 'stack' appears twice in the file." in [f.message for f in found(report)]


def test_not_a_mapping(write_stack):
    report = validate(write_stack("- just\n- a list\n"))
    assert codes(report) == [("SH103", "stack.yaml:1:1")]


def test_unset_variable_is_reported_and_its_config_not_double_reported(write_stack):
    report = validate(write_stack(GOOD.replace("${FAKE_URL:-http://127.0.0.1:1}", "${FAKE_URL}")), offline=True)
    assert codes(report) == [("SH104", "stack.yaml:7:12")]
    assert found(report)[0].fix == "Set FAKE_URL, or give a default: '${FAKE_URL:-value}'."


def test_variable_from_environment_is_used_and_never_printed(write_stack, monkeypatch):
    secret = "s3cr3t-token-value"
    monkeypatch.setenv("FAKE_PORT", secret)
    text = GOOD.replace("url:", 'port: "${FAKE_PORT}"\n      url:')
    report = validate(write_stack(text), offline=True)
    assert codes(report) == [("SH301", "stack.yaml:7:13")]
    assert secret not in repr(report.as_dict())


def test_uninstalled_and_misspelt_plugins(write_stack):
    text = 'stack: s\nspec: "1"\ncomponents:\n  a: {plugin: postgres}\n  b: {plugin: fakwh}\n'
    report = validate(write_stack(text))
    assert codes(report) == [("SH201", "stack.yaml:4:15"), ("SH202", "stack.yaml:5:15")]
    assert found(report)[0].fix == "Install it with: pip install stackhub-postgres"
    assert found(report)[1].fix == "Did you mean 'fakewh'?"


def test_broken_plugin_is_a_finding(write_stack):
    report = validate(write_stack('stack: s\nspec: "1"\ncomponents:\n  a: {plugin: brokenwh}\n'))
    assert codes(report) == [("SH203", "stack.yaml:4:15")]
    assert "stackhub_fakes_missing" in found(report)[0].message


def test_bad_config_points_at_the_field(write_stack):
    text = 'stack: s\nspec: "1"\ncomponents:\n  warehouse:\n    plugin: fakewh\n    config:\n      url: x\n      port: many\n      colour: red\n'
    report = validate(write_stack(text))
    assert codes(report) == [("SH301", "stack.yaml:8:13"), ("SH301", "stack.yaml:9:15")]
    assert (
        found(report)[0].message
        == "Config of 'warehouse' (fakewh): port: Input should be a valid integer, unable to parse string as an integer."
    )
    assert found(report)[1].fix == "Remove 'colour'."


def test_missing_required_config_field(write_stack):
    report = validate(write_stack('stack: s\nspec: "1"\ncomponents:\n  warehouse: {plugin: fakewh}\n'))
    assert codes(report) == [("SH301", "stack.yaml:4:14")]
    assert found(report)[0].message == "Config of 'warehouse' (fakewh): url: Field required."


def test_spec_versions(write_stack):
    text = 'stack: s\nspec: "2"\ncomponents:\n  w: {plugin: futurewh, config: {url: x}}\n  v: {plugin: plainwh, config: {url: x}}\n'
    report = validate(write_stack(text))
    assert codes(report) == [("SH401", "stack.yaml:2:7"), ("SH402", "stack.yaml:4:15")]
    assert found(report)[1].message == "Plugin 'futurewh' 9.9.9 implements spec 2.0; this stackhub implements spec 1.0."


def test_numeric_spec_is_accepted(write_stack):
    report = validate(write_stack(GOOD.replace('spec: "1"', "spec: 1")), offline=True)
    assert found(report) == []


@pytest.mark.parametrize(
    ("features_config", "expected"),
    [
        ("{warehouse: nowhere}", ("SH501", "but the stack has no component 'nowhere'")),
        ("{warehouse: features}", ("SH502", "needs a warehouse, but 'features' is a feature_store")),
    ],
)
def test_references(write_stack, features_config, expected):
    text = GOOD.replace("{warehouse: warehouse}", features_config)
    report = validate(write_stack(text), offline=True)
    assert [(f.code, expected[1] in f.message) for f in found(report)] == [(expected[0], True)]


def test_reference_to_warehouse_without_capability(write_stack):
    text = GOOD.replace("plugin: fakewh", "plugin: plainwh")
    report = validate(write_stack(text), offline=True)
    assert codes(report) == [("SH503", "stack.yaml:10:25")]
    assert found(report)[0].message == (
        "Component 'features' needs capabilities ['asof_join'] of 'warehouse', which plugin 'plainwh' does not declare."
    )


def test_cycle(write_stack):
    text = (
        'stack: s\nspec: "1"\ncomponents:\n'
        "  a: {plugin: loopwh, config: {warehouse: b}}\n"
        "  b: {plugin: loopwh, config: {warehouse: a}}\n"
    )
    report = validate(write_stack(text), offline=True)
    assert codes(report) == [("SH504", "stack.yaml:4:3")]


def test_unreachable_component_and_its_dependent(write_stack):
    text = GOOD.replace("url: ", "reachable: false\n      url: ")
    report = validate(write_stack(text))
    assert [(f.code, f.component) for f in found(report)] == [("SH601", "warehouse"), ("SH601", "features")]
    assert "Cannot connect to 'http://127.0.0.1:1'." in found(report)[0].message
    assert "dependency 'warehouse' is not available" in found(report)[1].message
    assert report.exit_code == EXIT_UNREACHABLE


def test_live_checks_time_out_and_run_concurrently(write_stack):
    text = (
        'stack: s\nspec: "1"\ncomponents:\n'
        "  slow: {plugin: fakewh, config: {url: a, delay: 30}}\n"
        "  fast: {plugin: fakewh, config: {url: b}}\n"
    )
    report = validate(write_stack(text), timeout=0.5)
    assert [(f.code, f.component) for f in found(report)] == [("SH602", "slow")]
    assert report.components["fast"].live == "ok"
    assert found(report)[0].message == "Component 'slow' did not answer within 0.5 s."


def test_findings_of_every_layer_at_once(write_stack):
    text = (
        'stack: s\nspec: "1"\ncomponents:\n'
        "  a: {plugin: duckbd}\n"
        "  b: {plugin: fakewh, config: {url: x, port: q}}\n"
        "  c: {plugin: fakefs, config: {warehouse: zz}}\n"
    )
    report = validate(write_stack(text))
    assert [f.code for f in found(report)] == ["SH202", "SH301", "SH501"]


def test_json_report_shape(write_stack):
    report = validate(write_stack(GOOD), offline=True).as_dict()
    assert report["valid"] is True
    assert report["components"][0] == {
        "name": "warehouse",
        "plugin": "fakewh",
        "category": "warehouse",
        "distribution": "stackhub-fakes",
        "version": "9.9.9",
        "spec_version": "1.0",
        "config_valid": True,
        "live": "not checked",
        "certified": "no report",
    }


def write_report(stack_path, *, name="fakewh", version="9.9.9", spec="1.0", certified=True, text=None):
    folder = stack_path.parent / ".stackhub" / "conformance"
    folder.mkdir(parents=True, exist_ok=True)
    report = {
        "suite": {"name": "stackhub-conformance", "version": "0.1.0"},
        "spec_version": spec,
        "plugin": {"name": name, "version": version},
        "levels": {"core": {"result": "pass" if certified else "fail"}, "asof_join": {"result": "pass"}},
        "certified": certified,
    }
    (folder / "fakewh-9.9.9.json").write_text(text if text is not None else json.dumps(report))


def certification_findings(report):
    return [(f.code, f.severity, f.component) for f in report.findings if f.layer == "conformance"]


def test_plugins_without_reports_are_warnings(write_stack):
    report = validate(write_stack(GOOD), offline=True)
    assert certification_findings(report) == [
        ("SH701", "warning", "warehouse"),
        ("SH701", "warning", "features"),
    ]
    assert report.exit_code == EXIT_OK
    assert (
        report.findings[0].fix == "Run 'stackhub conformance fakewh --config FILE', or ask the vendor for its report."
    )


def test_require_certified_makes_them_errors(write_stack):
    report = validate(write_stack(GOOD), offline=True, require_certified=True)
    assert [s for _, s, _ in certification_findings(report)] == ["error", "error"]
    assert report.exit_code == EXIT_INVALID


def test_passing_report_for_the_installed_version_certifies(write_stack):
    path = write_stack(GOOD)
    write_report(path)
    report = validate(path, offline=True)
    assert report.components["warehouse"].certified == "certified"
    assert certification_findings(report) == [("SH701", "warning", "features")]


@pytest.mark.parametrize(
    ("kwargs", "code", "detail"),
    [
        ({"certified": False}, "SH702", "is not certified: levels not passed: core."),
        ({"version": "9.9.8"}, "SH703", "the report is for 'fakewh' 9.9.8, not the installed 9.9.9."),
        ({"spec": "2.0"}, "SH703", "the report is for spec 2.0."),
        ({"text": "{not json"}, "SH704", "is not certified: Expecting property name"),
    ],
)
def test_failing_stale_and_unreadable_reports(write_stack, kwargs, code, detail):
    path = write_stack(GOOD)
    write_report(path, **kwargs)
    report = validate(path, offline=True)
    finding = next(f for f in report.findings if f.component == "warehouse" and f.layer == "conformance")
    assert finding.code == code
    assert detail in finding.message
