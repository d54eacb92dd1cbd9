"""The providers the mock serves: the built-in ones, and any registered from outside the
package (a provider is a ProviderSpec and a few hooks; see CONTRIBUTING.md)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mockserver.core.contracts import Contracts
from mockserver.core.templating import RESPONSE_LIMIT
from mockserver.providers.base import Provider

AnyProvider = Provider[Any, Any]
# Providers registered from outside the package, in the order they came.
_registered: list[type[AnyProvider]] = []


def provider_classes() -> tuple[type[AnyProvider], ...]:
    from mockserver.providers.huskyvoice import HuskyVoice
    from mockserver.providers.leyr import Leyr

    return (HuskyVoice, Leyr, *_registered)


@contextmanager
def registered(cls: type[AnyProvider]) -> Iterator[type[AnyProvider]]:
    """Serve `cls` too while the block runs: engines made inside it build it beside the
    built-in providers, with its schemas and its section of the scenario schema."""
    if any(known.name == cls.name for known in provider_classes()):
        raise ValueError(f"a provider named {cls.name!r} is already served")
    _registered.append(cls)
    try:
        yield cls
    finally:
        _registered.remove(cls)


def contracts_for(contracts: Contracts) -> Contracts:
    """`contracts` with the schemas every served provider brings that they lack (a provider
    from outside the package); the same object when none is missing."""
    missing = [
        cls.spec
        for cls in provider_classes()
        if cls.spec.scenario_section is not None and not contracts.serves(cls.spec.name)
    ]
    if not missing:
        return contracts
    return contracts.extended(
        {name: doc for spec in missing for name, doc in spec.schemas.items()},
        {spec.name: spec.scenario_section for spec in missing if spec.scenario_section},
    )


def make_providers(
    contracts: Contracts, response_limit: int = RESPONSE_LIMIT
) -> dict[str, AnyProvider]:
    """One of each registered provider, each rendering scripted bodies up to `response_limit`
    bytes."""
    providers: dict[str, AnyProvider] = {cls.name: cls(contracts) for cls in provider_classes()}
    for provider in providers.values():
        provider.response_limit = response_limit
    return providers
