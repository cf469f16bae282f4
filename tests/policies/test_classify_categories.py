# ruff: noqa: RUF001  (word lists as text; other scripts' punctuation)
"""Each category, in each dialect, with the hard cases the issue names."""

from __future__ import annotations

import pytest

from tests.policies.bodies import EMAIL_TOOL, PNG, WEATHER_TOOL, anthropic, openai, responses

# ---- vision -------------------------------------------------------------------------------------


def test_vision_openai_data_url(classify) -> None:
    body = {"model": "auto", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "What is in this picture?"}, {"type": "image_url", "image_url": {"url": PNG}}]}]}
    c = classify(body)
    assert (c.category, c.has_images) == ("vision", True)


def test_vision_http_url_screenshot_of_code(classify) -> None:
    """A screenshot of code needs a vision backend, whatever the words say."""
    body = {"model": "auto", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "Fix the Python bug in this screenshot: def f(x): return x +"},
        {"type": "image_url", "image_url": {"url": "https://example.com/shot.png"}}]}]}
    assert classify(body).category == "vision"


def test_vision_anthropic_and_responses(classify) -> None:
    a = anthropic("", content=[{"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                                             "data": PNG.split(",", 1)[1]}},
                               {"type": "text", "text": "Describe this."}])
    r = responses("", items=[{"role": "user", "content": [{"type": "input_text", "text": "这是什么？"},
                                                          {"type": "input_image", "image_url": PNG}]}])
    assert classify(a).category == "vision"
    assert classify(r).category == "vision"


def test_vision_image_earlier_in_the_conversation(classify) -> None:
    body = {"model": "auto", "messages": [
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": PNG}}]},
        {"role": "assistant", "content": "A cat on a sofa."},
        {"role": "user", "content": "What colour is the sofa?"}]}
    assert classify(body).category == "vision"


# ---- tool calling --------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda: openai("What's the weather in Oslo right now?", tools=[WEATHER_TOOL, EMAIL_TOOL]),
    lambda: anthropic("Send an email to bob@example.com saying I'm running late", tools=[WEATHER_TOOL, EMAIL_TOOL]),
    lambda: responses("¿Qué tiempo hace hoy en Madrid?", tools=[WEATHER_TOOL]),
    lambda: openai("北京今天天气怎么样？", tools=[WEATHER_TOOL]),
])
def test_tool_calling_when_an_offered_tool_covers_the_ask(classify, make) -> None:
    c = classify(make())
    assert c.category == "tool_calling"
    assert c.n_tools >= 1 and c.client is None


def test_tool_calling_forced_by_tool_choice(classify) -> None:
    body = openai("hello there", tools=[WEATHER_TOOL], tool_choice="required")
    assert classify(body).category == "tool_calling"


def test_turn_after_a_tool_result_is_tool_calling(classify) -> None:
    body = {"model": "auto", "tools": [{"type": "function", "function": WEATHER_TOOL}], "messages": [
        {"role": "user", "content": "weather in Oslo?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "sunny, 3C"}]}
    assert classify(body).category == "tool_calling"


@pytest.mark.parametrize(("text", "label"), [
    ("Write a short poem about autumn leaves.", "prose"),
    ("Summarize the causes of the French Revolution in three sentences.", "prose"),
    ("Write a Python function that merges two sorted lists.", "coding"),
    ("What's the stock price of Apple?", "prose"),  # a lookup, but no offered tool covers it
    ("Write a Python function that returns the weather emoji for a temperature.", "coding"),  # shares a word
])
def test_tools_present_but_not_needed(classify, text: str, label: str) -> None:
    c = classify(openai(text, tools=[WEATHER_TOOL, EMAIL_TOOL]))
    assert c.category == label
    assert c.n_tools == 2


def test_tool_choice_none_is_never_tool_calling(classify) -> None:
    assert classify(openai("What's the weather in Oslo?", tools=[WEATHER_TOOL], tool_choice="none")).category != (
        "tool_calling")


# ---- coding and prose ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "Write a function in Go that reverses a string.",
    "Why does this throw?\n\n```python\nitems = None\nfor x in items:\n    print(x)\n```",
    "How do I undo my last git commit but keep the changes?",
    "What's the difference between a process and a thread?",
    "TypeError: Cannot read properties of undefined (reading 'map') — what does it mean?",
    "Review this:\nfunction add(a, b) { return a - b }",
    "Write a SQL query that returns the ten customers with the highest total order value.",
])
def test_coding(classify, text: str) -> None:
    c = classify(openai(text))
    assert c.category == "coding"
    assert c.code_score >= 0.5


@pytest.mark.parametrize("text", [
    "Write a poem about a python sleeping in the sun.",
    "Write a short story about a programmer who falls in love.",
    "Solve for x: 3x + 7 = 22",
    "Translate into French: where is the train station?",
    "Summarize this: The council voted to expand the bike lanes by 40 km over three years.",
    "hi!",
    "Let's role-play: you are a medieval innkeeper and I'm a tired traveler.",
    "Why is the sky blue?",
])
def test_prose(classify, text: str) -> None:
    c = classify(openai(text))
    assert c.category == "prose"
    assert c.code_score < 0.5


# ---- other languages -----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "label", "lang"), [
    ("用Python写一个函数，判断一个字符串是否是回文。", "coding", "zh"),
    ("写一首关于春天的诗。", "prose", "zh"),
    ("Pythonでリストを逆順にする方法を教えてください。", "coding", "ja"),
    ("桜についての俳句を書いてください。", "prose", "ja"),
    ("Напиши функцию на Python, которая считает слова в строке.", "coding", "ru"),
    ("Напиши стихотворение о зиме.", "prose", "ru"),
    ("Escribe una función en JavaScript que elimine duplicados de un array.", "coding", "es"),
    ("Escribe un poema sobre el mar en invierno.", "prose", "es"),
    ("Écris une fonction Java qui vérifie si un nombre est premier.", "coding", "fr"),
    ("Raconte-moi une histoire pour enfants sur un renard.", "prose", "fr"),
    ("Wie kann ich in Python eine CSV-Datei einlesen?", "coding", "de"),
    ("Schreib ein Gedicht über den Herbst.", "prose", "de"),
])
def test_non_english(classify, text: str, label: str, lang: str) -> None:
    c = classify(openai(text))
    assert (c.category, c.language) == (label, lang)


