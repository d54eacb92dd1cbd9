"""A provider's OpenAPI 3.1 document, assembled from its operation table and its schemas.

Shaped for the tools that consume it: every schema (and every shared definition) is one flat,
CamelCase component with no nested `$defs` refs, so client and model generators can name a
class for each; security schemes, `Retry-After` headers and a `servers` entry are declared.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Protocol

from mockserver.core.contracts import Contracts
from mockserver.core.exchange import JSON_TYPE
from mockserver.core.routing import DocSource, Operation, Router, template_params

# Answers that tell the client when to come back.
RETRY_STATUSES = (429, 503)
RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 0},
    }
}


class Described(Protocol):
    """What the document is built from: a provider's table, schemas and error shapes."""

    name: ClassVar[str]
    title: ClassVar[str]
    error_statuses: ClassVar[Mapping[str, int]]
    error_content_type: ClassVar[str]
    security_schemes: ClassVar[Mapping[str, Any]]
    documented_errors: ClassVar[Mapping[tuple[str, int], DocSource]]
    documented_fields: ClassVar[Mapping[str, DocSource]]
    router: Router
    contracts: Contracts

    def error_schema_for_status(self, status: int) -> str: ...


def camel(name: str) -> str:
    """`update-appointment.request` -> `UpdateAppointmentRequest`."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name))


def _stem(document_name: str) -> str:
    return document_name.split("/", 1)[1]


Aliases = Mapping[str, str]
_ONLY_A_REF = frozenset({"$schema", "$id", "$ref", "title", "description"})


def aliases(documents: Mapping[str, Mapping[str, Any]], provider: str) -> dict[str, str]:
    """Documents that only name another (`appointment.response` is `appointment.json`): their
    refs point straight at the other, since generators would make two models of one."""
    return {
        camel(_stem(name)): _target(document["$ref"], _stem(name))
        for name, document in documents.items()
        if name.startswith(provider + "/") and "$ref" in document and set(document) <= _ONLY_A_REF
    }


def components(documents: Mapping[str, Mapping[str, Any]], provider: str) -> dict[str, Any]:
    """Each of the provider's schema documents, and each of their `$defs`, as a component."""
    found: dict[str, Any] = {}
    skipped = aliases(documents, provider)
    for name, document in documents.items():
        if not name.startswith(provider + "/") or camel(_stem(name)) in skipped:
            continue
        stem = _stem(name)
        schema = copy.deepcopy(dict(document))
        for key in ("$id", "$schema"):
            schema.pop(key, None)
        for def_name, definition in schema.pop("$defs", {}).items():
            named = camel(stem) + camel(def_name)
            found[named] = _component(definition, stem, named, skipped)
        if set(schema) - {"title", "description"}:  # a document of definitions only adds none
            found[camel(stem)] = _component(schema, stem, camel(stem), skipped)
    return found


def _component(
    schema: Mapping[str, Any], stem: str, title: str, skipped: Aliases
) -> dict[str, Any]:
    """The schema with refs rewritten, its sentence title moved to the description, and the
    component's name as its title (generators name their classes after it)."""
    sentence = schema.get("title")
    node: dict[str, Any] = _rewrite(copy.deepcopy(dict(schema)), stem, skipped)
    if sentence and "description" not in node:
        node["description"] = sentence
    node["title"] = title
    return node


# JSON Schema keywords whose value is a schema, a list of schemas, or a map of names to schemas.
# Only these are walked: a map's keys are property names, never keywords, so a property called
# `title` (Leyr's problem details) survives the rewrite.
_ONE_SCHEMA = frozenset(
    {
        "items",
        "additionalProperties",
        "unevaluatedProperties",
        "unevaluatedItems",
        "contains",
        "propertyNames",
        "not",
        "if",
        "then",
        "else",
    }
)
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "dependentSchemas"})


def _rewrite(node: Any, stem: str, skipped: Aliases) -> Any:
    """`common.json#/$defs/x` -> `#/components/schemas/CommonX`; `appointment.json` ->
    `#/components/schemas/Appointment`; a local `#/$defs/x` -> the current document's `…X`.
    Nested titles (the keyword) go: only components have names."""
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        target = _target(ref, stem)
        node["$ref"] = "#/components/schemas/" + skipped.get(target, target)
    node.pop("title", None)
    for keyword, value in node.items():
        if keyword in _ONE_SCHEMA:
            _rewrite(value, stem, skipped)
        elif keyword in _SCHEMA_LISTS and isinstance(value, list):
            for schema in value:
                _rewrite(schema, stem, skipped)
        elif keyword in _SCHEMA_MAPS and isinstance(value, dict):
            for schema in value.values():
                _rewrite(schema, stem, skipped)
    return node


def _target(ref: str, stem: str) -> str:
    document, _, pointer = ref.partition("#")
    # A ref may have been made absolute (`https://…/huskyvoice/common.json`) by a validator.
    document = document.rsplit("/", 1)[-1]
    target = document.removesuffix(".json") if document else stem
    definition = pointer.removeprefix("/$defs/") if pointer.startswith("/$defs/") else ""
    return camel(target) + camel(definition)


