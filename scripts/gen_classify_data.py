"""Generate the classifier's labelled development set: tests/data/classify_dev.jsonl (training) and
tests/data/classify_heldout.jsonl (never seen by training).

Requests are composed from hand-written pools of asks (coding, prose, tool use, images), tool sets,
system prompts and coding-agent fingerprints, and rendered in the wire formats clients send: OpenAI
chat bodies, Anthropic messages bodies ("dialect": "anthropic") and Responses bodies ("dialect":
"responses"). Every pool item belongs to exactly one split (by a hash of its text), so the held-out
split asks things training never saw, in shapes it did. The pools live in tests/data/classify_pools/.

    python scripts/gen_classify_data.py [--seed 7] [--out tests/data]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "data"))

from classify_pools import agents, asks, asks_more, tools
from classify_pools.render import Turn, render

HELDOUT_SHARE = 0.3


def split_of(key: str) -> str:
    h = int(hashlib.sha1(key.encode()).hexdigest()[:8], 16)
    return "heldout" if (h % 1000) / 1000 < HELDOUT_SHARE else "dev"


class Maker:
    """Draws pool items of one split and builds labelled requests from them."""

    def __init__(self, rng: random.Random, split: str):
        self.rng = rng
        self.split = split

    def pick(self, pool: list[Any]) -> Any:
        mine = [x for x in pool if split_of(json.dumps(x, ensure_ascii=False)) == self.split]
        return self.rng.choice(mine or pool)

    def dialect(self) -> str:
        r = self.rng.random()
        return "openai" if r < 0.5 else "anthropic" if r < 0.78 else "responses"

    def system(self, kind: str) -> str | None:
        r = self.rng.random()
        if r < 0.45:
            return None
        return self.pick(asks.SYSTEMS[kind] if r < 0.8 else asks.SYSTEMS["generic"])

    # ---- categories ------------------------------------------------------------------------------

    def coding(self) -> tuple[str, list[Turn], list[dict[str, Any]], str | None]:
        ask = self.coding_ask()
        turns = [Turn("user", ask)]
        tl: list[dict[str, Any]] = []
        if self.rng.random() < 0.15:  # tools offered, none needed
            tl = self.pick(tools.TOOLSETS)["tools"]
        return "coding", self.history(turns), tl, self.system("coding")

    def coding_ask(self) -> str:
        r = self.rng.random()
        if r < 0.35:
            return self.more_coding()
        r = self.rng.random()
        if r < 0.3:
            t = self.pick(asks.CODE_TASKS)
            lang = self.rng.choice(asks.PROG_LANGS)
            return self.rng.choice(asks.CODE_WRITE_TEMPLATES).format(lang=lang, task=t)
        if r < 0.5:
            snip = self.pick(asks.SNIPPETS)
            q = self.rng.choice(asks.SNIPPET_QUESTIONS[snip["kind"]])
            fenced = self.rng.random() < 0.8
            tag = snip["lang"] if self.rng.random() < 0.7 else ""
            code = f"```{tag}\n{snip['code']}\n```" if fenced else snip["code"]
            return f"{q}\n\n{code}" if self.rng.random() < 0.7 else f"{code}\n\n{q}"
        if r < 0.75:
            return self.pick(asks.CODE_QUESTIONS)
        if r < 0.85:
            return self.pick(asks.CODE_ERRORS)
        return self.pick(asks.CODE_FOREIGN)

    def prose(self) -> tuple[str, list[Turn], list[dict[str, Any]], str | None]:
        if self.rng.random() < 0.08:  # a lookup the offered tools do not cover: answered in words
            have = self.pick(tools.TOOLSETS)
            other = self.pick([t for t in tools.TOOLSETS if t is not have])
            return "prose", [Turn("user", self.pick(other["uses"])["ask"])], have["tools"], self.system("tools")
        ask = self.prose_ask()
        tl: list[dict[str, Any]] = []
        if self.rng.random() < 0.2:
            tl = self.pick(tools.TOOLSETS)["tools"]
        return "prose", self.history([Turn("user", ask)]), tl, self.system("prose")

    def prose_ask(self) -> str:
        r = self.rng.random()
        if r < 0.35:
            return self.more_prose()
        r = self.rng.random()
        if r < 0.2:
            form = self.pick(asks.WRITING_FORMS)
            topic = self.pick(asks.WRITING_TOPICS)
            return self.rng.choice(asks.WRITING_TEMPLATES).format(form=form, topic=topic)
        if r < 0.3:
            return self.rng.choice(asks.SUMMARY_TEMPLATES).format(text=self.pick(asks.PASSAGES))
        if r < 0.37:
            return self.rng.choice(asks.TRANSLATE_TEMPLATES).format(
                lang=self.rng.choice(asks.HUMAN_LANGS), text=self.pick(asks.TRANSLATE_TEXTS)
            )
        if r < 0.52:
            return self.pick(asks.MATHS)
        if r < 0.65:
            return self.pick(asks.HARD_PROSE)
        if r < 0.85:
            return self.pick(asks.PROSE_QUESTIONS)
        return self.pick(asks.PROSE_FOREIGN)

    def more_coding(self) -> str:
        r = self.rng.random()
        if r < 0.1:
            return self.pick(asks_more.CONTEST)
        if r < 0.16:
            return self.pick(asks_more.DATA_FORMAT)
        if r < 0.3:
            return self.pick(asks_more.TECH_QUESTIONS)
        r = self.rng.random()
        if r < 0.2:
            tpl = self.rng.choice(asks_more.PLAIN_CODE_TEMPLATES)
            return tpl.format(task=self.pick(asks_more.PLAIN_CODE_TASKS + asks.CODE_TASKS))
        if r < 0.3:
            return self.pick(asks_more.CODE_ONLY)
        if r < 0.42:
            tpl = self.rng.choice(asks_more.ERROR_TEMPLATES)
            return tpl.format(err=self.pick(asks_more.ERRORS), act=self.rng.choice(asks_more.ERROR_ACTS))
        r = self.rng.random()
        if r < 0.35:
            return self.rng.choice(asks_more.EXPLAIN_TEMPLATES).format(x=self.pick(asks_more.TECH_CONCEPTS))
        if r < 0.7:
            lang = self.rng.choice(sorted(asks_more.FOREIGN_CODE))
            tpl = self.rng.choice(asks_more.FOREIGN_CODE[lang])
            return tpl.format(x=self.pick(asks_more.FOREIGN_CODE_TASKS[lang]))
        return self.pick(asks_more.CASUAL_CODE)

    def more_prose(self) -> str:
        r = self.rng.random()
        if r < 0.2:
            return self.pick(asks_more.GENERAL_QUESTIONS)
        r = self.rng.random()
        if r < 0.25:
            return self.pick(asks_more.ALPACA_PROSE)
        r = self.rng.random()
        if r < 0.35:
            return self.rng.choice(asks_more.EXPLAIN_TEMPLATES).format(x=self.pick(asks_more.WORLD_CONCEPTS))
        if r < 0.7:
            lang = self.rng.choice(sorted(asks_more.FOREIGN_PROSE))
            tpl = self.rng.choice(asks_more.FOREIGN_PROSE[lang])
            return tpl.format(x=self.pick(asks_more.FOREIGN_PROSE_TOPICS[lang]))
        return self.pick(asks_more.CASUAL_PROSE)

    def tool_calling(self) -> tuple[str, list[Turn], list[dict[str, Any]], str | None]:
        ts = self.pick(tools.TOOLSETS)
        use = self.pick(ts["uses"])
        ask = use["ask"]
        tl = list(ts["tools"])
        if self.rng.random() < 0.3:  # more tools than needed
            other = self.pick(tools.TOOLSETS)
            tl += [t for t in other["tools"] if t["name"] not in {x["name"] for x in tl}]
        turns = [Turn("user", ask)]
        r = self.rng.random()
        if r < 0.1:  # a finished exchange, then a follow-up that needs the tool again
            turns += [
                Turn("call", name=use["tool"], args=use["args"]),
                Turn("result", name=use["tool"], text=use.get("result", '{"status": "ok"}')),
                Turn("assistant", "Done: " + use.get("result", "ok")),
                Turn("user", self.rng.choice(tools.FOLLOW_UPS)),
            ]
        elif r < 0.35:  # the turn after the tool result
            turns.append(Turn("call", name=use["tool"], args=use["args"]))
            turns.append(Turn("result", name=use["tool"], text=use.get("result", '{"status": "ok"}')))
        sys_prompt = self.system("tools")
        return "tool_calling", self.history(turns, allow_switch=False), tl, sys_prompt

    def vision(self) -> tuple[str, list[Turn], list[dict[str, Any]], str | None]:
        ask = self.pick(asks.VISION_ASKS)
        img = self.image()
        tl: list[dict[str, Any]] = []
        if self.rng.random() < 0.15:
            tl = self.pick(tools.TOOLSETS)["tools"]
        if self.rng.random() < 0.2:  # the image is earlier; the last turn only talks about it
            turns = [
                Turn("user", ask, images=[img]),
                Turn("assistant", self.pick(asks.VISION_ANSWERS)),
                Turn("user", self.pick(asks.VISION_FOLLOWUPS)),
            ]
            return "vision", turns, tl, self.system("generic")
        return "vision", [Turn("user", ask, images=[img])], tl, self.system("generic")

    def agent(self) -> tuple[str, list[Turn], list[dict[str, Any]], str | None, str]:
        a = self.pick(agents.AGENTS)
        ask = self.pick(agents.AGENT_ASKS)
        turns = [Turn("user", ask)]
        if a["tools"] and self.rng.random() < 0.35:
            call = self.rng.choice(a["calls"])
            turns.append(Turn("call", name=call[0], args=call[1]))
            turns.append(Turn("result", name=call[0], text=call[2]))
        return "coding", turns, a["tools"], a["system"], a["dialect"]

    def image(self) -> str:
        if self.rng.random() < 0.5:
            return self.rng.choice(asks.IMAGE_URLS)
        kind = self.rng.choice(["png", "jpeg", "webp"])
        payload = "".join(
            self.rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
            for _ in range(self.rng.randint(40, 160))
        )
        return f"data:image/{kind};base64,iVBORw0KGgo{payload}=="

    # ---- conversation history --------------------------------------------------------------------

    def history(self, turns: list[Turn], allow_switch: bool = True) -> list[Turn]:
        """Sometimes put earlier turns before the last one: same topic, or another category."""
        r = self.rng.random()
        if r > 0.3 or not allow_switch:
            return turns
        prev_kind = self.rng.choice(["coding", "prose"])
        prev_ask = self.coding_ask() if prev_kind == "coding" else self.prose_ask()
        answer = self.pick(asks.CODE_ANSWERS if prev_kind == "coding" else asks.PROSE_ANSWERS)
        return [Turn("user", prev_ask), Turn("assistant", answer), *turns]

    def followup(self, kind: str) -> tuple[str, list[Turn], list[dict[str, Any]], str | None]:
        """A short follow-up whose category only the conversation tells (as often coding as prose)."""
        first = self.coding_ask() if kind == "coding" else self.prose_ask()
        answer = self.pick(asks.CODE_ANSWERS if kind == "coding" else asks.PROSE_ANSWERS)
        follow = self.pick(asks.FOLLOWUPS_AMBIGUOUS)
        return kind, [Turn("user", first), Turn("assistant", answer), Turn("user", follow)], [], None


def build(split: str, per_class: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(f"{seed}-{split}")
    m = Maker(rng, split)
    rows: list[dict[str, Any]] = []

    def coding() -> tuple[Any, ...]:
        r = rng.random()
        return m.agent() if r < 0.25 else m.followup("coding") if r < 0.33 else m.coding()

    def prose() -> tuple[Any, ...]:
        return m.followup("prose") if rng.random() < 0.08 else m.prose()

    for make in (coding, prose, m.tool_calling, m.vision):
        for _ in range(per_class):
            made = make()
            dialect = made[4] if len(made) == 5 else m.dialect()
            label, turns, tl, system = made[0], made[1], made[2], made[3]
            rows.append({"label": label, "request": render(dialect, turns, tl, system, rng)})
    rng.shuffle(rows)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "tests" / "data")
    ap.add_argument("--dev-per-class", type=int, default=700)
    ap.add_argument("--heldout-per-class", type=int, default=200)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for split, n in (("dev", args.dev_per_class), ("heldout", args.heldout_per_class)):
        rows = build(split, n, args.seed)
        path = args.out / f"classify_{split}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        counts: dict[str, int] = {}
        for row in rows:
            counts[row["label"]] = counts.get(row["label"], 0) + 1
        print(f"{path}: {len(rows)} requests {counts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
