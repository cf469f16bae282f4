# ruff: noqa: E501, SIM905  (word lists as text; other scripts' punctuation)
"""Hand-written vocabularies the linear model counts as features: programming terms and maths terms,
in English and other languages. They carry what a small training set cannot: that "groupby",
"CORS" or "函数" are about code whatever words surround them."""

from __future__ import annotations

TECH_WORDS: frozenset[str] = frozenset("""
code coding coder programming programmer function functions
diccionario diccionarios iterar bucle excepción depurar compilar código programación listbox tkinter pyqt pyqt5
array arrays int boolean bool dict dictionary hashmap
struct enum generics async await
threading mutex goroutine coroutine recursion recursive iterate iterator compiler
debugger debugging traceback stacktrace segfault null nullpointer
malloc refactor refactoring repository rebase git github gitlab
diff docker dockerfile kubernetes kubectl k8s helm terraform ansible
nginx apache linux unix bash zsh powershell stdin stdout stderr cron ssh localhost
http https api apis rest restful graphql grpc json yaml toml xml csv html css scss dom div flexbox
javascript typescript js ts jsx tsx node nodejs npm yarn pnpm deno react vue angular svelte nextjs webpack vite
python pip pypi venv virtualenv conda django flask fastapi pandas numpy scipy matplotlib pytorch tensorflow sklearn
jupyter java jvm maven gradle kotlin scala groovy golang rust cargo
c++ cpp csharp dotnet ruby rails php laravel composer swift swiftui xcode objective perl lua
haskell ocaml elixir erlang clojure julia matlab fortran cobol assembly wasm webassembly sql mysql postgres postgresql
sqlite database db dbms nosql sqlalchemy prisma mongodb redis kafka rabbitmq elasticsearch orm
groupby dataframe regex regexp unittest pytest jest mocha junit
linter eslint prettier mypy typescript yaml oauth jwt cors csrf xss
npm makefile
cmake gcc clang llvm executable algorithm algorithms complexity bigo leetcode hashmap
bfs dfs dijkstra quicksort mergesort fullstack microservice microservices
aws s3 ec2 gcp azure vscode vim emacs ide ide's intellij snippet snippets codebase monorepo
async/await websocket websockets socket sockets tcp udp dns ssl tls memoize memoization serialization
deserialize serialize parse parser parsing tokenizer lexer ast bytecode stackoverflow
vba jquery bootstrap tailwind redux usestate useeffect
django's orm mvc uuid utf unicode encoding base64 hex bitwise
const def fn func void nullptr struct namespace decorator decorators getter setter constructor destructor
inheritance polymorphism encapsulation oop typeof instanceof hoisting axios lodash nestjs koa fastify hibernate
springboot junit mockito scikit keras opencv selenium puppeteer playwright cypress beautifulsoup scrapy boto3 celery
pydantic uvicorn gunicorn asyncio aiohttp httpx jquery ajax xhr dotenv pip3 npx brew homebrew chmod sudo grep sed awk
curl wget scp rsync tmux systemd systemctl journalctl crontab argv argc kwargs args stdin stdout fopen printf println
readline breakpoint onclick onchange navbar css3 html5 sass mui shadcn middleware prisma sequelize mongoose typeorm knex
langchain huggingface finetune tensor tensors cuda leetcode hackerrank codeforces codewars vscode jetbrains pycharm
neovim flutter reactnative apk tdd transpile bundler babel devops prometheus grafana sentry certbot vercel netlify heroku
firebase supabase subnet vpc iam
función funciones código programa programación clase método bucle arreglo cadena depurar compilar
fonction fonctions programme programmation boucle tableau chaîne méthode déboguer compiler requête
funktion funktionen programmieren programmierung schleife klasse methode fehlermeldung kompilieren
função funções programação classe método laço vetor
funzione funzioni codice programmazione ciclo classe metodo
функция функцию функции код кода коде программа программу программирования класс метод цикл массив строка
строку переменная ошибка компилятор скрипт запрос запроса репозиторий коммит
""".split())

