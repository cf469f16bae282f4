"""`switchpoint tune`: read the request log and quality signals, print proposals to change the routing
rules with their predicted effect and confidence; `--apply ID` stores one as a new rule version.

    switchpoint tune --config switchpoint.yaml [--limit 5000] [--json] [--apply ID]
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import orjson

from backends.errors import ConfigError
from policies.tuning import Proposal

from . import store_rules
from .rule_versions import RULES_KEY
from .settings import Settings, load_settings
from .tuning import compute_proposals, objective_of, settings_table, stored_rules


def _print(proposals: list[Proposal]) -> None:
    if not proposals:
        print("no proposals: the logs do not show a confident improvement (or there is too little data)")
    for p in proposals:
        pr = p.predicted
        print(f"[{p.id}] {p.description}  (confidence {p.confidence:.0%})")
        print(
            f"    predicted: utility {pr['utility']}  quality {pr['quality']}  p95 {pr['p95_latency_ms']} ms"
            f"  cost ${pr['cost_usd']}/request"
        )
        for c in p.changes:
            print(
                f"    {c.category}/{c.difficulty}: {c.current} -> {c.proposed}  {c.delta_utility:+.3f} utility"
                f"  ({c.share:.0%} of traffic, confidence {c.confidence:.0%})"
            )
        if p.ips and p.ips["value"] is not None:
            print(
                f"    counterfactual (IPS) utility {p.ips['value']:.3f} vs current {p.ips['current']:.3f}"
                f" on {p.ips['matched']}/{p.ips['n']} logged requests"
            )


def main(argv: list[str]) -> int:
    from .store import create_tables, make_engine

    parser = argparse.ArgumentParser(prog="switchpoint tune", description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="YAML configuration file")
    parser.add_argument("--limit", type=int, default=5000, help="how many recent requests to read")
    parser.add_argument("--min-samples", type=int, default=10)
    parser.add_argument("--min-confidence", type=float, default=0.8)
    parser.add_argument("--json", action="store_true", help="print proposals as JSON")
    parser.add_argument("--apply", metavar="ID", help="store proposal ID as a new rule version")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    engine = make_engine(settings.effective_database_url)
    try:
        create_tables(engine)
        table = settings_table(settings)
        rules, base, errors = stored_rules(engine, table, settings)
        if errors:
            print("the current rule version does not validate: " + "; ".join(errors), file=sys.stderr)
            return 2
        proposals = compute_proposals(
            engine,
            table,
            rules,
            objective_of(settings.routing),
            args.limit,
            min_samples=args.min_samples,
            min_confidence=args.min_confidence,
        )
        if args.apply:
            chosen = next((p for p in proposals if p.id == args.apply), None)
            if chosen is None:
                print(f"no proposal {args.apply} (proposals change as the logs grow; run tune again)", file=sys.stderr)
                return 1
            n = store_rules.add(engine, chosen.yaml, "cli", f"tune: {chosen.description}", base.to_yaml())
            asyncio.run(_announce(settings, n))
            print(f"applied {chosen.id} as rule version {n}")
            return 0
        if args.json:
            print(orjson.dumps({"proposals": [p.as_dict() for p in proposals]}, option=orjson.OPT_INDENT_2).decode())
        else:
            _print(proposals)
        return 0
    finally:
        engine.dispose()


async def _announce(settings: Settings, version: int) -> None:
    """Tell running replicas (through Redis, when configured) that a new version exists."""
    from .shared_state import make_shared_state

    shared = make_shared_state(settings.redis_url)
    try:
        await shared.set(RULES_KEY, str(version))
    finally:
        await shared.aclose()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
