"""StarlingX's ``system`` client against helmdeck, at the wire.

``sysinv_wire.json`` holds what the real client (cgtsclient) sent for every ``helm-*``
command, captured against a sysinv imitation: ``kind: command`` records are one session,
replayed here in order against one fresh server, request by request and byte for byte (the
token is the one thing swapped in); ``kind: client-probe`` records are what the client printed
for canned answers, which say what a response must look like for the client to work.

For every response the suite checks what the client reads from it (the keys and their types,
as the capture lists them) and what it would print, against the imitation's output where the
two sites agree: user overrides and attributes are the same, system overrides are not (the
imitation's charts are not helmdeck's). The application is the packaged one under the
capture's name, ``stx-openstack``; keystone's dependents are disabled in the site so that
disabling keystone (``helm-chart-attribute-modify --enabled false``) is allowed.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from api_support import Deployment, server_env, site_doc
from fastapi.testclient import TestClient

from helmdeck.api.app import create_app
from helmdeck.application import load_application
from helmdeck.store import open_store

FIXTURE: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "sysinv_wire.json").read_text()
)
COMMANDS = [r for r in FIXTURE if r["kind"] == "command"]
PROBES = [r for r in FIXTURE if r["kind"] == "client-probe"]
APP = "stx-openstack"
# Everything that depends on keystone: disabled, so that keystone may be disabled.
KEYSTONE_DEPENDENTS = ["glance", "heat", "cinder", "placement", "horizon", "nova", "neutron"]


@dataclass
class Captured:
    """What the app received, as the ASGI server hands it over."""

    requests: list[dict[str, Any]] = field(default_factory=list)


class Recorder:
    """ASGI wrapper that records each request's method, raw path, query, headers and body."""

    def __init__(self, app: Any, captured: Captured) -> None:
        self.app = app
        self.captured = captured

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        self.captured.requests.append({
            "method": scope["method"],
            "path": scope["raw_path"].decode() + (
                "?" + scope["query_string"].decode() if scope["query_string"] else ""),
            "headers": {k.decode(): v.decode() for k, v in scope["headers"]},
            "body": body,
        })
        sent = False

        async def replay() -> Any:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


@dataclass
class Wire:
    client: TestClient
    captured: Captured
    dep: Deployment


@pytest.fixture
def wire(helmdeck_home: Path, charts_dir: Path, tmp_path: Path, db_url: str,
         monkeypatch: pytest.MonkeyPatch) -> Iterator[Wire]:
    from helmdeck.site.load import load_site_file
    from helmdeck.store import sites, tokens

    monkeypatch.setenv("HELMDECK_DATABASE_URL", db_url)
    doc = site_doc(charts_dir)
    doc["spec"]["charts"]["disabled"] = KEYSTONE_DEPENDENTS  # type: ignore[index]
    site_file = tmp_path / "site.yaml"
    site_file.write_text(yaml.safe_dump(doc))
    dep = Deployment(home=helmdeck_home, url=db_url, env=server_env(helmdeck_home, db_url))
    with open_store(db_url) as store:
        with store.transaction() as s:
            sites.save_site(s, load_site_file(site_file))
            dep.admin = tokens.create_token(s, "admin", "wire-admin")
            dep.reader = tokens.create_token(s, "reader", "wire-reader")
        application = replace(load_application(), name=APP)
        captured = Captured()
        app = Recorder(create_app(store, application=application), captured)
        with TestClient(app, base_url="http://127.0.0.1:8385") as client:
            yield Wire(client, captured, dep)


def send(wire: Wire, request: dict[str, Any], token: str | None = None) -> Any:
    """The request exactly as the client sent it, with a real token."""
    headers = dict(request["headers"])
    if token is not None:
        headers["x-auth-token"] = token
    body = request["body"].encode() if request["body"] is not None else None
    return wire.client.request(request["method"], request["path"], content=body,
                               headers=headers)


# --- what the client prints (cgtsclient's table and error handling, as the capture shows) ---


