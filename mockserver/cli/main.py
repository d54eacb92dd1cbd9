"""`mockserver`: serve the mock, list and validate scenarios, print a provider's OpenAPI."""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import NoReturn

from mockserver.cli.watch import ScenarioWatcher
from mockserver.core.contracts import default_contracts
from mockserver.core.resources import package_version, scenarios_dir
from mockserver.engine.facade import MockEngine
from mockserver.engine.sessions import DEFAULT_MAX_SESSIONS, DEFAULT_TTL_SECONDS, Sessions
from mockserver.providers import make_providers, provider_classes
from mockserver.scenarios.catalog import (
    Readers,
    ScenarioCatalog,
    ScenarioError,
    ScenarioProblem,
    UnknownScenarioError,
    load_scenarios,
    scenario_files,
)
from mockserver.web.guard import LOOPBACK_NAMES, AdminPolicy
from mockserver.web.server import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    PortInUseError,
    bind_socket,
    serve_forever,
    url_for,
)


class _Parser(argparse.ArgumentParser):
    """Usage mistakes in one line, exit 2 (the usage is one `--help` away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mockserver",
        description="Contract-checked mock of the HuskyVoice and Leyr cancellation APIs.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the mock server until Ctrl-C")
    serve.add_argument(
        "--scenario",
        action="append",
        default=[],
        metavar="NAME",
        help="scenario to activate, one per provider at most (default: each one's direct-cancel)",
    )
    _scenarios_dir_option(serve)
    serve.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})"
    )
    serve.add_argument(
        "--port",
        type=_bounded(0, 65535),
        default=DEFAULT_PORT,
        help=f"port (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    serve.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a Host name the admin API also answers to (besides localhost and the bound address)",
    )
    serve.add_argument(
        "--admin-token",
        metavar="TOKEN",
        help="require 'Authorization: Bearer TOKEN' on /__admin (for a --host beyond loopback)",
    )
    serve.add_argument(
        "--access-log", action="store_true", help="log every request (off by default, for speed)"
    )
    serve.add_argument(
        "--journal-file",
        type=Path,
        metavar="FILE",
        help="also append every exchange to FILE as JSON lines (the in-memory journal is a ring)",
    )
    serve.add_argument(
        "--journal-secrets",
        action="store_true",
        help="show Authorization, Cookie and client secrets in full in the journal",
    )
    serve.add_argument(
        "--watch", action="store_true", help="reload scenario files when they change"
    )
    serve.add_argument(
        "--session-ttl",
        type=_bounded(1, 7 * 24 * 3600),
        default=DEFAULT_TTL_SECONDS,
        metavar="SECONDS",
        help="end a session after this long without a request (default 1800)",
    )
    serve.add_argument(
        "--max-sessions",
        type=_bounded(0, 100_000),
        default=DEFAULT_MAX_SESSIONS,
        metavar="N",
        help="sessions (/__session/{id}/…) live at once; beyond, a new one gets 503 (default 64)",
    )
    serve.add_argument(
        "--journal-size",
        type=_bounded(1, 10_000_000),
        default=10_000,
        metavar="N",
        help="requests kept in memory (default 10000)",
    )

    listing = commands.add_parser("scenarios", help="list the scenarios the server can load")
    _scenarios_dir_option(listing)
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")

    validate = commands.add_parser(
        "validate", help="check scenario files; exit 1 listing every problem"
    )
    validate.add_argument(
        "paths", nargs="+", type=Path, metavar="PATH", help="scenario files or directories"
    )

    openapi = commands.add_parser("openapi", help="print a provider's OpenAPI 3.1 document")
    openapi.add_argument("provider", choices=[cls.name for cls in provider_classes()])
    return parser


def _bounded(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from `low` to `high`, refused in one line otherwise."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not between {low} and {high}")
        return value

    return parse


def _scenarios_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scenarios-dir",
        action="append",
        default=[],
        type=Path,
        metavar="DIR",
        help="a directory of your own scenario files (repeatable)",
    )


def _fail(message: str) -> int:
    print(f"mockserver: error: {message}", file=sys.stderr)
    return 2


def _serve(args: argparse.Namespace) -> int:
    try:
        engine = MockEngine(
            args.scenario,
            args.scenarios_dir,
            journal_size=args.journal_size,
            journal_file=args.journal_file,
            journal_secrets=args.journal_secrets,
        )
    except ScenarioError as error:
        return _fail(f"broken scenario files:\n{error}")
    except (UnknownScenarioError, ValueError) as error:
        return _fail(str(error))
    except OSError as error:
        return _fail(f"cannot open the journal file: {error}")
    try:
        sock = bind_socket(args.host, args.port)
    except PortInUseError as error:
        return _fail(str(error))
    url = url_for(args.host, sock.getsockname()[1])
    active = ", ".join(f"{p}: {s.name}" for p, s in engine.active().items())
    print(
        f"mockserver on {url} ({active}); dashboard at {url}/__admin/ui/; admin API at "
        f"{url}/__admin; Ctrl-C stops",
        flush=True,
    )
    # Everything loaded so far lives as long as the server: keep it out of the collector's
    # full passes, which would otherwise show up as latency spikes under load.
    gc.freeze()
    if args.host not in LOOPBACK_NAMES and not args.admin_token:
        print(
            f"mockserver: warning: {args.host} is reachable beyond this machine and the admin "
            "API has no token; add --admin-token TOKEN to protect /__admin",
            file=sys.stderr,
            flush=True,
        )
    policy = AdminPolicy(frozenset(h.lower() for h in args.allow_host), args.admin_token)
    watcher = ScenarioWatcher(engine).start() if args.watch else None
    # uvicorn drains and closes on Ctrl-C or SIGTERM, then raises the signal again for the
    # caller: both end here, as a clean stop.
    signal.signal(signal.SIGTERM, _terminated)
    with contextlib.suppress(KeyboardInterrupt, _Terminated):
        sessions = Sessions(engine, ttl_seconds=args.session_ttl, max_sessions=args.max_sessions)
        serve_forever(
            engine, sock, access_log=args.access_log, admin_policy=policy, sessions=sessions
        )
    if watcher is not None:
        watcher.stop()
    engine.close()
    print("mockserver stopped", flush=True)
    return 0


class _Terminated(Exception):
    """SIGTERM, raised again by uvicorn once it has drained."""


def _terminated(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


def _readers() -> Readers:
    return make_providers(default_contracts())


def _scenarios(args: argparse.Namespace) -> int:
    try:
        catalog = ScenarioCatalog(args.scenarios_dir, readers=_readers())
    except ScenarioError as error:
        return _fail(f"broken scenario files:\n{error}")
    if args.json:
        print(json.dumps([s.summary() for s in catalog], indent=2))
        return 0
    width = max(len(name) for name in catalog.names())
    for scenario in catalog:
        first = scenario.description.split(". ")[0].rstrip(".")
        print(f"{scenario.name:<{width}}  {first if len(first) <= 100 else first[:99] + '…'}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    problems: list[ScenarioProblem] = []
    files: list[Path] = []
    for path in args.paths:
        if path.is_dir():
            found_here = scenario_files(path)
            if not found_here:
                problems.append(ScenarioProblem(str(path), None, "", "no *.yaml or *.yml files"))
            files += found_here
        elif path.exists():
            files.append(path)
        else:
            problems.append(ScenarioProblem(str(path), None, "", "no such file or directory"))
    builtin = scenario_files(scenarios_dir())
    known = {p.resolve() for p in builtin}
    # Files may extend built-in scenarios, so those are loaded beside them.
    user = [f for f in files if f.resolve() not in known]
    _, found = load_scenarios(builtin, user, readers=_readers())
    problems += found
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {len(files)} file(s)", file=sys.stderr)
        return 1
    print(f"ok: {len(files)} scenario file(s) valid")
    return 0


def _openapi(args: argparse.Namespace) -> int:
    provider = next(cls for cls in provider_classes() if cls.name == args.provider)
    print(json.dumps(provider(default_contracts()).openapi(), indent=2))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler = {"serve": _serve, "scenarios": _scenarios, "validate": _validate, "openapi": _openapi}
    try:
        return handler[args.command](args)
    except BrokenPipeError:
        # The reader went away (`mockserver scenarios --json | head -1`): not an error of ours.
        # Point stdout at nothing so the interpreter's final flush does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
