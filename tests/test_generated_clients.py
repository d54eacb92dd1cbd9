"""The exported OpenAPI documents, consumed by the mainstream generators: openapi-python-client
builds a client for each provider without a warning, and that client cancels against the live
mock (Leyr's two-step included), its answers parsed into models; datamodel-code-generator
writes each provider's models into one file."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import SEED_ID, SEED_KEY
from mockserver import MockEngine, MockServer

BIN = Path(sys.executable).parent


def generate_client(tmp_path: Path, document: dict[str, Any], package: str) -> Any:
    spec = tmp_path / f"{package}.json"
    spec.write_text(json.dumps(document))
    result = subprocess.run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--path",
            str(spec),
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / package),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        return importlib.import_module(package)
    finally:
        sys.path.remove(str(tmp_path))


def generated(tmp_path: Path, engine: MockEngine, server: Any, provider: str) -> tuple[Any, ...]:
    """The generated client package, its update-appointment module and its models."""
    package = f"{provider}_mock_client"
    client_package = generate_client(tmp_path, engine.openapi(provider, server.base_url), package)
    api = importlib.import_module(f"{package}.api.default.update_appointment")
    return client_package, api, importlib.import_module(f"{package}.models")


@pytest.fixture
def live():
    engine = MockEngine(["leyr/two-step"])
    with MockServer(engine) as server:
        yield engine, server


def test_a_generated_huskyvoice_client_cancels(tmp_path, live):
    engine, server = live
    client_package, api, models = generated(tmp_path, engine, server, "huskyvoice")
    client = client_package.AuthenticatedClient(base_url=server.base_url, token=SEED_KEY)
    body = models.UpdateAppointmentRequest.from_dict({"status": "cancelled"})
    with client:
        cancelled = api.sync(appointment_id=SEED_ID, client=client, body=body)
        missing = api.sync(appointment_id="appt_ffffffffff", client=client, body=body)
    assert isinstance(cancelled, models.AppointmentResponse)
    assert cancelled.data.status == "cancelled"
    assert isinstance(missing, models.Error)
    assert missing.error.code == "NOT_FOUND"
    assert engine.violations() == []


def test_a_generated_leyr_client_does_the_two_step(tmp_path, live):
    engine, server = live
    client_package, api, models = generated(tmp_path, engine, server, "leyr")
    client = client_package.Client(
        base_url=server.base_url,
        headers={
            "x-leyr-client-id": "test-client-id",
            "x-leyr-client-secret": "test-client-secret",
        },
    )
    with client:
        two_step(
            engine, api, models, {"emr": "anitasystems", "care_unit_id": "L0_1", "client": client}
        )
    assert engine.violations() == []


def two_step(engine: MockEngine, api: Any, models: Any, where: dict[str, Any]) -> None:
    """The body is one of two generated types: a cancellation, then on the new id a
    confirmation (the export's oneOf)."""
    assert not hasattr(models, "UpdateAppointmentRequest")
    cancel = models.UpdateAppointmentRequestCancel.from_dict({"status": "cancelled"})
    assert cancel.to_dict() == {"status": "cancelled"}
    pending = api.sync(appointment_id="2001", body=cancel, **where)
    assert isinstance(pending, models.Appointment)
    assert pending.status == "awaiting_confirmation"
    code = engine.messages()[-1]["code"]
    wrong = api.sync(
        appointment_id=pending.id,
        body=models.UpdateAppointmentRequestConfirm.from_dict({"confirmation": {"code": "000000"}}),
        **where,
    )
    assert isinstance(wrong, models.Problem)
    assert wrong.errors[0].error_code == "INVALID_CONFIRMATION_CODE"
    confirmed = api.sync(
        appointment_id=pending.id,
        body=models.UpdateAppointmentRequestConfirm.from_dict({"confirmation": {"code": code}}),
        **where,
    )
    assert isinstance(confirmed, models.Appointment)
    assert confirmed.status == "cancelled"


def generate_models(tmp_path: Path, provider: str) -> Any:
    """datamodel-code-generator's pydantic models of the provider's export, one file."""
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(MockEngine().openapi(provider)))
    models = tmp_path / f"{provider}_models.py"
    result = subprocess.run(
        [
            str(BIN / "datamodel-codegen"),
            *("--input", str(spec), "--input-file-type", "openapi"),
            *("--output-model-type", "pydantic_v2.BaseModel", "--output", str(models)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    sys.modules.pop(models.stem, None)  # another test's models of the same name
    sys.path.insert(0, str(tmp_path))
    try:
        return importlib.import_module(models.stem)
    finally:
        sys.path.remove(str(tmp_path))


@pytest.mark.parametrize("provider", ["huskyvoice", "leyr"])
def test_datamodel_code_generator_writes_one_file_of_models(tmp_path, provider):
    models = generate_models(tmp_path, provider)
    assert models.__file__ == str(tmp_path / f"{provider}_models.py")
    assert models.Appointment.model_fields


def test_the_generated_leyr_models_tell_a_cancel_from_a_confirmation(tmp_path):
    models = generate_models(tmp_path, "leyr")
    body = models.UpdateAppointmentRequest
    cancel = body.model_validate({"status": "cancelled", "comment": "{comment}"}).root
    confirm = body.model_validate({"confirmation": {"code": "123456"}}).root
    assert isinstance(cancel, models.UpdateAppointmentRequestCancel)
    assert isinstance(confirm, models.UpdateAppointmentRequestConfirm)
    for broken in (
        {"status": "cancelled", "confirmation": {"code": "123456"}},
        {"confirmation": {"code": "123456"}, "comment": "x"},
        {},
    ):
        with pytest.raises(ValueError):
            body.model_validate(broken)


def test_the_document_is_the_same_before_and_after_traffic():
    engine = MockEngine()
    before = engine.openapi("huskyvoice")
    from mockserver import MockRequest

    engine.handle(
        MockRequest(
            "PATCH",
            f"/v1/appointments/{SEED_ID}",
            headers={"authorization": f"Bearer {SEED_KEY}", "content-type": "application/json"},
            body=b'{"status": "cancelled"}',
        )
    )
    assert engine.openapi("huskyvoice") == before


def test_what_the_documentation_does_not_state_is_marked_inferred():
    engine = MockEngine()
    husky = engine.openapi("huskyvoice")["paths"]["/v1/appointments/{appointment_id}"]["patch"]
    assert "x-mock-inferred" not in husky["responses"]["404"]  # NOT_FOUND is documented
    assert (
        "x-mock-inferred" not in husky["responses"]["403"]
        or "CANCELLATION_NOT_ALLOWED" in (husky["responses"]["403"]["description"])
    )
    assert husky["responses"]["422"]["x-mock-inferred"] is True  # the notice period's status
    leyr = engine.openapi("leyr")["paths"]
    one = "/api/emrs/{emr}/care-units/{care_unit_id}/appointments/{appointment_id}"
    assert leyr[one]["get"]["x-mock-inferred"] is True  # reading back is the mock's
    assert "x-mock-inferred" not in leyr[one]["patch"]
