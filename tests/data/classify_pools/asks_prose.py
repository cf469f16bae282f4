# ruff: noqa: E501, RUF001  (a table of asks: long lines, other scripts' punctuation)
"""Prose asks: writing, chat, explanation, summaries, translation, maths, reasoning, role play; and hard
cases that mention code words without being about code."""

from __future__ import annotations

WRITING_TEMPLATES = [
    "Write a {form} about {topic}.", "Can you write me a {form} about {topic}?", "I need a {form} about {topic}, please.",
    "write a {form} on {topic}", "Compose a {form} about {topic}, warm in tone.", "Draft a {form} about {topic}.",
    "Could you help me with a {form} about {topic}? Keep it under 200 words.", "Give me a {form} about {topic}",
]
WRITING_FORMS = ["poem", "short story", "haiku", "limerick", "blog post", "wedding toast", "speech", "sonnet", "essay",
                 "product description", "LinkedIn post", "tweet", "song chorus", "bedtime story", "eulogy", "newsletter intro",
                 "persuasive paragraph", "diary entry", "letter to my future self", "motivational message"]
WRITING_TOPICS = [
    "autumn leaves", "a lighthouse keeper who hears voices", "losing a childhood friend", "my first day at a new job",
    "the ocean at night", "climate change and hope", "a cat who wants to become a chef", "my grandmother's kitchen",
    "the last bookstore in town", "running a marathon", "moving to a new country", "a dragon afraid of fire",
    "the smell of rain", "friendship between a robot and a child", "our startup's tenth anniversary", "a rainy Sunday in Paris",
    "coffee", "the importance of sleep", "learning to play the cello", "a small village festival", "the moon landing",
    "saying goodbye to summer", "a detective in 1920s Shanghai", "the joy of gardening", "a retiring teacher",
    "winning the lottery and regretting it", "my dog's point of view", "a time traveler stuck in 1850",
]

SUMMARY_TEMPLATES = ["Summarize this in three bullet points:\n\n{text}", "TL;DR please:\n{text}",
                     "Can you give me a one-paragraph summary of the following?\n\n{text}", "Summarize:\n\n{text}",
                     "{text}\n\nWhat are the key points of this passage?", "Rewrite this more simply for a child:\n{text}"]
PASSAGES = [
    "The city council voted on Tuesday to expand the bike lane network by 40 kilometres over the next three years. Supporters "
    "argued the plan would reduce traffic and emissions, while some shop owners worried about losing parking spaces near their "
    "stores. The first phase begins in spring.",
    "Honeybees communicate the location of food through a 'waggle dance'. The angle of the dance relative to vertical indicates "
    "the direction of the source relative to the sun, and the duration of the waggle encodes the distance.",
    "In 1848 a wave of revolutions swept across Europe. Although most were suppressed within a year, they led to lasting changes: "
    "serfdom was abolished in Austria, and Denmark adopted a constitution.",
    "Our quarterly results exceeded expectations, with revenue growing 12% year over year. Customer churn fell to 3.1%, and we "
    "opened two new offices. Next quarter we will focus on hiring and on improving onboarding for enterprise customers.",
    "Sleep plays a central role in memory consolidation. During deep sleep, the brain replays experiences from the day, "
    "strengthening some connections and pruning others. Chronic sleep deprivation impairs attention and mood.",
    "The novel follows a young woman who returns to her coastal hometown after her father's death and discovers letters "
    "revealing that he had a second family. Over one summer she must decide whether to contact them.",
    "Remote work has reshaped commuting patterns. Downtown foot traffic in many cities remains below pre-2020 levels, while "
    "suburban cafés and co-working spaces report growth. Economists disagree on whether the shift is permanent.",
    "The Great Barrier Reef has experienced several mass bleaching events since 2016. Scientists say warmer ocean temperatures "
    "are the main cause, and that recovery depends on how often the bleaching recurs.",
    "Dear team, the office will be closed on Friday for maintenance. Please take your laptops home on Thursday and make sure "
    "the kitchen fridge is emptied. Normal hours resume on Monday.",
    "The Silk Road was not a single road but a network of trade routes linking China with the Mediterranean. Along with silk, "
    "merchants carried spices, glass, paper and ideas, including religions and technologies.",
]

TRANSLATE_TEMPLATES = ["Translate into {lang}: {text}", "How do you say \"{text}\" in {lang}?",
                       "Can you translate this to {lang} for me? \"{text}\"", "{text}\n\nTranslate the above into {lang}."]
HUMAN_LANGS = ["French", "Spanish", "German", "Japanese", "Italian", "Portuguese", "Korean", "Chinese", "Russian", "Dutch"]
TRANSLATE_TEXTS = [
    "Where is the nearest train station?", "I'm allergic to peanuts.", "Thank you for your hospitality, we had a wonderful time.",
    "The meeting has been moved to next Thursday.", "Could I have the bill, please?", "Happy birthday, my dear friend!",
    "Please keep the door closed.", "We are looking forward to working with you.", "My flight was cancelled.",
    "I would like a room with a view of the sea.", "Good luck with your exams!", "How long does it take to get there?",
]

