"""A model's tokenizer served over HTTP the way vLLM and llama.cpp's server serve theirs.

vLLM (and SGLang): `POST /tokenize` with `{"model", "messages", "add_generation_prompt", "tools"}` answers
`{"count", "max_model_len", "tokens"}`, the chat template applied to the messages as sent. llama.cpp:
`POST /apply-template` with `{"messages"}` answers `{"prompt"}`; `POST /tokenize` with
`{"content", "add_special", "parse_special"}` answers `{"tokens"}` (and `{"tokens": []}` when `content`
is missing, which is how it answers vLLM's shape). `kind="none"` has neither (404), like Ollama.
Every request is kept in `calls` as (path, body).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def _wire_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What vLLM hands the template: content parts joined into text, null content as empty text."""
    out = []
    for m in messages:
        content = m.get("content")
        if isinstance(content, list):
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        out.append({**m, "content": content or ""})
    return out


def tokenize_app(tokenizer: Any, kind: str, max_model_len: int = 8192) -> tuple[Starlette, list[tuple[str, Any]]]:
    calls: list[tuple[str, Any]] = []

    def template(body: dict[str, Any], tokenize: bool) -> Any:
        return tokenizer.apply_chat_template(
            _wire_messages(body["messages"]),
            tools=body.get("tools"),
            add_generation_prompt=body.get("add_generation_prompt", True),
            tokenize=tokenize,
            return_dict=False,
        )

    async def tokenize(request: Request) -> Response:
        body = orjson.loads(await request.body())
        calls.append(("/tokenize", body))
        if kind == "vllm":
            ids = list(template(body, True))
            return JSONResponse({"count": len(ids), "max_model_len": max_model_len, "tokens": ids})
        if kind == "llamacpp":
            content = body.get("content")
            if not isinstance(content, str):
                return JSONResponse({"tokens": []})
            ids = tokenizer.encode(content, add_special_tokens=bool(body.get("add_special", False)))
            return JSONResponse({"tokens": ids})
        return Response("Not Found", status_code=404)

    async def apply_template(request: Request) -> Response:
        body = orjson.loads(await request.body())
        calls.append(("/apply-template", body))
        if kind != "llamacpp":
            return Response("Not Found", status_code=404)
        return JSONResponse({"prompt": template(body, False)})

    app = Starlette(
        routes=[
            Route("/tokenize", tokenize, methods=["POST"]),
            Route("/apply-template", apply_template, methods=["POST"]),
        ]
    )
    return app, calls
