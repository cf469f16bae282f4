"""A chat template's text around each message, for counting a conversation message by message.

A template that only ever prints a message's content as it is, joined to other text with `+` or `~`
(SmolLM2's ChatML: `{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' +
'\\n'}}`), renders a conversation as it renders the same roles with placeholder contents, each
placeholder replaced by its content. That rendering, cut at the placeholders, gives the frames: the
texts before, between and after the contents, which depend on the roles alone. `content_printed_as_is`
proves the first part on the template's syntax tree: no filter (`trim`), test, condition, call or
assignment sees a content, and no block that keeps its output (`{% filter %}`, `{% set %}`, a macro)
holds one, so a content is printed unchanged and changes nothing printed around it. Templates that
do otherwise (Llama 3's `| trim`, Qwen 3's `</think>` split), or print today's date, are rendered
whole.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

PLACEHOLDER = "\x00{}\x00"
PLACEHOLDERS = re.compile("\x00([0-9]+)\x00")


def _is_content(node: Any) -> bool:
    from jinja2 import nodes

    if isinstance(node, nodes.Getitem):
        return isinstance(node.arg, nodes.Const) and node.arg.value == "content"
    return isinstance(node, nodes.Getattr) and node.attr == "content"


def _content_only_printed(node: Any, printed: bool, kept: bool = False) -> bool:
    """Whether every `x['content']` / `x.content` under `node` is printed as it is; `printed`: `node` is
    an output, or a `+` / `~` inside one; `kept`: `node` is inside a block whose output is kept and may
    be changed before it is printed (`{% filter %}`, `{% set x %}`, a macro, `{% autoescape %}`)."""
    from jinja2 import nodes

    if _is_content(node):
        return printed and not kept
    if isinstance(node, nodes.Const) and node.value == "content":  # x.get('content'), map(attribute='content')
        return False
    if isinstance(node, nodes.Name) and node.name == "strftime_now":  # today's date: frames would go stale
        return False
    keeps = (nodes.FilterBlock, nodes.AssignBlock, nodes.Macro, nodes.CallBlock, nodes.EvalContextModifier)
    kept = kept or isinstance(node, keeps)
    joins = isinstance(node, nodes.Output) or (printed and isinstance(node, (nodes.Add, nodes.Concat)))
    return all(_content_only_printed(child, joins, kept) for child in node.iter_child_nodes())


def content_printed_as_is(template: str) -> bool:
    """Whether `template` uses message contents only by printing them unchanged (see the module's
    docstring); False also for a template this Jinja cannot parse alone (transformers' own tags)."""
    import jinja2

    try:
        tree = jinja2.Environment(extensions=["jinja2.ext.loopcontrols"]).parse(template)
    except jinja2.TemplateSyntaxError:
        return False
    return _content_only_printed(tree, False)


def render_frames(tokenizer: Any, roles: Sequence[str]) -> list[str] | None:
    """The template's text before, between and after the contents of messages with these roles (one more
    than there are messages), with the generation prompt; None where a placeholder is not printed
    exactly once, in order (a template printing a content twice, or none)."""
    from transformers.utils.chat_template_utils import render_jinja_template

    # what apply_chat_template(placeholders, add_generation_prompt=True, tokenize=False) renders, less its
    # normalisation of message objects, which plain dicts of strings do not need (two thirds of its cost)
    placeholders = [{"role": role, "content": PLACEHOLDER.format(i)} for i, role in enumerate(roles)]
    template, kw = tokenizer.chat_template, tokenizer.special_tokens_map
    out: Any = render_jinja_template([placeholders], chat_template=template, add_generation_prompt=True, **kw)
    parts = PLACEHOLDERS.split(out[0][0])  # out: (the rendered conversations, generation indices)
    if parts[1::2] != [str(i) for i in range(len(roles))]:
        return None
    return parts[0::2]