def marked(schemas: dict[str, Any], documented: Mapping[str, DocSource]) -> dict[str, Any]:
    """Every property of every schema, at any depth, marked with where the documentation
    speaks of it (`x-doc-source`, keyed `Component.field.sub`, `[]` for an array's items) or
    as the mock's own (`x-mock-inferred`)."""
    for name, schema in schemas.items():
        _mark_properties(schema, name, documented)
    return schemas


def _mark_properties(node: Any, where: str, documented: Mapping[str, DocSource]) -> None:
    if not isinstance(node, dict):
        return
    for name, schema in node.get("properties", {}).items():
        _mark(schema, f"{where}.{name}", documented)
    _mark_properties(node.get("items"), where + "[]", documented)
    for keyword in ("oneOf", "anyOf", "allOf"):
        for branch in node.get(keyword, []):
            _mark_properties(branch, where, documented)


def _mark(schema: Any, where: str, documented: Mapping[str, DocSource]) -> None:
    if not isinstance(schema, dict):
        return
    source = documented.get(where)
    if source is None:
        schema["x-mock-inferred"] = True
    else:
        schema["x-doc-source"] = source.to_json()
    _mark_properties(schema, where, documented)


def schema_ref(document_name: str, skipped: Aliases) -> dict[str, str]:
    named = camel(_stem(document_name))
    return {"$ref": "#/components/schemas/" + skipped.get(named, named)}


def document(provider: Described, server_url: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    skipped = aliases(provider.contracts.documents, provider.name)
    for op in provider.router.operations:
        paths.setdefault(op.path, {})[op.method.lower()] = operation(provider, op, skipped)
    return {
        "openapi": "3.1.0",
        "info": {"title": f"{provider.title} (mock)", "version": "mock"},
        "servers": [{"url": server_url, "description": "this mock server"}],
        "paths": paths,
        "components": {
            "schemas": marked(
                components(provider.contracts.documents, provider.name),
                provider.documented_fields,
            ),
            "securitySchemes": dict(provider.security_schemes),
        },
        "security": [{name: [] for name in provider.security_schemes}],
    }


def operation(provider: Described, op: Operation, skipped: Aliases) -> dict[str, Any]:
    described: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "responses": _responses(provider, op, skipped),
    }
    parameters = list(_parameters(provider, op, skipped))
    if parameters:
        described["parameters"] = parameters
    if op.request_schema:
        content = {"schema": schema_ref(op.request_schema, skipped)}
        described["requestBody"] = {
            "required": True,
            "content": {JSON_TYPE: _with_examples(content, op.examples.requests)},
        }
    if op.inferred:
        described["x-mock-inferred"] = True
    if op.source is not None:
        described["x-doc-source"] = op.source.to_json()
    if op.scope:
        described["x-required-scope"] = op.scope
        described["description"] = f"Needs an API key with the `{op.scope}` scope."
    return described


def _parameters(provider: Described, op: Operation, skipped: Aliases) -> Iterable[dict[str, Any]]:
    for name in template_params(op.path):
        yield {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
    if op.query_schema:
        query = _rewrite(
            copy.deepcopy(dict(provider.contracts.documents[op.query_schema])),
            _stem(op.query_schema),
            skipped,
        )
        required = set(query.get("required", []))
        component = camel(_stem(op.query_schema))
        for name, schema in query.get("properties", {}).items():
            _mark(schema, f"{component}.{name}", provider.documented_fields)
            yield {"name": name, "in": "query", "required": name in required, "schema": schema}


def _with_examples(content: dict[str, Any], examples: Mapping[str, Any]) -> dict[str, Any]:
    if examples:
        content["examples"] = {name: {"value": value} for name, value in examples.items()}
    return content


def _success(op: Operation, status: int, schema: str, skipped: Aliases) -> dict[str, Any]:
    content = {"schema": schema_ref(schema, skipped)}
    entry: dict[str, Any] = {
        "description": "success",
        "content": {JSON_TYPE: _with_examples(content, op.examples.responses.get(status, {}))},
    }
    if status in op.links:
        entry["links"] = dict(op.links[status])
    return entry


def _responses(provider: Described, op: Operation, skipped: Aliases) -> dict[str, Any]:
    responses: dict[str, Any] = {
        str(status): _success(op, status, schema, skipped)
        for status, schema in op.responses.items()
    }
    for code, status in op.error_statuses(provider.error_statuses):
        entry = responses.setdefault(
            str(status),
            {
                "description": "",
                "content": {
                    provider.error_content_type: {
                        "schema": schema_ref(provider.error_schema_for_status(status), skipped)
                    }
                },
            },
        )
        entry["description"] = ", ".join(filter(None, [entry["description"], code]))
        entry.setdefault("x-error-codes", []).append(_error_code(provider, code, status))
        if status in RETRY_STATUSES:
            entry["headers"] = RETRY_AFTER
    for entry in responses.values():
        # A status is the mock's own when the documentation gives none of its codes.
        codes = entry.get("x-error-codes", [])
        if codes and all(c.get("x-mock-inferred") for c in codes):
            entry["x-mock-inferred"] = True
    return responses


def _error_code(provider: Described, code: str, status: int) -> dict[str, Any]:
    """One error code of a status, with where the documentation states it, or marked as the
    mock's own where the pages are silent."""
    source = provider.documented_errors.get((code, status))
    if source is None:
        return {"code": code, "x-mock-inferred": True}
    return {"code": code, "x-doc-source": source.to_json()}
