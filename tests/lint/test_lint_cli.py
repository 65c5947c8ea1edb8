"""`helmdeck lint` as users and CI call it: formats, exit codes and per-rule configuration."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest

from helmdeck.cli.main import main

FIXTURES = Path(__file__).parent / "fixtures"
LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): (?P<rule>OSH\d{3}) (?P<message>.+)$")

# The parts of the SARIF 2.1.0 schema code-scanning services rely on.
SARIF = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "runs": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["tool", "results"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name", "rules"],
                                "properties": {
                                    "rules": {
                                        "type": "array",
                                        "items": {"type": "object", "required": ["id"]},
                                    }
                                },
                            }
                        },
                    },
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["ruleId", "message", "level", "locations"],
                            "properties": {
                                "level": {"enum": ["none", "note", "warning", "error"]},
                                "message": {"type": "object", "required": ["text"]},
                                "locations": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "required": ["physicalLocation"],
                                        "properties": {
                                            "physicalLocation": {
                                                "type": "object",
                                                "required": ["artifactLocation", "region"],
                                                "properties": {
                                                    "region": {
                                                        "type": "object",
                                                        "properties": {
                                                            "startLine": {
                                                                "type": "integer",
                                                                "minimum": 1,
                                                            }
                                                        },
                                                    }
                                                },
                                            }
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(["lint", *args])
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def fixture(name: str) -> str:
    return str(FIXTURES / name)


def test_clean_chart_exits_0_silently(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, fixture("good")) == (0, "", "")


def test_text_findings_and_exit_1_on_error(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(capsys, fixture("osh002-fail"))
    assert rc == 1
    line, summary = out.splitlines()
    assert line.split(": ", 1)[1].startswith("error OSH002 ")
    assert summary == "lint: 1 error, 0 warnings, 0 info"
    line = line.replace(": error OSH002", ": OSH002", 1)
    m = LINE.match(line)
    assert m and m["rule"] == "OSH002" and "labels.job" in m["message"]
    assert m["file"] == fixture("osh002-fail/templates/job-setup.yaml")


def test_fail_on_threshold(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, fixture("osh005-fail"))[0] == 0  # warnings only
    assert run(capsys, fixture("osh005-fail"), "--fail-on", "warning")[0] == 1
    assert run(capsys, fixture("osh005-fail"), "--fail-on", "info")[0] == 1
    assert run(capsys, fixture("good"), "--fail-on", "info")[0] == 0


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(capsys, fixture("osh009-fail"), fixture("good"), "-o", "json")
    assert rc == 0
    (item,) = json.loads(out)
    assert set(item) == {"rule", "severity", "chart", "file", "line", "message"}
    assert (item["rule"], item["severity"], item["chart"]) == ("OSH009", "warning", "osh009-fail")
    assert "pod.resources.jobs.setup" in item["message"] and item["line"] > 1


def test_sarif_output(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(capsys, fixture("osh011-fail"), "-o", "sarif")
    assert rc == 1
    doc = json.loads(out)
    jsonschema.validate(doc, SARIF)
    run_ = doc["runs"][0]
    ids = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    assert {r["ruleId"] for r in run_["results"]} == {"OSH011"}
    assert all(ids[r["ruleIndex"]] == r["ruleId"] for r in run_["results"])
    assert all(r["level"] == "error" for r in run_["results"])


def test_sarif_with_no_findings_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads(run(capsys, fixture("good"), "-o", "sarif")[1])
    jsonschema.validate(doc, SARIF)
    assert doc["runs"][0]["results"] == []


def _tree(tmp_path: Path) -> Path:
    for name in ("fixture-toolkit", "osh002-fail"):
        shutil.copytree(FIXTURES / name, tmp_path / "charts" / name)
    return tmp_path / "charts" / "osh002-fail"


def test_config_in_a_parent_directory_disables_a_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chart = _tree(tmp_path)
    (tmp_path / ".helmdeck-lint.yaml").write_text("disable: [OSH002]\n")
    assert run(capsys, str(chart)) == (0, "", "")


def test_nearest_config_wins(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chart = _tree(tmp_path)
    (tmp_path / ".helmdeck-lint.yaml").write_text("disable: [OSH002]\n")
    (chart / ".helmdeck-lint.yaml").write_text("disable: [osh013]\n")
    assert run(capsys, str(chart))[0] == 1


def test_explicit_config_overrides_lookup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chart = _tree(tmp_path)
    (chart / ".helmdeck-lint.yaml").write_text("disable: [OSH002]\n")
    other = tmp_path / "strict.yaml"
    other.write_text("disable: []\n")
    assert run(capsys, str(chart), "--config", str(other))[0] == 1


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("disable: [OSH999]\n", "unknown rule OSH999"),
        ("disable: OSH001\n", "must be a list"),
        ("ignore: [OSH001]\n", "unknown key 'ignore'"),
        ("disable: [\n", ".yaml:2: not valid YAML"),
    ],
)
def test_bad_config_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, complaint: str
) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(text)
    rc, out, err = run(capsys, fixture("good"), "--config", str(config))
    assert rc == 2 and out == "" and complaint in err and len(err.splitlines()) == 1


def test_missing_chart_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run(capsys, str(tmp_path / "nope"))
    assert rc == 2 and "no such chart directory" in err
    rc, _, err = run(capsys, str(tmp_path))
    assert rc == 2 and "no Chart.yaml" in err


def test_no_argument_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys)[0] == 2


def test_a_directory_of_charts_and_stray_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "charts"
    for name in ("fixture-toolkit", "good"):
        shutil.copytree(FIXTURES / name, root / name)
    (root / "README.md").write_text("charts\n")
    rc, out, err = run(capsys, str(root), str(root / "README.md"))
    assert (rc, out) == (0, "")
    assert "skipping" in err and "README.md" in err


def test_list_rules(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(capsys, "--list-rules")
    assert rc == 0 and len(out.splitlines()) == 14 and out.startswith("OSH000 error")