# Words that are about code only sometimes ("table", "token", "server"): counted apart, they weigh less.
TECH_WEAK_WORDS: frozenset[str] = frozenset("""
list tree trees graph queue heap stack test tests testing index indexes join joins pull branch
merge package packages module modules build builds library libraries command terminal port ports component components render
rendering models views hooks props patch commit commits cache caching string strings class classes method methods
program programs loop loops float integer bug bugs debug exception exceptions lambda spring backend frontend pipeline
workflow linked sorting binary notebook query queries schema migration crud ci cd net unity gem crate
crates borrow lifetime lifetimes container containers shell macro macros excel template generic interface promise promises thread
threads closure callback lint mock mocks fixture fixtures cli deploy deployment serverless overflow garbage gc controller
controllers variable variables hash tuple record compile compiled runtime script scripts repo pointer pointers syntax endpoint
endpoints framework import imports dependency dependencies sdk webhook
yield keyword keywords var let static public private protected override extends implements immutable mutable scope
prototype express spring fetch session sessions header headers payload bearer token tokens auth authentication
authorization login signup localhost env config configuration install installed installing uninstall upgrade apt
ssh daemon process processes pid kill signal cli flag flags argument arguments parameter params return returns boolean
float double char byte bytes bit bits buffer stream streams file files filepath path directory folder print log
logging logger stack exception try catch except finally throw throws raise assert assertion frontend ui ux button
buttons input form forms modal sidebar layout responsive canvas svg animation figma backend server servers router
routing route routes controller handler handlers database tables table column columns row rows primary foreign
constraint transaction transactions migration migrations llm gpt openai embedding embeddings vector vectors
transformer dataset datasets dataframe gpu android ios observability cloudflare lambda cdn deploy deployed app apps
website webpage plugin extension version versions update bug crash crashes error errors
""".split())

# Two-word terms of programming, matched on word bigrams.
TECH_PHRASES: frozenset[str] = frozenset({
    "race condition", "tail call", "call stack", "dependency injection", "design pattern", "design patterns",
    "data structure", "data structures", "big o", "time complexity", "space complexity", "linked list",
    "binary tree", "hash map", "hash table", "pull request", "merge conflict", "stack trace", "unit test",
    "unit tests", "type hints", "type error", "syntax error", "null pointer", "memory leak", "event loop",
    "dynamic programming", "garbage collection", "load balancer", "rate limiting", "web app", "web server",
    "command line", "source code", "open source", "version control", "code review", "edge cases", "api key",
    "status code", "environment variable", "environment variables", "virtual environment", "pure function",
})

# Scripts without spaces between words: matched as substrings.
TECH_SUBSTRINGS: tuple[str, ...] = (
    "函数", "代码", "程序", "编程", "变量", "数组", "字符串", "接口", "报错", "调试", "编译", "脚本", "数据库", "算法", "类型",
    "関数", "コード", "プログラム", "変数", "配列", "文字列", "エラー", "デバッグ", "コンパイル", "スクリプト", "データベース",
    "アルゴリズム", "リスト", "クラス", "함수", "코드", "프로그램", "변수", "배열", "리스트", "디버그", "파이썬",
    # Russian stems and more Japanese and Chinese terms (added after reading the leave-one-source-out misses)
    "словар", "массив", "функци", "питон", "перемен", "цикл", "парсинг", "парсер", "кодировк", "подстрок", "списк",
    "список", "сортировк", "скрипт", "программ", "регулярн", "исключени", "библиотек", "модул", "компилир",
    "正規表現", "メソッド", "モジュール", "ライブラリ", "インストール", "実装", "辞書型", "インスタンス", "オブジェクト",
    "例外", "構文", "引数", "戻り値", "コンパイラ", "列表", "字典", "循环", "正则", "模块", "库", "报错", "异常",
)

