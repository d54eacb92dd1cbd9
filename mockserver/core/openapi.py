"""A provider's OpenAPI 3.1 document, assembled from its operation table and its schemas.

Shaped for the tools that consume it: every schema (and every shared definition) is one flat,
CamelCase component with no nested `$defs` refs, so client and model generators can name a
class for each; security schemes, `Retry-After` headers and a `servers` entry are declared.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import ClassVar, Protocol, TypedDict

from mockserver.core.contracts import Contracts
from mockserver.core.exchange import JSON_TYPE
from mockserver.core.routing import DocSource, Operation, Router, template_params
from mockserver.core.schema_graph import subschemas

# Answers that tell the client when to come back.
RETRY_STATUSES = (429, 503)
RETRY_AFTER: dict[str, dict[str, object]] = {
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
    security_schemes: ClassVar[Mapping[str, object]]
    documented_errors: ClassVar[Mapping[tuple[str, int], DocSource]]
    documented_fields: ClassVar[Mapping[str, DocSource]]
    router: Router
    contracts: Contracts

    def error_schema_for_status(self, status: int) -> str: ...


# The OpenAPI objects the document is made of, as this module writes them. A JSON Schema is
# kept as the plain JSON object it is: only the keywords the rewrite walks are looked into.
Schema = dict[str, object]

# Where the documentation speaks of something, or that it is the mock's own.
_Marks = TypedDict("_Marks", {"x-mock-inferred": bool, "x-doc-source": dict[str, str]}, total=False)


class ErrorCode(_Marks):
    code: str


class _MediaType(TypedDict):
    schema: dict[str, str]  # a `$ref` to a component


class MediaType(_MediaType, total=False):
    examples: dict[str, dict[str, object]]  # by name, each `{"value": …}`


_ResponseExtras = TypedDict(
    "_ResponseExtras",
    {
        "links": dict[str, object],
        "headers": Mapping[str, object],
        "x-error-codes": list[ErrorCode],
        "x-mock-inferred": bool,
    },
    total=False,
)


class Response(_ResponseExtras):
    description: str
    content: dict[str, MediaType]  # by media type


Parameter = TypedDict("Parameter", {"name": str, "in": str, "required": bool, "schema": object})


class RequestBody(TypedDict):
    required: bool
    content: dict[str, MediaType]


_OperationExtras = TypedDict(
    "_OperationExtras",
    {
        "parameters": list[Parameter],
        "requestBody": RequestBody,
        "x-required-scope": str,
        "description": str,
    },
    total=False,
)


class OperationObject(_Marks, _OperationExtras):
    operationId: str
    summary: str
    responses: dict[str, Response]  # by status


def camel(name: str) -> str:
    """`update-appointment.request` -> `UpdateAppointmentRequest`."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name))


def _stem(document_name: str) -> str:
    return document_name.split("/", 1)[1]


Aliases = Mapping[str, str]
_ONLY_A_REF = frozenset({"$schema", "$id", "$ref", "title", "description"})


def aliases(documents: Mapping[str, Mapping[str, object]], provider: str) -> dict[str, str]:
    """Documents that only name another (`appointment.response` is `appointment.json`): their
    refs point straight at the other, since generators would make two models of one."""
    return {
        camel(_stem(name)): _target(ref, _stem(name))
        for name, document in documents.items()
        if name.startswith(provider + "/")
        and isinstance(ref := document.get("$ref"), str)
        and set(document) <= _ONLY_A_REF
    }


def components(documents: Mapping[str, Mapping[str, object]], provider: str) -> dict[str, Schema]:
    """Each of the provider's schema documents, and each of their `$defs`, as a component."""
    found: dict[str, Schema] = {}
    skipped = aliases(documents, provider)
    for name, document in documents.items():
        if not name.startswith(provider + "/") or camel(_stem(name)) in skipped:
            continue
        stem = _stem(name)
        schema = copy.deepcopy(dict(document))
        for key in ("$id", "$schema"):
            schema.pop(key, None)
        definitions = schema.pop("$defs", {})
        for def_name, definition in definitions.items() if isinstance(definitions, dict) else ():
            named = camel(stem) + camel(def_name)
            found[named] = _component(definition, stem, named, skipped)
        if set(schema) - {"title", "description"}:  # a document of definitions only adds none
            found[camel(stem)] = _component(schema, stem, camel(stem), skipped)
    return found


def _component(schema: Mapping[str, object], stem: str, title: str, skipped: Aliases) -> Schema:
    """The schema with refs rewritten, its sentence title moved to the description, and the
    component's name as its title (generators name their classes after it)."""
    sentence = schema.get("title")
    node = _rewrite(copy.deepcopy(dict(schema)), stem, skipped)
    if sentence and "description" not in node:
        node["description"] = sentence
    node["title"] = title
    return node