def table_rows(text: str) -> dict[str, str]:
    """A prettytable as printed: first column -> the other columns' text, continuation lines
    joined with newlines (cells keep their indentation)."""
    rows: dict[str, list[list[str]]] = {}
    key = None
    lines = [ln for ln in text.splitlines() if ln.startswith("|")][1:]  # without the header
    for line in lines:
        cells = line.split("|")[1:-1]
        first = cells[0].strip()
        if first:
            key = first
            rows[key] = [[] for _ in cells[1:]]
        assert key is not None
        for i, cell in enumerate(cells[1:]):
            rows[key][i].append(cell[1:].rstrip())
    return {k: "\n".join(v[0]).rstrip("\n") if len(v) == 1 else
            " | ".join("\n".join(c).strip() for c in v) for k, v in rows.items()}


def printed(value: Any) -> Any:
    """A value as it reads back from the client's table (YAML text, or the Python repr)."""
    if value is None or value == "None":
        return None
    if isinstance(value, str):
        try:
            return ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return yaml.safe_load(value)
    return value


def fault_line(response: Any) -> str | None:
    """What the client prints for an error answer: the faultstring inside error_message."""
    try:
        return str(json.loads(response.json()["error_message"])["faultstring"])
    except (ValueError, KeyError, TypeError):
        return None


def reads(body: Any, key: str) -> None:
    """Assert the response has what the client reads at ``key`` (``charts[].name`` style)."""
    if "[]." in key:
        outer, inner = key.split("[].")
        assert isinstance(body[outer], list)
        for item in body[outer]:
            assert inner in item, (key, item)
    else:
        assert key in body, (key, body)


def check_response(record: dict[str, Any], request: dict[str, Any], response: Any) -> None:
    """The status and what the client reads; the printed values where both sites agree."""
    method, path = request["method"], request["path"]
    assert response.status_code == request["status"], (path, response.text)
    if response.status_code == 204:
        assert response.content == b""
        return
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, dict)
    for key in record["reads"].get(f"{method} {path}", []):
        reads(body, key)
    if response.status_code >= 400:
        assert fault_line(response), response.text
        return
    if path.startswith("/v1/apps/"):
        assert body["name"] == APP
    elif path.startswith("/v1/helm_charts/?"):
        for chart in body["charts"]:
            assert all(isinstance(ns, str) for ns in chart["namespaces"])
            assert [type(e) for e in chart["enabled"]] == [bool] * len(chart["namespaces"])
        check_list(record, body)
    else:
        check_chart(record, method, body)


def check_list(record: dict[str, Any], body: dict[str, Any]) -> None:
    """``-l`` prints ``enabled`` as sent: the target chart's must read as the imitation's."""
    if "-l" not in record["command"]:
        return
    ours = {c["name"]: c for c in body["charts"]}
    theirs = table_rows(record["stdout_against_sysinv_mimic"])
    chart = "keystone"
    namespaces, enabled = (printed(v.strip()) for v in theirs[chart].split(" | "))
    assert ours[chart]["namespaces"] == namespaces
    assert ours[chart]["enabled"] == [e in (True, "true") for e in enabled]


def check_chart(record: dict[str, Any], method: str, body: dict[str, Any]) -> None:
    """Show and PATCH answers are printed whole, keys sorted: every row the imitation's
    answer had is there, with the same value except the system layers."""
    theirs = table_rows(record["stdout_against_sysinv_mimic"].split("\nNOTE:")[0])
    assert set(theirs) <= set(body), (set(theirs), set(body))
    extra = set(body) - set(theirs)
    assert extra <= {"reapply"}, extra
    if "reapply" in body:
        assert "--reapply" in record["command"] or "--reapply-all" in record["command"]
        assert "helmdeck apply" in body["reapply"]
    for key in ("name", "namespace", "user_overrides", "attributes"):
        if key in theirs:
            assert printed(body[key]) == printed(theirs[key]), (key, body[key], theirs[key])
    if method == "GET":
        # Show: attributes is YAML text; an empty layer is null (printed None), never "".
        assert isinstance(body["attributes"], str)
        for key in ("system_overrides", "user_overrides", "combined_overrides"):
            assert body[key] is None or (isinstance(body[key], str) and body[key].strip())
    elif "attributes" in body:
        assert body["attributes"] == {"enabled": body["attributes"]["enabled"]}
        assert isinstance(body["attributes"]["enabled"], bool)


