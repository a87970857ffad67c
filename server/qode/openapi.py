"""The OpenAPI 3.1 document, generated from the route table and the Pydantic models."""

from __future__ import annotations

import re

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from . import schemas

_UUID = {"type": "string", "format": "uuid"}
PATH_SCHEMAS = {"queue_id": _UUID, "ticket_id": _UUID, "job_id": _UUID, "device_id": _UUID,
                "counter_id": _UUID, "token_id": _UUID,  # issue 15: model
                "version": {"type": "string", "maxLength": 64}}

_ERRORS = {
    400: "Malformed request (bad JSON, bad header)",
    401: "No credential, or one that matches nothing",
    403: "A valid credential for something else",
    404: "No such queue, ticket or path",
    405: "Method not allowed",
    408: "Headers or body too slow (QODE_HEADER_TIMEOUT, QODE_BODY_TIMEOUT); the connection closes",
    409: "Not possible in the current state",
    413: "Body too large",
    415: "Body is not JSON",
    422: "Body or query failed validation",
    429: "Rate limited; see Retry-After",
    431: "Headers too large",
    503: "The box cannot save now (storage_*: full disk, read-only, I/O error, damaged, busy); "
         "see Retry-After. Nothing was written",
}


def _ref(model: type[BaseModel]) -> dict:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _build(operations: list, version: str) -> dict:
    models = {schemas.Error}
    for op in operations:
        if op.body and not isinstance(op.body, tuple):  # a tuple: raw bodies of these media types
            models.add(op.body)
        models.update(m for m in op.responses.values() if m and not isinstance(m, str))
    _, defs = models_json_schema(
        [(m, "validation" if m.__name__.endswith(("Create", "Request", "Patch", "Update", "Body"))
          else "serialization") for m in sorted(models, key=lambda m: m.__name__)],
        ref_template="#/components/schemas/{model}",
    )
    paths: dict = {}
    for op in operations:
        item: dict = {"summary": op.summary, "operationId": f"{op.method.lower()}{op.path}"}
        # Every {name} in the path is declared (OpenAPI 3.1 requires it): ids are UUIDs, the
        # logo's version (issue 14: brand) a short string, anything else a string.
        params = [{"name": name, "in": "path", "required": True,
                   "schema": PATH_SCHEMAS.get(name, {"type": "string"})}
                  for name in re.findall(r"{([^}]+)}", op.path)] + list(op.query)
        if op.idempotent:
            params.append({
                "name": "Idempotency-Key", "in": "header", "required": False,
                "description": "Retries with the same key get the first answer (host and kiosk).",
                "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,128}$"},
            })
        if params:
            item["parameters"] = params
        if op.auth in ("admin", "host", "device"):
            item["security"] = [{"bearer": []}]
        elif op.auth in ("optional", "holder"):
            item["security"] = [{}, {"bearer": []}]
        if isinstance(op.body, tuple):  # issue 14: brand, a file sent as it is (the logo)
            item["requestBody"] = {"required": True, "content": {
                media: {"schema": {"type": "string", "format": "binary"}} for media in op.body}}
        elif op.body:
            item["requestBody"] = {
                "required": False,
                "content": {"application/json": {"schema": _ref(op.body)}},
            }
        responses: dict = {}
        for status, model in op.responses.items():
            if isinstance(model, str):  # a media type other than JSON, e.g. an SVG image
                text = {"schema": {"type": "string"}}
                responses[str(status)] = {"description": "OK", "content": {model: text}}
                continue
            content = {"schema": _ref(model)} if model else {"schema": {"type": "object"}}
            responses[str(status)] = {"description": "OK", "content": {"application/json": content}}
        for status, text in _ERRORS.items():
            if str(status) in responses:  # the path's own answer for it (/healthz's 503)
                continue
            responses[str(status)] = {
                "description": text,
                "content": {"application/json": {"schema": _ref(schemas.Error)}},
            }
        item["responses"] = responses
        paths.setdefault(op.path, {})[op.method.lower()] = item
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Qode",
            "version": version,
            "description": "Queue tickets, live status and host controls for one venue box.",
        },
        "components": {
            "schemas": defs["$defs"],
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "paths": paths,
    }


_built: dict[tuple, dict] = {}


def document(operations: list, version: str) -> dict:
    """The document for `operations` of Qode `version`, built once (routes do not change after start)."""
    key = (len(operations), version)
    if key not in _built:
        _built[key] = _build(operations, version)
    return _built[key]
