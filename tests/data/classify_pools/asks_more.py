# ruff: noqa: E501, RUF001  (a table of asks: long lines, other scripts' punctuation)
"""More asks, composed from templates and topics, so that the model learns topics rather than phrasings:
the same "explain X simply" is coding for closures and prose for inflation, in many languages."""

from __future__ import annotations

EXPLAIN_TEMPLATES = [
    "Explain {x} simply.", "What is {x}?", "Can you explain {x} to a beginner?", "how does {x} work", "ELI5: {x}",
    "Give me a short overview of {x}.", "I never understood {x}. Help?", "What's the deal with {x}?",
    "What are the pros and cons of {x}?", "Write a short explainer on {x} for our team wiki.",
]
TECH_CONCEPTS = [
    "closures in JavaScript", "recursion", "REST APIs", "Python generators", "the event loop in Node.js", "Git rebase",
    "dependency injection", "Docker volumes", "database indexing", "Big O notation", "pointers in C", "Rust ownership",
    "React hooks", "garbage collection in Java", "CSS grid", "OAuth 2.0 authorization code flow", "SQL window functions",
    "unit testing with mocks", "the CAP theorem for databases", "memoization", "type inference in TypeScript",
    "goroutines and channels", "virtual DOM", "ORMs like SQLAlchemy", "the difference between git merge and rebase",
    "Kubernetes pods and services", "WebSockets", "regular expressions", "async/await in C#", "monads in Haskell",
    "hash tables", "binary search trees", "CI/CD pipelines", "microservices vs monoliths", "Python's GIL",
    "Linux file permissions and chmod", "environment variables in a Node app", "JSON Web Tokens", "shell pipes and redirection",
]
WORLD_CONCEPTS = [
    "inflation", "photosynthesis", "the French Revolution", "compound interest", "black holes", "the immune system",
    "supply and demand", "plate tectonics", "the electoral college", "stoicism", "climate change", "the stock market",
    "meditation", "the Renaissance", "quantum entanglement", "the water cycle", "cognitive behavioural therapy",
    "the Cold War", "index funds", "natural selection", "the placebo effect", "impressionism", "jet lag",
    "the Big Bang", "mortgages", "vaccines", "the Silk Road", "game theory", "opportunity cost", "the gut microbiome",
    "minimalism", "the Olympic Games", "fermentation in baking", "universal basic income", "the offside rule in football",
]