def client_refuses(record: dict[str, Any], wire: Wire) -> None:
    """The client looks the chart up in the list it just read and stops if it is not there."""
    _, app, chart, ns = record["command"][:4]
    listing = wire.client.get(f"/v1/helm_charts/?app_name={app}",
                              headers={"x-auth-token": wire.dep.admin}).json()
    assert not any(c["name"] == chart and ns in c["namespaces"] for c in listing["charts"])


# --- the replay -----------------------------------------------------------------------------


def test_the_fixture_is_the_capture_we_expect() -> None:
    assert len(FIXTURE) == 52 and len(COMMANDS) == 21
    sent = {r["command"][0] for r in COMMANDS}
    assert sent == {"helm-override-list", "helm-override-show", "helm-override-update",
                    "helm-override-delete", "helm-chart-attribute-modify"}
    flags = {f for r in COMMANDS for f in r["command"] if f.startswith("-")}
    assert {"-l", "--reuse-values", "--reset-values", "--values", "--set", "--reapply",
            "--enabled"} <= flags


def test_replay_of_every_command(wire: Wire) -> None:
    """Every request of every command, in order, on one server: statuses, what the client
    reads and prints, and that what reached the app is byte for byte what the client sent."""
    for record in COMMANDS:
        for request in record["requests"]:
            before = len(wire.captured.requests)
            response = send(wire, request, wire.dep.admin)
            got = wire.captured.requests[before]
            assert (got["method"], got["path"]) == (request["method"], request["path"])
            sent_body = request["body"].encode() if request["body"] is not None else b""
            assert got["body"] == sent_body
            expected = {**request["headers"], "x-auth-token": wire.dep.admin}
            assert {k: got["headers"].get(k) for k in expected} == expected
            check_response(record, request, response)
        ran_to_the_end = record["exit_code"] == 0
        if not ran_to_the_end and record["requests"][-1]["status"] < 400:
            client_refuses(record, wire)


def test_reapply_flags_leave_marks_plan_can_read(wire: Wire) -> None:
    from helmdeck.store.reapply import application_target, chart_target, reapply_marks

    by_flag = {flag: next(r for r in COMMANDS if flag in r["command"])
               for flag in ("--reapply", "--reapply-all")}
    for flag, record in by_flag.items():
        patch = next(q for q in record["requests"] if q["method"] == "PATCH")
        response = send(wire, patch, wire.dep.admin)
        assert response.status_code == 200, response.text
        assert "the next `helmdeck apply` applies" in response.json()["reapply"]
        with open_store(wire.dep.url) as store, store.transaction() as s:
            marks = reapply_marks(s)
        target = (chart_target("keystone", "openstack") if flag == "--reapply"
                  else application_target(APP))
        assert marks.marks[target].actor == "api:wire-admin"
        assert marks.pending(APP, "keystone", "openstack", None) is not None
        # A release applied after the mark is up to date again.
        later = marks.marks[target].at.replace(year=marks.marks[target].at.year + 1)
        assert marks.pending(APP, "keystone", "openstack", later) is None
    status = wire.client.get(f"/v1/apps/{APP}", headers={"x-auth-token": wire.dep.reader})
    assert "keystone" in status.json()["reapply"]


# --- the probes: what a response must be for the client to work -----------------------------


def probe(index: int) -> dict[str, Any]:
    return FIXTURE[index]