MATH_WORDS: frozenset[str] = frozenset("""
solve equation equations derivative integral integrate limit prime primes probability percent percentage sum
quotient fraction fractions square polynomial factorial matrix matrices eigenvalue
eigenvalues vector theorem proof prove lemma geometry triangle circle angle angles radius area perimeter
algebra calculus arithmetic statistics median variance deviation odds dice ratio compound
ecuación resuelve calcula probabilidad équation résoudre calcule probabilité gleichung lösen berechne
wahrscheinlichkeit equação resolva уравнение реши вычисли вероятность сколько
""".split())
MATH_SUBSTRINGS: tuple[str, ...] = ("方程", "面积", "概率", "计算", "等于", "方程式", "計算", "確率", "面積", "방정식")

# Words of asks that want something done or looked up now: live data, actions, the user's own records.
ACTION_WORDS: frozenset[str] = frozenset("""
send book schedule cancel order buy add remind set turn play pause open close call text email find look check
track convert search show pull reserve dim switch start stop put transfer pay
envía envia manda reserva agenda busca encuentra apaga enciende pon recuérdame convierte muestra
envoie réserve ajoute trouve cherche allume éteins rappelle convertis montre donne
schick sende buche trag such finde mach erinnere zeig rechne
envie reserve procure encontre ligue desligue toca mostre
отправь забронируй найди включи выключи напомни покажи переведи посчитай
""".split())
LIVE_WORDS: frozenset[str] = frozenset("""
now today tonight tomorrow weekend currently current latest live right this next my our me
hoy mañana ahora actual mi mis aujourd hui demain maintenant actuel mon ma mes heute morgen jetzt aktuell
mein meine hoje amanhã agora meu minha сейчас сегодня завтра мой моя мои
""".split())
LIVE_SUBSTRINGS: tuple[str, ...] = ("今天", "明天", "现在", "最新", "我的", "帮我", "今日", "明日", "今の", "最新", "して", "教えて")

# Words by which a turn points back at the conversation ("make it shorter", "do the same again").
REFERENTIAL_WORDS: frozenset[str] = frozenset("""
again same another shorter longer simpler version instead continue rewrite redo previous above alternative
alternatives otra otro corto encore autre court nochmal kürzer anders einfacher outra curto ещё короче снова другой
""".split())
# Pronouns point back only in short turns ("why did you do it that way?"); longer, they are relatives.
PRONOUNS: frozenset[str] = frozenset("it that this those these one ones eso esto ça cela das es isso это".split())
REFERENTIAL_SUBSTRINGS: tuple[str, ...] = ("再", "这个", "那个", "换", "もう", "それ", "別の", "もっと", "다시", "이거")

# Words of asks that want text or code written, not something looked up or done.
GENERATE_WORDS: frozenset[str] = frozenset("""
write compose draft create generate explain summarize summarise translate rewrite describe poem story essay
haiku limerick song joke code function script program implement class regex query snippet
escribe redacta explica resume traduce poema cuento historia écris rédige explique résume traduis poème histoire
schreib schreibe verfasse erkläre fasse übersetze gedicht geschichte escreva explique resuma traduza poema história
scrivi spiega riassumi traduci poesia напиши объясни перескажи переведи стихотворение рассказ
""".split())
GENERATE_SUBSTRINGS: tuple[str, ...] = ("写", "解释", "翻译", "诗", "故事", "書いて", "説明", "翻訳", "詩", "物語", "써 줘", "설명")
# Words that carry the shape of a request whatever its domain: they feed the tool head.
FUNCTION_WORDS: frozenset[str] = frozenset("""
what whats what's how when where who which why is are was do does did can could would will should please
my me i i'm mine our we you your it this that the a an for in on at to from of with about tonight today tomorrow
now current currently latest next last right much many
""".split())
