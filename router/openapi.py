"""The OpenAPI 3.1 description of the public routes, generated from the dialects' pydantic wire models
(so it cannot drift from what the parser accepts). Served at GET /openapi.json; the fuzz tests run
schemathesis against it."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

# dialect name -> (module, request model); imported on demand, as the dialects are.
REQUEST_MODELS = {
    "openai": ("router.dialects.openai_chat", "ChatRequest"),
    "anthropic": ("router.dialects.anthropic", "MessagesRequest"),
    "responses": ("router.dialects.responses", "ResponsesRequest"),
    "completions": ("router.dialects.completions", "CompletionRequest"),
}

_OPENAI_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["message", "type"],
            "properties": {
                "message": {"type": "string"},
                "type": {"type": "string"},
                "param": {"type": ["string", "null"]},
                "code": {"type": ["string", "null"]},
            },
        }
    },
}
_ANTHROPIC_ERROR = {
    "type": "object",
    "required": ["type", "error"],
    "properties": {
        "type": {"const": "error"},
        "error": {
            "type": "object",
            "required": ["type", "message"],
            "properties": {"type": {"type": "string"}, "message": {"type": "string"}},
        },
    },
}


_OPENAI_REF = "#/components/schemas/OpenAIError"
_FEEDBACK = {
    "type": "object",
    "required": ["request_id", "score"],
    "properties": {
        "request_id": {"type": "string", "maxLength": 40},
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "label": {"type": "string", "maxLength": 200},
    },
}


def _model(dialect: str) -> type[BaseModel]:
    module, name = REQUEST_MODELS[dialect]
    model: type[BaseModel] = getattr(importlib.import_module(module), name)
    return model


def _json(schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"application/json": {"schema": schema or {"type": "object"}}}


def _errors(ref: str) -> dict[str, Any]:
    return {
        "4XX": {"description": "the request was refused", "content": _json({"$ref": ref})},
        "5XX": {"description": "every backend failed", "content": _json({"$ref": ref})},
    }


def _get(summary: str, content: dict[str, Any], *, secured: bool = False) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {"200": {"description": "ok", "content": content}}}
    if not secured:
        op["security"] = []
    else:
        op["responses"].update(_errors(_OPENAI_REF))
    return {"get": op}


def _dialect_post(dialect: str, request_schema: dict[str, Any]) -> dict[str, Any]:
    """The POST operation of one dialect's endpoint: its request model in, JSON or SSE out, errors in
    the dialect's own shape."""
    model = _model(dialect)
    err = "#/components/schemas/" + ("AnthropicError" if dialect == "anthropic" else "OpenAIError")
    return {
        "post": {
            "summary": f"{dialect} API ({model.__name__})",
            "requestBody": {"required": True, "content": _json(request_schema)},
            "responses": {
                "200": {
                    "description": "the answer, as JSON or (stream: true) server-sent events",
                    "content": {**_json(), "text/event-stream": {"schema": {"type": "string"}}},
                },
                **_errors(err),
            },
        }
    }


def _fixed_paths(anthropic_ref: dict[str, Any] | None) -> dict[str, Any]:
    """The routes every gateway has; token counting only where the Anthropic dialect is routed
    (`anthropic_ref`: its request schema)."""
    paths: dict[str, Any] = {
        "/v1/feedback": {
            "post": {
                "summary": "a verdict on one answer (router/feedback.py)",
                "requestBody": {"required": True, "content": _json(_FEEDBACK)},
                "responses": {"200": {"description": "recorded", "content": _json()}, **_errors(_OPENAI_REF)},
            }
        }
    }
    if anthropic_ref is not None:
        paths["/v1/messages/count_tokens"] = {
            "post": {
                "summary": "input tokens a Messages request would use (estimated)",
                "requestBody": {"required": True, "content": _json(anthropic_ref)},
                "responses": {
                    "200": {"description": '{"input_tokens": N}', "content": _json()},
                    **_errors("#/components/schemas/AnthropicError"),
                },
            }
        }
    paths["/v1/models"] = _get("the model ids and aliases", _json(), secured=True)
    paths["/health"] = _get("liveness and request-log counters", _json())
    paths["/metrics"] = _get("Prometheus metrics", {"text/plain": {"schema": {"type": "string"}}})
    paths["/"] = _get("service name", _json())
    paths["/openapi.json"] = _get("this document", _json())
    return paths


def openapi_schema(dialect_routes: Mapping[str, str]) -> dict[str, Any]:
    """The document for the routed dialect endpoints (`path -> dialect name`) and the fixed routes."""
    dialects = sorted(set(dialect_routes.values()))
    models = [(_model(d), "validation") for d in dialects]
    refs, defs = models_json_schema(models, ref_template="#/components/schemas/{model}")  # type: ignore[arg-type]
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))
    schemas["OpenAIError"] = _OPENAI_ERROR
    schemas["AnthropicError"] = _ANTHROPIC_ERROR
    paths = {path: _dialect_post(d, refs[(_model(d), "validation")]) for path, d in dialect_routes.items()}
    anthropic_ref = refs[(_model("anthropic"), "validation")] if "anthropic" in dialects else None
    paths.update(_fixed_paths(anthropic_ref))
    return {
        "openapi": "3.1.0",
        "info": {"title": "Switchpoint", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
            },
        },
        "security": [{"bearer": []}, {"apiKey": []}],
    }
