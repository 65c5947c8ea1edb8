"""Hostile inputs at the override gate: every one is refused with one line, nothing stored,
and no secret (or text derived from one) reaches a message."""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from overrides_env import APP, CHARTS, make_site
from support import stored_secrets

from helmdeck.deploy.deployer import release_renderer
from helmdeck.deploy.desired import desired_releases
from helmdeck.errors import NotFoundError, UserError
from helmdeck.helm import RenderError
from helmdeck.overrides import OverrideService, UpdateRequest
from helmdeck.store import Store, open_store, sites, user_overrides
from helmdeck.store.secrets import SecretBox

KS = ("keystone", "openstack")
PASSWORD = "endpoints.identity.auth.admin.password"
# A value the chart passes through `tpl`: what an operator's override would evaluate.
TPL_TEMPLATE = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: note
data:
  note: {{ tpl (.Values.note | default "") . | quote }}
"""


def revisions(store: Store) -> int:
    with store.transaction() as s:
        return len(user_overrides.list_revisions(s, *KS))


@pytest.mark.parametrize(
    "request_",
    [
        UpdateRequest.of(set_json=[f'{PASSWORD}={{"a":1}}']),
        UpdateRequest.of(files=[
            "endpoints:\n  identity:\n    auth:\n      admin:\n        password: {a: 1}\n"]),
        UpdateRequest.of(set=[f"{PASSWORD}.sub=1"]),
        UpdateRequest.of(set=["endpoints.identity.auth.admin=x"]),
        UpdateRequest.of(set=["endpoints.identity.auth=null"]),
        UpdateRequest.of(set=[f"{PASSWORD}[0]=x"]),
    ],
    ids=["map-at", "file-map-at", "under", "over-scalar", "over-null", "list-at"],
)
def test_any_value_at_under_or_over_a_secret_path_is_refused(
    service: OverrideService, store: Store, request_: UpdateRequest
) -> None:
    for flag in ("reset", "reuse"):
        with pytest.raises(UserError, match=r"holds a secret; .*helmdeck secret set"):
            service.update(*KS, request_.model_copy(update={"flag": flag}))
    assert revisions(store) == 0


def test_a_scalar_where_the_chart_has_a_map_is_refused_at_once(
    service: OverrideService, store: Store
) -> None:
    with pytest.raises(UserError) as exc:
        service.update(*KS, UpdateRequest.of(set=["pod.replicas=3"]))
    message = str(exc.value)
    assert message.startswith("keystone openstack: pod.replicas: the chart has a map (api)")
    assert "gives a number" in message and "pod.replicas.api=" in message
    with pytest.raises(UserError, match=r"conf\.keystone: the chart has a map .* gives a list"):
        service.update(*KS, UpdateRequest.of(set=["conf.keystone={a,b}"]))
    with pytest.raises(UserError, match=r"images\.tags\.keystone_api: the chart has a string"):
        service.update(*KS, UpdateRequest.of(set=["images.tags.keystone_api.x=1"]))
    service.update(*KS, UpdateRequest.of(set=["pod.replicas=null"]))  # a null deletes: allowed
    assert revisions(store) == 1


@pytest.mark.parametrize(("stored", "message"), [
    ({"pod": {"replicas": 3}},
     "pod.replicas: the chart has a map here but the overrides give a scalar; give a map"),
    ({"images": {"tags": {"keystone_api": {"x": 1}}}},
     "images.tags.keystone_api: the chart has a scalar here but the overrides give a map; "
     "give a scalar"),
])
def test_a_stored_type_clash_fails_the_render_in_one_line_and_helm_prints_nothing(
    service: OverrideService, store: Store, capfd: pytest.CaptureFixture[str],
    stored: dict[str, object], message: str
) -> None:
    """An override stored before the gate refused clashes (or written around it): the render
    names the path, and Helm's own coalesce warning never reaches the terminal."""
    with store.transaction() as s:
        user_overrides.put_user_overrides(s, *KS, stored, actor="tester", diff="")
    desired = next(d for d in desired_releases(service) if d.chart == "keystone")
    capfd.readouterr()
    with pytest.raises(RenderError) as exc:
        release_renderer(service.secret_paths)(desired)
    assert str(exc.value) == f"keystone: render failed: {message} instead"
    out, err = capfd.readouterr()
    assert "warning" not in out + err and "table" not in out + err, err


