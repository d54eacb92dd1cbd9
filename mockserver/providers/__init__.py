"""The providers the mock serves."""

from __future__ import annotations

from typing import Any

from mockserver.core.contracts import Contracts
from mockserver.providers.base import Provider

AnyProvider = Provider[Any, Any]


def provider_classes() -> tuple[type[AnyProvider], ...]:
    from mockserver.providers.huskyvoice import HuskyVoice
    from mockserver.providers.leyr import Leyr

    return (HuskyVoice, Leyr)


def make_providers(contracts: Contracts) -> dict[str, AnyProvider]:
    return {cls.name: cls(contracts) for cls in provider_classes()}
