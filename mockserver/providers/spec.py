"""What a provider declares, as one value: its name, paths, schemas, security, operations table
and error envelope. The class around it (`base.Provider`) adds only the hooks that behave."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import msgspec

from mockserver.core.exchange import JSON_TYPE
from mockserver.core.routing import DocSource, Operation


class ProviderSpec(msgspec.Struct, frozen=True):
    """One provider, declared.

    - `name` (its scenarios' folder and `provider:` value), `title` (the OpenAPI title) and
      `prefix` (the path every operation of it starts with);
    - `operations`: its table of operations (method, path, schemas, scope, errors, handler),
      built on each call so it names the handlers as they are;
    - the error envelope: `error_schema` every error answer keeps to, `error_statuses` (each
      error code's default status; scenarios may remap them), `validation_code` (a request it
      cannot parse or that breaks its schema), `error_content_type`;
    - `appointment_schema` and `sample_appointment`: what `{{appointment.…}}` placeholders of
      scripted interactions may name, and a sample to check them against;
    - `security_schemes` (OpenAPI, all required at once), `documented_errors` (the error
      answers its documentation states, with the sentence) and `documented_fields` (the schema
      properties, `Component.field`, it speaks of);
    - `schemas` and `scenario_section`, for a provider that lives outside the package: its JSON
      Schemas by name (`<name>/<schema>`) and its part of the scenario schema (`{"properties":
      {…}}`); the built-in providers keep theirs under `schemas/`.
    """

    name: str
    title: str
    prefix: str
    operations: Callable[[], Iterable[Operation]]
    error_schema: str
    error_statuses: Mapping[str, int]
    appointment_schema: str
    sample_appointment: Mapping[str, object]
    validation_code: str = "VALIDATION_ERROR"
    error_content_type: str = JSON_TYPE
    security_schemes: Mapping[str, object] = msgspec.field(default_factory=dict)
    documented_errors: Mapping[tuple[str, int], DocSource] = msgspec.field(default_factory=dict)
    documented_fields: Mapping[str, DocSource] = msgspec.field(default_factory=dict)
    schemas: Mapping[str, Mapping[str, object]] = msgspec.field(default_factory=dict)
    scenario_section: Mapping[str, object] | None = None