MATHS = [
    "Solve for x: 3x + 7 = 22", "What is the derivative of x^3 * sin(x)?", "A train leaves at 3pm going 60 mph and another at 4pm going 80 mph. When does the second catch up?",
    "What is 15% of 240?", "Prove that the square root of 2 is irrational.", "A bat and a ball cost $1.10 in total. The bat costs $1 more than the ball. How much is the ball?",
    "If I invest $5,000 at 4% compounded annually, how much will I have after 10 years?", "What's the probability of rolling two sixes with two dice?",
    "Integrate 1/(1+x^2) dx from 0 to 1.", "Is 221 a prime number?", "Explain the Monty Hall problem and why switching is better.",
    "How many ways can 5 people sit around a round table?", "Find the eigenvalues of the matrix [[2, 1], [1, 2]].",
    "What's the sum of the interior angles of a hexagon?", "Simplify (x^2 - 9)/(x - 3).", "Convert 72 degrees Fahrenheit to Celsius, showing the steps.",
    "Three friends split a $87 bill with a 20% tip. How much does each pay?", "Explain Bayes' theorem with a medical test example.",
    "If all bloops are razzies and all razzies are lazzies, are all bloops lazzies?", "Which is larger, 2^100 or 10^30?",
    "A farmer has 17 sheep and all but 9 die. How many are left?", "What is the limit of (1 + 1/n)^n as n goes to infinity?",
    "Solve the system: 2x + y = 10 and x - y = 2.", "Five machines make five widgets in five minutes. How long do 100 machines take to make 100 widgets?",
    "What's the expected value of a fair six-sided die?", "Can you explain what a p-value actually means?",
    "Resuelve la ecuación 2x^2 - 8 = 0.", "Calcule l'aire d'un cercle de rayon 7 cm.", "Wie groß ist die Wahrscheinlichkeit, beim Lotto 6 aus 49 zu gewinnen?",
    "一个长方形的长是8厘米，宽是5厘米，面积是多少？", "次の方程式を解いてください：x + 5 = 12", "Сколько будет 17 умножить на 23? Объясни ход решения.",
]

HARD_PROSE = [
    "Write a poem about a python sleeping in the sun.", "Write a short story about a programmer who falls in love with a barista.",
    "Explain to my grandmother what 'the cloud' is, without technical words.", "Write a cover letter for a junior software engineer position at a bank.",
    "Summarize the history of the island of Java in Indonesia.", "Is Rust a good name for a golden retriever?",
    "Write a haiku about debugging at 3am.", "What are the pros and cons of working at a big tech company versus a startup?",
    "How do I ask my manager for a raise? I'm a backend developer with two years of experience.", "Draft an email to my team announcing that the release is delayed by a week.",
    "Translate 'bug report' and 'pull request' into German.", "What's the etymology of the word 'computer'?",
    "Write a funny toast for my friend who just got a job at Google.", "Explain the plot of the movie The Matrix.",
    "My son wants to study computer science. What should he consider when picking a university?", "Write a motivational speech for a hackathon kickoff.",
    "What is the Java coffee origin and how does it taste?", "Give me ten names for a bakery called something like 'Byte'.",
    "Describe the life of Ada Lovelace in a paragraph.", "Write a limerick about a man named Bob who loved his keyboard.",
    "What is the ruby gemstone and why is it red?", "Who invented the first mechanical calculator?",
    "How did the printing press change Europe?", "Write a product description for an ergonomic keyboard for writers.",
    "What are good habits for staying healthy when working at a desk all day?", "Write a breakup text that is kind but clear.",
    "Why do people say 'there's no such thing as a free lunch'?", "Explain the rules of chess to a beginner.",
    "Write a LinkedIn post celebrating my team shipping our new app.", "Plan a weekend in Kyoto for two people who love temples and food.",
    "What's the difference between a crocodile and an alligator?", "Recommend five sci-fi novels about artificial intelligence.",
    "Write a dialogue between Socrates and a modern influencer.", "What should I pack for a week of hiking in Scotland in May?",
    "How do I politely decline a wedding invitation?", "Describe the architecture of Gothic cathedrals.",
    "Write a story where the main character is a sentient spreadsheet, told as a fairy tale.",
    "What were the main causes of the 2008 financial crisis?", "Give me a weekly meal plan for a vegetarian athlete.",
    "Let's role-play: you are a medieval innkeeper and I'm a tired traveler who just walked in.",
    "Pretend you're a pirate captain and tell me about your greatest treasure.", "You are Sherlock Holmes. Deduce something about me from my muddy boots.",
]

