"""Leyr as a provider: its operations, client auth, problem details and scenario hooks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from mockserver.core.contracts import Problem
from mockserver.core.exchange import ApiError, MockRequest
from mockserver.core.routing import Operation
from mockserver.providers.base import Provider
from mockserver.providers.leyr import api, auth, model, problems, seed, sources
from mockserver.providers.leyr.rules import lenient_bare_id
from mockserver.providers.leyr.state import LeyrState
from mockserver.providers.spec import ProviderSpec
from mockserver.scenarios.catalog import FieldPath, Scenario
from mockserver.scenarios.model import ScenarioModel


class Leyr(Provider[seed.Seed, LeyrState]):
    spec = ProviderSpec(
        name="leyr",
        title="Leyr EHR integration API",
        prefix="/api",
        error_schema="leyr/problem",
        error_content_type=problems.PROBLEM_TYPE,
        validation_code="BAD_INPUT",
        appointment_schema="leyr/appointment",
        sample_appointment=sources.SAMPLE,
        error_statuses={
            "BAD_INPUT": 400,
            "MISSING_REQUIRED_FIELD": 400,
            "INVALID_COMMENT_LENGTH": 400,
            "MAX_ITEMS_EXCEEDED": 400,
            "NOT_SUPPORTED": 400,
            "INVALID_CONFIRMATION_CODE": 400,
            "CONFIRMATION_ATTEMPTS_EXCEEDED": 400,
            "CONFIRMATION_CODE_EXPIRED": 400,
            "INVALID_APPOINTMENT_ID": 400,
            "UNAUTHORIZED": 401,
            "FORBIDDEN": 403,
            "INVALID_CARE_UNIT_ID": 404,
            "NOT_FOUND": 404,
            "METHOD_NOT_ALLOWED": 405,
            "PAYLOAD_TOO_LARGE": 413,
            "UNSUPPORTED_MEDIA_TYPE": 415,
            "INTERNAL_ERROR": 500,
            "EMR_ERROR": 502,
            "SERVICE_UNAVAILABLE": 503,
        },
        documented_errors=sources.DOCUMENTED_ERRORS,
        documented_fields=sources.DOCUMENTED_FIELDS,
        security_schemes={
            "clientId": {"type": "apiKey", "in": "header", "name": "x-leyr-client-id"},
            "clientSecret": {"type": "apiKey", "in": "header", "name": "x-leyr-client-secret"},
        },
        operations=api.operations,
    )

    def parse_model(self, data: Mapping[str, object]) -> ScenarioModel:
        return model.parse(data)

    def check_model(self, scenario_model: ScenarioModel) -> Iterable[tuple[FieldPath, str]]:
        assert isinstance(scenario_model, model.LeyrModel)
        return seed.check(scenario_model)

    def prepare(self, scenario: Scenario) -> seed.Seed:
        assert isinstance(scenario.model, model.LeyrModel)
        return seed.prepare(scenario, scenario.model)

    def fresh_state(self, prepared: seed.Seed) -> LeyrState:
        return LeyrState(prepared)

    def authorize(
        self,
        state: LeyrState,
        request: MockRequest,
        operation: Operation,
        params: Mapping[str, str],
        *,
        count: bool = True,
    ) -> str:
        return auth.authorize(state, request, params)  # Leyr documents no rate limit

    def credential_problems(self, request: MockRequest) -> list[Problem]:
        return auth.credential_problems(request)

    def error_code_of(self, body: object) -> str | None:
        errors = body.get("errors") if isinstance(body, dict) else None
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("error_code"))
        return None

    def success_details(self, op: Operation) -> tuple[str, ...]:
        # One 200 says the cancellation happened, or that it awaits the patient's code.
        return (
            ("cancelled", "awaiting_confirmation") if op.operation_id == "updateAppointment" else ()
        )

    def validation_error(self, found: list[Problem]) -> ApiError:
        return problems.validation_error(found)

    def appointment_key(self, params: Mapping[str, str]) -> str | None:
        """`<emr>/<id>`: ids are unique within an EMR, and `emr_id:1001` is `1001`."""
        if "appointment_id" not in params:
            return None
        return f"{params['emr']}/{lenient_bare_id(params['appointment_id'])}"

    def appointment_record(self, state: LeyrState, key: str | None) -> Mapping[str, object] | None:
        emr, _, bare = (key or "").partition("/")
        return state.appointments.get((emr, bare))

    def error_body(
        self, code: str, message: str, status: int, error: ApiError, request: MockRequest
    ) -> problems.ProblemDocument:
        return problems.problem_body(code, message, status, error, request.path)
