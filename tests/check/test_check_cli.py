"""`helmdeck check` on the example application: agreement, then a forced break."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helmdeck.overrides import UpdateRequest

SITE = Path(__file__).resolve().parents[2] / "examples" / "site.yaml"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from helmdeck.cli.main import main

    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def test_check_command(
    helmdeck_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = SITE.read_text().replace("{path: charts}", f"{{path: {SITE.parent / 'charts'}}}")
    (tmp_path / "site.yaml").write_text(text)
    monkeypatch.setenv("HELMDECK_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert run(capsys, "site", "import", str(tmp_path / "site.yaml"))[0] == 0

    code, out, _ = run(capsys, "check")
    assert code == 0 and "agree" in out
    assert run(capsys, "check", "-o", "json")[:2] == (0, "[]\n")

    from helmdeck.errors import UserError
    from helmdeck.overrides.service import OverrideService
    from helmdeck.store import open_store

    service = OverrideService(open_store())
    with pytest.raises(UserError, match=r"network-backend: libvirt network\.backend .* --force"):
        service.update(
            "libvirt", "openstack", UpdateRequest.of(flag="reuse", set=["network.backend={ovn}"])
        )
    service.update(
        "libvirt",
        "openstack",
        UpdateRequest.of(flag="reuse", set=["network.backend={ovn}"], force=True),
    )
    code, out, _ = run(capsys, "check", "-o", "json")
    assert code == 1
    assert json.loads(out) == [
        {
            "rule": "network-backend",
            "message": 'network-backend: libvirt network.backend is ["ovn"] but neutron '
            'network.backend is ["openvswitch"]',
            "a": {"chart": "libvirt", "path": "network.backend"},
            "b": {"chart": "neutron", "path": "network.backend"},
        }
    ]
    code, out, _ = run(capsys, "check")
    assert code == 1 and "network-backend" in out
