"""Quality signals through the real gateway, in process (upstreams and judge on loopback): POST
/v1/feedback and the implicit signals."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
from sqlalchemy import select
from sqlmodel import Session

from router.store_quality import QualitySignal, ShadowResult, load_observations
from tests.fakes.openai_upstream import Script, make_upstream
from tests.fakes.servers import ServerThread
from tests.router.helpers import log_rows, one_backend

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}},
    },
}


def signals(app: Any, request_id: str, n: int = 1, timeout: float = 10.0) -> list[tuple[str, float, str | None]]:
    deadline = time.monotonic() + timeout
    while True:
        with Session(app.state.engine) as s:
            q = select(QualitySignal).where(QualitySignal.request_id == request_id).order_by(QualitySignal.id)
            rows = [(r.kind, r.score, r.label) for r in s.execute(q).scalars()]
        if len(rows) >= n or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


def chat(client: httpx.Client, text: str, **body: Any) -> httpx.Response:
    payload = {"model": "auto", "messages": [{"role": "user", "content": text}], **body}
    return client.post("/v1/chat/completions", json=payload)


def test_feedback_is_stored_and_validated(gateway_app, upstream):
    _, up = upstream
    with gateway_app(one_backend(up)) as (client, app):
        rid = chat(client, "Write a haiku.").headers["x-switchpoint-request-id"]
        r = client.post("/v1/feedback", json={"request_id": rid, "score": 1, "label": "great"})
        assert r.status_code == 200 and r.json() == {"ok": True, "request_id": rid, "score": 1.0, "label": "great"}
        r = client.post("/v1/feedback", json={"request_id": rid, "score": 0.25})
        assert r.status_code == 200
        assert signals(app, rid, 2) == [("feedback", 1.0, "great"), ("feedback", 0.25, None)]
        for bad in (
            {"request_id": rid, "score": 1.5},
            {"request_id": rid, "score": -1},
            {"request_id": rid},
            {"score": 1},
            {"request_id": rid, "score": True},
            {"request_id": rid, "score": 1, "label": 3},
        ):
            r = client.post("/v1/feedback", json=bad)
            assert r.status_code == 400, bad
            assert r.json()["error"]["type"] == "invalid_request_error"
        r = client.post("/v1/feedback", json={"request_id": "req_nope", "score": 1})
        assert r.status_code == 404 and r.json()["error"]["code"] == "request_not_found"
        r = client.post("/v1/feedback", content=b"{not json")
        assert r.status_code == 400


def test_implicit_signals(gateway_app, upstream):
    script, up = upstream
    with gateway_app(one_backend(up)) as (client, app):
        script.behaviour = "tool"
        good = chat(client, "Weather in Paris?", tools=[WEATHER]).headers["x-switchpoint-request-id"]
        script.tool_args = '{"town": 3}'
        bad = chat(client, "Weather in Oslo?", tools=[WEATHER]).headers["x-switchpoint-request-id"]
        script.tool_args = '{"city": '
        broken = chat(client, "Weather in Rome?", tools=[WEATHER], stream=True).headers["x-switchpoint-request-id"]
        assert signals(app, good) == [("tool_args", 1.0, None)]
        [(kind, score, label)] = signals(app, bad)
        assert (kind, score) == ("tool_args", 0.0) and label is not None and "'city' is a required property" in label
        [(kind, score, label)] = signals(app, broken)
        assert (kind, score) == ("tool_args", 0.0) and label is not None and "not valid JSON" in label
        script.behaviour = "ok"
        text = f"Summarise this, please: {uuid.uuid4().hex}"
        first = chat(client, text).headers["x-switchpoint-request-id"]
        second = chat(client, text).headers["x-switchpoint-request-id"]
        [(kind, score, label)] = signals(app, first)
        assert kind == "resent" and score < 0.5 and label == f"re-sent as {second}"
        script.behaviour, script.status = "status", 503
        failed = chat(client, "Anything.").headers["x-switchpoint-request-id"]
        assert signals(app, failed) == [("upstream_error", 0.0, None)]


def test_judge_grades_a_sampled_share_off_the_request_path(gateway_app, upstream, upstream2):
    _, up = upstream
    judge_script, judge_up = upstream2
    judge_script.text = "Score: 8/10"
    cfg = {
        "backends": [
            {"name": "up", "kind": "openai", "base_url": up, "model": "m-up"},
            {"name": "grader", "kind": "openai", "base_url": judge_up, "model": "m-judge"},
        ],
        "routes": {"default": ["up"]},
        "routing": {"judge_backend": "grader", "judge_share": 1.0},
    }
    with gateway_app(cfg) as (client, app):
        r = chat(client, "Write a haiku about autumn.")
        assert r.headers["x-switchpoint-backend"] == "up"
        rid = r.headers["x-switchpoint-request-id"]
        assert signals(app, rid) == [("judge", 0.8, None)]
        [asked] = judge_script.requests
        assert asked["model"] == "m-judge" and "Write a haiku about autumn." in asked["messages"][1]["content"]
        assert "Hello from the upstream." in asked["messages"][1]["content"]
        assert "well organised" in asked["messages"][0]["content"]  # the prose rubric


def test_shadow_traffic_is_judged_side_by_side_and_feeds_the_tuner(gateway_app, upstream, upstream2):

    script, up = upstream
    shadow_script, shadow_up = upstream2
    grader = Script(text="A: 8/10\nB: 6/10")
    with ServerThread(make_upstream(grader, "grader-model")) as judge_server:
        cfg = {
            "backends": [
                {"name": "up", "kind": "openai", "base_url": up, "model": "m-up"},
                {
                    "name": "alt",
                    "kind": "openai",
                    "base_url": shadow_up,
                    "model": "m-alt",
                    "price": {"input_per_mtok": 1.0, "output_per_mtok": 2.0},
                },
                {"name": "grader", "kind": "openai", "base_url": judge_server.url + "/v1", "model": "m-judge"},
            ],
            "routes": {"default": ["up"]},
            "routing": {"shadow_backend": "alt", "shadow_share": 1.0, "judge_backend": "grader", "judge_share": 0},
        }
        with gateway_app(cfg) as (client, app):
            r = chat(client, "Write a haiku about autumn.")
            assert r.json()["choices"][0]["message"]["content"] == script.text  # the client sees only the first
            rid = r.headers["x-switchpoint-request-id"]
            assert signals(app, rid) == [("judge", 0.8, "side by side")]
            deadline = time.monotonic() + 10
            while True:
                with Session(app.state.engine) as s:
                    shadows = list(s.execute(select(ShadowResult)).scalars())
                if shadows or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            [sh] = shadows
            assert (sh.request_id, sh.backend, sh.status, sh.score) == (rid, "alt", "ok", 0.6)
            assert sh.output_tokens == 7 and sh.cost_usd == (11 * 1.0 + 7 * 2.0) / 1e6 and sh.latency_ms > 0
            assert shadow_script.requests[0]["messages"] == [{"role": "user", "content": "Write a haiku about autumn."}]
            [asked] = grader.requests
            assert script.text in asked["messages"][1]["content"]
            assert shadow_script.text in asked["messages"][1]["content"]
            log_rows(app, 1)
            obs = [o for o in load_observations(app.state.engine) if o.backend == "alt"]
            assert len(obs) == 1 and obs[0].quality == 0.6 and obs[0].probability is None
