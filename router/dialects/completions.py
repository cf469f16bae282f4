"""Legacy completions: `POST /v1/completions`, with `suffix` for fill-in-the-middle, JSON and SSE.

The canonical request carries `prompt` (and `suffix`) with no messages; only backends that declare
FIM get a request with a suffix.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import Field, ValidationError

from backends.contract import CanonicalRequest, Event, TextDelta, Usage
from backends.errors import InvalidRequest, SwitchpointError

from .base import Completion, Loose, Parsed, ResponseMeta, openai_error_body, sse, validation_error


class StreamOptions(Loose):
    include_usage: bool | None = None


class CompletionRequest(Loose):
    model: str
    prompt: str | list[str] | list[int] | list[list[int]]
    suffix: str | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    stop: str | list[str] | None = None
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    echo: bool | None = False
    n: int | None = None
    best_of: int | None = None
    logprobs: int | None = None
    seed: int | None = None
    user: str | None = None


def _prompt(prompt: str | list[str] | list[int] | list[list[int]]) -> str:
    if isinstance(prompt, str):
        return prompt
    if len(prompt) == 1 and isinstance(prompt[0], str):
        return prompt[0]
    if all(isinstance(p, str) for p in prompt):
        raise InvalidRequest("prompt must be one string: send one request per prompt", param="prompt")
    raise InvalidRequest("token-id prompts are not supported: send the prompt as text", param="prompt")


def parse_request(body: Any) -> CanonicalRequest:
    if not isinstance(body, dict):
        raise InvalidRequest("request body must be a JSON object")
    try:
        r = CompletionRequest.model_validate(body)
    except ValidationError as exc:
        raise validation_error(exc) from None
    if r.echo:
        raise InvalidRequest("echo is not supported", param="echo")
    if r.n not in (None, 1):
        raise InvalidRequest("n > 1 is not supported: send one request per choice", param="n")
    if r.best_of not in (None, 1):
        raise InvalidRequest("best_of > 1 is not supported", param="best_of")
    if r.logprobs:
        raise InvalidRequest("logprobs are not supported", param="logprobs")
    return CanonicalRequest(
        model=r.model,
        prompt=_prompt(r.prompt),
        suffix=r.suffix or None,  # an empty suffix is a plain completion: any backend can serve it
        stream=bool(r.stream),
        max_tokens=r.max_tokens,
        temperature=r.temperature,
        top_p=r.top_p,
        seed=r.seed,
        stop=[r.stop] if isinstance(r.stop, str) else list(r.stop or ()),
        user=r.user,
        extra=dict(r.model_extra or {}),
    )


def usage_json(u: Usage | None) -> dict[str, Any]:
    u = u or Usage()
    return {
        "prompt_tokens": u.input_tokens,
        "completion_tokens": u.output_tokens,
        "total_tokens": u.input_tokens + u.output_tokens,
    }


def completion_id(meta: ResponseMeta) -> str:
    return meta.id if meta.id.startswith("cmpl-") else f"cmpl-{meta.id}"


def _finish(c: Completion) -> str:
    return "length" if c.finish_reason == "length" else "stop"


def render_json(c: Completion, meta: ResponseMeta) -> bytes:
    return orjson.dumps(
        {
            "id": completion_id(meta),
            "object": "text_completion",
            "created": meta.created,
            "model": meta.model,
            "choices": [{"text": c.text, "index": 0, "logprobs": None, "finish_reason": _finish(c)}],
            "usage": usage_json(c.usage),
        }
    )


class CompletionsStream:
    def __init__(self, meta: ResponseMeta) -> None:
        self.meta = meta
        self._head = {
            "id": completion_id(meta),
            "object": "text_completion",
            "created": meta.created,
            "model": meta.model,
        }

    def _chunk(self, text: str, finish: str | None = None) -> bytes:
        choice = {"text": text, "index": 0, "logprobs": None, "finish_reason": finish}
        return sse({**self._head, "choices": [choice]})

    def start(self) -> bytes:
        return b""

    def event(self, ev: Event) -> bytes:
        if isinstance(ev, TextDelta) and ev.text:
            return self._chunk(ev.text)
        return b""

    def finish(self, c: Completion) -> bytes:
        # Usage rides on the last chunk, which still has its choice: clients that index choices[0]
        # on every chunk (many editor plugins) keep working.
        choice = {"text": "", "index": 0, "logprobs": None, "finish_reason": _finish(c)}
        last: dict[str, Any] = {**self._head, "choices": [choice]}
        if self.meta.include_usage:
            last["usage"] = usage_json(c.usage)
        return sse(last) + b"data: [DONE]\n\n"

    def error(self, exc: SwitchpointError) -> bytes:
        return sse(openai_error_body(exc))


class LegacyCompletions:
    name = "completions"
    error_style = "openai"

    def parse(self, body: Any) -> Parsed:
        return Parsed(parse_request(body))  # usage in every stream, as this gateway always sent it

    def parse_request(self, body: Any) -> CanonicalRequest:
        return parse_request(body)

    def render_json(self, completion: Completion, meta: ResponseMeta) -> bytes:
        return render_json(completion, meta)

    def stream_renderer(self, meta: ResponseMeta) -> CompletionsStream:
        return CompletionsStream(meta)
