"""The dashboard's HTML, rendered from plain data (no I/O here).

The same functions draw the first paint and every live update, so a page read without
JavaScript shows what a live one does. Every value goes through `html.el`, which escapes it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from urllib.parse import quote, urlencode

import msgspec

from mockserver.core.documents import (
    ClockDocument,
    ClosestInteraction,
    ClosestOperation,
    InteractionDocument,
    JournalEntry,
    ListedScenario,
    NearMiss,
    OutboxMessage,
    ReloadDocument,
    Violation,
)
from mockserver.core.patterns import parse_pattern
from mockserver.core.surface import ADMIN_PREFIX, DASHBOARD_PREFIX, SESSION_PREFIX
from mockserver.engine.sessions import SessionSummary
from mockserver.journal.ring import JournalQuery
from mockserver.web.html import Markup, el, join

UI_PREFIX = DASHBOARD_PREFIX
PAGE_SIZE = 50
# What a row shows of a body, a header set or a path: the page is redrawn every second, and
# the whole exchange is one click away in the admin API.
SHOWN_CHARACTERS = 2048
MAX_SEARCH = 200  # characters of the journal's search box
# Sessions listed by the picker; the rest are counted, and listed by GET /__admin/sessions.
SESSIONS_SHOWN = 100
STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")
# How an outbox message's state reads.
STATE_WORDS = {
    "pending": "pending: awaiting the code",
    "confirmed": "confirmed: cancelled",
    "voided": "voided: too many wrong codes",
    "expired": "expired: too late for the code",
}
# Clock moves offered as buttons: label and seconds.
CLOCK_STEPS = (("+1 min", 60), ("+1 h", 3600), ("+1 day", 86400), ("+7 days", 604800))


class JournalFilter(msgspec.Struct, frozen=True):
    """The journal view's filters, as the page's query string carries them, and where the page
    lives: every link it draws stays in its session."""

    provider: str | None = None
    status: str | None = None  # a status class, "4xx"
    violations_only: bool = False
    cursor: int | None = None
    search: str | None = None  # a substring of the path, or an appointment id
    base: str = ""  # "" for the server's default session, "/__session/{id}" for a session

    def query(self) -> JournalQuery:
        """The journal page these filters show: newest first, PAGE_SIZE rows, all counted."""
        return JournalQuery(
            pattern=parse_pattern({"provider": self.provider}) if self.provider else None,
            status_class=int(self.status[0]) if self.status else None,
            broke_contract=True if self.violations_only else None,
            newest_first=True,
            cursor=self.cursor,
            limit=PAGE_SIZE,
            search=self.search,
            counted=True,
        )

    def link(self, **change: str | int | None) -> str:
        """The page's own address with these filters, `change` applied."""
        values = {
            "provider": self.provider,
            "status": self.status,
            "violations": "1" if self.violations_only else None,
            "q": self.search,
            "cursor": self.cursor,
            **change,
        }
        kept = {k: str(v) for k, v in values.items() if v not in (None, "")}
        return f"{self.base}{UI_PREFIX}/" + ("?" + urlencode(kept) if kept else "")

    def row_link(self, request_id: int) -> Markup:
        """A link to an exchange's journal row: the page of the journal that starts with it."""
        query = urlencode({"cursor": request_id + 1})
        href = f"{self.base}{UI_PREFIX}/?{query}#request-{request_id}"
        return el("a", {"href": href, "data-testid": "journal-link"}, f"#{request_id}")

    def export(self, form: str) -> str:
        """The admin API's listing of every exchange these filters take, as `form`."""
        values = {
            "provider": self.provider,
            "status": self.status,
            "broke_contract": "true" if self.violations_only else None,
            "q": self.search,
            "format": form,
        }
        kept = {k: v for k, v in values.items() if v}
        return f"{self.base}{ADMIN_PREFIX}/requests?{urlencode(kept)}"


