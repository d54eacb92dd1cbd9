"""HuskyVoice: appointments, org policy, slot capacity and scopes, as pure functions over state.

model (the typed scenario) -> seed (prepared once) -> state (copied on reset);
rules decide, api answers, auth admits, provider ties them to the shared pipeline.
"""

from __future__ import annotations

from mockserver.providers.huskyvoice.provider import HuskyVoice

__all__ = ["HuskyVoice"]
