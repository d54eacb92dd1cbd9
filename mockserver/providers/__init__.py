"""The providers the mock serves."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from mockserver.contracts import Contracts
from mockserver.providers.base import Provider
from mockserver.scenarios import SemanticCheck


def provider_classes() -> tuple[type[Provider], ...]:
    from mockserver.providers.huskyvoice import HuskyVoice
    from mockserver.providers.leyr import Leyr

    return (HuskyVoice, Leyr)


def make_providers(contracts: Contracts) -> dict[str, Provider]:
    return {cls.name: cls(contracts) for cls in provider_classes()}


def scenario_checks(providers: Iterable[Provider]) -> Mapping[str, SemanticCheck]:
    """Each provider's checks of a scenario document beyond its schema, by provider name."""
    return {provider.name: provider.scenario_problems for provider in providers}