# (template with {x}, language code); x comes from the same-language topic lists below.
FOREIGN_CODE = {
    "zh": ["用Python写一个{x}的函数", "如何用JavaScript实现{x}？", "请用Go语言写代码来{x}", "帮我写一个Java程序，{x}", "这段代码怎么改才能{x}？"],
    "ja": ["Pythonで{x}関数を書いてください", "JavaScriptで{x}にはどうすればいいですか？", "Goで{x}コードを書いて", "{x}プログラムをJavaで作って"],
    "ru": ["Напиши функцию на Python, которая {x}", "Как на JavaScript {x}?", "Напиши код на Go, который {x}", "Помоги написать скрипт, который {x}"],
    "es": ["Escribe una función en Python que {x}", "¿Cómo puedo {x} en JavaScript?", "Escribe un programa en Java que {x}", "Necesito un script de Bash que {x}"],
    "fr": ["Écris une fonction Python qui {x}", "Comment {x} en JavaScript ?", "Écris un programme Go qui {x}", "J'ai besoin d'un script qui {x}"],
    "de": ["Schreib eine Python-Funktion, die {x}", "Wie kann ich in JavaScript {x}?", "Schreib ein Go-Programm, das {x}", "Ich brauche ein Skript, das {x}"],
    "pt": ["Escreva uma função em Python que {x}", "Como faço para {x} em JavaScript?", "Crie um programa em Java que {x}"],
    "it": ["Scrivi una funzione Python che {x}", "Come posso {x} in JavaScript?", "Scrivi un programma in Go che {x}"],
    "ko": ["파이썬으로 {x} 함수를 작성해 줘", "자바스크립트로 {x} 코드를 알려줘"],
}
FOREIGN_CODE_TASKS = {
    "zh": ["判断素数", "反转链表", "读取CSV文件并统计每列的平均值", "对数组去重", "计算斐波那契数列", "解析JSON数据", "发送HTTP请求并处理错误", "把字符串转换成驼峰命名"],
    "ja": ["素数を判定する", "リストを並べ替える", "CSVファイルを読み込む", "配列の重複を削除する", "JSONをパースする", "HTTPリクエストを送る", "文字列を反転する"],
    "ru": ["проверяет, является ли число простым", "сортирует список словарей по ключу", "читает CSV-файл", "удаляет дубликаты из массива", "парсит JSON", "отправляет HTTP-запрос", "переворачивает строку"],
    "es": ["compruebe si un número es primo", "ordene una lista de diccionarios", "lea un archivo CSV", "elimine duplicados de un array", "parsee un JSON", "haga una petición HTTP con reintentos", "invierta una cadena"],
    "fr": ["vérifie si un nombre est premier", "trie une liste de dictionnaires", "lit un fichier CSV", "supprime les doublons d'un tableau", "parse du JSON", "envoie une requête HTTP", "inverse une chaîne"],
    "de": ["prüft, ob eine Zahl eine Primzahl ist", "eine Liste von Dictionaries sortiert", "eine CSV-Datei einliest", "Duplikate aus einem Array entfernt", "JSON parst", "eine HTTP-Anfrage sendet", "einen String umdreht"],
    "pt": ["verifique se um número é primo", "ordene uma lista de dicionários", "leia um arquivo CSV", "remova duplicatas de um array", "faça uma requisição HTTP"],
    "it": ["verifichi se un numero è primo", "ordini una lista di dizionari", "legga un file CSV", "rimuova i duplicati da un array"],
    "ko": ["소수를 판별하는", "리스트를 정렬하는", "CSV 파일을 읽는", "배열의 중복을 제거하는"],
}
FOREIGN_PROSE = {
    "zh": ["写一首关于{x}的诗", "写一篇关于{x}的短文", "给我讲一个关于{x}的故事", "请解释一下{x}", "{x}有什么好处？", "帮我写一段关于{x}的演讲稿"],
    "ja": ["{x}についての詩を書いてください", "{x}について短い物語を書いて", "{x}について説明してください", "{x}のメリットは何ですか？", "{x}についてのエッセイを書いて"],
    "ru": ["Напиши стихотворение про {x}", "Напиши короткий рассказ про {x}", "Объясни простыми словами, что такое {x}", "Какие плюсы и минусы у темы «{x}»?"],
    "es": ["Escribe un poema sobre {x}", "Escribe un cuento corto sobre {x}", "Explícame {x} de forma sencilla", "¿Cuáles son las ventajas de {x}?", "Redacta un correo a mi jefe sobre {x}"],
    "fr": ["Écris un poème sur {x}", "Écris une courte histoire sur {x}", "Explique-moi simplement {x}", "Quels sont les avantages de {x} ?", "Rédige un discours sur {x}"],
    "de": ["Schreib ein Gedicht über {x}", "Schreib eine kurze Geschichte über {x}", "Erklär mir einfach {x}", "Was sind die Vorteile von {x}?", "Verfasse eine E-Mail an meinen Chef über {x}"],
    "pt": ["Escreva um poema sobre {x}", "Escreva uma história curta sobre {x}", "Explique de forma simples {x}", "Quais são as vantagens de {x}?"],
    "it": ["Scrivi una poesia su {x}", "Scrivi un racconto breve su {x}", "Spiegami in modo semplice {x}", "Quali sono i vantaggi di {x}?"],
    "ko": ["{x}에 대한 시를 써 줘", "{x}에 대해 짧은 이야기를 써 줘", "{x}에 대해 쉽게 설명해 줘"],
}
FOREIGN_PROSE_TOPICS = {
    "zh": ["春天", "大海", "友谊", "秋天的落叶", "我的家乡", "健康饮食", "长城", "猫", "旅行", "通货膨胀"],
    "ja": ["春", "海", "友情", "秋の紅葉", "ふるさと", "健康的な食事", "富士山", "猫", "旅行", "インフレ"],
    "ru": ["весну", "море", "дружбу", "осенние листья", "родной город", "здоровое питание", "кошку", "путешествия", "инфляцию"],
    "es": ["la primavera", "el mar", "la amistad", "las hojas de otoño", "mi pueblo", "la comida sana", "los gatos", "viajar solo", "la inflación"],
    "fr": ["le printemps", "la mer", "l'amitié", "les feuilles d'automne", "mon village", "l'alimentation saine", "les chats", "le voyage", "l'inflation"],
    "de": ["den Frühling", "das Meer", "Freundschaft", "Herbstlaub", "meine Heimatstadt", "gesunde Ernährung", "Katzen", "Reisen", "Inflation"],
    "pt": ["a primavera", "o mar", "a amizade", "as folhas de outono", "minha cidade", "alimentação saudável", "gatos", "viagens"],
    "it": ["la primavera", "il mare", "l'amicizia", "le foglie d'autunno", "la mia città", "la dieta sana", "i gatti", "i viaggi"],
    "ko": ["봄", "바다", "우정", "가을 낙엽", "고향", "건강한 식단", "고양이", "여행"],
}

