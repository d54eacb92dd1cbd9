"""The admin API cannot be driven from a web page: Host, Origin, content type, token."""

from __future__ import annotations

import httpx
import pytest

from mockserver import MockEngine, MockServer
from mockserver.web.guard import AdminPolicy, refusal
from servers import running_cli

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def server():
    with MockServer(MockEngine()) as running:
        yield running


def host_of(server) -> str:
    return f"127.0.0.1:{server.port}"


def test_a_cross_site_form_cannot_reset_or_switch_the_mock(server):
    url = server.base_url
    httpx.patch(
        f"{url}/v1/appointments/appt_a1b2c3d4e5",
        json={"status": "cancelled"},
        headers={"Authorization": "Bearer YOUR_API_KEY"},
    )
    evil = {"Origin": "http://evil.example", "Content-Type": "text/plain"}
    reset = httpx.post(f"{url}/__admin/reset", content=b'{"scenarios": []}', headers=evil)
    assert (reset.status_code, reset.json()["error"]["code"]) == (403, "FORBIDDEN_ORIGIN")
    switch = httpx.put(
        f"{url}/__admin/scenario",
        content=b'{"name": "huskyvoice/not-found"}',
        headers={"Origin": "http://localhost:3000", **JSON},  # another local app
    )
    assert switch.status_code == 403
    plain = httpx.post(
        f"{url}/__admin/reset", content=b"{}", headers={"Content-Type": "text/plain"}
    )
    assert (plain.status_code, plain.json()["error"]["code"]) == (415, "UNSUPPORTED_MEDIA_TYPE")
    journal = httpx.get(f"{url}/__admin/requests").json()["requests"]
    assert len(journal) == 1  # nothing was reset
    health = httpx.get(f"{url}/__admin/health").json()
    assert health["active"]["huskyvoice"] == "huskyvoice/direct-cancel"
    same_origin = httpx.post(
        f"{url}/__admin/reset", json={}, headers={"Origin": f"http://{host_of(server)}"}
    )
    assert same_origin.status_code == 200
    bare = httpx.post(f"{url}/__admin/reset")  # curl -X POST …/reset: no body, no type
    assert bare.status_code == 200


def test_a_foreign_host_is_refused_on_the_admin_api_only(server):
    rebound = httpx.get(f"{server.base_url}/__admin/requests", headers={"Host": "evil.example"})
    assert (rebound.status_code, rebound.json()["error"]["code"]) == (403, "FORBIDDEN_HOST")
    assert "--allow-host" in rebound.json()["error"]["message"]
    for host in ("localhost", f"localhost:{server.port}", host_of(server)):
        assert (
            httpx.get(f"{server.base_url}/__admin/health", headers={"Host": host}).status_code
            == 200
        )
    provider = httpx.get(
        f"{server.base_url}/v1/appointment-config",
        headers={"Host": "evil.example", "Authorization": "Bearer YOUR_API_KEY"},
    )
    assert provider.status_code == 200


def test_allowed_hosts_and_an_admin_token():
    policy = AdminPolicy(frozenset({"mock.internal"}), token="s3cret")
    with MockServer(MockEngine(), admin_policy=policy) as server:
        url = f"{server.base_url}/__admin/health"
        assert httpx.get(url).status_code == 401
        auth = {"Authorization": "Bearer s3cret"}
        assert httpx.get(url, headers=auth).status_code == 200
        assert httpx.get(url, headers={**auth, "Host": "mock.internal:8080"}).status_code == 200
        assert httpx.get(url, headers={**auth, "Host": "evil.example"}).status_code == 403


@pytest.mark.parametrize(
    ("method", "headers", "expected"),
    [
        ("GET", {"host": "localhost:8080"}, None),
        ("GET", {"host": "[::1]:8080"}, None),
        ("GET", {}, 403),
        ("GET", {"host": "localhost.evil.example"}, 403),
        ("POST", {"host": "localhost:8080", "origin": "null"}, 403),
        ("POST", {"host": "localhost:8080", "origin": "http://localhost:8080"}, None),
        ("POST", {"host": "localhost", "origin": "http://localhost:80"}, None),
        ("DELETE", {"host": "localhost:8080", "origin": "https://evil.example"}, 403),
        (
            "PUT",
            {"host": "localhost:8080", "content-type": "application/json; charset=utf-8"},
            None,
        ),
        (
            "PUT",
            {"host": "localhost:8080", "content-type": "application/x-www-form-urlencoded"},
            415,
        ),
        ("GET", {"host": "localhost:8080", "origin": "http://evil.example"}, None),  # reads
    ],
)
def test_refusal_rules(method, headers, expected):
    found = refusal(method, headers, "127.0.0.1", AdminPolicy())
    assert (found.status if found else None) == expected


def test_serving_beyond_loopback_warns_about_the_admin_api():
    with running_cli(["--host", "0.0.0.0"]) as run:
        assert (
            httpx.get(run.base_url.replace("0.0.0.0", "127.0.0.1") + "/__admin/health").status_code
            == 200
        )
    assert "add --admin-token TOKEN" in run.stderr
