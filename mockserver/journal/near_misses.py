"""Near misses: requests that nothing answered as the client meant, each with what came closest.

A request is a near miss when it named no documented operation, broke a provider's contract,
or missed every scripted interaction written for its method and path. Each is shown with the
closest operation and interaction and how it differs from them, in the same words as the pytest
handle's failed assertions (`RequestPattern.difference`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mockserver.core.documents import (
    ClosestInteraction,
    ClosestOperation,
    NearMiss,
    ProblemDocument,
    Violation,
)
from mockserver.core.patterns import Observed, RequestPattern, parse_pattern
from mockserver.core.routing import Operation
from mockserver.journal.ring import Exchange
from mockserver.journal.run import problems_by_request
from mockserver.scenarios.interactions import Interaction

NO_OPERATION = "no documented operation has this method and path"
BROKE_CONTRACT = "the exchange broke the provider's contract"
NO_INTERACTION = "no scripted interaction for this method and path matched it"


def near_miss(
    exchange: Exchange,
    problems: Sequence[ProblemDocument],
    operations: Sequence[Operation],
    interactions: Sequence[Interaction],
    *,
    secrets: bool = False,
) -> NearMiss | None:
    """The near-miss report for one exchange, or None when it was answered as meant."""
    answered = exchange.operation is not None and not (problems or exchange.broke_contract)
    if answered and (exchange.interaction is not None or not interactions):
        return None  # the common case, decided without parsing the request again
    seen = exchange.observed()
    meant = [i for i in interactions if _same_endpoint(i.pattern, seen)]
    reasons = []
    if exchange.operation is None:
        reasons.append(NO_OPERATION)
    if problems or exchange.broke_contract:
        reasons.append(BROKE_CONTRACT)
    if exchange.interaction is None and meant:
        reasons.append(NO_INTERACTION)
    if not reasons:
        return None
    return {
        "request": exchange.to_json(secrets=secrets),
        "reasons": reasons,
        "problems": list(problems),
        "closest_operation": _closest_operation(operations, seen, secrets),
        "closest_interaction": _closest_interaction(meant or interactions, seen, secrets)
        if exchange.interaction is None
        else None,
    }


def latest_near_misses(
    exchanges: Sequence[Exchange],
    violations: Sequence[Violation],
    operations: Mapping[str, Sequence[Operation]],
    limit: int | None,
    secrets: bool,
) -> list[NearMiss]:
    """The near misses among `exchanges`, newest first, at most `limit` of them. Each is judged
    against its provider's `operations` (every provider's, for a path none serves) and the
    interactions in force when it came, whatever came since."""
    problems = problems_by_request(violations)
    every_operation = [op for ops in operations.values() for op in ops]
    found: list[NearMiss] = []
    for exchange in reversed(exchanges):
        if len(found) == limit:
            break
        report = near_miss(
            exchange,
            problems.get(exchange.id, []),
            operations.get(exchange.provider or "", every_operation),
            exchange.interactions,
            secrets=secrets,
        )
        if report is not None:
            found.append(report)
    return found


def _same_endpoint(pattern: RequestPattern, seen: Observed) -> bool:
    return (pattern.method in (None, seen.method)) and (
        pattern.path is None or pattern.path.search(seen.path) is not None
    )


def _closest_operation(
    operations: Sequence[Operation], seen: Observed, secrets: bool
) -> ClosestOperation | None:
    if not operations:
        return None
    ranked = [(parse_pattern({"method": op.method, "path": op.path}), op) for op in operations]
    pattern, op = min(ranked, key=lambda pair: pair[0].rank(seen))
    return {
        "operation": op.operation_id,
        "method": op.method,
        "path": op.path,
        "differences": pattern.difference(seen, secrets=secrets),
    }


def _closest_interaction(
    interactions: Sequence[Interaction], seen: Observed, secrets: bool
) -> ClosestInteraction | None:
    if not interactions:
        return None
    closest = min(interactions, key=lambda i: i.pattern.rank(seen))
    differences = closest.pattern.difference(seen, secrets=secrets)
    if not differences:  # it matched, yet did not answer: its state or its count
        differences = [_why_not_chosen(closest)]
    return {"name": closest.name, "match": closest.pattern.describe(), "differences": differences}


def _why_not_chosen(interaction: Interaction) -> str:
    if interaction.when_state is not None:
        return f"when_state: it answers only in state {interaction.when_state!r}, or was used up"
    return "its answers were used up (times, or a sequence without repeat)"
