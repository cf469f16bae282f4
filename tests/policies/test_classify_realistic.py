# ruff: noqa: RUF001, E501  (other scripts' punctuation; prompts as people type them)
"""Prompts written by hand for these tests, in the way people and SDKs send them, never seen by training:
a check that the classifier generalises beyond its generated set. A few misses are allowed (the set
holds borderline asks on purpose); a drop below the bar means a regression."""

from __future__ import annotations

from typing import Any

from tests.policies.bodies import anthropic, openai, responses

CODING = [
    "I have a list of tuples in python and want to sort by the second element descending, then first ascending",
    "How can I get the current timestamp in milliseconds in JavaScript?",
    "what is the difference between abstract class and interface in c#",
    "Write a Python program that reads a text file and prints the 10 most common words along with their counts.",
    "Can you help me optimize this query? It takes 30 seconds on a table with 10M rows: SELECT * FROM events WHERE user_id IN (SELECT id FROM users WHERE country='DE') ORDER BY created_at DESC LIMIT 50",
    "Create a simple HTML page with a form that has name, email and a submit button, and validate email with JS",
    "Explain the following code:\nfor i in range(1, 101):\n    print('Fizz'*(i%3==0) + 'Buzz'*(i%5==0) or i)",
    "How do I install packages from a requirements.txt file?",
    "What does the yield keyword do?",
    "implement a binary search tree with insert, delete and search operations in java",
    "I want to build a discord bot that replies with a random meme when someone types !meme. How?",
    "Why is my for loop only running once?\n\nfor (let i = 0; i < arr.length; i++) {\n  return arr[i] * 2;\n}",
    "Write a bash script to backup my home directory to an external drive every night",
    "How to use map, filter and reduce in JavaScript with examples",
    "Given an array of integers nums and an integer target, return indices of the two numbers such that they add up to target.",
    "What's the best way to learn programming in 2024 if I know nothing?",
    "write a haskell function for the collatz sequence length",
    "How do I make a POST request with axios and send a bearer token?",
    "My laptop fan is loud when I run docker, how do I limit docker's cpu usage?",
    "Explain the difference between supervised and unsupervised learning with sklearn examples",
]
PROSE = [
    "Write a 500 word essay on the importance of education in developing countries.",
    "What are some good books for learning about stoic philosophy?",
    "Can you write a short story about a dog who becomes mayor of a small town?",
    "What is the population of Tokyo?",
    "Give me a recipe for chocolate chip cookies without eggs.",
    "How do I deal with a coworker who keeps taking credit for my work?",
    "Translate to Spanish: I would like to book a table for two at 8pm.",
    "What's the difference between a virus and a bacterium?",
    "Write a cover letter for a marketing manager position.",
    "Summarize the book 1984 by George Orwell.",
    "If x + y = 10 and x - y = 4, what are x and y?",
    "What are the main causes of World War 1?",
    "Tell me a joke about cats.",
    "Who is the current president of France?",
    "Write a product description for a bamboo toothbrush.",
    "Act as a travel guide. I am in Rome and want to visit historical sites.",
    "What should I consider when buying a used car?",
    "Write a rap verse about climbing mountains.",
    "Explain the concept of opportunity cost with an example.",
    "What is the meaning of the idiom 'break the ice'?",
    "A rectangle has a perimeter of 30 cm and its length is twice its width. Find its area.",
    "Describe how a bill becomes a law in the United States.",
    "I'm writing a novel where the villain is an AI. Give me ideas for his motivation.",
    "How many hours of sleep does a teenager need?",
]


def _tool(name: str, description: str, props: dict[str, str]) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "parameters": {
            "type": "object",
            "properties": {k: {"type": "string", "description": v} for k, v in props.items()},
        },
    }