# ---- multi-turn ----------------------------------------------------------------------------------


def test_multi_turn_switch_from_code_to_prose(classify) -> None:
    answer = "```python\nimport csv\ndef parse(p):\n    with open(p) as f:\n        return list(csv.DictReader(f))\n```"
    body = openai("Write a Python function that parses a CSV file.", answer,
                  "Thanks! Now write a birthday poem for my sister.")
    c = classify(body)
    assert (c.category, c.turns) == ("prose", 3)


def test_multi_turn_switch_from_prose_to_code(classify) -> None:
    haiku = "Waves fold into foam,\nsalt wind carries gull voices,\nthe tide keeps its time."
    body = openai("Write a haiku about the sea.", haiku,
                  "Great. Now write a JavaScript function that counts the syllables in a line.")
    assert classify(body).category == "coding"


def test_short_follow_up_takes_the_conversations_category(classify) -> None:
    code = openai("Write a Rust function that reverses a vector in place.",
                  "```rust\nfn rev<T>(v: &mut Vec<T>) { v.reverse(); }\n```", "Can you make it shorter?")
    poem = openai("Write a poem about the autumn rain.", "Grey threads on the glass,\nthe garden drinks slowly.",
                  "Can you make it shorter?")
    assert classify(code).category == "coding"
    assert classify(poem).category == "prose"


def test_tools_described_in_the_system_prompt(classify) -> None:
    """Glaive- and Hermes-style clients put function specs in the system prompt, not in `tools`."""
    system = ("You are a helpful assistant with access to the following functions. Use them if required -\n"
              '{\n    "name": "get_exchange_rate",\n'
              '    "description": "Get the exchange rate between two currencies",\n'
              '    "parameters": {"type": "object", "properties": {"base_currency": {"type": "string"}}}\n}')
    c = classify(openai("Can you tell me the exchange rate from US dollars to euros?", system=system))
    assert (c.category, c.n_tools) == ("tool_calling", 1)
    assert classify(openai("Write a limerick about a sleepy cat.", system=system)).category == "prose"


def test_follow_up_in_a_tool_conversation_is_tool_calling(classify) -> None:
    body = {"model": "auto", "tools": [{"type": "function", "function": WEATHER_TOOL}], "messages": [
        {"role": "user", "content": "What's the weather in Oslo?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "sunny, 3C"},
        {"role": "assistant", "content": "It's sunny and 3C in Oslo."},
        {"role": "user", "content": "And in Berlin?"}]}
    assert classify(body).category == "tool_calling"


def test_fill_in_the_middle_is_coding(classify) -> None:
    body = {"dialect": "completions", "model": "auto", "prompt": "def add(a, b):\n    ",
            "suffix": "\n\nprint(add(1, 2))"}
    c = classify(body)
    assert c.category == "coding" and c.turns == 1


def test_empty_conversation_does_not_fail(classify) -> None:
    c = classify({"dialect": "responses", "model": "m", "input": [], "instructions": "Be brief."})
    assert c.category == "prose" and c.turns == 0 and c.language == "und"
