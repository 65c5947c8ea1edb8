"""The remote client's error mapping, on canned HTTP answers (the real server: test_server)."""

from __future__ import annotations

import httpx
import pytest

from helmdeck.api.client import RemoteOverrideService
from helmdeck.errors import ConflictError, NotFoundError, UserError
from helmdeck.overrides import UpdateRequest


def remote(status: int, body: object = None, *, text: str | None = None) -> RemoteOverrideService:
    def handler(request: httpx.Request) -> httpx.Response:
        if text is not None:
            return httpx.Response(status, text=text)
        return httpx.Response(status, json=body)

    return RemoteOverrideService(
        "http://helmdeck.test", "tok", transport=httpx.MockTransport(handler)
    )


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, UserError),
        (403, UserError),
        (404, NotFoundError),
        (409, ConflictError),
        (413, UserError),
    ],
)
def test_status_maps_to_the_local_exception_with_the_server_line(
    status: int, kind: type[UserError]
) -> None:
    with pytest.raises(kind) as exc:
        remote(status, {"detail": "chart nosuch: not part of application"}).list_charts()
    assert type(exc.value) is kind
    assert str(exc.value) == "chart nosuch: not part of application"


def test_401_says_which_variable_to_fix() -> None:
    with pytest.raises(UserError, match="HELMDECK_TOKEN"):
        remote(401, {"detail": "Authorization: token not recognised"}).list_charts()


def test_a_body_that_is_not_ours_gives_the_status_line() -> None:
    with pytest.raises(UserError, match="HTTP 502 Bad Gateway from /v1/helm_charts"):
        remote(502, text="<html>proxy down</html>").list_charts()


def test_unreachable_server_is_one_line_naming_the_url() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = RemoteOverrideService("http://127.0.0.1:9/", transport=httpx.MockTransport(refuse))
    with pytest.raises(UserError, match=r"^http://127.0.0.1:9: cannot reach the server"):
        client.list_charts()


def test_requests_carry_token_namespace_if_match_and_reveal() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "PATCH":
            return httpx.Response(
                200,
                json={"name": "keystone", "namespace": "openstack", "user_overrides": "a: 1\n"},
                headers={"ETag": '"5"'},
            )
        return httpx.Response(
            200, json={"name": "keystone", "namespace": "openstack", "effective_values": "a: 1\n"}
        )

    client = RemoteOverrideService("http://h", "tok", transport=httpx.MockTransport(handler))
    assert client.update(
        "keystone", "openstack", UpdateRequest.of(flag="reset", set=["a=1"]), if_match=4
    )[:2] == ({"a": 1}, 5)
    client.effective("keystone", "openstack")
    client.effective("keystone", "openstack", reveal=True)
    patch, plain, revealed = seen
    assert patch.headers["Authorization"] == "Bearer tok"
    assert patch.headers["If-Match"] == '"4"'
    assert patch.url.params["namespace"] == "openstack"
    assert "reveal" not in plain.url.params
    assert revealed.url.params["reveal"] == "true"
