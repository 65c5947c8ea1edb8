"""``update`` refuses changes that break cross-chart consistency (unless forced).

The rules themselves belong to ``helmdeck.check`` and are tested there; here a stand-in rule
("keystone and mariadb agree on ``shared.flag``") checks how the service uses any rule set:
before vs after, only problems the change introduces, ``force`` to override.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from helmdeck.check.rules import Inconsistency
from helmdeck.errors import UserError
from helmdeck.overrides import UpdateRequest
from helmdeck.overrides.service import OverrideService
from helmdeck.store import Store

KS = ("keystone", "openstack")


def _flag_rule(combined: Mapping[str, Mapping[str, Any]], **_: Any) -> list[Inconsistency]:
    def flag(chart: str) -> Any:
        return combined.get(chart, {}).get("shared", {}).get("flag")

    if flag("keystone") != flag("mariadb"):
        return [
            Inconsistency(
                "flag",
                "keystone shared.flag differs from mariadb shared.flag",
                ("keystone", "shared.flag"),
                ("mariadb", "shared.flag"),
            )
        ]
    return []


@pytest.fixture(autouse=True)
def flag_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("helmdeck.overrides.gate.check_consistency", _flag_rule)


def test_breaking_change_refused_and_forced(service: OverrideService, store: Store) -> None:
    with pytest.raises(UserError, match=r"differs from mariadb.*--force"):
        service.update(*KS, UpdateRequest.of(flag="reset", set=["shared.flag=1"]))
    assert service.get(*KS).version == 0
    _, version, *_ = service.update(
        *KS, UpdateRequest.of(flag="reset", set=["shared.flag=1"], force=True)
    )
    assert version == 1


def test_existing_problem_does_not_block_other_changes(service: OverrideService) -> None:
    service.update(*KS, UpdateRequest.of(flag="reset", set=["shared.flag=1"], force=True))
    # still inconsistent, but not made worse: an unrelated key may change
    _, version, *_ = service.update(*KS, UpdateRequest.of(flag="reuse", set=["other=2"]))
    assert version == 2
    # and the fix is accepted
    service.update("mariadb", "openstack", UpdateRequest.of(flag="reset", set=["shared.flag=1"]))


def test_import_is_checked_as_a_whole(service: OverrideService) -> None:
    both = {"keystone": {"shared": {"flag": 2}}, "mariadb": {"shared": {"flag": 2}}}
    assert service.import_user_overrides(both) == 2
    with pytest.raises(UserError, match="differs"):
        service.import_user_overrides({"keystone": {"shared": {"flag": 3}}})


def test_rollback_is_not_blocked(service: OverrideService) -> None:
    service.update(*KS, UpdateRequest.of(flag="reset", set=["shared.flag=1"], force=True))
    service.update(*KS, UpdateRequest.of(flag="reset", set=["a=1"]))
    service.update("mariadb", "openstack", UpdateRequest.of(flag="reset", set=["b=1"]))
    user, *_ = service.rollback(*KS, to=1)
    assert user == {"shared": {"flag": 1}}