class Snapshot(msgspec.Struct, frozen=True):
    """Everything the dashboard shows, read from the engine at one moment."""

    providers: Sequence[str]
    active: Mapping[str, str]
    scenarios: Sequence[ListedScenario]
    clocks: Mapping[str, ClockDocument]
    messages: Sequence[OutboxMessage]
    journal: Sequence[JournalEntry]
    next_cursor: int | None
    total_seen: int
    violations: Sequence[Violation]
    interactions: Sequence[InteractionDocument]
    near_misses: Sequence[NearMiss]
    filter: JournalFilter = msgspec.field(default_factory=JournalFilter)
    matched: int | None = None  # every exchange the journal's filters take, all pages
    reload: ReloadDocument | None = None  # how the last hot reload went
    session: str | None = None  # the session whose world it is; None for the default one
    sessions: Sequence[SessionSummary] | None = None  # the live ones, on the default's page


def page(snapshot: Snapshot | None, base: str = "") -> str:
    """The whole page, living under `base` (a session's prefix, or ""); without a snapshot, the
    locked page: the admin API wants a token this browser has not given yet, so it shows how to
    give it and no data. The script calls the admin API under `data-admin`: its session's."""
    locked = snapshot is None
    ui = f"{base}{UI_PREFIX}"
    body = _locked() if snapshot is None else _layout(sections(snapshot))
    return "<!doctype html>\n" + el(
        "html",
        {"lang": "en"},
        el(
            "head",
            {},
            el("meta", {"charset": "utf-8"}),
            el("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"}),
            el("title", {}, "mockserver dashboard"),
            el("link", {"rel": "stylesheet", "href": f"{ui}/static/dashboard.css"}),
            el("link", {"rel": "icon", "href": f"{ui}/static/favicon.svg"}),
            el("script", {"src": f"{ui}/static/dashboard.js", "defer": True}),
        ),
        el(
            "body",
            {"data-locked": "true" if locked else None, "data-admin": f"{base}{ADMIN_PREFIX}"},
            body,
        ),
    )


def _layout(parts: Mapping[str, Markup]) -> Markup:
    """The header's toolbar and the main column, each part in a container the script updates
    (the script draws the same containers when it unlocks a page)."""
    slot = {
        name: el("div", {"id": name, "data-section": name}, html) for name, html in parts.items()
    }
    return join(
        [
            el("header", {"class": "bar"}, el("h1", {}, "mockserver"), slot.pop("toolbar")),
            el("p", {"id": "notice", "role": "status", "aria-live": "polite"}),
            el("main", {}, slot.values()),
        ]
    )


def sections(snapshot: Snapshot) -> dict[str, Markup]:
    """The page's live parts by id; the script swaps in the ones that changed."""
    chosen = snapshot.filter
    drawn = {
        "toolbar": _toolbar(snapshot),
        "reload": _reload_banner(snapshot.reload),
        "sessions": None if snapshot.sessions is None else _sessions(snapshot.sessions),
        "scenarios": _scenarios(snapshot),
        "outbox": _outbox(snapshot.messages),
        "journal": _journal(snapshot),
        "violations": _violations(snapshot.violations, chosen),
        "near-misses": _near_misses(snapshot.near_misses, chosen),
        "interactions": _interactions(snapshot.interactions),
    }
    return {name: html for name, html in drawn.items() if html is not None}


def _locked() -> Markup:
    return el(
        "main",
        {"class": "locked"},
        el("h1", {}, "mockserver"),
        el(
            "p",
            {"data-testid": "token-needed"},
            "This mock's admin API needs a token (serve --admin-token). Enter it to see the "
            "dashboard; it is kept in this tab only.",
        ),
        el(
            "form",
            {"id": "token-form"},
            el("label", {"for": "token"}, "Admin token "),
            el("input", {"id": "token", "type": "password", "autocomplete": "off"}),
            el("button", {"type": "submit"}, "Open"),
        ),
        el("p", {"id": "notice", "role": "status", "aria-live": "polite"}),
        el("noscript", {}, el("p", {}, "Giving a token needs JavaScript.")),
    )


def _toolbar(snapshot: Snapshot) -> Markup:
    return el(
        "div",
        {"class": "tools"},
        _session_badge(snapshot.session),
        el(
            "button",
            {"type": "button", "data-testid": "reset-button", "data-action": "reset"},
            "Reset",
        ),
        el("span", {"class": "hint"}, f"{snapshot.total_seen} requests since start"),
    )


