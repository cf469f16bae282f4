# ruff: noqa: RUF001  (word lists as text; other scripts' punctuation)
"""The pieces: bounded reading, signals, client recognition, registry."""

from __future__ import annotations

import pytest

from backends.contract import CanonicalRequest, Message, TextPart
from policies.classify import Classification, ClassifierRegistry, builtin_registry, create_classifier
from policies.classify.clients import recognise
from policies.classify.signals import detect_language, difficulty, estimate_tokens
from policies.classify.textfeat import extract
from policies.classify.toolfeat import about_assistant
from policies.classify.view import LAST_HEAD, LAST_TAIL, build_view
from router.classify_train import average
from tests.policies.bodies import WEATHER_TOOL, openai


def test_view_reads_a_window_of_a_huge_turn() -> None:
    huge = "def f():\n    return 1\n" * 20_000  # ~440 KB
    req = CanonicalRequest(
        model="m", messages=[Message("user", [TextPart("<system-reminder>ctx</system-reminder>"), TextPart(huge)])]
    )
    v = build_view(req)
    assert len(v.last) <= LAST_HEAD + LAST_TAIL + 1
    assert "system-reminder" not in v.last
    assert v.total_chars == len(huge) + len("<system-reminder>ctx</system-reminder>")


def test_view_skips_trailing_system_notes_and_sees_tool_results() -> None:
    req = CanonicalRequest(
        model="m",
        messages=[Message("user", [TextPart("create hello.py")]), Message("system", [TextPart("use the file format")])],
    )
    assert build_view(req).last == "create hello.py"
    req.messages.append(Message("tool", [TextPart("ok")], tool_call_id="c1"))
    v = build_view(req)
    assert v.after_tool_result and "create hello.py" in v.context


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("How do I bake bread at home?", "en"),
        ("¿Cómo puedo hacer pan en casa?", "es"),
        ("Comment faire du pain à la maison ?", "fr"),
        ("Wie backe ich Brot zu Hause?", "de"),
        ("Como posso fazer pão em casa?", "pt"),
        ("如何在家里做面包？", "zh"),
        ("家でパンを焼く方法は？", "ja"),
        ("Как испечь хлеб дома?", "ru"),
        ("집에서 빵을 굽는 방법은?", "ko"),
        ("كيف أخبز الخبز في المنزل؟", "ar"),
        ("Come posso fare il pane a casa?", "it"),
        ("", "und"),
    ],
)
def test_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_tokens_and_difficulty() -> None:
    assert estimate_tokens(4000, "plain ascii text") == 1000
    assert estimate_tokens(1000, "全是中文的文本") > 900
    assert difficulty("hi", 5, 1, 0, False) == "easy"
    hard = "Design a distributed, lock-free job queue and prove its correctness; discuss trade-offs " * 5
    assert difficulty(hard, 20_000, 14, 0, False) == "hard"
    assert difficulty("Write a function that parses dates in three formats and test it", 300, 3, 0, False) in (
        "easy",
        "medium",
    )


def test_clients_by_header_system_and_tools(classify) -> None:
    assert recognise({"user-agent": "aider/0.86.2"}, "", []) == "aider"
    assert recognise({"user-agent": "x", "originator": "codex_cli_rs"}, "", []) == "codex"
    assert recognise(None, "You are opencode, an interactive CLI tool", []) == "opencode"
    body = openai(
        "list the files",
        tools=[
            {"name": n, "description": "", "parameters": {}}
            for n in ("read_file", "write_file", "run_command", "list_files")
        ],
    )
    c = classify(body)
    assert (c.category, c.client) == ("coding", "coding-agent")
    assert classify(openai("hi", tools=[WEATHER_TOOL])).client is None


def test_registry_builtins_and_a_users_classifier(classify) -> None:
    reg = builtin_registry()
    assert {"default", "rules"} <= set(reg.names())

    class Always:
        def classify(self, request, headers=None):  # type: ignore[no-untyped-def]
            return Classification("prose", 1.0, False, 0, None, 0.0, 1, 1, "en", "easy")

    reg.register_classifier("always", Always)
    assert reg.create_classifier("always").classify(CanonicalRequest(model="m")).category == "prose"
    with pytest.raises(ValueError, match="already registered"):
        reg.register_classifier("always", Always)
    with pytest.raises(KeyError, match="unknown classifier"):
        reg.create_classifier("nope")
    assert isinstance(ClassifierRegistry().names(), list)
    rules = create_classifier("rules")
    assert rules.classify(CanonicalRequest(model="m", messages=[Message("user", [TextPart("x")])])).category == (
        "prose"
    )


def test_classification_fields(classify) -> None:
    c = classify(
        openai(
            "Write a Python function that reverses a list.", "Here it is.", "Now add type hints.", system="Be brief."
        )
    )
    assert c.turns == 3 and c.n_tools == 0 and not c.has_images
    assert 0.0 <= c.confidence <= 1.0 and 0.0 <= c.code_score <= 1.0
    assert c.difficulty in ("easy", "medium", "hard") and c.language == "en"
    assert not hasattr(c, "__dict__")  # slotted


def test_tool_matcher_cache_is_bounded() -> None:
    from backends.contract import Tool
    from policies.classify.tools import ToolMatcher

    m = ToolMatcher(cache_size=2)
    for name in ("get_weather", "send_email", "play_music"):
        assert m.relevance(name.replace("_", " "), [Tool(name, "does " + name)]) > 0
    assert len(m._cache) == 2