def test_error_bodies_print_their_line(wire: Wire) -> None:
    """Probes 21-26: only error_message holding a JSON fault prints more than 'None'."""
    assert probe(23)["client_prints"] == "None\n" and probe(24)["client_prints"] == "bad thing\n"
    patch = next(q for q in probe(21)["requests"] if q["method"] == "PATCH")
    cases = {
        "bad --set": (patch | {"body": patch["body"].replace("a=1", "a[x]=1")}, wire.dep.admin,
                      400, "a[x]=1"),
        "reader": (patch, wire.dep.reader, 403, "admin"),  # probe 31
        "unknown chart": (patch | {"path": patch["path"].replace("keystone", "nosuch")},
                          wire.dep.admin, 400, "nosuch"),
        "unknown app": (patch | {"path": patch["path"].replace(APP, "other-app")},
                        wire.dep.admin, 400, "other-app"),
    }
    for name, (request, token, status, needle) in cases.items():
        response = send(wire, request, token)
        assert response.status_code == status, (name, response.text)
        assert response.headers["content-type"].startswith("application/json")
        line = fault_line(response)
        assert line is not None and needle in line and "\n" not in line, (name, line)
        assert response.json()["detail"] == line
        assert json.loads(response.json()["error_message"])["faultcode"] == "Client"


def test_a_wrong_token_reads_as_invalid_credentials(wire: Wire) -> None:
    """Probes 27-28: a bare ``Bearer`` challenge crashes the client; with a realm it prints
    'Invalid Identity credentials.'"""
    assert probe(27)["client_prints"] == "www-authenticate\n"
    assert probe(28)["client_prints"] == "Invalid Identity credentials.\n"
    request = probe(27)["requests"][0]
    response = send(wire, request, "not-a-token")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="helmdeck"'
    missing = dict(request["headers"])
    del missing["x-auth-token"]
    response = wire.client.get(request["path"], headers=missing)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="helmdeck"'


def test_unknown_application_is_404(wire: Wire) -> None:
    """Probe 33: only a 404 on /v1/apps/{app} prints 'Application not found: APP'."""
    assert probe(33)["client_prints"] == f"Application not found: {APP}\n"
    request = probe(33)["requests"][0]
    response = send(wire, request | {"path": "/v1/apps/no-such-app"}, wire.dep.reader)
    assert response.status_code == 404 and fault_line(response)


def test_answers_are_json_objects_with_content_type(wire: Wire) -> None:
    """Probes 40, 42-45, 47: PATCH answers 200 with an object (204 crashes the client), every
    JSON answer says application/json, the app object has its name, and the trailing-slash
    list is answered where it is asked (no redirect)."""
    assert "to_dict" in probe(40)["client_prints"]
    record = next(r for r in COMMANDS if r["command"][0] == "helm-chart-attribute-modify"
                  and "--enabled" not in r["command"])
    for request in record["requests"]:
        response = send(wire, request, wire.dep.admin)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        assert isinstance(response.json(), dict)
    app = send(wire, probe(45)["requests"][0], wire.dep.reader).json()
    assert app["name"] == APP
    listing = send(wire, probe(47)["requests"][1], wire.dep.reader)
    assert listing.status_code == 200 and "charts" in listing.json()


def test_helmdecks_own_routes_keep_their_meaning_beside_sysinvs(wire: Wire) -> None:
    """§4's shapes beside sysinv's: the path segment is the chart without ``name``."""
    h = {"Authorization": f"Bearer {wire.dep.admin}"}
    plain = wire.client.get("/v1/helm_charts", headers=h).json()
    keystone = next(c for c in plain["charts"] if c["name"] == "keystone")
    assert keystone["enabled"] is True
    show = wire.client.get("/v1/helm_charts/keystone", params={"namespace": "openstack"},
                           headers=h).json()
    assert set(show) == {"name", "namespace", "system_overrides", "user_overrides",
                         "combined_overrides"}
    assert show["user_overrides"] == "{}\n"
    patched = wire.client.patch("/v1/helm_charts/keystone", params={"namespace": "openstack"},
                                json={"values": {"set": ["a=1"]}}, headers=h)
    assert patched.json() == {"name": "keystone", "namespace": "openstack",
                              "user_overrides": "a: 1\n"}
    # helmdeck's body on sysinv's form, and sysinv's on helmdeck's, are refused by name.
    wrong = wire.client.patch("/v1/helm_charts/keystone", params={"namespace": "openstack"},
                              json={"flags": {"reuse_values": True}}, headers=h)
    assert wrong.status_code == 400 and "sysinv's body" in wrong.json()["detail"]
    wrong = wire.client.patch(f"/v1/helm_charts/{APP}",
                              params={"name": "keystone", "namespace": "openstack"},
                              json={"flag": "reuse"}, headers=h)
    assert wrong.status_code == 400 and "flag" in wrong.json()["detail"]
    # With only values, both forms read the body the same way (reset).
    same = wire.client.patch(f"/v1/helm_charts/{APP}",
                             params={"name": "keystone", "namespace": "openstack"},
                             json={"values": {"set": ["b=2"]}}, headers=h)
    assert same.json()["user_overrides"] == "b: 2\n"
    # The sysinv form of delete deletes the chart named by ?name=, not the path's.
    gone = wire.client.delete(f"/v1/helm_charts/{APP}",
                              params={"name": "keystone", "namespace": "openstack"}, headers=h)
    assert gone.status_code == 204
    after = wire.client.get("/v1/helm_charts/keystone", params={"namespace": "openstack"},
                            headers=h).json()
    assert after["user_overrides"] == "{}\n"


