"""The dashboard over HTTP: what its first paint shows, how it escapes, filters and pages, and
that it keeps to the admin API's protections. (The browser drives it in test_dashboard_browser.)"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx
import pytest

from conftest import AUTH, SEED_ID, in_process_client, write_scenario
from mockserver import MockEngine, MockServer
from mockserver.web.dashboard import PAGE_SIZE
from mockserver.web.guard import AdminPolicy
from mockserver.web.html import Markup, el
from servers import running_cli

LEYR_TWO_STEP = "/api/emrs/anitasystems/care-units/L0_1/appointments"
LEYR_AUTH = {"x-leyr-client-id": "test-client-id", "x-leyr-client-secret": "test-client-secret"}


class Elements(HTMLParser):
    """Every start tag with its attributes, and the page's text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def testid(self, name: str) -> list[dict[str, str | None]]:
        return [attrs for _, attrs in self.tags if attrs.get("data-testid") == name]


def page(mock, query: str = "") -> Elements:
    reply = mock.http.get(f"/__admin/ui/{query}")
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/html")
    return Elements(reply.text)


def test_first_paint_shows_every_part_with_its_test_ids(mock_for):
    mock = mock_for("leyr/two-step")
    mock.http.patch(f"{LEYR_TWO_STEP}/2001", json={"status": "cancelled"}, headers=LEYR_AUTH)
    mock.http.patch(f"/v1/appointments/{SEED_ID}", json={"status": "gone"}, headers=AUTH)
    shown = page(mock)
    selects = {attrs["data-provider"] for attrs in shown.testid("scenario-select")}
    assert selects == {"huskyvoice", "leyr"}
    assert len(shown.testid("reset-button")) == 1
    assert {attrs["data-provider"] for attrs in shown.testid("clock-now")} == selects
    assert len(shown.testid("outbox-code")) == 1
    [code] = [m["code"] for m in mock.engine.messages()]
    assert code in shown.text
    rows = shown.testid("journal-row")
    assert [(r["data-status"], r["data-path"]) for r in rows] == [
        ("400", f"/v1/appointments/{SEED_ID}"),  # newest first
        ("200", f"{LEYR_TWO_STEP}/2001"),
    ]
    assert shown.testid("violation-row")


def test_the_active_scenario_is_selected_and_user_scenarios_are_offered(tmp_path):
    write_scenario(
        tmp_path,
        "huskyvoice",
        "mine",
        "provider: huskyvoice\nextends: huskyvoice/direct-cancel\ndescription: <b>bold</b> claim\n",
    )
    engine = MockEngine(["huskyvoice/mine"], [tmp_path])
    with in_process_client(engine) as http:
        html = http.get("/__admin/ui/").text
    selected = re.findall(r'<option value="([^"]+)" selected', html)
    assert "huskyvoice/mine" in selected and "leyr/direct-cancel" in selected
    assert "&lt;b&gt;bold&lt;/b&gt; claim" in html and "<b>bold</b>" not in html


def test_hostile_request_values_are_escaped(mock):
    hostile = "<script>alert(1)</script>"
    mock.http.patch(
        f"/v1/appointments/{SEED_ID}",
        content=f'{{"status": "{hostile}"}}'.encode(),
        headers={
            **AUTH,
            "Content-Type": "application/json",
            "X-Note": '"><img src=x onerror=alert(1)>',
        },
    )
    mock.http.get("/v1/<svg onload=alert(1)>")
    html = mock.http.get("/__admin/ui/").text
    assert "<script>alert" not in html and "<svg" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    shown = Elements(html)
    assert [t for t, _ in shown.tags if t == "script"] == ["script"]  # only the page's own
    assert all(
        attrs.get("src", "").startswith("/__admin/ui/static/")
        for t, attrs in shown.tags
        if t == "script"
    )


def test_filters_narrow_the_journal(mock_for):
    mock = mock_for("leyr/two-step")
    mock.cancel()
    mock.cancel("appt_missing")
    mock.http.patch(f"{LEYR_TWO_STEP}/2001", json={"status": "cancelled"}, headers=LEYR_AUTH)
    mock.http.patch(f"/v1/appointments/{SEED_ID}", json={"status": "gone"}, headers=AUTH)

    def statuses(query):
        return [r["data-status"] for r in page(mock, query).testid("journal-row")]

    assert statuses("?provider=leyr") == ["200"]
    assert statuses("?status=4xx") == ["400", "404"]
    assert statuses("?violations=1") == ["400"]
    assert statuses("?provider=huskyvoice&status=2xx") == ["200"]


@pytest.mark.parametrize(
    "query", ["?provider=acme", "?status=9xx", "?cursor=-1", "?cursor=" + "9" * 40]
)
def test_a_bad_filter_is_a_400_that_says_so(mock, query):
    reply = mock.http.get(f"/__admin/ui/{query}")
    assert reply.status_code == 400
    assert reply.text.split(":")[0] in query
    assert mock.http.get(f"/__admin/ui/sections{query}").status_code == 400


