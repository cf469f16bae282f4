
"""Pools of asks, by category, in English and other languages. Hand-written for this project."""

from __future__ import annotations

from .asks_code import (  # noqa: F401
    CODE_ANSWERS,
    CODE_ERRORS,
    CODE_FOREIGN,
    CODE_QUESTIONS,
    CODE_TASKS,
    CODE_WRITE_TEMPLATES,
    PROG_LANGS,
    SNIPPET_QUESTIONS,
    SNIPPETS,
)
from .asks_prose import (  # noqa: F401
    HARD_PROSE,
    HUMAN_LANGS,
    MATHS,
    PASSAGES,
    PROSE_ANSWERS,
    PROSE_FOREIGN,
    PROSE_QUESTIONS,
    SUMMARY_TEMPLATES,
    TRANSLATE_TEMPLATES,
    TRANSLATE_TEXTS,
    WRITING_FORMS,
    WRITING_TEMPLATES,
    WRITING_TOPICS,
)
from .asks_vision import IMAGE_URLS, VISION_ANSWERS, VISION_ASKS, VISION_FOLLOWUPS  # noqa: F401

FOLLOWUPS_AMBIGUOUS: list[str] = [
    "Can you make it shorter?", "Make it more concise please.", "Can you explain that again, more simply?",
    "Thanks! Can you do another version?", "Hmm, that's not quite right. Try again.", "Give me two alternatives.",
    "Why did you do it that way?", "Can you add comments explaining each part?", "Make it better.",
    "Perfect. Now do the same for the second one.", "ok and what about the edge cases?", "continue",
    "Shorter, and less formal.", "Can you improve it?", "Plus court s'il te plaît.", "Hazlo más corto.",
    "Kannst du das kürzer machen?", "再短一点", "もう少し短くして", "Сделай короче.", "Can you make it shorter?",
    "Again, but simpler.", "What would you change?", "Explain the second part.", "Is there a better way?",
    "Go on.", "Do it again with a different approach.", "Can you make it longer and more detailed?",
    "Nice. One more, please.", "That's great, thank you! One small change: make it less formal.",
    "Fais-en une autre version.", "¿Puedes explicarlo mejor?", "Noch einmal, bitte, aber einfacher.",
    "换一种写法", "別の書き方で", "Ещё один вариант, пожалуйста.",
]

SYSTEMS: dict[str, list[str]] = {
    "generic": [
        "You are a helpful assistant.", "You are ChatGPT, a large language model. Be concise.",
        "You are a friendly, knowledgeable assistant. Answer clearly.", "Be brief.",
        "You are an AI assistant. Today is Sunday. Respond in the user's language.",
        "Always answer truthfully and say when you don't know.",
    ],
    "coding": [
        "You are an expert Python developer. Answer with working code.",
        "You are a senior software engineer who writes clean, well-tested code.",
        "You are a helpful programming assistant. Use markdown code blocks.",
        "You help developers debug their code. Explain the root cause first.",
        "You are a code reviewer. Be direct.",
    ],
    "prose": [
        "You are a creative writing coach.", "You are a patient maths tutor for high-school students.",
        "You are Captain Redbeard, a pirate. Stay in character.", "You are a travel agent who loves Italy.",
        "You are an editor. Improve clarity without changing meaning.", "You are a history professor.",
        "You are a kind therapist-like companion. You are not a doctor.",
    ],
    "tools": [
        "You are a helpful assistant with access to tools. Call a tool when it helps.",
        "You are a personal assistant. Use the provided functions to act for the user.",
        "Use tools whenever the user asks about live data.", "You are a customer support agent for ShopCo.",
    ],
}
