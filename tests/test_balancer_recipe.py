"""The load balancer recipes of docs/sessions.md, run as printed (the servers' addresses aside)
in front of three real servers: every request of a session reaches the server that holds it,
whether the session is named by the prefix, the header or the report path, and the default
session's requests all reach one server. Skipped where nginx or HAProxy is not installed (CI
installs both)."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from conftest import AUTH, SEED_ID
from servers import running_cli

DOC = Path(__file__).parent.parent / "docs" / "sessions.md"
CANCEL = f"/v1/appointments/{SEED_ID}"
EXAMPLE_SERVERS = ("10.0.0.11:8080", "10.0.0.12:8080", "10.0.0.13:8080")


def recipe(language: str) -> str:
    [block] = re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), re.DOTALL)
    return block


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def nginx_config(folder: Path, port: int, servers: list[str]) -> list[str]:
    block = recipe("nginx").replace("listen 8080;", f"listen 127.0.0.1:{port};")
    temporary = " ".join(
        f"{kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi")
    )
    temporary += f" uwsgi_temp_path {folder / 'uwsgi'}; scgi_temp_path {folder / 'scgi'};"
    config = folder / "nginx.conf"
    config.write_text(
        f"daemon off; pid {folder / 'nginx.pid'}; error_log {folder / 'error.log'};\n"
        "events { worker_connections 64; }\n"
        f"http {{ access_log off; {temporary}\n{_addresses(block, servers)}}}\n"
    )
    return ["nginx", "-c", str(config)]


def haproxy_config(folder: Path, port: int, servers: list[str]) -> list[str]:
    config = folder / "haproxy.cfg"
    config.write_text(
        "defaults\n    mode http\n    timeout client 10s\n    timeout connect 2s\n"
        "    timeout server 10s\n"
        f"frontend in\n    bind 127.0.0.1:{port}\n    default_backend mockservers\n"
        + _addresses(recipe("haproxy"), servers)
    )
    return ["haproxy", "-f", str(config)]


def _addresses(block: str, servers: list[str]) -> str:
    for example, server in zip(EXAMPLE_SERVERS, servers, strict=True):
        block = block.replace(example, server)
    return block


@contextmanager
def balancer(command: list[str], port: int) -> Iterator[str]:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline, "the balancer did not listen"
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.communicate(timeout=10)


@pytest.mark.parametrize("make", [nginx_config, haproxy_config], ids=["nginx", "haproxy"])
def test_the_balancer_recipe_keeps_each_session_on_one_server(make, tmp_path):
    program = make.__name__.split("_")[0]
    if shutil.which(program) is None:
        pytest.skip(f"{program} is not installed")
    with ExitStack() as stack:
        runs = [stack.enter_context(running_cli([])) for _ in range(3)]
        servers = [run.base_url.removeprefix("http://") for run in runs]
        port = free_port()
        url = stack.enter_context(balancer(make(tmp_path, port, servers), port))
        http = stack.enter_context(httpx.Client(base_url=url, timeout=10))
        for n in range(8):
            prefixed, by_header = f"job-{n}", {**AUTH, "X-Mock-Session": f"header-{n}"}
            http.patch(f"/__session/{prefixed}{CANCEL}", json={"status": "canceled"}, headers=AUTH)
            http.get(f"/__session/{prefixed}{CANCEL}", headers=AUTH)
            journal = http.get(f"/__session/{prefixed}/__admin/requests").json()["requests"]
            verdict = http.get(f"/__admin/sessions/{prefixed}/report").json()
            assert (len(journal), verdict["verdict"], verdict["requests"]) == (2, "fail", 2)
            http.patch(CANCEL, json={"status": "cancelled"}, headers=by_header)
            again = http.get(CANCEL, headers=by_header).json()["data"]["status"]
            assert again == "cancelled"
        paths = ["/v1/appointments/appt_x1", "/v1/appointments/appt_x2", "/v1/appointments"]
        for path in [*paths, "/api/emrs/webdoc/care-units/wd-oslo-1/appointments/1"]:
            http.get(path, headers=AUTH)
        assert len(http.get("/__admin/requests").json()["requests"]) == 4
        held = [httpx.get(f"{run.base_url}/__admin/sessions").json()["sessions"] for run in runs]
    assert sorted(s["id"] for listed in held for s in listed) == sorted(
        [f"job-{n}" for n in range(8)] + [f"header-{n}" for n in range(8)]
    )
