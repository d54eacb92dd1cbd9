"""Leyr: single, bulk and two-step (patient code) cancellation on EMRs, as pure functions.

model (the typed scenario) -> seed (prepared once) -> state (copied on reset);
rules and two_step decide, api answers, auth admits, problems words the errors.
"""

from __future__ import annotations

from mockserver.providers.leyr.provider import Leyr

__all__ = ["Leyr"]
