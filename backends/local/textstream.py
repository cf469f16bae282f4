"""Incremental detokenisation with stop sequences.

Token blocks come in (one token from plain decoding, several from an accepted draft); text that is
certain goes out. Held back: an incomplete UTF-8 character and any tail that may be the start of a
stop sequence. When a stop sequence appears, even in the middle of a block, the text before it is
the final text and `tokens` counts exactly the tokens needed to produce it, as plain decoding would.
"""

from __future__ import annotations

from typing import Any


class TextAssembler:
    def __init__(self, tokenizer: Any, stop: list[str]) -> None:
        self.tokenizer = tokenizer
        self.stop = [s for s in stop if s]
        self.ids: list[int] = []
        self.emitted = 0
        self.stopped = False

    def _decode(self, ids: list[int]) -> str:
        return str(self.tokenizer.decode(ids, skip_special_tokens=True))

    def _find_stop(self, text: str, start: int) -> int:
        hits = [i for s in self.stop if (i := text.find(s, max(0, start - len(s) + 1))) >= 0]
        return min(hits) if hits else -1

    def _hold(self, text: str) -> int:
        hold = 0
        for s in self.stop:
            for n in range(min(len(s) - 1, len(text)), hold, -1):
                if text.endswith(s[:n]):
                    hold = n
                    break
        while hold < len(text) and text[len(text) - hold - 1 : len(text) - hold] == "\ufffd":
            hold += 1
        return hold

    @property
    def tokens(self) -> int:
        return len(self.ids)

    def add(self, block: list[int]) -> str:
        """Add tokens; return the text that is now certain. Sets `stopped` on a stop sequence."""
        before = len(self.ids)
        self.ids.extend(block)
        text = self._decode(self.ids)
        at = self._find_stop(text, self.emitted)
        if at >= 0:
            # the fewest tokens of this block that already produce the stop sequence
            for n in range(before + 1, len(self.ids) + 1):
                if self._find_stop(self._decode(self.ids[:n]), self.emitted) >= 0:
                    del self.ids[n:]
                    break
            self.stopped = True
            out, self.emitted = text[self.emitted : at], at
            return out
        end = len(text) - self._hold(text)
        if end <= self.emitted:
            return ""
        out, self.emitted = text[self.emitted : end], end
        return out

    def finish(self) -> str:
        """What was held back, once generation has ended without a stop sequence."""
        if self.stopped:
            return ""
        text = self._decode(self.ids)
        out, self.emitted = text[self.emitted :], len(text)
        return out