def _rewrite(node: Schema, stem: str, skipped: Aliases) -> Schema:
    """`common.json#/$defs/x` -> `#/components/schemas/CommonX`; `appointment.json` ->
    `#/components/schemas/Appointment`; a local `#/$defs/x` -> the current document's `…X`.
    Nested titles (the keyword) go: only components have names. In place; `node` is returned."""
    ref = node.get("$ref")
    if isinstance(ref, str):
        target = _target(ref, stem)
        node["$ref"] = "#/components/schemas/" + skipped.get(target, target)
    node.pop("title", None)
    for keyword, value in node.items():
        for schema in subschemas(keyword, value):
            if isinstance(schema, dict):
                _rewrite(schema, stem, skipped)
    return node


def _target(ref: str, stem: str) -> str:
    document, _, pointer = ref.partition("#")
    # A ref may have been made absolute (`https://…/huskyvoice/common.json`) by a validator.
    document = document.rsplit("/", 1)[-1]
    target = document.removesuffix(".json") if document else stem
    definition = pointer.removeprefix("/$defs/") if pointer.startswith("/$defs/") else ""
    return camel(target) + camel(definition)


def marked(schemas: dict[str, Schema], documented: Mapping[str, DocSource]) -> dict[str, Schema]:
    """Every property of every schema, at any depth, marked with where the documentation
    speaks of it (`x-doc-source`, keyed `Component.field.sub`, `[]` for an array's items) or
    as the mock's own (`x-mock-inferred`)."""
    for name, schema in schemas.items():
        _mark_properties(schema, name, documented)
    return schemas


def _mark_properties(node: object, where: str, documented: Mapping[str, DocSource]) -> None:
    if not isinstance(node, dict):
        return
    for name, schema in node.get("properties", {}).items():
        _mark(schema, f"{where}.{name}", documented)
    _mark_properties(node.get("items"), where + "[]", documented)
    for keyword in ("oneOf", "anyOf", "allOf"):
        for branch in node.get(keyword, []):
            _mark_properties(branch, where, documented)


def _mark(schema: object, where: str, documented: Mapping[str, DocSource]) -> None:
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


def document(provider: Described, server_url: str) -> dict[str, object]:
    paths: dict[str, dict[str, OperationObject]] = {}
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


def operation(provider: Described, op: Operation, skipped: Aliases) -> OperationObject:
    described: OperationObject = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "responses": _responses(provider, op, skipped),
    }
    parameters = list(_parameters(provider, op, skipped))
    if parameters:
        described["parameters"] = parameters
    if op.request_schema:
        content: MediaType = {"schema": schema_ref(op.request_schema, skipped)}
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


def _parameters(provider: Described, op: Operation, skipped: Aliases) -> Iterable[Parameter]:
    path = _rewritten(provider, op.path_schema, skipped) if op.path_schema else {}
    in_path = path.get("properties", {})
    for name in template_params(op.path):
        schema = in_path.get(name) if isinstance(in_path, dict) else None
        yield {"name": name, "in": "path", "required": True, "schema": schema or {"type": "string"}}
    if op.query_schema:
        query = _rewritten(provider, op.query_schema, skipped)
        properties = query.get("properties", {})
        required = query.get("required", [])
        names = set(required) if isinstance(required, list) else set()
        component = camel(_stem(op.query_schema))
        for name, schema in properties.items() if isinstance(properties, dict) else ():
            _mark(schema, f"{component}.{name}", provider.documented_fields)
            yield {"name": name, "in": "query", "required": name in names, "schema": schema}


def _rewritten(provider: Described, document_name: str, skipped: Aliases) -> Schema:
    """A copy of one of the provider's schema documents, its refs pointing at components."""
    document = copy.deepcopy(dict(provider.contracts.documents[document_name]))
    return _rewrite(document, _stem(document_name), skipped)


def _with_examples(content: MediaType, examples: Mapping[str, object]) -> MediaType:
    if examples:
        content["examples"] = {name: {"value": value} for name, value in examples.items()}
    return content


def _success(op: Operation, status: int, schema: str, skipped: Aliases) -> Response:
    content: MediaType = {"schema": schema_ref(schema, skipped)}
    entry: Response = {
        "description": "success",
        "content": {JSON_TYPE: _with_examples(content, op.examples.responses.get(status, {}))},
    }
    if status in op.links:
        entry["links"] = dict(op.links[status])
    return entry


def _responses(provider: Described, op: Operation, skipped: Aliases) -> dict[str, Response]:
    responses: dict[str, Response] = {
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


def _error_code(provider: Described, code: str, status: int) -> ErrorCode:
    """One error code of a status, with where the documentation states it, or marked as the
    mock's own where the pages are silent."""
    source = provider.documented_errors.get((code, status))
    if source is None:
        return {"code": code, "x-mock-inferred": True}
    return {"code": code, "x-doc-source": source.to_json()}
