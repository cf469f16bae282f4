"""Corrections of request categories: the admin endpoint that records them (through the real gateway, in
process), and `switchpoint classify train --from-log` that retrains on them, reports before/after on the
held-out ones, installs a versioned weights file that a replica picks up, and rolls back."""

from __future__ import annotations

from pathlib import Path

import yaml

from policies.classify import load_default_classifier
from router.classify_cli import main as classify_main
from router.classify_versions import ClassifierVersions
from router.dialects import get_dialect
from router.store import create_tables, make_engine
from router.store_corrections import add_correction, corrections, versions
from tests.router.helpers import one_backend

ADMIN = "spa-test-admin-key-0123456789abcdef"  # the same as test_admin_rules.two_backends sets
H = {"authorization": f"Bearer {ADMIN}"}


def test_admin_endpoint_records_corrections_and_refuses_bad_ones(gateway_app, upstream) -> None:
    _s, up = upstream
    with gateway_app({"admin_key": ADMIN, **one_backend(up)}) as (client, app):
        ask = {"model": "auto", "messages": [{"role": "user", "content": "frobulate the zanzibar ledger"}]}
        r = client.post(
            "/admin/classify/corrections",
            headers=H,
            json={"category": "coding", "request": ask, "request_id": "req-1", "previous": "prose"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["category"] == "coding"
        bad = [
            {"category": "poetry", "request": ask},
            {"category": "coding", "request": "text"},
            {"category": "coding", "request": {"messages": "not a list"}},
        ]
        for body in bad:
            r = client.post("/admin/classify/corrections", headers=H, json=body)
            assert r.status_code == 400, (body, r.text)
            assert "error" in r.json()
        anonymous = client.post("/admin/classify/corrections", json={"category": "coding", "request": ask})
        assert anonymous.status_code == 401
        listed = client.get("/admin/classify/corrections", headers=H).json()["corrections"]
        assert [(c["category"], c["dialect"]) for c in listed] == [("coding", "openai")]
        stored = corrections(app.state.engine)
        assert stored[0].body["messages"][0]["content"] == "frobulate the zanzibar ledger"


LEDGERS = [
    "zanzibar",
    "quokka",
    "umber",
    "marlow",
    "tessel",
    "brindle",
    "corvid",
    "halcyon",
    "juniper",
    "kestrel",
    "lumen",
    "nimbus",
    "oriel",
    "pellucid",
    "quillon",
    "rowan",
    "sable",
    "thistle",
    "vesper",
    "wren",
]


def ask(word: str) -> dict:
    return {"model": "auto", "messages": [{"role": "user", "content": f"Frobulate the {word} ledger for the quarter."}]}


def test_train_from_log_installs_a_version_every_replica_picks_up_and_rolls_back(tmp_path: Path, capsys) -> None:
    db = tmp_path / "sp.db"
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"home": str(tmp_path), "database_url": f"sqlite:///{db}"}))
    engine = make_engine(f"sqlite:///{db}")
    create_tables(engine)
    shipped = load_default_classifier()
    parse = get_dialect("openai").parse_request
    # The shipped classifier calls these asks prose; the operator says they are coding (their own jargon).
    assert all(shipped.classify(parse(ask(w))).category == "prose" for w in LEDGERS)
    for i, w in enumerate(LEDGERS):
        add_correction(engine, "coding", "openai", ask(w), request_id=f"r{i}", previous="prose")

    assert classify_main(["train", "--from-log", "--config", str(config), "--epochs", "4"]) == 0
    out = capsys.readouterr().out
    assert "macro F1 on the held-out corrections: before 0.0000, after 1.0000" in out, out
    [v1] = versions(engine)
    assert v1.active and v1.f1_before == 0.0 and v1.f1_after == 1.0
    assert Path(v1.path).parent == tmp_path / "classifier" and Path(v1.path).is_file()

    replica = ClassifierVersions(engine, shipped, poll_s=0)
    assert replica.current().classify(parse(ask("ostrich"))).category == "coding"
    assert replica.version == v1.version
    assert (
        replica.current()
        .classify(parse(ask("ostrich") | {"messages": [{"role": "user", "content": "Write a poem about the sea."}]}))
        .category
        == "prose"
    )

    assert classify_main(["rollback", "--config", str(config)]) == 0
    assert replica.current().classify(parse(ask("ostrich"))).category == "prose"
    assert replica.version is None
    assert classify_main(["rollback", "7", "--config", str(config)]) == 2  # no such version


def test_a_tampered_weights_file_is_refused_and_the_replica_keeps_its_classifier(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'sp.db'}")
    create_tables(engine)
    from router.classify_versions import write_weights
    from router.store_corrections import add_version

    shipped = load_default_classifier()
    path, digest = write_weights(tmp_path, {"code": shipped.model, "tool": shipped.tool_model})
    path.write_bytes(path.read_bytes().replace(b'"bias"', b'"bias" ', 1))
    add_version(engine, str(path), digest, 0, None, None)
    replica = ClassifierVersions(engine, shipped, poll_s=0)
    assert replica.current() is shipped and replica.version is None


def test_a_correction_changes_the_route_of_the_next_similar_request_after_retraining(
    tmp_path: Path, upstream, upstream2
) -> None:
    """End to end through a real gateway (in process, with the classifier it builds itself) that stores
    bodies: 20 asks in the operator's jargon go the prose way; the operator corrects them by request id;
    `classify train --from-log` installs a version; the gateway picks it up and the next such ask takes
    the coding route."""
    from starlette.testclient import TestClient

    from router.app import create_app
    from router.settings import load_settings
    from tests.conftest import GATEWAY_URL
    from tests.router.test_admin_rules import chat, two_backends, wait_for

    _s1, up1 = upstream
    _s2, up2 = upstream2
    db = f"sqlite:///{tmp_path / 'sp.db'}"
    config = two_backends(
        up1,
        up2,
        log_bodies=True,
        database_url=db,
        rules=[{"name": "code-two", "match": {"category": "coding"}, "chain": ["two"]}],
    )
    settings = load_settings(None, home=tmp_path, **config)
    cli_config = tmp_path / "config.yaml"
    cli_config.write_text(yaml.safe_dump({"home": str(tmp_path), "database_url": db}))
    app = create_app(settings)
    with TestClient(app, base_url=GATEWAY_URL) as client:
        ids = []
        for w in LEDGERS:
            r = chat(client, f"Frobulate the {w} ledger for the quarter.")
            assert r.status_code == 200 and r.headers["x-switchpoint-backend"] == "one"
            ids.append(r.headers["x-switchpoint-request-id"])

        def correct(rid: str) -> bool:
            r = client.post(
                "/admin/classify/corrections",
                headers=H,
                json={"request_id": rid, "category": "coding", "previous": "prose"},
            )
            return r.status_code == 200

        assert all(wait_for(lambda rid=rid: correct(rid)) for rid in ids)  # bodies are written in batches
        assert classify_main(["train", "--from-log", "--config", str(cli_config), "--epochs", "4"]) == 0
        app.state.gateway.classifier.versions.poll_s = 0  # the replica looks now, not in 10 s

        def routed_to_two() -> bool:
            r = chat(client, "Frobulate the ostrich ledger for the quarter.")
            return r.headers.get("x-switchpoint-backend") == "two"

        assert wait_for(routed_to_two)
        assert chat(client, "Write a haiku about autumn.").headers["x-switchpoint-backend"] == "one"
