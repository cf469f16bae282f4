"""Checks on the canonical conversation that every chat dialect applies after parsing: what a backend
would refuse anyway (often only after a network round trip, or deep inside an SDK with a traceback)
is refused here as the client's error, naming the message at fault."""

from __future__ import annotations

import orjson

from backends.contract import CanonicalRequest, ImagePart
from backends.errors import InvalidRequest

IMAGE_SCHEMES = ("http://", "https://", "data:")


def check_conversation(request: CanonicalRequest) -> CanonicalRequest:
    """`request` unchanged, or InvalidRequest: an image URL that is not http(s) or data:, tool-call
    arguments that are not JSON, a tool result that answers no call made earlier in the conversation."""
    calls: set[str] = set()
    for i, msg in enumerate(request.messages):
        where = f"messages[{i}]"
        for part in msg.content:
            if isinstance(part, ImagePart) and not part.url[:8].lower().startswith(IMAGE_SCHEMES):
                scheme = part.url.split(":", 1)[0][:20] if ":" in part.url else "none"
                raise InvalidRequest(
                    f"{where}: image URLs must be http(s) or data: URLs (got scheme '{scheme}')", param=where
                )
        for call in msg.tool_calls:
            if call.arguments.strip():
                try:
                    orjson.loads(call.arguments)
                except orjson.JSONDecodeError:
                    raise InvalidRequest(
                        f"{where}: the arguments of tool call '{call.id[:64]}' are not valid JSON", param=where
                    ) from None
            calls.add(call.id)
        if msg.role == "tool" and (not calls or (msg.tool_call_id and msg.tool_call_id not in calls)):
            raise InvalidRequest(
                f"{where}: tool result for call '{(msg.tool_call_id or '')[:64]}' answers no tool call made "
                "earlier in the conversation",
                param=where,
            )
    return request