def _session_badge(session: str | None) -> Markup | None:
    """On a session's page: whose world it shows, and the way back to every session."""
    if session is None:
        return None
    return el(
        "span",
        {"class": "session", "data-testid": "session-name"},
        "session ",
        el("code", {}, session),
        " · ",
        el("a", {"href": f"{UI_PREFIX}/#sessions", "data-testid": "all-sessions"}, "all sessions"),
    )


def session_page(session_id: str) -> str:
    """A session's dashboard (ids are restricted to URL-safe characters; quoted all the same)."""
    return f"{SESSION_PREFIX}{quote(session_id, safe='')}{UI_PREFIX}/"


def _sessions(summaries: Sequence[SessionSummary]) -> Markup:
    """The session picker: each live session, linked to its own dashboard."""
    if not summaries:
        hint = "None live. Put /__session/{id} in front of any path to open one."
        return _section("Sessions", el("p", {"class": "empty"}, hint), count=0)
    rows = [
        el(
            "tr",
            {"data-testid": "session-row", "data-session": s["id"]},
            el(
                "td",
                {},
                el("a", {"href": session_page(s["id"]), "data-testid": "session-link"}, s["id"]),
            ),
            el("td", {}, ", ".join(s["scenarios"].values())),
            el("td", {}, s["requests"]),
            el("td", {}, s["violations"]),
            el("td", {}, _time_with_zone(s["created"])),
        )
        for s in summaries[:SESSIONS_SHOWN]
    ]
    head = el(
        "tr",
        {},
        [el("th", {}, h) for h in ("session", "scenarios", "requests", "violations", "created")],
    )
    more = len(summaries) - SESSIONS_SHOWN
    return _section(
        "Sessions",
        el("table", {}, el("thead", {}, head), el("tbody", {}, rows)),
        el("p", {"class": "hint"}, f"{more} more in GET /__admin/sessions") if more > 0 else None,
        count=len(summaries),
    )


def _reload_banner(reload: ReloadDocument | None) -> Markup:
    """While the scenario files on disk are broken: what is wrong, and that the last good ones
    still serve. Nothing once a reload succeeds."""
    if reload is None or reload["ok"]:
        return Markup("")
    return el(
        "div",
        {"class": "banner", "role": "alert", "data-testid": "reload-error"},
        el("strong", {}, f"Scenario files not reloaded ({_time_with_zone(reload['at'])}); "),
        "the last good ones still serve. Fix the file and save it again:",
        el("pre", {}, reload["error"] or ""),
    )


def _time_with_zone(instant: str | None) -> str:
    """`2026-11-28T10:05:51.123Z` as `10:05:51.123 UTC`: the zone always said."""
    if not instant:
        return "—"
    return f"{instant[11:23]} UTC" if instant.endswith("Z") else instant


def _section(title: str, *content: object, count: int | None = None) -> Markup:
    heading = el(
        "h2",
        {},
        title,
        el("span", {"class": "count"}, f" ({count})") if count is not None else None,
    )
    return el("section", {}, heading, *content)


def _scenarios(snapshot: Snapshot) -> Markup:
    cards = [_provider_card(snapshot, provider) for provider in snapshot.providers]
    return _section("Scenarios and clocks", el("div", {"class": "providers"}, cards))


def _provider_card(snapshot: Snapshot, provider: str) -> Markup:
    """One provider: its scenario switcher with the active one's description, and its clock."""
    active = snapshot.active.get(provider, "")
    choices = [s for s in snapshot.scenarios if s["provider"] == provider]
    described = next((s["description"] for s in choices if s["name"] == active), "")
    options = [
        el(
            "option",
            {"value": s["name"], "selected": s["name"] == active, "title": s["description"]},
            s["name"] + ("" if s["source"] == "builtin" else f"  ({s['source']})"),
        )
        for s in choices
    ]
    switcher = {"data-testid": "scenario-select", "data-provider": provider, "data-action": "load"}
    return el(
        "article",
        {"class": "provider"},
        el("h3", {}, provider),
        el("label", {}, "Scenario ", el("select", switcher, options)),
        el("p", {"class": "description"}, described),
        _clock(provider, snapshot.clocks.get(provider)),
    )


