"""The typed outcome and the request log's table stay one for one: a column without a field (or the
reverse) fails here, not as a silently stored default."""

from __future__ import annotations

import dataclasses

from router.outcome import MIN_DECODE_TOKENS, RequestOutcome, decode_speed
from router.store import RequestRecord

NOT_STORED = {"request", "decision", "completion"}


def test_every_column_is_a_field_and_every_stored_field_a_column() -> None:
    columns = {c.name for c in RequestRecord.__table__.columns}  # type: ignore[attr-defined]
    fields = {f.name for f in dataclasses.fields(RequestOutcome)}
    assert columns == fields - NOT_STORED


def test_decode_speed_only_where_it_was_measured() -> None:
    assert decode_speed(300, 0.00003) is None  # a whole answer in one read: no speed to speak of
    assert decode_speed(MIN_DECODE_TOKENS, 2.0) is None  # too few tokens
    assert decode_speed(101, 2.0) == 50.0


def test_an_answer_sent_at_once_logs_no_decode_speed(gateway_app, upstream) -> None:
    from tests.router.helpers import log_rows, one_backend

    script, up = upstream
    script.text, script.behaviour = "word " * 300, "no_usage"  # about 375 tokens, in one read
    with gateway_app(one_backend(up)) as (client, app):  # in process; the upstream answers on loopback
        body = {"model": "auto", "messages": [{"role": "user", "content": "hi"}]}
        assert client.post("/v1/chat/completions", json=body).status_code == 200
        [row] = log_rows(app)
    assert row.output_tokens > 100 and row.decode_tps is None