# Requests as people type them: context first, the ask after, lower case, typos.
CASUAL_CODE = [
    "im building a todo app in react and the list doesnt update when i add an item, i use useState and push into the array. why",
    "so I have a flask app and I want users to upload images, whats the safest way to handle the files?",
    "my boss wants a script that emails a report every monday from our postgres db. what's the simplest setup?",
    "need help: pandas dataframe has a column with dates as strings like 03/04/2021, how do i sort by it properly",
    "quick q - how do you check if a key exists in a python dict",
    "Is there a way to make my website load faster? It's a Next.js site with lots of images.",
    "I keep getting merge conflicts in package-lock.json, what's the right workflow?",
    "We have a monolith in Django and want to split out payments. How should we start?",
    "how to convert string to int in c#", "whats the fastest way to dedupe a big csv file on linux",
    "Can you help me write tests for my express middleware that checks an API key?",
    "my python script works on my laptop but on the server it says permission denied when writing the log",
    "explain what this does: awk -F, '{sum += $3} END {print sum}' data.csv",
    "How would you design the database for a multiplayer chess app?", "make my bash prompt show the git branch",
    "I'm learning Rust, why can't I have two mutable references to the same vector?",
    "what's a good way to store secrets for a github actions deploy to aws",
    "our api returns 502 sometimes behind nginx, how do i debug that",
    "set up eslint and prettier in a typescript project so they don't fight",
    "help me write an excel formula that looks up a price from another sheet by product id",
    "write a google apps script that copies new form responses into a second sheet",
    "how do i add dark mode to my tailwind site", "what's wrong with using float for money in java",
    "convert this curl to python requests: curl -X POST -H 'Content-Type: application/json' -d '{\"a\":1}' https://api.x.io/v1/items",
    "Write a Terraform module for an S3 bucket with versioning enabled.", "write a cron expression for every weekday at 7:30",
    "Give me a regex that matches dates like 2024-01-31.", "In Unity, how do I make the camera follow the player smoothly?",
    "How do I publish my first npm package?", "write a GitHub Actions workflow that runs pytest on push",
]
CASUAL_PROSE = [
    "my sister is turning 30 and i have no idea what to get her, she likes hiking and books",
    "so my landlord wants to raise rent by 15%, is that even legal? im in california",
    "I have a job interview at a bakery tomorrow, what questions might they ask?",
    "can u help me write a message to my friend, we had a fight and i want to apologize",
    "what's a good workout routine if I only have 20 minutes a day?", "is it weird to text my ex happy birthday",
    "I'm planning a surprise party for 20 people, how much food should I buy?",
    "We're a small coffee shop. Write three Instagram captions for our new pumpkin latte.",
    "What should I name my fantasy novel? It's about a cartographer who maps dreams.",
    "my kid asks why the moon changes shape, how do i explain it",
    "Write a polite email to a customer whose order arrived damaged, offering a refund.",
    "Give me a 5-question quiz about the solar system for 10-year-olds.", "Help me write my dating profile bio, I like cooking and old movies.",
    "Compare the iPhone and Pixel cameras for someone who mostly shoots food photos.",
    "What's the best way to negotiate salary for a nursing job?", "Summarize the main arguments for and against a four-day work week.",
    "Create a study plan for the SAT over 8 weeks.", "Write a short speech for my dad's retirement party, he was a firefighter for 30 years.",
    "What wine goes with mushroom risotto?", "Draft a complaint letter to my airline about a lost suitcase.",
    "how many calories should i eat to lose weight slowly", "I'm nervous about flying. Any tips to calm down on the plane?",
    "Outline a business plan for a dog-walking service.", "Rewrite my cover letter intro to sound more confident: I think I might be a good fit for this role.",
    "What questions should I ask when viewing an apartment?", "Write a bedtime story about a sleepy dragon for a 4-year-old.",
    "Which is healthier, oatmeal or granola?", "Explain the difference between a Roth IRA and a traditional IRA.",
    "Make a packing list for a ski trip.", "Write a thank-you message to my team for hitting our sales target.",
]
