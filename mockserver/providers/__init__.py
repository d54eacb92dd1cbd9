"""The providers the mock serves."""

from __future__ import annotations

from mockserver.providers.base import Provider


def provider_classes() -> tuple[type[Provider], ...]:
    from mockserver.providers.huskyvoice import HuskyVoice
    from mockserver.providers.leyr import Leyr

    return (HuskyVoice, Leyr)
