"""Session keys and stickiness, cooldown arithmetic: pure functions."""

from __future__ import annotations

from backends.contract import CanonicalRequest, Message, TextPart
from policies.cooldown import CooldownPolicy, split_cooling
from policies.stickiness import Pin, session_key, stick


def req(system: str, *turns: str) -> CanonicalRequest:
    msgs = [Message("system", [TextPart(system)])] if system else []
    roles = ["user", "assistant"]
    msgs += [Message(roles[i % 2], [TextPart(t)]) for i, t in enumerate(turns)]  # type: ignore[arg-type]
    return CanonicalRequest(model="auto", messages=msgs)


def test_session_key_prefers_headers_then_hashes_the_opening():
    r1 = req("be brief", "fix the bug")
    r2 = req("be brief", "fix the bug", "done", "now add a test")
    assert session_key({}, r1) == session_key({}, r2)  # the conversation grew, same session
    assert session_key({}, req("be brief", "another task")) != session_key({}, r1)
    assert session_key({}, req("be verbose", "fix the bug")) != session_key({}, r1)
    a = session_key({"X-Claude-Code-Session-Id": "abc"}, r1)
    assert a == session_key({"x-claude-code-session-id": "abc"}, req("", "other"))
    assert a != session_key({"x-session-id": "abc2"}, r1)
    assert session_key({"session_id": "s"}, r1) == session_key({"session-id": "s"}, r1) != session_key({}, r1)
    assert session_key({}, CanonicalRequest(model="auto", prompt="def f(")) is None


def test_stick_keeps_moves_and_upgrades():
    chain, pin, why = stick(["a", "b"], None, "easy", set())
    assert chain == ["a", "b"] and pin == Pin("a", 0) and why == ""
    chain, pin, why = stick(["a", "b"], Pin("b", 1), "easy", set())
    assert chain == ["b", "a"] and pin == Pin("b", 1) and "sticks to b" in why
    chain, pin, why = stick(["a", "b"], Pin("b", 1), "easy", {"b"})
    assert chain == ["a", "b"] and pin.backend == "a" and "failed" in why
    chain, pin, why = stick(["a"], Pin("b", 1), "easy", set())
    assert chain == ["a"] and pin.backend == "a" and "cannot serve" in why
    chain, pin, why = stick(["a", "b"], Pin("b", 0), "hard", set())
    assert chain == ["a", "b"] and pin == Pin("a", 2) and "hard" in why
    chain, pin, _ = stick(["b", "a"], Pin("b", 0), "hard", set())
    assert chain == ["b", "a"] and pin == Pin("b", 2)
    assert Pin.decode(Pin("x|y", 2).encode()) == Pin("x|y", 2)
    assert Pin.decode("garbage") is None and Pin.decode(None) is None


def test_cooldown_policy():
    p = CooldownPolicy(failures=3)
    assert not p.trips(2) and p.trips(3)
    assert not CooldownPolicy(failures=0).trips(100)
    kept, why = split_cooling(["a", "b", "c"], {"b": 5.0, "c": -1.0})
    assert kept == ["a", "c"] and list(why) == ["b"]
    assert split_cooling(["a"], {"a": 5.0}) == (["a"], {})
