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

from mockserver.cli.reporting import PortFile, conclude
from mockserver.cli.run import RunSettings, run_command
from mockserver.cli.watch import ScenarioWatcher, watched_files
from mockserver.core.contracts import default_contracts
from mockserver.core.resources import package_version, scenarios_dir
from mockserver.core.templating import RESPONSE_LIMIT
from mockserver.engine.facade import MockEngine
from mockserver.engine.sessions import DEFAULT_MAX_SESSIONS, DEFAULT_TTL_SECONDS, Sessions
from mockserver.journal.ring import DEFAULT_JOURNAL_BYTES
from mockserver.providers import make_providers, provider_classes
from mockserver.report.pact import check_consumer
from mockserver.report.target import ReportTarget
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
        description="Contract-checked mock of "
        + " and ".join(cls.title for cls in provider_classes())
        + ": the cancellation of appointments.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_serve_command, _run_command, _catalog_commands):
        add(commands)
    return parser


def _serve_command(commands: argparse._SubParsersAction[_Parser]) -> None:
    serve = commands.add_parser("serve", help="run the mock server until Ctrl-C")
    _server_options(serve, default_port=DEFAULT_PORT)
    serve.add_argument(
        "--fail-on-violation",
        action="store_true",
        help="exit 1 at shutdown when a client broke a provider's contract",
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


def _run_command(commands: argparse._SubParsersAction[_Parser]) -> None:
    run = commands.add_parser(
        "run",
        help="serve on a free port while COMMAND runs; exit 1 if it broke the contract",
        description="Start the mock, run COMMAND with MOCKSERVER_URL and MOCKSERVER_ADMIN_URL in "
        "its environment, stop the mock when it ends, print the verdict and write the report. "
        "Exit: COMMAND's status if non-zero, else 1 on a contract violation or too little "
        "coverage, else 0; 127 when COMMAND cannot start.",
    )
    _server_options(run, default_port=0)
    run.add_argument(
        "--allow-violations",
        action="store_true",
        help="report contract violations without failing the run",
    )
    run.add_argument(
        "--coverage-fail-under",
        type=_percent,
        metavar="PCT",
        help="fail the run when the contract coverage is under PCT percent",
    )
    run.add_argument(
        "argv",
        nargs=argparse.REMAINDER,
        metavar="-- COMMAND [ARGS...]",
        help="the client's test command",
    )


def _catalog_commands(commands: argparse._SubParsersAction[_Parser]) -> None:
    """`scenarios`, `validate` and `openapi`: what the mock holds, without serving it."""
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


def _server_options(parser: argparse.ArgumentParser, *, default_port: int) -> None:
    """The options `serve` and `run` share: the server's and the report's."""
    parser.add_argument(
        "--scenario",
        action="append",
        default=[],
        metavar="NAME",
        help="scenario to activate, one per provider at most (default: each one's direct-cancel)",
    )
    _scenarios_dir_option(parser)
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})"
    )
    parser.add_argument(
        "--port",
        type=_bounded(0, 65535),
        default=default_port,
        help=f"port (default {default_port}; 0 picks a free one)",
    )
    parser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a Host name the admin API also answers to (besides localhost and the bound address)",
    )
    parser.add_argument(
        "--admin-token",
        type=_token,
        metavar="TOKEN",
        help="require 'Authorization: Bearer TOKEN' on /__admin (for a --host beyond loopback)",
    )
    parser.add_argument(
        "--access-log", action="store_true", help="log every request (off by default, for speed)"
    )
    parser.add_argument(
        "--watch", action="store_true", help="reload scenario files when they change"
    )
    _journal_options(parser)


def _journal_options(parser: argparse.ArgumentParser) -> None:
    """What the server keeps of the run, and where: the journal, the report, the port file."""
    parser.add_argument(
        "--journal-file",
        type=Path,
        metavar="FILE",
        help="also append every exchange to FILE as JSON lines (the in-memory journal is a ring)",
    )
    parser.add_argument(
        "--journal-secrets",
        action="store_true",
        help="show Authorization, Cookie and client secrets in full in the journal",
    )
    parser.add_argument(
        "--journal-size",
        type=_bounded(1, 10_000_000),
        default=10_000,
        metavar="N",
        help="requests kept in memory (default 10000)",
    )
    parser.add_argument(
        "--journal-max-bytes",
        type=_bounded(1024 * 1024, 64 * 1024**3),
        default=DEFAULT_JOURNAL_BYTES,
        metavar="BYTES",
        help="memory the journals of the server and its sessions may hold together; the "
        "largest journal's oldest requests go first (default 64 MiB)",
    )
    parser.add_argument(
        "--response-max-bytes",
        type=_bounded(1024, 64 * 1024**2),
        default=RESPONSE_LIMIT,
        metavar="BYTES",
        help="the largest body a scripted answer may render (default 1 MiB)",
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        metavar="DIR",
        help="write the run's report there at the end (JUnit XML, summary.md, JSON, HAR)",
    )
    parser.add_argument(
        "--pact-consumer",
        type=_consumer,
        default="client",
        metavar="NAME",
        help="the consumer the report's pacts name: pacts/NAME-<provider>.json (default client)",
    )
    parser.add_argument(
        "--port-file",
        type=Path,
        metavar="PATH",
        help="once listening, write the port and the PID there (one a line); removed at exit",
    )