def test_a_long_journal_shows_one_page_and_pages_the_rest():
    engine = MockEngine(journal_size=10_000)
    with in_process_client(engine) as http:
        for n in range(10_000):
            engine_request(engine, n)
        first = Elements(http.get("/__admin/ui/").text)
        rows = first.testid("journal-row")
        assert len(rows) == PAGE_SIZE
        assert rows[0]["data-path"] == "/v1/appointments/appt_9999"
        [older] = first.testid("journal-older")
        second = Elements(http.get(older["href"]).text)
        assert (
            second.testid("journal-row")[0]["data-path"]
            == f"/v1/appointments/appt_{9999 - PAGE_SIZE}"
        )


def engine_request(engine: MockEngine, n: int) -> None:
    from mockserver.core.exchange import MockRequest

    engine.handle(
        MockRequest(
            "GET", f"/v1/appointments/appt_{n}", headers={"authorization": AUTH["Authorization"]}
        )
    )


def test_sections_are_what_the_page_draws(mock):
    mock.cancel()
    sections = mock.http.get("/__admin/ui/sections").json()["sections"]
    assert list(sections) == [
        "toolbar",
        "reload",
        "sessions",
        "scenarios",
        "outbox",
        "journal",
        "violations",
        "near-misses",
        "interactions",
    ]
    html = mock.http.get("/__admin/ui/").text
    for drawn in sections.values():
        assert drawn in html


def test_page_and_assets_need_no_other_host(mock):
    reply = mock.http.get("/__admin/ui/")
    policy = reply.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert reply.headers["x-content-type-options"] == "nosniff"
    for name, kind in (("dashboard.js", "text/javascript"), ("dashboard.css", "text/css")):
        asset = mock.http.get(f"/__admin/ui/static/{name}")
        assert asset.status_code == 200 and asset.headers["content-type"].startswith(kind)
        assert not re.search(r"https?://|//[a-z]", asset.text.replace("// ", "")), name
    assert "http" not in re.sub(r'href="/|src="/', "", reply.text.split("<body")[0])


@pytest.mark.parametrize(
    "name", ["x.js", "..%2F..%2Fadmin.py", "%2e%2e/engine.py", "dashboard.js%00"]
)
def test_only_the_two_assets_are_served(mock, name):
    assert mock.http.get(f"/__admin/ui/static/{name}").status_code == 404


def test_the_bare_path_redirects_to_the_page(mock):
    reply = mock.http.get("/__admin/ui", follow_redirects=False)
    assert reply.status_code == 308 and reply.headers["location"] == "/__admin/ui/"


def test_with_a_token_the_page_loads_locked_and_data_needs_the_token():
    policy = AdminPolicy(token="s3cret")
    with MockServer(MockEngine(), admin_policy=policy) as server:
        url = server.base_url
        httpx.get(f"{url}/v1/appointments/{SEED_ID}", headers=AUTH)
        locked = httpx.get(f"{url}/__admin/ui/")
        assert locked.status_code == 200
        shown = Elements(locked.text)
        assert shown.testid("token-needed") and not shown.testid("journal-row")
        assert SEED_ID not in locked.text
        assert httpx.get(f"{url}/__admin/ui/static/dashboard.js").status_code == 200
        assert httpx.get(f"{url}/__admin/ui/sections").status_code == 401
        token = {"Authorization": "Bearer s3cret"}
        assert SEED_ID in httpx.get(f"{url}/__admin/ui/sections", headers=token).text
        assert Elements(httpx.get(f"{url}/__admin/ui/", headers=token).text).testid("journal-row")
        foreign = httpx.get(f"{url}/__admin/ui/", headers={"Host": "evil.example"})
        assert foreign.status_code == 401 and "token-needed" not in foreign.text  # Host check holds


def test_markup_builder_escapes_text_and_attributes():
    assert el("p", {"title": '"><x>'}, "<b>", Markup("<i>ok</i>")) == (
        '<p title="&quot;&gt;&lt;x&gt;">&lt;b&gt;<i>ok</i></p>'
    )
    assert el("input", {"checked": True, "disabled": False, "value": None}) == "<input checked>"
    assert el("ul", {}, [el("li", {}, n) for n in (1, 2)], None) == "<ul><li>1</li><li>2</li></ul>"


def test_serve_names_the_dashboard_and_serves_it():
    with running_cli([]) as run:
        url = re.search(r"dashboard at (\S+);", run.banner).group(1)
        assert url == f"{run.base_url}/__admin/ui/"
        page = httpx.get(url)
        assert page.status_code == 200 and 'data-testid="reset-button"' in page.text


def test_the_page_keeps_to_the_admin_host_check():
    """DNS rebinding: a page served to another host name gets nothing, as the admin API."""
    with MockServer(MockEngine()) as server:
        for path in ("/__admin/ui/", "/__admin/ui/sections", "/__admin/ui/static/dashboard.js"):
            reply = httpx.get(f"{server.base_url}{path}", headers={"Host": "evil.example"})
            assert (reply.status_code, reply.json()["error"]["code"]) == (403, "FORBIDDEN_HOST")
        assert httpx.get(f"{server.base_url}/__admin/ui/").status_code == 200
