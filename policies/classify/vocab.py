# ruff: noqa: E501, SIM905  (word lists as text; other scripts' punctuation)
"""Hand-written vocabularies the linear model counts as features: programming terms and maths terms,
in English and other languages. They carry what a small training set cannot: that "groupby",
"CORS" or "函数" are about code whatever words surround them."""

from __future__ import annotations

TECH_WORDS: frozenset[str] = frozenset("""
code coding coder program programming programmer script scripts function functions method methods class classes
variable variables array arrays string strings integer int float boolean bool dict dictionary hashmap hash list tuple
struct enum interface generic generics template lambda closure callback promise promises async await thread threads
threading mutex goroutine coroutine recursion recursive loop loops iterate iterator compile compiler compiled
runtime debug debugger debugging bug bugs exception exceptions traceback stacktrace segfault null nullpointer pointer
pointers malloc syntax refactor refactoring repo repository commit commits branch merge rebase git github gitlab
pull diff patch deploy deployment docker dockerfile container containers kubernetes kubectl k8s helm terraform ansible
nginx apache linux unix bash shell zsh powershell terminal cli command stdin stdout stderr cron ssh port ports localhost
http https api apis rest restful graphql grpc endpoint endpoints json yaml toml xml csv html css scss dom div flexbox
javascript typescript js ts jsx tsx node nodejs npm yarn pnpm deno react vue angular svelte nextjs webpack vite
python pip pypi venv virtualenv conda django flask fastapi pandas numpy scipy matplotlib pytorch tensorflow sklearn
jupyter notebook java jvm maven gradle spring kotlin scala groovy golang rust cargo crate crates borrow lifetime
lifetimes c++ cpp csharp dotnet net unity ruby rails gem php laravel composer swift swiftui xcode objective perl lua
haskell ocaml elixir erlang clojure julia matlab fortran cobol assembly wasm webassembly sql mysql postgres postgresql
sqlite database db dbms nosql sqlalchemy prisma mongodb redis kafka rabbitmq elasticsearch query queries schema migration orm index indexes join joins
groupby dataframe regex regexp unittest pytest jest mocha junit test tests testing mock mocks fixture fixtures lint
linter eslint prettier mypy typescript ci cd pipeline workflow yaml webhook oauth jwt cors csrf xss sdk library
libraries framework package packages module modules import imports dependency dependencies npm build builds makefile
cmake gcc clang llvm binary executable algorithm algorithms complexity bigo leetcode hashmap heap stack queue linked
tree trees graph bfs dfs dijkstra sorting quicksort mergesort backend frontend fullstack microservice microservices
serverless lambda aws s3 ec2 gcp azure vscode vim emacs ide ide's intellij snippet snippets codebase monorepo
async/await websocket websockets socket sockets tcp udp dns ssl tls cache caching memoize memoization serialization
deserialize serialize parse parser parsing tokenizer lexer ast bytecode garbage gc heap overflow stackoverflow
vba excel macro macros jquery bootstrap tailwind redux hooks usestate useeffect props component components render
rendering django's orm models views controller controllers mvc crud uuid utf unicode encoding base64 hex bitwise
función funciones código programa programación variable clase método bucle arreglo cadena depurar compilar
fonction fonctions programme programmation boucle tableau chaîne méthode déboguer compiler requête
funktion funktionen programmieren programmierung schleife klasse methode variable fehlermeldung kompilieren
função funções programação classe método laço vetor
funzione funzioni codice programmazione ciclo classe metodo
функция функцию функции код кода коде программа программу программирования класс метод цикл массив строка
строку переменная ошибка компилятор скрипт запрос запроса репозиторий коммит
""".split())

# Scripts without spaces between words: matched as substrings.
TECH_SUBSTRINGS: tuple[str, ...] = (
    "函数", "代码", "程序", "编程", "变量", "数组", "字符串", "接口", "报错", "调试", "编译", "脚本", "数据库", "算法", "类型",
    "関数", "コード", "プログラム", "変数", "配列", "文字列", "エラー", "デバッグ", "コンパイル", "スクリプト", "データベース",
    "アルゴリズム", "リスト", "クラス", "함수", "코드", "프로그램", "변수", "배열", "리스트", "디버그", "파이썬",
)

MATH_WORDS: frozenset[str] = frozenset("""
solve equation equations derivative integral integrate limit prime primes probability percent percentage sum
product quotient fraction fractions square root roots polynomial factor factorial matrix matrices eigenvalue
eigenvalues vector theorem proof prove lemma geometry triangle circle angle angles radius area volume perimeter
algebra calculus arithmetic statistics median variance deviation odds dice ratio interest compound
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
it that this those these again same more another shorter longer simpler version also instead continue rewrite
redo previous above second first last one ones better worse alternative alternatives
eso esto otra otro más corto mejor de nuevo ça cela encore autre plus court version
das es noch nochmal kürzer anders einfacher isso outra mais curto ещё это короче снова другой
""".split())
REFERENTIAL_SUBSTRINGS: tuple[str, ...] = ("再", "这个", "那个", "换", "もう", "それ", "別の", "もっと", "다시", "이거")