def _clock(provider: str, clock: ClockDocument | None) -> Markup:
    steps = [
        el(
            "button",
            {
                "type": "button",
                "data-action": "advance",
                "data-provider": provider,
                "data-seconds": seconds,
            },
            label,
        )
        for label, seconds in CLOCK_STEPS
    ]
    shown = clock["now"] if clock else ""
    now = el("time", {"data-testid": "clock-now", "data-provider": provider}, shown)
    state = " frozen" if clock and clock["frozen"] else " running"
    return join(
        [
            el("p", {"class": "clock"}, "Mock clock ", now, state),
            el("div", {"class": "clock-steps"}, steps),
        ]
    )


def _outbox(messages: Sequence[OutboxMessage]) -> Markup:
    if not messages:
        return _section("Outbox", el("p", {"class": "empty"}, "No code has been sent."), count=0)
    items = [_message(m) for m in reversed(messages)]
    return _section("Outbox", el("ol", {"class": "outbox"}, items), count=len(messages))


def _message(m: OutboxMessage) -> Markup:
    """A code sent, with where its cancellation stands: only a pending one can be confirmed."""
    state = m["state"]
    new_id = join(
        [
            el("code", {}, m["new_id"]),
            " ",
            _copy(m["new_id"], "Copy new id", testid="copy-new-id"),
        ]
    )
    return el(
        "li",
        {"class": f"message state-{state}", "data-testid": "outbox-message", "data-state": state},
        el("output", {"data-testid": "outbox-code", "class": "code"}, m["code"]),
        el(
            "div",
            {"class": "message-state"},
            el("span", {"class": "state", "data-testid": "outbox-state"}, STATE_WORDS[state]),
            _copy(m["code"], "Copy code"),
        ),
        el(
            "dl",
            {},
            _pair("to", f"{m['channel']} {m['recipient'] or ''}".strip()),
            _pair("original id", m["original_id"]),
            _pair("new id", new_id),
            _pair("EMR / care unit", f"{m['emr']} / {m['care_unit_id']}"),
            _pair("sent (mock clock)", m["sent_at"]),
            _pair("expires (mock clock)", m["expires_at"]),
        ),
    )


def _copy(value: str, label: str, *, testid: str | None = None) -> Markup:
    attributes = {"type": "button", "data-action": "copy", "data-copy": value}
    return el("button", {**attributes, "data-testid": testid}, label)


def _pair(term: str, value: object) -> Markup:
    return join([el("dt", {}, term), el("dd", {}, value)])


def _journal(snapshot: Snapshot) -> Markup:
    chosen = snapshot.filter
    rows = [_journal_row(entry) for entry in snapshot.journal]
    pager = el(
        "nav",
        {"class": "pager"},
        el("a", {"href": chosen.link(cursor=None)}, "Newest")
        if chosen.cursor is not None
        else None,
        el(
            "a",
            {"href": chosen.link(cursor=snapshot.next_cursor), "data-testid": "journal-older"},
            "Older",
        )
        if snapshot.next_cursor is not None
        else None,
    )
    shown = f"showing {len(rows)}, newest first" if rows else None
    return _section(
        "Journal",
        _filters(snapshot),
        _exports(chosen),
        el("p", {"class": "shown", "data-testid": "journal-shown"}, shown) if shown else None,
        el("div", {"class": "journal"}, rows)
        if rows
        else el("p", {"class": "empty"}, "No requests yet."),
        pager,
        count=len(rows) if snapshot.matched is None else snapshot.matched,
    )


def _exports(chosen: JournalFilter) -> Markup:
    """The journal as evidence: every exchange the filters take, as files."""
    return el(
        "p",
        {"class": "exports"},
        "Export these requests: ",
        _export(chosen, "har", "HAR"),
        " · ",
        _export(chosen, "jsonl", "JSON lines"),
    )


def _export(chosen: JournalFilter, form: str, label: str) -> Markup:
    attributes = {"download": f"mockserver.{form}", "data-testid": f"export-{form}"}
    return el("a", {"href": chosen.export(form), **attributes}, label)