@pytest.mark.parametrize(
    ("method", "path", "query"),
    [
        ("GET", "/v1/helm_charts", "app=x"),
        ("GET", "/v1/helm_charts/keystone", "namespace=openstack&nmae=nova"),
        ("DELETE", "/v1/helm_charts/keystone", "namespace=openstack&chart=nova"),
        ("GET", "/v1/helm_charts/keystone/history", "namespace=openstack&name=nova"),
        ("POST", "/v1/helm_charts/keystone/disable", "namespace=openstack&name=nova"),
        ("GET", f"/v1/apps/{APP}", "verbose=1"),
        ("GET", "/v1/health", "x=1"),
        ("GET", "/v1/helm_charts/keystone", "namespace=openstack&namespace=kube-system"),
    ],
)
def test_unknown_query_parameters_are_400_naming_them(wire: Wire, method: str, path: str,
                                                      query: str) -> None:
    before = wire.client.get("/v1/overrides", headers={"x-auth-token": wire.dep.admin}).json()
    response = wire.client.request(method, f"{path}?{query}",
                                   headers={"x-auth-token": wire.dep.admin})
    assert response.status_code == 400, response.text
    bad = query.split("&")[-1].split("=")[0]
    assert f"query parameter {bad}" in response.json()["detail"]
    after = wire.client.get("/v1/overrides", headers={"x-auth-token": wire.dep.admin}).json()
    assert after == before


def test_disabling_a_chart_others_need_names_what_the_client_can_run(wire: Wire) -> None:
    """Found running the real client against the packaged application: disabling keystone
    while horizon needs it is refused, and the line the client prints must name commands
    that exist for it (helm-chart-attribute-modify has no --cascade), not only --cascade."""
    h = {"x-auth-token": wire.dep.admin}
    enabled = wire.client.post("/v1/helm_charts/horizon/enable",
                               params={"namespace": "openstack"}, headers=h)
    assert enabled.status_code == 200, enabled.text
    patch = next(q for q in COMMANDS[14]["requests"] if q["method"] == "PATCH")
    assert json.loads(patch["body"])["attributes"] == {"enabled": "false"}
    response = send(wire, patch, wire.dep.admin)
    assert response.status_code == 400, response.text
    line = fault_line(response)
    assert line is not None and "\n" not in line
    assert "horizon" in line
    assert f"helm-chart-attribute-modify {APP} CHART openstack --enabled false" in line
    assert "helmdeck chart disable keystone openstack --cascade" in line
    # Nothing changed; once horizon is disabled the same request goes through.
    listing = wire.client.get(f"/v1/helm_charts/?app_name={APP}", headers=h).json()
    assert next(c for c in listing["charts"] if c["name"] == "keystone")["enabled"] == [True]
    horizon = patch | {"path": patch["path"].replace("name=keystone", "name=horizon")}
    assert send(wire, horizon, wire.dep.admin).status_code == 200
    response = send(wire, patch, wire.dep.admin)
    assert response.status_code == 200, response.text
    assert response.json()["attributes"] == {"enabled": False}
