"""`switchpoint`: serve, config check, classify, drafter train."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from collections.abc import Sequence

from backends.errors import ConfigError

from .settings import DEFAULT_PORT, Settings, load_settings

EXIT_CONFIG = 2


def _load(path: str | None, **overrides: object) -> Settings:
    return load_settings(path, **{k: v for k, v in overrides.items() if v is not None})


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import create_app
    from .http_server import protocol_class

    try:
        settings = _load(args.config, host=args.host, port=args.port)
    except ConfigError as exc:
        print(exc.message, file=sys.stderr)
        return EXIT_CONFIG
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(settings)
    # What start-up made (about 100k objects: modules, settings, classifier tables) lives as long as the
    # process: kept out of the cycle collector, whose full collections then scan only what requests left.
    # Unfrozen, one came every ~1,000 requests at concurrency 16 and held the loop 50-300 ms. And a
    # youngest generation of 10,000 objects instead of 700: the requests in flight are not rescanned (and
    # promoted) a dozen times each; the collector's CPU per request fell from ~80 us to ~14 us.
    gc.freeze()
    gc.set_threshold(10_000)
    print(f"switchpoint listening on http://{settings.host}:{settings.port}", file=sys.stderr)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http=protocol_class(settings.connections),  # httptools, with head limits and read timeouts
        access_log=False,
        proxy_headers=False,  # bound to loopback by default; no proxy to trust, no per-request IP parsing
        server_header=False,
        timeout_keep_alive=settings.connections.keep_alive_s,  # longer than clients' idle pools
        log_level=args.log_level,
        timeout_graceful_shutdown=int(settings.graceful_shutdown_s),
    )
    return 0


def cmd_config_check(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(args.file)
    except ConfigError as exc:
        print(exc.message, file=sys.stderr)
        return EXIT_CONFIG
    n_b, n_a, n_r = len(settings.backends), len(settings.aliases), len(settings.routes)
    print(f"{args.file}: ok ({n_b} backends, {n_a} aliases, {n_r} routes)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Subcommands owned by other packages take their own arguments.
    if argv[:1] == ["classify"]:
        from .classify_cli import main as classify_main

        return classify_main(argv[1:])
    if argv[:1] == ["tune"]:
        from .tune_cli import main as tune_main

        return tune_main(argv[1:])
    if argv[:2] == ["drafter", "train"]:
        from backends.local.train import main as train_main

        return train_main(argv[2:])

    parser = argparse.ArgumentParser(prog="switchpoint", description="A routing gateway for language models.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the gateway")
    serve.add_argument("--config", help="YAML configuration file (default: embedded defaults)")
    serve.add_argument("--host", help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help=f"port (default {DEFAULT_PORT})")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    serve.set_defaults(func=cmd_serve)
    config = sub.add_parser("config", help="configuration tools")
    config_sub = config.add_subparsers(dest="config_command", required=True)
    check = config_sub.add_parser("check", help="validate a configuration file")
    check.add_argument("file")
    check.set_defaults(func=cmd_config_check)
    sub.add_parser("classify", help="classify requests from a JSON Lines file (see: switchpoint classify -h)")
    sub.add_parser("tune", help="propose routing rules from the logs (see: switchpoint tune -h)")
    drafter = sub.add_parser("drafter", help="MTP drafter tools (see: switchpoint drafter train -h)")
    drafter.add_subparsers(dest="drafter_command", required=True).add_parser("train", help="train an MTP head")
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