def _filters(snapshot: Snapshot) -> Markup:
    chosen = snapshot.filter
    return el(
        "form",
        {"class": "filters", "method": "get", "action": f"{chosen.base}{UI_PREFIX}/"},
        el(
            "select",
            {"name": "provider", "aria-label": "provider"},
            el("option", {"value": ""}, "every provider"),
            [
                el("option", {"value": p, "selected": chosen.provider == p}, p)
                for p in snapshot.providers
            ],
        ),
        el(
            "select",
            {"name": "status", "aria-label": "status"},
            el("option", {"value": ""}, "every status"),
            [el("option", {"value": s, "selected": chosen.status == s}, s) for s in STATUS_CLASSES],
        ),
        el(
            "label",
            {},
            el(
                "input",
                {
                    "type": "checkbox",
                    "name": "violations",
                    "value": "1",
                    "checked": chosen.violations_only,
                },
            ),
            " contract breaches only",
        ),
        el(
            "input",
            {
                "type": "search",
                "name": "q",
                "value": chosen.search or "",
                "placeholder": "path or appointment id",
                "aria-label": "search by path or appointment id",
                "data-testid": "journal-search",
                "maxlength": MAX_SEARCH,
            },
        ),
        el("button", {"type": "submit"}, "Filter"),
    )


def _journal_row(entry: JournalEntry) -> Markup:
    status = entry["status"]
    query = f"?{entry['query']}" if entry["query"] else ""
    result = outcome(entry)
    return el(
        "details",
        {
            "id": f"request-{entry['id']}",
            "data-testid": "journal-row",
            "data-id": entry["id"],
            "data-status": status,
            "data-path": entry["path"],
            "data-outcome": result,
            "class": f"row status-{status // 100}xx"
            + (" breach" if entry["broke_contract"] else ""),
        },
        el(
            "summary",
            {},
            el("span", {"class": "id"}, f"#{entry['id']}"),
            el(
                "time",
                {"title": f"wall clock: {entry['received_at']}", "datetime": entry["received_at"]},
                _time_with_zone(entry["received_at"]),
            ),
            el("span", {"class": "status"}, status),
            el("span", {"class": "outcome"}, result),
            el("span", {"class": "method"}, entry["method"]),
            el("span", {"class": "path"}, _shown(entry["path"] + query)),
            el("span", {"class": "provider"}, entry["provider"] or "no provider"),
            el("span", {"class": "duration"}, f"{entry['duration_ms']:.1f} ms"),
            el("span", {"class": "flag"}, "contract breach") if entry["broke_contract"] else None,
        ),
        el(
            "div",
            {"class": "exchange"},
            el(
                "dl",
                {},
                _pair("received", entry["received_at"]),
                _pair("mock clock", entry["at"] or "—"),
                _pair("duration", f"{entry['duration_ms']} ms"),
                _pair("scenario", entry["scenario"] or "—"),
                _pair("operation", entry["operation"] or "none documented"),
                _pair("interaction", entry["interaction"]["name"] if entry["interaction"] else "—"),
            ),
            el("h4", {}, "Request"),
            _headers(entry["headers"]),
            _body(entry["body"]),
            el("h4", {}, "Response"),
            _headers(entry["response_headers"]),
            _body(entry["response"]),
        ),
    )


def outcome(entry: JournalEntry) -> str:
    """What an exchange came to, in one word: the error code of an error (the cause, for Leyr's
    problem details), else the appointment status answered (`awaiting_confirmation`,
    `cancelled`, several for a bulk cancel), else `ok`."""
    body = entry["response"]
    if entry["status"] >= 400:
        return _error_code(body) or str(entry["status"])
    if isinstance(body, dict) and isinstance(body.get("data"), dict):
        body = body["data"]  # HuskyVoice's envelope
    answers = body if isinstance(body, list) else [body]
    statuses = [b.get("status") for b in answers if isinstance(b, dict)]
    found = list(dict.fromkeys(s for s in statuses if isinstance(s, str)))
    return ",".join(found) if found else "ok"


def _error_code(body: object) -> str | None:
    if not isinstance(body, dict):
        return None
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        cause = errors[0].get("error_code")
        if isinstance(cause, str):
            return cause
    error = body.get("error")
    code = error.get("code") if isinstance(error, dict) else body.get("code")
    return code if isinstance(code, str) else None


