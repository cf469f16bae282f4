"""One loaded model and its drafter: runs a canonical request to contract events (blocking; the
backend calls it from a worker thread)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from ..contract import CanonicalRequest, DraftStats, Event, Finish, FinishReason, TextDelta, ToolCallDelta, Usage
from ..errors import InvalidRequest
from .drafters import ModelDrafter, MTPDrafter, NgramDrafter
from .fallback import hf_generate
from .generate import DecodeStats, Drafter, SpecPolicy, StepCosts, generate
from .loader import Loaded, load_model, stop_token_ids
from .mtp import MTPHead
from .prompts import Controls, build_prompt
from .sampling import Sampler
from .textstream import TextAssembler
from .toolcalls import ToolCallParser

logger = logging.getLogger(__name__)


def embedded_head(label: str) -> Path | None:
    path = Path(str(resources.files(__package__).joinpath("heads", f"{label}.safetensors")))
    return path if path.exists() else None


class Engine:
    def __init__(self, loaded: Loaded, options: dict[str, Any], home: Path | None = None) -> None:
        self.loaded = loaded
        self.options = options
        self.home = home
        self.stop_ids = stop_token_ids(loaded.tokenizer, loaded.hf)
        self.controls = Controls(loaded.tokenizer)  # control tokens a client's text may not spell
        self.drafter_spec = str(options.get("drafter", "mtp"))
        self.drafter: Drafter | None = None
        self.assistant: Any = None
        self._load_drafter()
        self.last_stats = DecodeStats()
        self.costs = StepCosts()  # what plain and draft steps take here, across requests (SpecPolicy)

    @staticmethod
    def load(model: str, options: dict[str, Any], home: Path | None = None) -> Engine:
        loaded = load_model(
            model,
            max_len=int(options.get("max_context", 4096)),
            threads=options.get("threads"),
            home=home,
            kernels=options.get("kernels"),
            device=options.get("device"),
        )
        return Engine(loaded, options, home)

    def _load_drafter(self) -> None:
        spec, dec = self.drafter_spec, self.loaded.decoder
        if spec == "none":
            return
        if spec == "ngram":
            self.drafter = NgramDrafter()
            return
        if spec.startswith("model:"):
            other = load_model(
                spec.removeprefix("model:"),
                max_len=dec.max_len if dec else 4096,
                home=self.home,
                device=dec.device.type if dec else "cpu",
            )
            if dec is not None and other.decoder is not None:
                self.drafter = ModelDrafter(other.decoder)
            else:
                self.assistant = other.hf
            return
        if spec != "mtp":
            raise InvalidRequest(f"unknown drafter {spec!r}: use mtp, ngram, none or model:<path>", param="drafter")
        head_path = self.options.get("mtp_head") or embedded_head(self.loaded.label)
        if dec is None or head_path is None:
            logger.warning("no MTP head for %s; drafting with n-gram lookup instead", self.loaded.label)
            self.drafter = NgramDrafter()
            return
        head, meta = MTPHead.load(Path(head_path))
        if meta.get("target") not in (None, self.loaded.label) and "mtp_head" not in self.options:
            logger.warning("MTP head %s was trained for %s", head_path, meta.get("target"))
        lookup = NgramDrafter(n_min=3) if self.options.get("mtp_lookup", True) else None
        self.drafter = MTPDrafter(
            dec,
            head,
            lookup,
            min_confidence=float(self.options.get("mtp_min_confidence", 0.4)),
            min_first_confidence=float(self.options.get("mtp_min_first_confidence", 0.2)),
            siblings=int(self.options.get("mtp_siblings", 2)),
        )

    @property
    def max_len(self) -> int:
        dec = self.loaded.decoder
        return dec.max_len if dec is not None else self.loaded.context_window

    def sampler(self, request: CanonicalRequest) -> Sampler:
        import torch

        temperature = request.temperature if request.temperature is not None else self.options.get("temperature", 0.0)
        generator = torch.Generator().manual_seed(request.seed) if request.seed is not None else None
        return Sampler(
            temperature=float(temperature),
            top_k=int(request.extra.get("top_k") or 0),
            top_p=float(request.top_p if request.top_p is not None else 1.0),
            generator=generator,
        )

    def policy(self) -> SpecPolicy:
        """Draft length: starts at `draft_length`, adapts within [draft_length_min, 8]. The floor is 2,
        not 1: replaying the benchmark's answers, a second drafted token paid for its verified row."""
        options = self.options
        return SpecPolicy(k=int(options.get("draft_length", 4)), k_min=int(options.get("draft_length_min", 2)))

    def tokens(self, prompt: list[int], sampler: Sampler, max_new: int, stats: DecodeStats) -> Iterator[list[int]]:
        dec = self.loaded.decoder
        if dec is not None:
            return generate(
                dec,
                prompt,
                sampler,
                max_new_tokens=max_new,
                stop_ids=self.stop_ids,
                drafter=self.drafter,
                policy=self.policy(),
                stats=stats,
                costs=self.costs,
            )
        return hf_generate(
            self.loaded.hf,
            prompt,
            sampler,
            max_new_tokens=max_new,
            stop_ids=self.stop_ids,
            assistant=self.assistant,
            ngram=self.drafter_spec == "ngram",
            stats=stats,
        )

    def run(self, request: CanonicalRequest, cancel: threading.Event) -> Iterator[Event]:
        tokenizer = self.loaded.tokenizer
        prompt = build_prompt(tokenizer, request, self.controls)
        room = self.max_len - len(prompt.ids) - 1
        if room <= 0:
            raise InvalidRequest(
                f"prompt of {len(prompt.ids)} tokens leaves no room in a {self.max_len}-token context", param="messages"
            )
        requested = request.max_tokens or int(self.options.get("max_new_tokens_default", 512))
        max_new = min(requested, room)
        stats = DecodeStats()
        text = TextAssembler(tokenizer, prompt.stop)
        tools = ToolCallParser() if request.tools and request.tool_choice != "none" else None
        calls = 0
        blocks = self.tokens(prompt.ids, self.sampler(request), max_new, stats)
        try:
            for block in blocks:
                if cancel.is_set():
                    return
                for event in self._text_events(text.add(block), tools):
                    calls += isinstance(event, ToolCallDelta)
                    yield event
                if text.stopped:
                    break
        finally:
            close = getattr(blocks, "close", None)
            if close is not None:
                close()
            self.last_stats = stats
        for event in self._text_events(text.finish(), tools):
            calls += isinstance(event, ToolCallDelta)
            yield event
        if tools is not None:
            yield from tools.flush()
        reason: FinishReason = "stop"
        if calls:
            reason = "tool_calls"
        elif not text.stopped and stats.new_tokens >= max_new:
            reason = "length"
        logger.info(
            "local %s: %d+%d tokens, %.1f tok/s decode, drafted %d accepted %d (%.2f per step)",
            self.loaded.label,
            len(prompt.ids),
            text.tokens,
            stats.decode_tokens_per_s,
            stats.proposed,
            stats.accepted,
            stats.acceptance_length,
        )
        yield Usage(input_tokens=len(prompt.ids), output_tokens=text.tokens, estimated=False)
        yield DraftStats(proposed=stats.proposed, accepted=stats.accepted)
        yield Finish(reason)

    @staticmethod
    def _text_events(text: str, tools: ToolCallParser | None) -> Iterator[Event]:
        if not text:
            return
        if tools is None:
            yield TextDelta(text)
        else:
            yield from tools.feed(text)
