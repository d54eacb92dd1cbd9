"""The dashboard in a real browser: Debian's headless Chromium driven through chromedriver.

Where no browser is installed the tests skip with one line, except under CI (`CI` set), where a
missing browser is a failure: `.ci/run` installs it.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from servers import running_cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
LEYR = "/api/emrs/anitasystems/care-units/L0_1/appointments"
LEYR_AUTH = {"x-leyr-client-id": "test-client-id", "x-leyr-client-secret": "test-client-secret"}
ARTIFACTS = (
    Path(os.environ.get("MOCKSERVER_ARTIFACTS", ""))
    if "MOCKSERVER_ARTIFACTS" in os.environ
    else None
)


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    if CHROMIUM is None or CHROMEDRIVER is None:
        return "no headless Chromium here (apt-get install chromium chromium-driver)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    missing = _missing()
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests cannot run under CI: {missing}")
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--window-size=1280,1400")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


@pytest.fixture
def served() -> Iterator[str]:
    with running_cli([]) as run:
        yield run.base_url


def wait(driver: Any, condition: Any, what: str, timeout: float = 10) -> Any:
    """The condition's first true value; on a timeout, fails showing what the page held."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1).until(condition)
    except TimeoutException:
        text = driver.execute_script("return document.body ? document.body.innerText : ''")
        raise AssertionError(
            f"waited {timeout} s for {what}; the page shows:\n{text[:1500]}"
        ) from None


def by_testid(driver: Any, testid: str, extra: str = "") -> list[Any]:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, f'[data-testid="{testid}"]{extra}')


def click(driver: Any, testid: str, extra: str = "") -> None:
    """Click the element as a person would, finding it again if a live update replaced it."""
    from selenium.common.exceptions import StaleElementReferenceException

    for _ in range(5):
        try:
            by_testid(driver, testid, extra)[0].click()
            return
        except StaleElementReferenceException:
            continue
    raise AssertionError(f"{testid}{extra} kept being replaced")


def text_of(driver: Any, testid: str, extra: str = "") -> str | None:
    """An element's text, read in one step (a live update may replace the element at any time)."""
    selector = f'[data-testid="{testid}"]{extra}'
    return driver.execute_script(
        "const found = document.querySelector(arguments[0]); return found && found.textContent;",
        selector,
    )


def screenshot(driver: Any, tmp_path: Path, name: str) -> Path:
    """Saved beside the test's files, and to $MOCKSERVER_ARTIFACTS when CI names a folder."""
    path = tmp_path / name
    driver.save_screenshot(str(path))
    if ARTIFACTS is not None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, ARTIFACTS / name)
    return path


def test_two_step_cancellation_followed_live_in_the_dashboard(browser, served, tmp_path):
    from selenium.webdriver.support.ui import Select

    browser.get(f"{served}/__admin/ui/")
    Select(by_testid(browser, "scenario-select", '[data-provider="leyr"]')[0]).select_by_value(
        "leyr/two-step"
    )
    wait(
        browser,
        lambda _: httpx.get(f"{served}/__admin/health").json()["active"]["leyr"] == "leyr/two-step",
        "the select to load leyr/two-step",
    )
    assert by_testid(browser, "outbox-code") == []

    with httpx.Client(base_url=served, headers=LEYR_AUTH) as http:
        pending = http.patch(f"{LEYR}/2001", json={"status": "cancelled"}).json()
        assert pending["status"] == "awaiting_confirmation"
        # The code shows up without a reload, as the patient would read it.
        code = wait(browser, lambda d: text_of(d, "outbox-code"), "the code in the outbox")
        sent = httpx.get(f"{served}/__admin/messages").json()["messages"][-1]
        assert code == sent["code"] and sent["new_id"] == pending["id"]

        confirmed = http.patch(f"{LEYR}/{pending['id']}", json={"confirmation": {"code": code}})
        assert confirmed.json()["status"] == "cancelled"

    row = f'[data-status="200"][data-path="{LEYR}/{pending["id"]}"]'
    wait(browser, lambda d: by_testid(d, "journal-row", row), "the confirmation's journal row")
    screenshot(browser, tmp_path, "dashboard-two-step.png")

    click(browser, "reset-button")
    wait(browser, lambda d: not by_testid(d, "journal-row"), "an empty journal after reset")
    assert by_testid(browser, "outbox-code") == []
    assert (tmp_path / "dashboard-two-step.png").stat().st_size > 10_000