def _headers(headers: Mapping[str, str]) -> Markup:
    text = "\n".join(f"{k}: {v}" for k, v in headers.items())
    return el("pre", {"class": "headers"}, _shown(text))


def _shown(text: str) -> str:
    if len(text) <= SHOWN_CHARACTERS:
        return text
    rest = len(text) - SHOWN_CHARACTERS
    return f"{text[:SHOWN_CHARACTERS]}… ({rest} more characters in GET /__admin/requests)"


def _body(body: object) -> Markup:
    if body is None:
        return el("p", {"class": "empty"}, "no body")
    text = body if isinstance(body, str) else json.dumps(body, indent=2, ensure_ascii=False)
    return el("pre", {"class": "body"}, _shown(text))


def _violations(violations: Sequence[Violation], chosen: JournalFilter) -> Markup:
    rows = [
        el(
            "tr",
            {"data-testid": "violation-row", "data-request": v["request_id"]},
            el("td", {}, chosen.row_link(v["request_id"])),
            el("td", {}, v["kind"]),
            el("td", {}, f"{v['method']} {v['path']}"),
            el("td", {"class": "field"}, problem["location"] or "—"),
            el("td", {}, problem["message"]),
            el("td", {"class": "schema-path"}, problem["schema_path"] or "—"),
        )
        for v in reversed(violations)
        for problem in v["problems"]
    ]
    if not rows:
        return _section("Contract violations", el("p", {"class": "empty"}, "None."), count=0)
    head = el(
        "tr",
        {},
        [el("th", {}, h) for h in ("request", "side", "call", "field", "message", "schema path")],
    )
    return _section(
        "Contract violations",
        el("table", {}, el("thead", {}, head), el("tbody", {}, rows)),
        count=len(violations),
    )


def _near_misses(misses: Sequence[NearMiss], chosen: JournalFilter) -> Markup:
    if not misses:
        return _section("Near misses", el("p", {"class": "empty"}, "None."), count=0)
    items = []
    for miss in misses:
        request = miss["request"]
        closest = miss["closest_operation"]
        interaction = miss["closest_interaction"]
        items.append(
            el(
                "li",
                {"data-testid": "near-miss"},
                el(
                    "strong",
                    {},
                    chosen.row_link(request["id"]),
                    f" {request['method']} {request['path']} → {request['status']}",
                ),
                el("ul", {}, [el("li", {}, reason) for reason in miss["reasons"]]),
                _closest(
                    "closest operation",
                    closest and f"{closest['method']} {closest['path']}",
                    closest,
                ),
                _closest("closest interaction", interaction and interaction["name"], interaction),
            )
        )
    return _section("Near misses", el("ol", {"class": "near-misses"}, items), count=len(misses))


def _closest(
    label: str, name: str | None, found: ClosestOperation | ClosestInteraction | None
) -> Markup | None:
    if not found:
        return None
    differences = found["differences"] or ["matches"]
    return el(
        "p",
        {},
        f"{label}: ",
        el("code", {}, name),
        el("ul", {}, [el("li", {}, d) for d in differences]),
    )


def _interactions(interactions: Sequence[InteractionDocument]) -> Markup:
    if not interactions:
        return _section("Interactions", el("p", {"class": "empty"}, "None in force."), count=0)
    rows = [
        el(
            "tr",
            {"data-testid": "interaction-row"},
            el("td", {}, i["provider"]),
            el("td", {}, i["name"], " (added)" if i["added"] else ""),
            el("td", {}, el("code", {}, i["match"])),
            el("td", {}, "∞" if i["times"] is None else i["times"]),
            el("td", {}, ", ".join(f"{k}: {n}" for k, n in i["counters"].items()) or "0"),
        )
        for i in interactions
    ]
    head = el(
        "tr", {}, [el("th", {}, h) for h in ("provider", "name", "match", "times", "answered")]
    )
    return _section(
        "Interactions",
        el("table", {}, el("thead", {}, head), el("tbody", {}, rows)),
        count=len(interactions),
    )