PROSE_QUESTIONS = [
    "Why is the sky blue?", "How do vaccines train the immune system?", "What caused the fall of the Roman Empire?", "Explain inflation simply.",
    "What is the difference between weather and climate?", "hi", "hello!", "how are you today?", "Thanks, that's helpful!",
    "I'm feeling stressed about my exams. Any advice?", "Recommend me a book like The Martian.", "What should I cook tonight with chicken, rice and spinach?",
    "Plan a 3-day trip to Lisbon.", "What's a good name for a grey kitten?", "How do I get red wine out of a carpet?",
    "Is it healthy to drink coffee every day?", "Explain the theory of relativity in simple terms.", "What are black holes made of?",
    "Who was Cleopatra?", "Give me tips for my first job interview.", "How can I become a better public speaker?",
    "What is stoicism?", "Tell me a joke about penguins.", "What's the capital of Australia and why isn't it Sydney?",
    "How do I care for a fiddle-leaf fig?", "What are the symptoms of burnout?", "Describe photosynthesis in two sentences.",
    "Why do we dream?", "What are the best exercises for lower back pain?", "How does a mortgage work?",
    "Can you help me write a thank-you note to my neighbor who watered my plants?", "What's the difference between empathy and sympathy?",
    "Compare capitalism and socialism in a balanced way.", "What happened during the French Revolution?", "How do noise-cancelling headphones work?",
    "What should I consider when adopting a dog?", "Is it better to rent or buy a house?", "Explain the water cycle to a 7 year old.",
    "What's your favorite color?", "What are some fun things to do on a rainy day with kids?", "How do I start journaling?",
    "What does 'carpe diem' mean?", "Give me a packing list for a beach holiday.", "What are the rules of basketball?",
    "How do I make sourdough starter from scratch?", "What's the best way to learn a new language as an adult?",
    "Rewrite this sentence to sound more professional: hey guys, the thing is late again sorry",
    "Proofread: 'Their going to the park tomorow, weather permitting.'", "Make this paragraph more persuasive: We think you should buy our tea because it is good.",
    "What's the meaning of life?", "Summarize the plot of Pride and Prejudice.", "Who painted the Mona Lisa and when?",
]

PROSE_FOREIGN = [
    "Escribe un poema sobre el mar en invierno.", "¿Cuáles son los beneficios de la meditación?", "Resume la historia de la independencia de México.",
    "Dame ideas para una fiesta de cumpleaños infantil.", "¿Por qué el cielo es azul?", "Hola, ¿cómo estás?",
    "Écris une lettre de motivation pour un poste de vendeur.", "Quelles sont les causes de la Révolution française ?", "Raconte-moi une histoire pour enfants sur un renard.",
    "Comment préparer une bonne ratatouille ?", "Bonjour ! Tu peux m'aider à organiser mes vacances en Bretagne ?",
    "Schreib ein Gedicht über den Herbst.", "Was sind die Vorteile von Elektroautos?", "Erkläre mir die Photosynthese einfach.",
    "Wie kann ich besser schlafen?", "Fasse die Geschichte der Berliner Mauer zusammen.",
    "写一首关于春天的诗。", "为什么天空是蓝色的？", "请给我推荐几本好看的小说。", "如何保持健康的生活习惯？", "帮我写一封感谢信给我的老师。", "你好，今天过得怎么样？",
    "桜についての俳句を書いてください。", "日本の歴史について簡単に説明してください。", "週末におすすめの過ごし方は？", "東京で美味しいラーメン屋を教えて。",
    "Напиши стихотворение о зиме.", "Почему важно заниматься спортом?", "Расскажи о истории Санкт-Петербурга.", "Как справиться со стрессом на работе?",
    "Escreva um poema sobre saudade.", "Quais são os pontos turísticos do Rio de Janeiro?", "Me dê dicas para economizar dinheiro.",
    "Scrivi una breve storia su un gatto curioso.", "Quali sono i benefici della dieta mediterranea?",
    "가을에 대한 짧은 시를 써 줘.", "서울에서 가볼 만한 곳을 추천해 줘.", "İstanbul'da gezilecek yerler nelerdir?",
    "Napisz krótkie opowiadanie o smoku.", "Wat zijn goede tips om beter te slapen?", "मुझे एक छोटी कहानी सुनाओ।",
    "اكتب قصيدة قصيرة عن البحر.",
]

PROSE_ANSWERS = [
    "Autumn leaves fall slow,\ncopper letters to the ground,\nwritten by the wind.",
    "Here are three ideas: a picnic in the park, a museum visit, and a cooking night with friends.",
    "The French Revolution began in 1789, driven by fiscal crisis, Enlightenment ideas and widespread hunger.",
    "Dear Mrs. Patel,\n\nThank you so much for watering my plants while I was away. They look happier than ever!",
    "In short: the sky looks blue because air molecules scatter short (blue) wavelengths of sunlight more than long ones.",
    "x = 5. Subtract 7 from both sides to get 3x = 15, then divide by 3.",
    "Once upon a time, in a village by the sea, there lived a fox who collected shells.",
    "Sure! Day 1: Alfama and the castle. Day 2: Belém. Day 3: a day trip to Sintra.",
]