def test_a_hostile_body_shows_as_text(browser, served):
    script = "<script>document.title='owned'</script><img src=x onerror=document.title='owned'>"
    httpx.patch(
        f"{served}/v1/appointments/appt_a1b2c3d4e5",
        content=f'{{"status": "{script}"}}'.encode(),
        headers={"Authorization": "Bearer YOUR_API_KEY", "Content-Type": "application/json"},
    )
    # Filtered to the provider: the browser's own /favicon.ico request is journaled too, and a
    # live refresh could otherwise put it first.
    browser.get(f"{served}/__admin/ui/?provider=huskyvoice")
    click(browser, "journal-row")  # open the exchange
    assert script in text_of(browser, "journal-row")
    assert (
        browser.execute_script("return document.querySelectorAll('main script, main img').length")
        == 0
    )
    assert browser.title == "mockserver dashboard"
    assert by_testid(browser, "violation-row")


def test_the_clock_buttons_move_the_mock_clock(browser, served):
    from selenium.webdriver.common.by import By

    browser.get(f"{served}/__admin/ui/")
    before = text_of(browser, "clock-now", '[data-provider="huskyvoice"]')
    browser.find_element(
        By.CSS_SELECTOR,
        'button[data-action="advance"][data-provider="huskyvoice"][data-seconds="86400"]',
    ).click()
    wait(
        browser,
        lambda d: text_of(d, "clock-now", '[data-provider="huskyvoice"]') != before,
        "the clock to move",
    )
    after = httpx.get(f"{served}/__admin/clock").json()["huskyvoice"]["now"]
    assert text_of(browser, "clock-now", '[data-provider="huskyvoice"]') == after
    assert after[:10] == "2026-05-27"


def test_a_token_protected_mock_asks_for_the_token(browser, tmp_path):
    with running_cli(["--admin-token", "s3cret-token"]) as run:
        browser.get(f"{run.base_url}/__admin/ui/")
        wait(browser, lambda d: by_testid(d, "token-needed"), "the page asking for the token")
        assert by_testid(browser, "journal-row") == [] and by_testid(browser, "reset-button") == []
        browser.find_element("id", "token").send_keys("s3cret-token")
        browser.find_element("css selector", "#token-form button").click()
        wait(browser, lambda d: by_testid(d, "reset-button"), "the unlocked dashboard")
        assert len(by_testid(browser, "scenario-select")) == 2
        browser.execute_script("sessionStorage.clear()")


def attribute_list(driver: Any, testid: str, name: str) -> list[str]:
    """One attribute of every element with that test id, read in one step."""
    return driver.execute_script(
        "return [...document.querySelectorAll(`[data-testid='${arguments[0]}']`)]"
        ".map((e) => e.getAttribute(arguments[1]));",
        testid,
        name,
    )


def test_outbox_states_through_a_voided_and_an_expired_code(browser, served):
    httpx.put(f"{served}/__admin/scenario", json={"name": "leyr/two-step-wrong-code"})
    browser.get(f"{served}/__admin/ui/")
    with httpx.Client(base_url=served, headers=LEYR_AUTH) as http:
        first = http.patch(f"{LEYR}/2001", json={"status": "cancelled"}).json()["id"]
        wait(
            browser,
            lambda d: attribute_list(d, "outbox-message", "data-state") == ["pending"],
            "pending",
        )
        for code in ("000000", "000001", "000002"):
            http.patch(f"{LEYR}/{first}", json={"confirmation": {"code": code}})
        wait(
            browser,
            lambda d: attribute_list(d, "outbox-message", "data-state") == ["voided"],
            "voided",
        )
        second = http.patch(f"{LEYR}/2001", json={"status": "cancelled"}).json()["id"]
    wait(
        browser,
        lambda d: attribute_list(d, "outbox-message", "data-state") == ["pending", "voided"],
        "the new code pending beside the voided one",
    )
    assert attribute_list(browser, "copy-new-id", "data-copy") == [second, first]
    httpx.put(f"{served}/__admin/clock", json={"advance_seconds": 601, "provider": "leyr"})
    wait(
        browser,
        lambda d: attribute_list(d, "outbox-message", "data-state") == ["expired", "voided"],
        "the pending code expired on the mock clock",
    )


def test_journal_rows_carry_ids_and_outcomes_and_violations_link_to_them(browser, served):
    httpx.put(f"{served}/__admin/scenario", json={"name": "leyr/two-step"})
    with httpx.Client(base_url=served, headers=LEYR_AUTH) as http:
        http.patch(f"{LEYR}/2001", json={"status": "cancelled"})
        http.patch(f"{LEYR}/2002", json={"status": "canceled"})  # a contract breach
    browser.get(f"{served}/__admin/ui/")
    assert attribute_list(browser, "journal-row", "data-id") == ["2", "1"]
    assert attribute_list(browser, "journal-row", "data-outcome") == [
        "BAD_INPUT",
        "awaiting_confirmation",
    ]
    times = browser.execute_script(
        "return [...document.querySelectorAll('[data-testid=journal-row] summary time')]"
        ".map((t) => t.textContent)"
    )
    assert times and all(t.endswith(" UTC") for t in times)
    click(browser, "violation-row", " a[data-testid=journal-link]")
    wait(
        browser,
        lambda d: d.execute_script("return document.getElementById('request-2').open"),
        "the violation's journal row opened",
    )