def test_an_update_that_changes_nothing_records_nothing(
    service: OverrideService, store: Store
) -> None:
    first = service.update(*KS, UpdateRequest.of(set=["a=1"]))
    again = service.update(*KS, UpdateRequest.of(flag="reuse", set=["a=1"]))
    assert (again.changed, again.version) == (False, first.version)
    nothing = service.update(*KS, UpdateRequest.of(flag="reuse", set=["=1"]))
    assert not nothing.changed
    with pytest.raises(UserError, match=r"set no value .* helm-override-delete"):
        service.update(*KS, UpdateRequest.of(flag="reset", set=["=1"]))
    assert revisions(store) == 1


def test_a_one_key_change_over_a_huge_override_diffs_one_key(
    service: OverrideService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cost of a change follows the change: the revision's diff is made from the keys
    that differ, not from two dumps of 40,000 keys (which once made every PATCH take 12 s)."""
    import helmdeck.overrides.diff as diff

    huge = "".join(f"k{i}: {i}\n" for i in range(40_000))
    service.update(*KS, UpdateRequest.of(files=[huge]))
    sizes: list[int] = []
    real = diff.difflib.unified_diff

    def counted(a: list[str], b: list[str], **kw: str) -> Iterator[str]:
        sizes.append(len(a) + len(b))
        return real(a, b, **kw)

    monkeypatch.setattr(diff.difflib, "unified_diff", counted)
    result = service.update(*KS, UpdateRequest.of(flag="reuse", set=["k7=changed"]))
    assert result.changed and result.values["k7"] == "changed" and len(result.values) == 40_000
    assert sizes and max(sizes) <= 4, sizes


def test_rollback_to_an_impossible_revision_is_not_found(service: OverrideService) -> None:
    for to in (0, -1, 2**31, 99999999999999999999):
        with pytest.raises(NotFoundError, match=f"no revision {to}"):
            service.rollback(*KS, to)


@pytest.fixture
def tpl_store(tmp_path: Path, db_url: str) -> Iterator[tuple[Store, OverrideService]]:
    charts = tmp_path / "charts"
    shutil.copytree(CHARTS, charts)
    (charts / "keystone" / "templates" / "note.yaml").write_text(TPL_TEMPLATE)
    with open_store(db_url) as store:
        with store.transaction() as s:
            sites.save_site(s, make_site(source=charts))
        yield store, OverrideService(store, app=APP, box=SecretBox(Fernet.generate_key()),
                                     actor="tester")


@pytest.mark.parametrize("transform", ["b64enc", "upper", "splitList \"\" | join \"-\""])
def test_a_render_error_never_carries_text_derived_from_a_secret(
    tpl_store: tuple[Store, OverrideService], transform: str
) -> None:
    store, service = tpl_store
    note = f"{{{{ fail ({PASSWORD.replace('endpoints', '.Values.endpoints')} | {transform}) }}}}"
    values = f"note: {json.dumps(note)}\n"
    with pytest.raises(UserError) as refused:
        service.update(*KS, UpdateRequest.of(files=[values], render_check=True))
    service.update(*KS, UpdateRequest.of(files=[values]))  # stored without the check
    with pytest.raises(RenderError) as at_plan:
        release_renderer(service.secret_paths)(next(
            d for d in desired_releases(service) if d.chart == "keystone"))
    secret = stored_secrets(store, service.contexts.box)["keystone_admin_password"]
    derived = {secret, secret.upper(), base64.b64encode(secret.encode()).decode(),
               "-".join(secret)}
    for text in (str(refused.value), str(at_plan.value)):
        assert "render failed" in text and "\n" not in text
        assert not any(d in text for d in derived), text
