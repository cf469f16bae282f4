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