def test_search_narrows_the_journal_and_the_exports_follow(browser, served):
    httpx.put(f"{served}/__admin/scenario", json={"name": "leyr/two-step"})
    with httpx.Client(base_url=served, headers=LEYR_AUTH) as http:
        http.patch(f"{LEYR}/2001", json={"status": "cancelled"})
        http.get(f"{LEYR}/2002")
    browser.get(f"{served}/__admin/ui/")
    box = by_testid(browser, "journal-search")[0]
    box.send_keys("2002")
    box.submit()
    wait(
        browser,
        lambda d: attribute_list(d, "journal-row", "data-path") == [f"{LEYR}/2002"],
        "only the searched appointment's rows",
    )
    har = httpx.get(by_testid(browser, "export-har")[0].get_attribute("href")).json()["log"]
    assert [e["request"]["url"] for e in har["entries"]] == [f"{served}{LEYR}/2002"]
    jsonl = httpx.get(by_testid(browser, "export-jsonl")[0].get_attribute("href")).text
    assert [json.loads(line)["path"] for line in jsonl.splitlines()] == [f"{LEYR}/2002"]


def test_an_open_row_stays_open_while_new_requests_arrive(browser, served):
    httpx.get(
        f"{served}/v1/appointments/appt_a1b2c3d4e5",
        headers={"Authorization": "Bearer YOUR_API_KEY"},
    )
    browser.get(f"{served}/__admin/ui/")
    click(browser, "journal-row", " summary")  # opened, and focused, as a click leaves it
    for _ in range(3):
        httpx.get(
            f"{served}/v1/appointment-config", headers={"Authorization": "Bearer YOUR_API_KEY"}
        )
    wait(browser, lambda d: len(by_testid(d, "journal-row")) == 4, "the three new rows")
    assert browser.execute_script("return document.getElementById('request-1').open")
    assert "Journal (4)" in browser.find_element("css selector", "#journal h2").text


def test_the_reload_banner_comes_with_a_broken_file_and_goes_with_the_fix(browser, tmp_path):
    folder = tmp_path / "mine"
    path = folder / "huskyvoice" / "live.yaml"
    path.parent.mkdir(parents=True)
    good = "extends: huskyvoice/direct-cancel\ndescription: live\n"
    path.write_text(good)
    with running_cli(
        ["--watch", "--scenarios-dir", str(folder), "--scenario", "huskyvoice/live"]
    ) as run:
        browser.get(f"{run.base_url}/__admin/ui/")
        assert by_testid(browser, "reload-error") == []
        path.write_text(good + "org: {allow_cancellation: perhaps}\n")
        banner = wait(browser, lambda d: text_of(d, "reload-error"), "the reload banner")
        assert "mine/huskyvoice/live.yaml:3" in banner and "allow_cancellation" in banner
        path.write_text(good.replace("live\n", "fixed\n"))
        wait(browser, lambda d: not by_testid(d, "reload-error"), "the banner gone after the fix")


def test_the_page_never_journals_its_favicon(browser, served):
    for _ in range(3):
        browser.get(f"{served}/__admin/ui/")
    browser.get(f"{served}/favicon.ico")
    journal = httpx.get(f"{served}/__admin/requests").json()
    assert journal["requests"] == [] and journal["total_seen"] == 0
    assert httpx.get(f"{served}/__admin/near-misses").json()["near_misses"] == []


def test_usable_at_420_px_without_sideways_scrolling(browser, served):
    httpx.put(f"{served}/__admin/scenario", json={"name": "leyr/two-step"})
    with httpx.Client(base_url=served, headers=LEYR_AUTH) as http:
        http.patch(f"{LEYR}/2001", json={"status": "cancelled"})
        http.patch(f"{LEYR}/{'9' * 120}", json={"status": "canceled", "comment": "x" * 300})
    # A window is at least 500 px wide: the viewport is narrowed as a phone's would be.
    metrics = {"width": 420, "height": 900, "deviceScaleFactor": 1, "mobile": False}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        browser.get(f"{served}/__admin/ui/")
        click(browser, "journal-row", " summary")
        width, wide = browser.execute_script(
            "const root = document.documentElement;"
            "return [window.innerWidth, root.scrollWidth - root.clientWidth];"
        )
        assert width == 420
        assert wide <= 0, f"the page scrolls {wide} px sideways at 420 px"
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


HUSKY = "/v1/appointments/appt_a1b2c3d4e5"
HUSKY_AUTH = {"Authorization": "Bearer YOUR_API_KEY"}


def _paths_shown(driver: Any) -> list[str]:
    return driver.execute_script(
        "return [...document.querySelectorAll('[data-testid=journal-row]')]"
        ".map((row) => row.dataset.path);"
    )


