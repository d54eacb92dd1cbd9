"""The mock's core: one active scenario per provider, their state, the journal and violations.

Every surface (HTTP app, admin API, in-process transport, pytest plugin) drives this object.
It imports no web framework; one lock makes each request atomic against the state.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TypedDict

from msgspec.structs import replace

from mockserver.core.collector import collector_paused
from mockserver.core.commands import CommandError, Reset, SetClock, provider_name
from mockserver.core.contracts import Contracts, default_contracts
from mockserver.core.documents import (
    ActiveScenario,
    ClockDocument,
    InteractionDocument,
    ListedScenario,
    OutboxMessage,
    ReloadDocument,
)
from mockserver.core.resources import scenarios_dir
from mockserver.core.templating import RESPONSE_LIMIT
from mockserver.engine.evidence import Evidence
from mockserver.engine.pipeline import ConformingMemory, RequestPipeline, conforming_memory
from mockserver.journal.budget import JournalBudget
from mockserver.journal.coverage import Coverage
from mockserver.journal.recorder import Recorder
from mockserver.journal.ring import (
    DEFAULT_JOURNAL_BYTES,
    DEFAULT_JOURNAL_SIZE,
    JournalSettings,
    wall_clock_text,
)
from mockserver.journal.run import RunRecord, combine_records
from mockserver.providers import AnyProvider, contracts_for, make_providers
from mockserver.providers.base import ProviderState
from mockserver.scenarios.catalog import (
    Scenario,
    ScenarioCatalog,
    ScenarioError,
    folder_label,
)
from mockserver.scenarios.interactions import Interaction, ScriptRuntime


class _Reset(TypedDict):
    reset: list[str]  # the providers started afresh


class ResetDocument(_Reset, total=False):
    """`POST /__admin/reset`: what was reset and, for named scenarios, what is active."""

    active: dict[str, str]  # scenario name by provider


# Sessions whose evidence a run's report keeps (the earliest go first beyond it).
MAX_SESSIONS_REPORTED = 1024


def _interaction_json(
    provider: str, script: ScriptRuntime, interaction: Interaction
) -> InteractionDocument:
    return {
        "provider": provider,
        "name": interaction.name,
        "added": interaction in script.added,
        "match": interaction.pattern.describe(),
        "times": interaction.times,
        "counters": script.counters(interaction),
        "states": dict(script.states),
    }


def _unnamed(number: int) -> str:
    """The name of the `number`th stub added without one."""
    return f"interaction {number}"


def _now() -> str:
    return wall_clock_text(time.time())


class MockEngine:
    """Both providers' mocks behind one `handle(request) -> Outcome`: a facade over the
    scenarios and their state, the clocks, the stubs, the journal and the request pipeline."""

    def __init__(
        self,
        scenarios: Sequence[str] = (),
        scenarios_dirs: Sequence[str | Path] = (),
        *,
        contracts: Contracts | None = None,
        journal_size: int = DEFAULT_JOURNAL_SIZE,
        journal_file: str | Path | None = None,
        journal_secrets: bool = False,
        session: str | None = None,
        shared_with: MockEngine | None = None,
        journal_max_bytes: int = DEFAULT_JOURNAL_BYTES,
        response_max_bytes: int = RESPONSE_LIMIT,
    ) -> None:
        """Read every scenario (raising ScenarioError if any is broken) and activate `scenarios`.

        With `shared_with`, the engine is another session's isolated world: it reuses that
        engine's read-only parts (schemas, providers, the scenario catalog) and reads nothing.
        """
        # Scenarios, schemas and states all live on: collections meanwhile would only walk
        # them again and again (see collector_paused).
        with collector_paused():
            self.contracts: Contracts
            self.providers: dict[str, AnyProvider]
            self.scenarios_dirs: list[Path]
            self.catalog: ScenarioCatalog
            if shared_with is not None:
                self.contracts, self.providers = shared_with.contracts, shared_with.providers
                self.scenarios_dirs, self.catalog = shared_with.scenarios_dirs, shared_with.catalog
            else:
                self.contracts = contracts_for(contracts or default_contracts())
                self.providers = make_providers(self.contracts, response_max_bytes)
                self.scenarios_dirs = [Path(d) for d in scenarios_dirs]
                self.catalog = self._read_catalog()
            self._reload: ReloadDocument = {"ok": True, "error": None, "at": None}
            self._files_read_by = shared_with  # a session's files are its server's: so is reloading
            self.session = session  # None: the server's default session
            self._journal_settings = JournalSettings(
                journal_size,
                Path(journal_file) if journal_file else None,
                journal_secrets,
                session,
                journal_max_bytes,
                # One byte budget for the server's journals: a session's is its server's.
                shared_with.journal_budget if shared_with else JournalBudget(journal_max_bytes),
            )
            # States of scenarios answered through the X-Mock-Scenario header, by name.
            self.side_states: dict[str, ProviderState] = {}
            self._coverage = Coverage()  # kept across resets: it describes a whole run
            self._recorder = Recorder(self._journal_settings)
            self._lock = threading.RLock()
            # The sessions made from this engine, ended ones too: the run's report covers them all.
            self._spawned: deque[MockEngine] = deque(maxlen=MAX_SESSIONS_REPORTED)
            chosen = resolve_active(self.catalog, scenarios, self.providers)
            self.initial_scenarios = tuple(scenario.name for scenario in chosen.values())
            self.states: dict[str, ProviderState] = {
                p: self.providers[p].new_state(s) for p, s in chosen.items()
            }
            self._bind_calls(shared_with)

    def _bind_calls(self, shared_with: MockEngine | None) -> None:
        """The calls of the request pipeline and the journal, bound to the engine so that each
        goes straight to the object that does it (no pass-through on the way)."""
        # Answers known to conform: the server's, for all its sessions (see conforming_memory).
        self._conforming: ConformingMemory = (
            shared_with._conforming if shared_with else conforming_memory()
        )
        pipeline = RequestPipeline(
            self, self.contracts, self._recorder, self._coverage, self._lock, self._conforming
        )
        self.handle = pipeline.handle
        self.refusal = pipeline.refusal
        self.client_went_away = pipeline.client_went_away
        self.provider_for = pipeline.provider_for
        journal = self._recorder
        self.requests = journal.requests  # the journal, oldest first; a pattern's matches
        self.journal_page = journal.page
        self.closest_requests = journal.closest  # the exchanges nearest to a pattern
        self.clear_requests = journal.clear_requests
        self.violations = journal.violations
        self.clear_violations = journal.clear_violations
        self._evidence = Evidence(journal, self._coverage, self.providers, self.active)
        self.coverage = self._evidence.coverage  # every documented outcome, how often seen
        self.near_misses = self._evidence.near_misses
        self.journal_with_flows = self._evidence.journal_with_flows

    def spawn(self, session: str, scenarios: Sequence[str] = ()) -> MockEngine:
        """A new isolated world (a session) on this engine's scenarios and journal settings,
        starting on `scenarios` and, for the other providers, the ones this engine started with.

        Raises UnknownScenarioError for a name the catalog lacks."""
        settings = self._journal_settings
        named = {self.catalog.get(name).provider for name in scenarios}
        kept = [n for n in self.initial_scenarios if self.catalog.get(n).provider not in named]
        spawned = MockEngine(
            [*scenarios, *kept],
            journal_size=settings.size,
            journal_file=settings.file,
            journal_secrets=settings.secrets,
            journal_max_bytes=settings.max_bytes,
            session=session,
            shared_with=self,
        )
        with self._lock:
            self._spawned.append(spawned)
        return spawned

    # Scenarios and state ----------------------------------------------------------------------

    def close(self) -> None:
        """Flush and close what the engine writes (the journal file)."""
        self._recorder.close()

    def _read_catalog(self) -> ScenarioCatalog:
        return ScenarioCatalog(
            self.scenarios_dirs,
            contracts=self.contracts,
            readers=self.providers,
        )

    def reload(self) -> list[str]:
        """Read every scenario file again; raise ScenarioError (keeping the old ones) if broken.

        Active scenarios whose files changed restart with fresh state; their names are returned.
        The outcome is kept for `reload_status()`, so health and the dashboard can say it.
        """
        try:
            catalog = self._read_catalog()
        except ScenarioError as error:
            shown = [replace(p, file=self._shown_file(p.file)) for p in error.problems]
            self._reload = {"ok": False, "error": "\n".join(map(str, shown)), "at": _now()}
            raise
        except Exception as error:
            self._reload = {"ok": False, "error": f"{type(error).__name__}: {error}", "at": _now()}
            raise
        self._reload = {"ok": True, "error": None, "at": _now()}
        restarted = []
        with self._lock:
            self.catalog = catalog
            self.side_states.clear()
            for provider, state in list(self.states.items()):
                name = state.scenario.name
                if name in catalog and catalog.get(name).data != state.scenario.data:
                    self.states[provider] = self.providers[provider].new_state(catalog.get(name))
                    restarted.append(name)
        return restarted

    def reload_status(self) -> ReloadDocument:
        if self._files_read_by is not None:
            return self._files_read_by.reload_status()
        return self._reload.copy()

    def _shown_file(self, file: str) -> str:
        return folder_label(Path(file), [*self.scenarios_dirs, scenarios_dir()])

    @property
    def provider_names(self) -> tuple[str, ...]:
        return tuple(self.providers)

    def active(self) -> dict[str, Scenario]:
        return {name: state.scenario for name, state in self.states.items()}

    def scenario_summaries(self) -> list[ListedScenario]:
        """Every loadable scenario, with whether it is active."""
        active = {state.scenario.name for state in self.states.values()}
        return [
            {**scenario.summary(), "active": scenario.name in active} for scenario in self.catalog
        ]

    def load(self, name: str | Mapping[str, object]) -> Scenario:
        """Make a scenario active for its provider, with fresh state; others are untouched.

        `name` is a catalog name, or a scenario as data (`{"extends": …, "org": {…}}`), checked
        like a file (ScenarioError names the fields).
        """
        if isinstance(name, Mapping):
            scenario = self.catalog.inline(name, contracts=self.contracts, readers=self.providers)
        else:
            scenario = self.catalog.get(name)
        state = self.providers[scenario.provider].new_state(scenario)
        with self._lock:
            self.states[scenario.provider] = state
            self._recorder.new_flow()
            self._recorder.mark("scenario", provider=scenario.provider, name=scenario.name)
        return scenario

    def reset(self, provider: str | None = None) -> None:
        """Fresh state from the active scenarios; the journal and violations are emptied."""
        with self._lock:
            names = [provider] if provider else list(self.states)
            for name in names:
                state = self.states[name]
                self.states[name] = self.providers[name].new_state(state.scenario)
            self._forget()
            self._mark_reset(names)

    def apply_reset(self, command: Reset) -> ResetDocument:
        """A checked reset command; what was reset and, for named scenarios, what is active."""
        if command.scenarios is None:
            self.reset(command.provider)
            return {"reset": [command.provider] if command.provider else sorted(self.states)}
        try:
            chosen = self.activate(command.scenarios)  # UnknownScenarioError: a 404 as it is
        except ValueError as error:
            raise CommandError(str(error)) from None
        return {"reset": sorted(chosen), "active": {p: s.name for p, s in chosen.items()}}

    def activate(self, names: Sequence[str] = ()) -> dict[str, Scenario]:
        """Start clean on `names` (one per provider; the rest their `direct-cancel`).

        Fresh state for every provider, an empty journal and no violations: what a test
        wants before it runs. Raises before changing anything if a name is wrong.
        """
        chosen = resolve_active(self.catalog, names, self.providers)
        states = {p: self.providers[p].new_state(s) for p, s in chosen.items()}
        with self._lock:
            self.states = states
            self._forget()
            self._mark_reset(list(states))
        return chosen

    def _mark_reset(self, providers: list[str]) -> None:
        """The journal file's marker: from here on, these providers start over."""
        scenarios = {name: self.states[name].scenario.name for name in providers}
        self._recorder.mark("reset", scenarios=scenarios)

    def _forget(self) -> None:
        """What a clean start drops besides state: journal, violations, per-request scenarios."""
        self._recorder.clear()
        self.side_states.clear()

    def seeded(self) -> dict[str, ActiveScenario]:
        with self._lock:
            return {
                name: {
                    **state.scenario.summary(),
                    "clock": state.clock.to_json(),
                    "seeded": state.seeded(),
                }
                for name, state in self.states.items()
            }

    def messages(self) -> list[OutboxMessage]:
        with self._lock:
            return [m for state in self.states.values() for m in state.outbox()]

    def clocks(self) -> dict[str, ClockDocument]:
        with self._lock:
            return {name: state.clock.to_json() for name, state in self.states.items()}

    def set_clock(self, command: SetClock) -> dict[str, ClockDocument]:
        """Move the clocks the command names: all of them, or none if one cannot move."""
        with self._lock:
            chosen = [
                state for name, state in self.states.items() if command.provider in (None, name)
            ]
            targets = [command.moved(state.clock.now()) for state in chosen]
            for state, instant in zip(chosen, targets, strict=True):
                before = state.clock.now_text()
                state.clock.set(instant)
                moved = {"provider": state.scenario.provider, "now": state.clock.now_text()}
                self._recorder.mark("clock", **moved, before=before)
        return self.clocks()

    # Interactions added at run time (stubs) ----------------------------------------------------

    def add_interaction(
        self, raw: Mapping[str, object], provider: str | None = None
    ) -> InteractionDocument:
        """Add one interaction, in the scenario-file language, before every other of its
        provider's; it lasts until that provider's next reset or scenario switch."""
        name = provider_name(provider, self.provider_names) or self._provider_of_stub(raw)
        interaction = self.providers[name].interaction(raw)
        with self._lock:
            script = self.states[name].script
            taken = {i.name for i in script.added}
            if "name" not in raw:  # [mock] numbered in the order added, the first free number
                number = next(
                    n for n in itertools.count(len(taken) + 1) if _unnamed(n) not in taken
                )
                interaction = replace(interaction, name=_unnamed(number))
            elif interaction.name in taken:
                raise CommandError(f"an interaction named {interaction.name!r} is already added")
            added = script.add(interaction)
            return _interaction_json(name, script, added)

    def _provider_of_stub(self, raw: Mapping[str, object]) -> str:
        match = raw.get("match")
        path = (
            match.get("path") or match.get("path_regex", "") if isinstance(match, Mapping) else ""
        )
        for provider in self.providers.values():
            if isinstance(path, str) and path.lstrip("^").startswith(provider.prefix + "/"):
                return provider.name
        names = " or ".join(self.providers)
        prefixes = " or ".join(f"{p.prefix}/" for p in self.providers.values())
        raise CommandError(
            f"name the provider ('provider': {names}), or match a path under {prefixes}"
        )

    def interactions(self) -> list[InteractionDocument]:
        """Every interaction in force, added ones first, with their counters and states."""
        with self._lock:
            return [
                _interaction_json(name, state.script, interaction)
                for name, state in self.states.items()
                for interaction in state.script.interactions
            ]

    def remove_interactions(self, name: str | None = None) -> int:
        """Drop added interactions (one by name, or all); how many went."""
        with self._lock:
            return sum(state.script.remove(name) for state in self.states.values())

    # What the mock saw ------------------------------------------------------------------------

    def run_record(self) -> RunRecord:
        """The whole run's evidence for a report, this engine's and that of every session made
        from it (ended ones too): every exchange and violation since the start (resets included,
        as far as each journal's ring reaches), near misses (each judged against the
        interactions in force when it came), and the contract coverage. Credentials are always
        shortened. Request ids are made distinct across sessions (see `combine_records`)."""
        with self._lock:
            spawned = list(self._spawned)
        if not spawned:
            return self._evidence.record()
        return combine_records([self._evidence.record(), *(e._evidence.record() for e in spawned)])

    @property
    def requests_seen(self) -> int:
        """Every exchange ever journaled, including those the ring has dropped."""
        return self._recorder.total_seen

    @property
    def journal_bytes(self) -> int:
        """What this engine's journal holds, in bytes, as the shared byte budget counts it."""
        return self._recorder.journal_bytes

    @property
    def journal_budget(self) -> JournalBudget:
        """The byte budget this engine's journal shares with its server's sessions."""
        budget = self._journal_settings.budget
        assert budget is not None  # always given in __init__
        return budget

    def openapi(
        self, provider: str, server_url: str = "http://127.0.0.1:8080"
    ) -> dict[str, object]:
        name = provider_name(provider, self.provider_names)
        assert name is not None
        return self.providers[name].openapi(server_url)


def resolve_active(
    catalog: ScenarioCatalog, names: Iterable[str], providers: Iterable[str]
) -> dict[str, Scenario]:
    """One scenario per provider: the named ones, else each provider's `direct-cancel`."""
    chosen: dict[str, Scenario] = {}
    for name in names:
        scenario = catalog.get(name)
        if scenario.provider in chosen:
            raise ValueError(
                f"two scenarios for {scenario.provider}: {chosen[scenario.provider].name} and "
                f"{name}; name at most one per provider"
            )
        chosen[scenario.provider] = scenario
    for provider in providers:
        if provider not in chosen:
            chosen[provider] = catalog.get(f"{provider}/direct-cancel")
    return chosen
