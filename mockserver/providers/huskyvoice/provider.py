"""HuskyVoice as a provider: its operations, keys, error envelope and scenario hooks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from mockserver.core.contracts import Problem
from mockserver.core.exchange import ApiError, MockRequest
from mockserver.core.routing import Operation
from mockserver.providers.base import Provider
from mockserver.providers.huskyvoice import api, auth, model, seed, sources
from mockserver.providers.huskyvoice.state import HuskyVoiceState
from mockserver.providers.spec import ProviderSpec
from mockserver.scenarios.catalog import FieldPath, Scenario
from mockserver.scenarios.model import ScenarioModel

RATE_LIMIT_SCHEMA = "huskyvoice/rate-limit-error"


class HuskyVoice(Provider[seed.Seed, HuskyVoiceState]):
    spec = ProviderSpec(
        name="huskyvoice",
        title="HuskyVoice appointments API",
        prefix="/v1",
        error_schema="huskyvoice/error",
        appointment_schema="huskyvoice/appointment",
        sample_appointment=sources.SAMPLE,
        error_statuses={
            "VALIDATION_ERROR": 400,
            "UNAUTHORIZED": 401,
            "INSUFFICIENT_SCOPE": 403,
            "CANCELLATION_NOT_ALLOWED": 403,
            "RESCHEDULING_NOT_ALLOWED": 403,
            "NOT_FOUND": 404,
            "METHOD_NOT_ALLOWED": 405,
            "INVALID_STATUS_TRANSITION": 409,
            "SLOT_FULL": 409,
            "DUPLICATE_BOOKING": 409,
            "PAYLOAD_TOO_LARGE": 413,
            "UNSUPPORTED_MEDIA_TYPE": 415,
            "CANCELLATION_NOTICE_PERIOD": 422,
            "OUTSIDE_AVAILABILITY": 422,
            "RATE_LIMIT_EXCEEDED": 429,
            "INTERNAL_ERROR": 500,
            "SERVICE_UNAVAILABLE": 503,
        },
        documented_errors=sources.DOCUMENTED_ERRORS,
        documented_fields=sources.DOCUMENTED_FIELDS,
        security_schemes={
            "apiKey": {
                "type": "http",
                "scheme": "bearer",
                "description": "An API key with scopes appointments:read, appointments:write, "
                "slots:read, slots:write (each operation's x-required-scope).",
            }
        },
        operations=api.operations,
    )

    def parse_model(self, data: Mapping[str, object]) -> ScenarioModel:
        return model.parse(data)

    def check_model(self, scenario_model: ScenarioModel) -> Iterable[tuple[FieldPath, str]]:
        assert isinstance(scenario_model, model.HuskyVoiceModel)
        return seed.check(scenario_model)

    def prepare(self, scenario: Scenario) -> seed.Seed:
        assert isinstance(scenario.model, model.HuskyVoiceModel)
        return seed.prepare(scenario, scenario.model)

    def fresh_state(self, prepared: seed.Seed) -> HuskyVoiceState:
        return HuskyVoiceState(prepared)

    def authorize(
        self,
        state: HuskyVoiceState,
        request: MockRequest,
        operation: Operation,
        params: Mapping[str, str],
        *,
        count: bool = True,
    ) -> str:
        return auth.authorize(state, request, operation, count=count)

    def credential_problems(self, request: MockRequest) -> list[Problem]:
        return auth.credential_problems(request)

    def error_code_of(self, body: object) -> str | None:
        error = body.get("error") if isinstance(body, dict) else None
        return str(error["code"]) if isinstance(error, dict) and "code" in error else None

    def error_schema_for_status(self, status: int) -> str:
        # The only error body HuskyVoice documents is 429's, without "success" [doc].
        return RATE_LIMIT_SCHEMA if status == 429 else self.error_schema

    def appointment_record(
        self, state: HuskyVoiceState, key: str | None
    ) -> Mapping[str, object] | None:
        return state.appointments.get(key or "")

    def error_body(
        self, code: str, message: str, status: int, error: ApiError, request: MockRequest
    ) -> dict[str, object]:
        if status == 429:
            return {"error": {"code": code, "message": message}}
        return {"success": False, "error": {"code": code, "message": message}}