def _href(driver: Any, testid: str) -> str:
    """A link's address as the browser resolves it, read in one step (see text_of)."""
    return driver.execute_script(
        "return document.querySelector(`[data-testid=${arguments[0]}]`).href;", testid
    )


def test_each_sessions_dashboard_shows_and_exports_only_its_own_world(browser, served):
    with httpx.Client(base_url=served, timeout=10) as http:
        http.patch(f"/__session/job-a{HUSKY}", json={"status": "cancelled"}, headers=HUSKY_AUTH)
        http.get(f"/__session/job-b{LEYR}/2001", headers=LEYR_AUTH)
        http.get(f"{LEYR}/2002", headers=LEYR_AUTH)  # the default session's
        for session, own in (("job-a", HUSKY), ("job-b", f"{LEYR}/2001")):
            browser.get(f"{served}/__session/{session}/__admin/ui/")
            assert _paths_shown(browser) == [own]
            # A new request of this session shows up live; one of another world never does.
            http.get(f"{LEYR}/2003", headers=LEYR_AUTH)
            http.get(f"/__session/{session}{own}", headers=HUSKY_AUTH | LEYR_AUTH)
            wait(browser, lambda d: len(_paths_shown(d)) == 2, f"{session}'s second request")
            assert _paths_shown(browser) == [own, own]
            har = http.get(_href(browser, "export-har")).json()
            assert {e["_session"] for e in har["log"]["entries"]} == {session}
            jsonl = http.get(_href(browser, "export-jsonl")).text
            assert [json.loads(line)["path"] for line in jsonl.splitlines()] == [own, own]
        # The reset button of job-b's page resets job-b, and nothing else.
        click(browser, "reset-button")
        wait(browser, lambda d: _paths_shown(d) == [], "job-b's journal emptied")
        assert len(http.get("/__session/job-a/__admin/requests").json()["requests"]) == 2
        assert len(http.get("/__admin/requests").json()["requests"]) == 3


def test_the_default_dashboard_picks_a_session(browser, served):
    with httpx.Client(base_url=served, timeout=10) as http:
        http.get(f"/__session/job-a{HUSKY}", headers=HUSKY_AUTH)
        browser.get(f"{served}/__admin/ui/")
        rows = lambda d: d.execute_script(  # noqa: E731
            "return [...document.querySelectorAll('[data-testid=session-row]')]"
            ".map((row) => row.dataset.session);"
        )
        assert rows(browser) == ["job-a"]
        http.get(f"/__session/job-b{HUSKY}", headers=HUSKY_AUTH)  # listed live, no reload
        wait(browser, lambda d: rows(d) == ["job-a", "job-b"], "job-b in the picker")
    click(browser, "session-link", '[href$="/job-b/__admin/ui/"]')
    wait(browser, lambda d: d.current_url.endswith("/__session/job-b/__admin/ui/"), "job-b's page")
    wait(
        browser, lambda d: text_of(d, "session-name") == "session job-b · all sessions", "the name"
    )
    assert _paths_shown(browser) == [HUSKY]
    click(browser, "all-sessions")
    wait(browser, lambda d: by_testid(d, "session-row"), "the picker again")


def test_a_sessions_scenario_and_clock_controls_change_only_that_session(browser, served):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    session = f"{served}/__session/qa-1"
    httpx.get(f"{session}/__admin/health")  # made on first use
    browser.get(f"{session}/__admin/ui/")
    Select(by_testid(browser, "scenario-select", '[data-provider="leyr"]')[0]).select_by_value(
        "leyr/two-step"
    )
    wait(
        browser,
        lambda d: (
            httpx.get(f"{session}/__admin/health").json()["active"]["leyr"] == "leyr/two-step"
        ),
        "the session's leyr scenario to switch",
    )
    before = text_of(browser, "clock-now", '[data-provider="huskyvoice"]')
    click_advance = (
        'button[data-action="advance"][data-provider="huskyvoice"][data-seconds="86400"]'
    )
    browser.find_element(By.CSS_SELECTOR, click_advance).click()
    wait(
        browser,
        lambda d: text_of(d, "clock-now", '[data-provider="huskyvoice"]') != before,
        "the session's clock to move",
    )
    moved = httpx.get(f"{session}/__admin/clock").json()["huskyvoice"]["now"]
    assert moved[:10] == "2026-05-27"
    assert text_of(browser, "clock-now", '[data-provider="huskyvoice"]') == moved
    # The server's default session kept its scenario and its clock.
    assert httpx.get(f"{served}/__admin/health").json()["active"]["leyr"] == "leyr/direct-cancel"
    assert httpx.get(f"{served}/__admin/clock").json()["huskyvoice"]["now"][:10] == "2026-05-26"