TRI = _tool(
    "calculate_triangle_area",
    "Calculate the area of a triangle given its base and height.",
    {"base": "The base", "height": "The height"},
)
MOV = _tool(
    "find_movie_showtimes", "Find local movie showtimes for a film in a city", {"movie": "Title", "city": "City"}
)
BMI = _tool("calculate_bmi", "Calculate body mass index from weight and height", {"weight": "kg", "height": "m"})
SP = _tool("get_sports_scores", "Get the latest scores for a sports team", {"team": "Team name"})
REC = _tool("get_recipe", "Find a recipe by dish name or ingredients", {"query": "Dish or ingredients"})

MIXED = [
    (
        openai("Find the area of a triangle with a base of 10 units and height of 5 units.", tools=[TRI, BMI]),
        "tool_calling",
    ),
    (openai("What is the capital of Australia?", tools=[TRI, BMI]), "prose"),
    (openai("When is Dune playing in Chicago tonight?", tools=[MOV, SP]), "tool_calling"),
    (openai("How did the Lakers do last night?", tools=[MOV, SP]), "tool_calling"),
    (openai("I weigh 70kg and I'm 1.75m tall, what's my BMI?", tools=[BMI]), "tool_calling"),
    (openai("Give me a recipe for lasagna", tools=[REC, MOV]), "tool_calling"),
    (openai("Write a python function to compute the area of a triangle", tools=[TRI]), "coding"),
    (openai("Tell me a joke", tools=[REC, MOV, SP]), "prose"),
    (openai('Convert this JSON to YAML: {"a": 1, "b": [1,2]}'), "coding"),
    (openai("Write a regex that matches IPv4 addresses"), "coding"),
    (openai("Solve: \\int_0^1 x^2 dx and explain each step"), "prose"),
    (openai("| Name | Age |\n|---|---|\n| Ann | 31 |\nAdd a row for Bob, 45, and sort by age."), "prose"),
    (
        openai(
            "Traceback (most recent call last):\n  File \"app.py\", line 3, in <module>\n    import flask\nModuleNotFoundError: No module named 'flask'"
        ),
        "coding",
    ),
    (openai("=VLOOKUP(A2, Sheet2!A:B, 2, FALSE) returns #N/A, why?"), "coding"),
    (
        anthropic(
            "Refactor this to use a dataclass:\n\nclass P:\n    def __init__(self, x, y):\n        self.x = x\n        self.y = y"
        ),
        "coding",
    ),
    (anthropic("Écris-moi un poème sur la mer Méditerranée."), "prose"),
    (responses("¿Cuál es la diferencia entre una lista y una tupla en Python?"), "coding"),
    (responses("Резюмируй эту статью: Учёные обнаружили новый вид лягушек в Амазонии..."), "prose"),
    (openai("Dime un chiste sobre programadores."), "prose"),
    (openai("帮我把这段话翻译成英文：今天天气很好，我们去公园散步吧。"), "prose"),
    (openai("このエラーの意味は？ TypeError: Cannot read properties of undefined"), "coding"),
    (openai("Wie funktioniert ein Kühlschrank?"), "prose"),
    (openai("Kannst du mir erklären, wie Rekursion in Java funktioniert?"), "coding"),
    (openai("Tell me about the history of the Roman empire", system="You are an expert Python developer."), "prose"),
    (
        openai(
            "please write unit tests for the following function\n\ndef slugify(s):\n    return '-'.join(s.lower().split())"
        ),
        "coding",
    ),
    (openai("I need a catchy name for my python tutoring business"), "prose"),
    (openai("What is Kubernetes?"), "coding"),
    (openai("Should I learn JavaScript or Python first?"), "coding"),
    (openai("What's 17% of 2,340?"), "prose"),
    (openai("Draft a Slack message telling the team the deploy is postponed to Friday"), "prose"),
]


def test_hand_written_prompts(classify) -> None:
    rows = [(openai(t), "coding") for t in CODING] + [(openai(t), "prose") for t in PROSE] + MIXED
    got = [(label, classify(body).category, str(body)[:100]) for body, label in rows]
    misses = [g for g in got if g[0] != g[1]]
    assert len(misses) <= 0.1 * len(rows), misses
