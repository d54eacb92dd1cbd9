"""Prism (Stoplight's OpenAPI mock and validation proxy), a judge independent of the mock:
`prism mock` on each exported document answers the page's requests with a 2xx that keeps to
the document, and `prism proxy` in front of the live mock finds no violation in the page's
examples (and does find one in a broken body, so its silence means something).

Prism is a Node.js tool: skipped unless `MOCKSERVER_PRISM` names its executable or `prism` is
on the PATH (`npm install --prefix DIR @stoplight/prism-cli`, then DIR/node_modules/.bin/prism).
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockserver import MockEngine, MockServer
from mockserver.providers.huskyvoice import sources as husky_sources
from mockserver.providers.leyr import sources as leyr_sources
from openapi_judge import judge, request_problems, response_problems

PRISM = os.environ.get("MOCKSERVER_PRISM") or shutil.which("prism")
pytestmark = pytest.mark.skipif(
    not PRISM, reason="Prism is not installed (set MOCKSERVER_PRISM to its executable)"
)

HUSKY = {"Authorization": "Bearer YOUR_API_KEY"}
LEYR = {"x-leyr-client-id": "test-client-id", "x-leyr-client-secret": "test-client-secret"}
WEBDOC = "/api/emrs/webdoc/care-units/wd-oslo-1/appointments"
ANITA = "/api/emrs/anitasystems/care-units/L0_1/appointments"
LISTENING = re.compile(r"Prism is listening on (http://\S+)")
STARTUP_SECONDS = 120


@contextmanager
def prism(*args: str) -> Iterator[str]:
    """Prism started on a free port; its base URL. Its output is drained while it runs."""
    assert PRISM
    process = subprocess.Popen(
        [PRISM, *args, "--host", "127.0.0.1", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    drain = threading.Thread(target=_drain, args=(process, lines), daemon=True)
    drain.start()
    try:
        yield _address(process, lines)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        drain.join(timeout=10)  # the pipe ends with the process
        assert process.stdout is not None
        process.stdout.close()


def _drain(process: subprocess.Popen[str], lines: queue.Queue[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.put(line)


def _address(process: subprocess.Popen[str], lines: queue.Queue[str]) -> str:
    said: list[str] = []
    while True:
        try:
            line = lines.get(timeout=STARTUP_SECONDS)
        except queue.Empty:
            raise AssertionError("Prism did not start:\n" + "".join(said)) from None
        said.append(line)
        found = LISTENING.search(line)
        if found:
            return found.group(1)
        if process.poll() is not None and lines.empty():
            raise AssertionError("Prism stopped:\n" + "".join(said))


def exported(tmp_path: Path, engine: MockEngine, provider: str) -> str:
    path = tmp_path / f"{provider}.json"
    path.write_text(json.dumps(engine.openapi(provider)))
    return str(path)


def entry(method: str, path: str, headers: dict[str, str], body: Any, reply: httpx.Response):
    """The exchange as the journal would hold it, for openapi-core."""
    return {
        "method": method,
        "path": path,
        "query": "",
        "headers": {**headers, "content-type": "application/json"},
        "body": body,
        "status": reply.status_code,
        "response_headers": dict(reply.headers),
        "response": reply.json(),
    }


# The page's requests: HuskyVoice's curl, Leyr's single, two-step and confirmation, and bulk.
PAGE_REQUESTS = {
    "huskyvoice": [
        ("/v1/appointments/appt_a1b2c3d4e5", body, HUSKY)
        for body in husky_sources.CANCEL_EXAMPLES.requests.values()
    ],
    "leyr": [
        *((f"{ANITA}/2001", body, LEYR) for body in leyr_sources.SINGLE_EXAMPLES.requests.values()),
        *((ANITA, body, LEYR) for body in leyr_sources.BULK_EXAMPLES.requests.values()),
    ],
}


@pytest.mark.parametrize("provider", ["huskyvoice", "leyr"])
def test_prism_mock_serves_the_pages_requests_with_a_2xx_that_keeps_to_the_export(
    tmp_path, provider
):
    engine = MockEngine()
    openapi = judge(engine, provider)
    with prism("mock", exported(tmp_path, engine, provider)) as url, httpx.Client() as http:
        for path, body, headers in PAGE_REQUESTS[provider]:
            reply = http.patch(url + path, json=body, headers=headers, timeout=30)
            assert 200 <= reply.status_code < 300, (path, body, reply.text)
            assert "sl-violations" not in reply.headers, reply.headers["sl-violations"]
            exchange = entry("PATCH", path, headers, body, reply)
            assert request_problems(openapi, exchange) == []  # type: ignore[arg-type]
            assert response_problems(openapi, exchange) == []  # type: ignore[arg-type]


def violations(reply: httpx.Response) -> list[Any]:
    found: list[Any] = json.loads(reply.headers.get("sl-violations", "[]"))
    return found


def test_prism_proxy_finds_no_violation_in_the_huskyvoice_page_example(tmp_path):
    engine = MockEngine()
    with MockServer(engine) as server:
        document = exported(tmp_path, engine, "huskyvoice")
        with prism("proxy", document, server.base_url) as url, httpx.Client() as http:
            [(path, body, headers)] = PAGE_REQUESTS["huskyvoice"]
            reply = http.patch(url + path, json=body, headers=headers, timeout=30)
            assert reply.status_code == 200, reply.text
            assert violations(reply) == []
            assert reply.json() == husky_sources.CANCEL_EXAMPLES.responses[200]["the page's answer"]
            broken = http.patch(url + path, json={"state": "cancelled"}, headers=headers)
            assert broken.status_code == 400
            assert violations(broken) != []  # the proxy does judge
    assert len(engine.violations()) == 1


def test_prism_proxy_finds_no_violation_in_the_leyr_page_examples(tmp_path):
    engine = MockEngine(["leyr/bulk-cancel"])
    with MockServer(engine) as server:
        document = exported(tmp_path, engine, "leyr")
        with prism("proxy", document, server.base_url) as url, httpx.Client() as http:

            def patch(path: str, body: dict[str, Any]) -> dict[str, Any]:
                reply = http.patch(url + path, json=body, headers=LEYR, timeout=30)
                assert reply.status_code == 200, reply.text
                assert violations(reply) == [], (path, body)
                answer: dict[str, Any] = reply.json()
                return answer

            single, two_step, confirm = leyr_sources.SINGLE_EXAMPLES.requests.values()
            [bulk] = leyr_sources.BULK_EXAMPLES.requests.values()
            assert patch(f"{WEBDOC}/1001", single)["status"] == "cancelled"
            pending = patch(f"{ANITA}/2001", two_step)
            assert pending["status"] == "awaiting_confirmation"
            code = engine.messages()[-1]["code"]
            done = patch(f"{ANITA}/{pending['id']}", {**confirm, "confirmation": {"code": code}})
            assert done["status"] == "cancelled"
            answers = patch(WEBDOC, {**bulk, "ids": ["1002"]})
            assert [a["status"] for a in answers] == ["cancelled"]
    assert engine.violations() == []