def test_seeds_average_the_heads_weights() -> None:
    b, w = average([(1.0, {"a": 2.0, "b": 1.0}), (-0.5, {"a": 1.0, "c": -3.0})])
    assert b == 0.25
    assert w == {"a": 1.5, "b": 0.5, "c": -1.5}  # a weight one model lacks counts as 0
    assert average([(0.3, {"a": 0.7})]) == (0.3, {"a": 0.7})  # one seed: the model as trained


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("Translate these lines into French, keeping the tone.\n\nThe rain has stopped. We can go out now.", True),
        ("Sort these cities by population, largest first.\n\nLyon, Paris, Nice, Lille", True),
        ("Add type hints to this function.\n\n```python\ndef mean(xs):\n    return sum(xs) / len(xs)\n```", False),
        ("Explain what this error means.\n\nTypeError: 'NoneType' object is not subscriptable", False),
        ("Hi there,\n\nhow do I reverse a list in Python?", False),  # a greeting is not an ask
        ("Given an array of integers, return the largest sum.\n\nExample 1: nums = 1, 2, 3", False),
        ("Write a haiku about autumn.", False),
    ],
)
def test_handed_over_material_is_its_own_feature(text: str, fires: bool) -> None:
    """An ask of one short paragraph, then the material it works on (no code in it): "#handover"."""
    assert ("#handover" in extract(text).words) is fires


def _named(text: str) -> set[str]:
    return {w for w in extract(text).words if w.startswith("#")}


def test_option_labels_are_not_code_symbols() -> None:
    """Option labels ("(A) red") list choices, as prose does; a call's parentheses still count."""
    options = "What color is the pencil?\nOptions:\n(A) red\n(B) orange\n(C) green\n(iv) mauve"
    assert not {"#sym3", "#symdense"} & _named(options)
    assert "#sym3" in _named("Why does f(a) + g(b) print (x) twice?")
    placeholders = "Fill in the placeholders: I met [name] at [time] in [place] and we ordered [dish]."
    assert not {"#sym3", "#symdense"} & _named(placeholders)
    assert "#sym3" in _named("Why is row[name] empty when cols[key] is set?")


def test_handed_over_material_is_a_task_for_the_model_not_a_program() -> None:
    """With the sentence handed over, "Given a sentence ..." loses the exercise features; without it, keeps them."""
    ask = "Given a sentence that is assertive, convert it to one that hedges."
    assert {"#contest", "#task1"} <= _named(ask)
    handed = _named(ask + "\n\nIt's going to rain tomorrow.")
    assert "#handover" in handed and not {"#contest", "#task1"} & handed


@pytest.mark.parametrize(
    ("text", "feature"),
    [
        ("Сортировка объектов", "#tech1"),  # a capitalised Russian stem ("сортировк")
        ("Вывести дробную часть положительного числа на Питоне", "#tech1"),
        ("¿Como capturar combinaciones de teclas en python3?", "#tech1"),  # a version after the name
        ("Budget Tracker: Write an application that keeps track of a household's budget.", "#task1"),
        ("Enter a number and the program will print its factors.", "#task1"),
    ],
)
def test_programming_words_in_their_other_forms(text: str, feature: str) -> None:
    assert feature in _named(text)


def test_a_script_for_a_video_is_not_an_exercise() -> None:
    assert "#task1" not in _named("Can you create a short Youtube script for a video about AI?")


@pytest.mark.parametrize(
    ("ask", "about"),
    [
        ("where did you grow up", True),
        ("what kind of things can you help with?", True),
        ("how can you help me", True),
        ("it was really awesome to talk to you", True),
        ("can you let me know what company were you designed by", True),
        ("can you find me flights to paris", False),  # "can you" frames a request
        ("do you have any rooms free on friday?", False),  # ... a lookup
        ("I lost my phone, can you help me", False),  # a capability question after a need is that need
        ('send him a message saying "do you want to go climbing?"', False),  # someone else's words
        ("You can use j.doe@example.com as my email address.", False),  # an instruction
        ("Thank you for your help!", False),
    ],
)
def test_asks_about_the_assistant_itself(ask: str, about: bool) -> None:
    assert about_assistant(ask.lower().split()) is about


BANK_TOOLS = [
    {"name": n, "description": d, "parameters": {"type": "object", "properties": {"account": {"type": "string"}}}}
    for n, d in [
        ("balance", "Get the balance of one of the user's bank accounts"),
        ("transfer", "Move money between the user's accounts"),
        ("freeze_account", "Put a hold on a bank account"),
        ("pay_bill", "Pay a bill from an account"),
        ("transactions", "List the recent transactions of an account"),
        ("report_lost_card", "Report a lost or stolen card and order a new one"),
        ("pto_balance", "How many days of paid time off the user has left"),
        ("payday", "When the user's next paycheck arrives"),
        ("exchange_rate", "Current exchange rate between two currencies"),
        ("credit_score", "The user's current credit score"),
    ]
]


@pytest.mark.parametrize(
    ("ask", "category"),
    [
        ("where did you grow up", "prose"),
        ("what kind of things can you help me with?", "prose"),
        ("would you tell me how old you are", "prose"),
        ("what do you do on weekends", "prose"),
        ("are you a real person", "prose"),
        ("who made you", "prose"),
        ("what's the balance on my checking account", "tool_calling"),
        ("can you freeze my savings account", "tool_calling"),
        ("how many vacation days do I have left", "tool_calling"),
    ],
)
def test_small_talk_beside_many_tools_needs_none(classify, ask: str, category: str) -> None:
    """Ten banking tools declared: questions to the assistant about itself are small talk, not calls."""
    assert classify(openai(ask, tools=BANK_TOOLS)).category == category