def _consumer(text: str) -> str:
    try:
        return check_consumer(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 100")
    return value


def _token(text: str) -> str:
    """An argparse type: a token that is not empty (an empty one would let `Bearer ` in)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("the token is empty; give one that is not")
    return text


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


def _port_hint(error: PortInUseError, port: int) -> str:
    if not (error.taken and port):
        return ""
    return (
        f" (another server has it); pick another with --port {port + 1}, or --port 0 for a "
        "free one (printed when it starts)"
    )


def _fail(message: str) -> int:
    print(f"mockserver: error: {message}", file=sys.stderr)
    return 2


def _engine(args: argparse.Namespace) -> MockEngine | str:
    """The engine the options describe, or why it cannot be built."""
    try:
        return MockEngine(
            args.scenario,
            args.scenarios_dir,
            journal_size=args.journal_size,
            journal_file=args.journal_file,
            journal_secrets=args.journal_secrets,
            journal_max_bytes=args.journal_max_bytes,
            response_max_bytes=args.response_max_bytes,
        )
    except ScenarioError as error:
        return f"broken scenario files:\n{error}"
    except (UnknownScenarioError, ValueError) as error:
        return str(error)
    except OSError as error:
        return f"cannot open the journal file: {error}"


def _policy(args: argparse.Namespace) -> AdminPolicy:
    if args.host not in LOOPBACK_NAMES and not args.admin_token:
        print(
            f"mockserver: warning: {args.host} is reachable beyond this machine and the admin "
            "API has no token; add --admin-token TOKEN to protect /__admin",
            file=sys.stderr,
            flush=True,
        )
    return AdminPolicy(frozenset(h.lower() for h in args.allow_host), args.admin_token)


def _banner(engine: MockEngine, url: str, then: str) -> None:
    active = ", ".join(f"{p}: {s.name}" for p, s in engine.active().items())
    print(
        f"mockserver on {url} ({active}); dashboard at {url}/__admin/ui/; admin API at "
        f"{url}/__admin; {then}",
        flush=True,
    )


def _serve(args: argparse.Namespace) -> int:
    # Taken before the files are read: an edit made while the server starts is not missed.
    before = watched_files([Path(d) for d in args.scenarios_dir]) if args.watch else None
    engine = _engine(args)
    if isinstance(engine, str):
        return _fail(engine)
    try:
        sock = bind_socket(args.host, args.port)
    except PortInUseError as error:
        return _fail(f"{error}{_port_hint(error, args.port)}")
    url = url_for(args.host, sock.getsockname()[1])
    port_file = PortFile(args.port_file)
    try:
        port_file.write(sock.getsockname()[1])
    except OSError as error:
        sock.close()
        return _fail(f"cannot write the port file: {error}")
    _banner(engine, url, "Ctrl-C stops")
    # Everything loaded so far lives as long as the server: keep it out of the collector's
    # full passes, which would otherwise show up as latency spikes under load.
    gc.freeze()
    target = ReportTarget(args.report_dir, pact_consumer=args.pact_consumer)
    policy = _policy(args)
    watcher = ScenarioWatcher(engine, seen=before).start() if args.watch else None
    # uvicorn drains and closes on Ctrl-C or SIGTERM, then raises the signal again for the
    # caller: both end here, as a clean stop.
    signal.signal(signal.SIGTERM, _terminated)
    try:
        with contextlib.suppress(KeyboardInterrupt, _Terminated):
            sessions = Sessions(
                engine, ttl_seconds=args.session_ttl, max_sessions=args.max_sessions
            )
            serve_forever(
                engine,
                sock,
                access_log=args.access_log,
                admin_policy=policy,
                sessions=sessions,
                report=target,
            )
        if watcher is not None:
            watcher.stop()
        engine.close()
        failed = False
        if args.report_dir or args.fail_on_violation:
            failed = conclude(engine, target, url).broke_contract
    finally:
        port_file.remove()
    print("mockserver stopped", flush=True)
    return 1 if failed and args.fail_on_violation else 0


def _run(args: argparse.Namespace) -> int:
    command = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    if not command:
        return _fail("name the command to run: mockserver run [OPTIONS] -- COMMAND [ARGS...]")
    engine = _engine(args)
    if isinstance(engine, str):
        return _fail(engine)
    settings = RunSettings(
        host=args.host,
        port=args.port,
        policy=_policy(args),
        target=ReportTarget(
            args.report_dir, args.allow_violations, args.coverage_fail_under, args.pact_consumer
        ),
        port_file=PortFile(args.port_file),
        access_log=args.access_log,
    )
    watcher = ScenarioWatcher(engine).start() if args.watch else None
    try:
        return run_command(
            engine, command, settings, lambda url: _banner(engine, url, f"running {command[0]}")
        )
    except PortInUseError as error:
        return _fail(f"{error}{_port_hint(error, args.port)}")
    except OSError as error:
        return _fail(f"cannot write the port file: {error}")
    finally:
        if watcher is not None:
            watcher.stop()
        engine.close()


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
    handler = {
        "serve": _serve,
        "run": _run,
        "scenarios": _scenarios,
        "validate": _validate,
        "openapi": _openapi,
    }
    try:
        return handler[args.command](args)
    except BrokenPipeError:
        # The reader went away (`mockserver scenarios --json | head -1`): not an error of ours.
        # Point stdout at nothing so the interpreter's final flush does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
