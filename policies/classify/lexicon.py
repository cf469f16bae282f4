# ruff: noqa: E501, SIM905  (word lists as text; other scripts' punctuation)
"""Word lists: generic words that say nothing about which tool fits, and non-English words for the
things tools commonly do, mapped onto the English words tool descriptions use."""

from __future__ import annotations

GENERIC_WORDS: tuple[str, ...] = tuple("""
the and for with from into onto that this these those what which who whom whose when where why how
are was were been being have has had does did doing can could would should will shall may might must
you your yours our ours their they them his her its him she about above after again against all any
both each few more most other some such only own same than too very just also not nor but because
until while out over under then once here there get gets getting set sets list lists create update
delete remove find fetch retrieve return returns returned given specified specific provide
provides data info information detail details value values name names type types string number
integer boolean object array field fields item items result results query request response api tool
tools function call use using used user users input output current new id ids default optional
required format one two three please want need like know tell show give make let help thanks thank
me my mine i'm it's don't can't could now today well okay yes sure hello hey good great way something
anything thing things able based via per e.g etc also include including includes parameter parameters
description option options key keys text message content check look see time
""".split())

# (word or stem, the English word tool descriptions use for it); CJK entries match as substrings.
SYNONYMS: tuple[tuple[str, str], ...] = (
    # English near-synonyms
    ("checksum", "hash"), ("digest", "hash"), ("meeting", "event"), ("appointment", "event"), ("schedule", "calendar"), ("umbrella", "rain"),
    ("hot", "temperature"), ("cold", "temperature"), ("degrees", "temperature"), ("trading", "stock"),
    ("shares", "stock"), ("ticker", "stock"), ("inbox", "email"), ("mailbox", "email"), ("directions", "route"),
    ("navigate", "directions"), ("remind", "reminder"), ("song", "music"), ("album", "music"),
    ("headlines", "news"), ("google", "search"), ("lookup", "search"), ("shipped", "shipping"),
    ("delivery", "shipping"), ("miles", "unit"), ("kilometers", "unit"), ("pounds", "unit"), ("kg", "unit"),
    ("invest", "finance"), ("showing", "showtime"), ("showtimes", "showtime"), ("cinema", "movie"),
    ("film", "movie"), ("game", "score"), ("match", "score"), ("won", "score"), ("win", "score"),
    ("cook", "recipe"), ("bake", "recipe"), ("meaning", "definition"), ("define", "definition"),
    ("hiring", "job"), ("vacancy", "job"), ("vacancies", "job"), ("openings", "job"), ("roots", "root"),
    ("resultado", "score"), ("partido", "score"), ("receta", "recipe"), ("recette", "recipe"), ("rezept", "recipe"),
    ("рецепт", "recipe"), ("意思", "definition"), ("词典", "dictionary"), ("意味", "definition"),
    ("辞書", "dictionary"), ("значение", "definition"), ("significado", "definition"), ("signification", "definition"),
    ("bedeutung", "definition"), ("比分", "score"), ("比赛", "score"), ("试合", "score"), ("試合", "score"),
    ("счёт", "score"), ("матч", "score"), ("电影", "movie"), ("映画", "movie"), ("фильм", "movie"),
    ("菜谱", "recipe"), ("食谱", "recipe"), ("レシピ", "recipe"), ("工作", "job"), ("求人", "job"), ("ваканси", "job"), ("trabajo", "job"), ("emploi", "job"), ("stelle", "job"), ("publie", "post"), ("book", "reservation"), ("reserve", "reservation"), ("ticket", "reservation"),
    # weather
    ("tiempo", "weather"), ("clima", "weather"), ("météo", "weather"), ("meteo", "weather"),
    ("wetter", "weather"), ("tempo", "weather"), ("previsão", "forecast"), ("pronóstico", "forecast"), ("prévisions", "forecast"),
    ("vorhersage", "forecast"), ("погода", "weather"), ("погоду", "weather"), ("天气", "weather"),
    ("天気", "weather"), ("날씨", "weather"), ("temperatura", "temperature"), ("température", "temperature"),
    ("气温", "temperature"), ("気温", "temperature"), ("температур", "temperature"),
    # mail and messages
    ("correo", "email"), ("courriel", "email"), ("e-mail", "email"), ("mail", "email"), ("邮件", "email"),
    ("メール", "email"), ("письмо", "email"), ("почт", "email"), ("이메일", "email"), ("enviar", "send"),
    ("envoyer", "send"), ("envoie", "send"), ("senden", "send"), ("schicken", "send"), ("schick", "send"),
    ("envie", "send"), ("发送", "send"), ("送信", "send"), ("送って", "send"), ("отправ", "send"),
    ("mensaje", "message"), ("mensagem", "message"), ("nachricht", "message"), ("消息", "message"),
    ("сообщени", "message"),
    # calendar
    ("reunión", "meeting"), ("réunion", "meeting"), ("besprechung", "meeting"), ("termin", "appointment"),
    ("reunião", "meeting"), ("riunione", "meeting"), ("会议", "meeting"), ("会議", "meeting"),
    ("ミーティング", "meeting"), ("встреч", "meeting"), ("calendario", "calendar"), ("calendrier", "calendar"),
    ("kalender", "calendar"), ("日历", "calendar"), ("カレンダー", "calendar"), ("календар", "calendar"),
    ("agenda", "calendar"), ("cita", "appointment"), ("rendez", "appointment"), ("预约", "appointment"),
    ("予約", "reservation"), ("recordatorio", "reminder"), ("rappel", "reminder"), ("erinnerung", "reminder"),
    ("lembrete", "reminder"), ("提醒", "reminder"), ("リマインダー", "reminder"), ("напомин", "reminder"),
    ("evento", "event"), ("événement", "event"),
    # travel
    ("vuelo", "flight"), ("vuelos", "flight"), ("vol", "flight"), ("vols", "flight"), ("flug", "flight"),
    ("flüge", "flight"), ("voo", "flight"), ("voos", "flight"), ("volo", "flight"), ("航班", "flight"),
    ("机票", "flight"), ("フライト", "flight"), ("航空券", "flight"), ("рейс", "flight"), ("билет", "ticket"),
    ("hotel", "hotel"), ("hôtel", "hotel"), ("酒店", "hotel"), ("ホテル", "hotel"), ("отел", "hotel"),
    ("гостиниц", "hotel"), ("reservar", "book"), ("réserver", "book"), ("buchen", "book"), ("prenota", "book"),
    ("预订", "book"), ("забронир", "book"),
    # money
    ("precio", "price"), ("prix", "price"), ("preis", "price"), ("preço", "price"), ("prezzo", "price"),
    ("价格", "price"), ("価格", "price"), ("цен", "price"), ("acciones", "stock"), ("aktie", "stock"),
    ("ações", "stock"), ("股票", "stock"), ("股价", "stock"), ("株価", "stock"), ("акци", "stock"),
    ("moneda", "currency"), ("devise", "currency"), ("währung", "currency"), ("moeda", "currency"),
    ("汇率", "exchange"), ("為替", "exchange"), ("курс", "exchange"), ("convertir", "convert"), ("convierte", "convert"), ("millas", "unit"), ("kilómetros", "unit"),
    ("umrechnen", "convert"), ("换算", "convert"), ("換算", "convert"), ("конверт", "convert"),
    ("dólares", "dollar"), ("dollars", "dollar"), ("euros", "euro"), ("美元", "dollar"), ("ドル", "dollar"),
    ("доллар", "dollar"), ("евро", "euro"), ("欧元", "euro"), ("ユーロ", "euro"),
    # places and shopping
    ("restaurante", "restaurant"), ("restaurants", "restaurant"), ("餐厅", "restaurant"),
    ("レストラン", "restaurant"), ("ресторан", "restaurant"), ("pedido", "order"), ("commande", "order"),
    ("bestellung", "order"), ("订单", "order"), ("注文", "order"), ("заказ", "order"), ("producto", "product"),
    ("produit", "product"), ("produkt", "product"), ("商品", "product"), ("товар", "product"),
    ("direcciones", "directions"), ("itinéraire", "route"), ("ruta", "route"), ("route", "route"),
    ("路线", "route"), ("ルート", "route"), ("маршрут", "route"),
    # media, news, home
    ("canción", "song"), ("chanson", "song"), ("lied", "song"), ("música", "music"), ("musique", "music"),
    ("musik", "music"), ("歌", "song"), ("音乐", "music"), ("音楽", "music"), ("песн", "song"),
    ("музык", "music"), ("noticias", "news"), ("nouvelles", "news"), ("actualités", "news"),
    ("nachrichten", "news"), ("notícias", "news"), ("新闻", "news"), ("ニュース", "news"), ("новост", "news"),
    ("luz", "light"), ("luces", "light"), ("lumière", "light"), ("licht", "light"), ("灯", "light"),
    ("電気", "light"), ("свет", "light"), ("termostato", "thermostat"), ("thermostat", "thermostat"),
    ("空调", "thermostat"), ("エアコン", "thermostat"),
    # search, files, records
    ("buscar", "search"), ("busca", "search"), ("chercher", "search"), ("recherche", "search"),
    ("suchen", "search"), ("such", "search"), ("pesquisar", "search"), ("搜索", "search"), ("查找", "search"),
    ("検索", "search"), ("найди", "search"), ("поиск", "search"), ("интернет", "web"), ("internet", "web"),
    ("网上", "web"), ("ネット", "web"), ("cliente", "customer"),
    ("client", "customer"), ("kunde", "customer"), ("客户", "customer"), ("顧客", "customer"),
    ("клиент", "customer"), ("factura", "invoice"), ("facture", "invoice"), ("rechnung", "invoice"),
    ("发票", "invoice"), ("請求書", "invoice"), ("счёт", "invoice"), ("счет", "invoice"),
    ("traducir", "translate"), ("traduire", "translate"), ("übersetzen", "translate"), ("翻译", "translate"),
    ("翻訳", "translate"), ("перевед", "translate"), ("traduz", "translate"),
    ("calcular", "calculate"), ("calculer", "calculate"), ("berechnen", "calculate"), ("计算", "calculate"),
    ("計算", "calculate"), ("вычисл", "calculate"), ("рассчит", "calculate"),
    ("tarea", "task"), ("tâche", "task"), ("aufgabe", "task"), ("任务", "task"), ("タスク", "task"),
    ("задач", "task"), ("ticket", "ticket"), ("工单", "ticket"), ("チケット", "ticket"),
)
