# ruff: noqa: E501, RUF001  (a table of asks: long lines, other scripts' punctuation)
"""Tool sets a function-calling client offers, each with asks that need one of its tools."""

from __future__ import annotations

from typing import Any


def fn(name: str, description: str, props: dict[str, tuple[str, str]], required: list[str] | None = None,
       enums: dict[str, list[str]] | None = None) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for key, (typ, desc) in props.items():
        properties[key] = {"type": typ, "description": desc}
        if enums and key in enums:
            properties[key]["enum"] = enums[key]
    return {"name": name, "description": description,
            "parameters": {"type": "object", "properties": properties, "required": required or list(props)[:1]}}


def use(ask: str, tool: str, args: dict[str, Any], result: str = '{"status": "ok"}') -> dict[str, Any]:
    return {"ask": ask, "tool": tool, "args": args, "result": result}


WEATHER = {
    "tools": [
        fn("get_current_weather", "Get the current weather (temperature, wind, rain) in a given location",
           {"location": ("string", "The city and country, e.g. San Francisco, US"),
            "unit": ("string", "Temperature unit")}, enums={"unit": ["celsius", "fahrenheit"]}),
        fn("get_forecast", "Get the weather forecast for the next days for a city",
           {"city": ("string", "City name"), "days": ("integer", "Number of days, 1-10")}),
    ],
    "uses": [
        use("What's the weather like in Oslo right now?", "get_current_weather", {"location": "Oslo, NO"},
            '{"temp_c": 3, "conditions": "light snow"}'),
        use("Is it going to rain in Seattle this weekend?", "get_forecast", {"city": "Seattle", "days": 3},
            '{"forecast": ["rain", "showers", "cloudy"]}'),
        use("How hot is it in Phoenix today, in fahrenheit?", "get_current_weather",
            {"location": "Phoenix, US", "unit": "fahrenheit"}, '{"temp_f": 104}'),
        use("Give me the 5-day forecast for Tokyo", "get_forecast", {"city": "Tokyo", "days": 5}),
        use("what's the temperature in berlin", "get_current_weather", {"location": "Berlin, DE"}),
        use("Do I need a jacket in London tonight? Check the weather", "get_current_weather",
            {"location": "London, GB"}),
        use("¿Qué tiempo hace hoy en Madrid?", "get_current_weather", {"location": "Madrid, ES"}),
        use("Quel temps fait-il à Lyon demain ? Donne-moi la météo.", "get_forecast", {"city": "Lyon", "days": 1}),
        use("Wie ist das Wetter morgen in München?", "get_forecast", {"city": "München", "days": 1}),
        use("北京今天天气怎么样？", "get_current_weather", {"location": "Beijing, CN"}),
        use("大阪の明日の天気を教えて", "get_forecast", {"city": "Osaka", "days": 1}),
        use("Какая погода сейчас в Москве?", "get_current_weather", {"location": "Moscow, RU"}),
        use("Como está o tempo em Lisboa agora? Qual a temperatura?", "get_current_weather",
            {"location": "Lisbon, PT"}),
    ],
}

EMAIL = {
    "tools": [
        fn("send_email", "Send an email to one or more recipients",
           {"to": ("string", "Recipient email address"), "subject": ("string", "Subject line"),
            "body": ("string", "Plain text body")}, ["to", "subject", "body"]),
        fn("search_inbox", "Search the user's inbox for messages matching a query",
           {"query": ("string", "Search terms"), "limit": ("integer", "Max messages")}),
    ],
    "uses": [
        use("Send an email to alice@example.com saying the meeting moved to 3pm", "send_email",
            {"to": "alice@example.com", "subject": "Meeting moved", "body": "The meeting is now at 3pm."}),
        use("Email my landlord (jim.p@rentals.co) that the heater is broken again", "send_email",
            {"to": "jim.p@rentals.co", "subject": "Heater", "body": "The heater is broken again."}),
        use("Find the emails from Sarah about the Q3 budget in my inbox", "search_inbox", {"query": "from:Sarah Q3 budget"}),
        use("Did I get any messages from the airline this week? Search my inbox.", "search_inbox",
            {"query": "airline"}),
        use("Envía un correo a marta@empresa.es diciendo que llego tarde", "send_email",
            {"to": "marta@empresa.es", "subject": "Retraso", "body": "Llego tarde."}),
        use("Envoie un e-mail à paul@exemple.fr pour confirmer le rendez-vous", "send_email",
            {"to": "paul@exemple.fr", "subject": "Confirmation", "body": "Je confirme."}),
        use("Schick eine E-Mail an jonas@firma.de mit dem Betreff Urlaub", "send_email",
            {"to": "jonas@firma.de", "subject": "Urlaub", "body": "..."}),
        use("给 li.wei@example.cn 发送邮件，告诉他报告已经完成", "send_email",
            {"to": "li.wei@example.cn", "subject": "报告", "body": "报告已经完成"}),
        use("Отправь письмо ivan@example.ru о переносе встречи", "send_email",
            {"to": "ivan@example.ru", "subject": "Встреча", "body": "Встреча переносится."}),
    ],
}

CALENDAR = {
    "tools": [
        fn("create_calendar_event", "Create an event in the user's calendar",
           {"title": ("string", "Event title"), "start": ("string", "ISO 8601 start time"),
            "end": ("string", "ISO 8601 end time"), "attendees": ("array", "Email addresses of attendees")}),
        fn("list_calendar_events", "List calendar events between two dates",
           {"from_date": ("string", "Start date"), "to_date": ("string", "End date")}),
    ],
    "uses": [
        use("Schedule a meeting with Bob tomorrow at 10am for an hour", "create_calendar_event",
            {"title": "Meeting with Bob", "start": "2026-11-30T10:00", "end": "2026-11-30T11:00"}),
        use("What's on my calendar for Friday?", "list_calendar_events", {"from_date": "2026-12-04", "to_date": "2026-12-04"}),
        use("Put a dentist appointment in my calendar next Tuesday at 4", "create_calendar_event",
            {"title": "Dentist", "start": "2026-12-08T16:00"}),
        use("Add an event called Team offsite on March 3rd", "create_calendar_event",
            {"title": "Team offsite", "start": "2027-03-03"}),
        use("Do I have any meetings this afternoon?", "list_calendar_events",
            {"from_date": "2026-11-29T12:00", "to_date": "2026-11-29T18:00"}),
        use("Agenda una reunión con Carlos el lunes a las 9 en mi calendario", "create_calendar_event",
            {"title": "Reunión con Carlos", "start": "2026-11-30T09:00"}),
        use("Ajoute une réunion avec l'équipe jeudi à 14h dans mon calendrier", "create_calendar_event",
            {"title": "Réunion équipe", "start": "2026-12-03T14:00"}),
        use("Trag einen Termin beim Arzt am Mittwoch um 8 Uhr in meinen Kalender ein", "create_calendar_event",
            {"title": "Arzt", "start": "2026-12-02T08:00"}),
        use("明天下午三点帮我安排一个会议", "create_calendar_event", {"title": "会议", "start": "2026-11-30T15:00"}),
        use("来週の月曜日の会議の予定をカレンダーに入れて", "create_calendar_event", {"title": "会議", "start": "2026-12-07"}),
    ],
}

TRAVEL = {
    "tools": [
        fn("search_flights", "Search for available flights between two airports on a date",
           {"origin": ("string", "IATA code of the departure airport"),
            "destination": ("string", "IATA code of the arrival airport"), "date": ("string", "YYYY-MM-DD")},
           ["origin", "destination", "date"]),
        fn("search_hotels", "Find hotels in a city for given check-in and check-out dates",
           {"city": ("string", "City"), "check_in": ("string", "Check-in date"),
            "check_out": ("string", "Check-out date"), "guests": ("integer", "Number of guests")}),
        fn("book_hotel", "Book a hotel room by hotel id", {"hotel_id": ("string", "Hotel id"),
                                                          "room_type": ("string", "Room type")}),
    ],
    "uses": [
        use("Find me flights from JFK to LAX on December 12", "search_flights",
            {"origin": "JFK", "destination": "LAX", "date": "2026-12-12"}),
        use("Are there any flights from Paris to Rome next Friday?", "search_flights",
            {"origin": "CDG", "destination": "FCO", "date": "2026-12-04"}),
        use("I need a hotel in Barcelona from the 3rd to the 6th for two people", "search_hotels",
            {"city": "Barcelona", "check_in": "2026-12-03", "check_out": "2026-12-06", "guests": 2}),
        use("Book the Hilton room you found, a double please", "book_hotel", {"hotel_id": "hilton-123", "room_type": "double"}),
        use("Busca vuelos de Madrid a Buenos Aires para el 20 de enero", "search_flights",
            {"origin": "MAD", "destination": "EZE", "date": "2027-01-20"}),
        use("Trouve-moi un hôtel à Nice pour ce week-end", "search_hotels", {"city": "Nice"}),
        use("Such mir Flüge von Frankfurt nach New York am 5. Februar", "search_flights",
            {"origin": "FRA", "destination": "JFK", "date": "2027-02-05"}),
        use("帮我查一下下周五从上海到东京的航班", "search_flights", {"origin": "PVG", "destination": "NRT", "date": "2026-12-04"}),
        use("Найди отель в Санкт-Петербурге на три ночи", "search_hotels", {"city": "Saint Petersburg"}),
        use("Procure voos de São Paulo para Lisboa em março", "search_flights",
            {"origin": "GRU", "destination": "LIS", "date": "2027-03-01"}),
    ],
}

FINANCE = {
    "tools": [
        fn("get_stock_price", "Get the latest stock price for a ticker symbol",
           {"ticker": ("string", "Ticker symbol, e.g. AAPL or MSFT")}),
        fn("convert_currency", "Convert an amount between currencies using today's exchange rate",
           {"amount": ("number", "Amount"), "from_currency": ("string", "Three-letter code, e.g. USD"),
            "to_currency": ("string", "Three-letter code, e.g. EUR")}, ["amount", "from_currency", "to_currency"]),
    ],
    "uses": [
        use("What's the current stock price of Apple?", "get_stock_price", {"ticker": "AAPL"}, '{"price": 231.4}'),
        use("How much is 250 USD in EUR today?", "convert_currency",
            {"amount": 250, "from_currency": "USD", "to_currency": "EUR"}, '{"result": 231.9}'),
        use("Check the NVDA share price for me", "get_stock_price", {"ticker": "NVDA"}),
        use("Convert 1200 yen to dollars", "convert_currency",
            {"amount": 1200, "from_currency": "JPY", "to_currency": "USD"}),
        use("What's the exchange rate from GBP to CHF?", "convert_currency",
            {"amount": 1, "from_currency": "GBP", "to_currency": "CHF"}),
        use("¿Cuánto son 100 euros en dólares?", "convert_currency",
            {"amount": 100, "from_currency": "EUR", "to_currency": "USD"}),
        use("Quel est le prix de l'action Tesla aujourd'hui ?", "get_stock_price", {"ticker": "TSLA"}),
        use("Wie steht die Aktie von Siemens gerade?", "get_stock_price", {"ticker": "SIE.DE"}),
        use("苹果公司现在的股价是多少？", "get_stock_price", {"ticker": "AAPL"}),
        use("100ドルは何円ですか？為替レートで換算して", "convert_currency",
            {"amount": 100, "from_currency": "USD", "to_currency": "JPY"}),
        use("Сколько сейчас стоят акции Газпрома?", "get_stock_price", {"ticker": "GAZP.ME"}),
    ],
}

HOME = {
    "tools": [
        fn("set_light", "Turn a light on or off or change its brightness",
           {"room": ("string", "Room name"), "state": ("string", "on or off"), "brightness": ("integer", "0-100")},
           enums={"state": ["on", "off"]}),
        fn("set_thermostat", "Set the thermostat target temperature", {"temperature": ("number", "Degrees Celsius")}),
        fn("play_music", "Play a song, album, artist or playlist on the speakers",
           {"query": ("string", "What to play"), "room": ("string", "Speaker room")}),
    ],
    "uses": [
        use("Turn off the lights in the kitchen", "set_light", {"room": "kitchen", "state": "off"}),
        use("Dim the living room light to 30 percent", "set_light", {"room": "living room", "brightness": 30}),
        use("Set the thermostat to 21 degrees", "set_thermostat", {"temperature": 21}),
        use("Play some jazz music in the bedroom", "play_music", {"query": "jazz", "room": "bedroom"}),
        use("Put on the new Taylor Swift album", "play_music", {"query": "Taylor Swift latest album"}),
        use("Apaga las luces del salón", "set_light", {"room": "salón", "state": "off"}),
        use("Allume la lumière de la chambre", "set_light", {"room": "chambre", "state": "on"}),
        use("Mach das Licht im Flur an", "set_light", {"room": "Flur", "state": "on"}),
        use("把客厅的灯关掉", "set_light", {"room": "客厅", "state": "off"}),
        use("リビングの電気を消して", "set_light", {"room": "living", "state": "off"}),
        use("Включи свет на кухне", "set_light", {"room": "кухня", "state": "on"}),
        use("Toca uma música do Caetano Veloso na sala", "play_music", {"query": "Caetano Veloso", "room": "sala"}),
    ],
}

SHOP = {
    "tools": [
        fn("get_order_status", "Look up the shipping status of a customer order",
           {"order_id": ("string", "Order number")}),
        fn("search_products", "Search the product catalogue",
           {"query": ("string", "Search text"), "max_price": ("number", "Maximum price")}),
        fn("add_to_cart", "Add a product to the shopping cart", {"product_id": ("string", "Product id"),
                                                                 "quantity": ("integer", "How many")}),
    ],
    "uses": [
        use("Where is my order #48213?", "get_order_status", {"order_id": "48213"}, '{"status": "shipped"}'),
        use("Has order A-7731 shipped yet?", "get_order_status", {"order_id": "A-7731"}),
        use("Show me running shoes under $100", "search_products", {"query": "running shoes", "max_price": 100}),
        use("Add two of the blue mugs to my cart", "add_to_cart", {"product_id": "mug-blue", "quantity": 2}),
        use("Find wireless headphones in the catalogue, cheapest first", "search_products",
            {"query": "wireless headphones"}),
        use("¿Dónde está mi pedido 99812?", "get_order_status", {"order_id": "99812"}),
        use("Où en est ma commande 55120 ?", "get_order_status", {"order_id": "55120"}),
        use("Wo ist meine Bestellung 31337?", "get_order_status", {"order_id": "31337"}),
        use("我的订单 778812 发货了吗？", "get_order_status", {"order_id": "778812"}),
        use("注文番号 4411 の配送状況を確認して", "get_order_status", {"order_id": "4411"}),
        use("Где мой заказ номер 2231?", "get_order_status", {"order_id": "2231"}),
    ],
}

CRM = {
    "tools": [
        fn("lookup_customer", "Find a customer record by name, email or phone",
           {"query": ("string", "Name, email or phone")}),
        fn("create_support_ticket", "Open a support ticket for a customer",
           {"customer_id": ("string", "Customer id"), "summary": ("string", "Short summary"),
            "priority": ("string", "Priority")}, enums={"priority": ["low", "normal", "high"]}),
        fn("get_invoice", "Fetch an invoice PDF link by invoice number", {"invoice_number": ("string", "Invoice number")}),
    ],
    "uses": [
        use("Look up the customer with email dana@acme.io", "lookup_customer", {"query": "dana@acme.io"}),
        use("Open a high priority ticket for customer 8812: their login is broken", "create_support_ticket",
            {"customer_id": "8812", "summary": "Login broken", "priority": "high"}),
        use("Can you pull up invoice INV-2291?", "get_invoice", {"invoice_number": "INV-2291"}),
        use("Who is the customer behind phone number 555-0199?", "lookup_customer", {"query": "555-0199"}),
        use("Crea un ticket de soporte para el cliente 301, no puede pagar", "create_support_ticket",
            {"customer_id": "301", "summary": "No puede pagar"}),
        use("Trouve la facture numéro F-2024-118", "get_invoice", {"invoice_number": "F-2024-118"}),
        use("Such den Kunden Müller GmbH", "lookup_customer", {"query": "Müller GmbH"}),
        use("查一下客户张伟的资料", "lookup_customer", {"query": "张伟"}),
    ],
}

INFO = {
    "tools": [
        fn("web_search", "Search the web and return the top results with snippets",
           {"query": ("string", "Search query")}),
        fn("get_news", "Get the latest news headlines on a topic", {"topic": ("string", "Topic"),
                                                                    "country": ("string", "Country code")}),
        fn("translate_text", "Translate text into a target language",
           {"text": ("string", "Text to translate"), "target_language": ("string", "e.g. fr, de, ja")}),
    ],
    "uses": [
        use("Search the web for reviews of the Framework 16 laptop", "web_search", {"query": "Framework 16 review"}),
        use("What are today's top news headlines about the election?", "get_news", {"topic": "election"}),
        use("Get me the latest technology news from Germany", "get_news", {"topic": "technology", "country": "de"}),
        use("Use the translator to translate 'where is the train station' into Japanese", "translate_text",
            {"text": "where is the train station", "target_language": "ja"}),
        use("Look up on the web who won the Nobel Prize in literature this year", "web_search",
            {"query": "Nobel Prize literature winner"}),
        use("Busca en la web las noticias sobre el terremoto", "web_search", {"query": "terremoto noticias"}),
        use("Donne-moi les dernières nouvelles sur le climat", "get_news", {"topic": "climat"}),
        use("Was sind die neuesten Nachrichten zum Thema Energie?", "get_news", {"topic": "Energie"}),
        use("搜索一下最近关于人工智能的新闻", "get_news", {"topic": "人工智能"}),
        use("最新のニュースを教えて", "get_news", {"topic": "general"}),
        use("Найди в интернете отзывы о новом iPhone", "web_search", {"query": "отзывы iPhone"}),
    ],
}

PLACES = {
    "tools": [
        fn("find_restaurants", "Find restaurants near a location, optionally by cuisine",
           {"location": ("string", "Address or city"), "cuisine": ("string", "Cuisine, e.g. thai")}),
        fn("get_directions", "Get driving, walking or transit directions between two places",
           {"origin": ("string", "Start"), "destination": ("string", "End"), "mode": ("string", "Travel mode")},
           enums={"mode": ["driving", "walking", "transit"]}),
        fn("create_reminder", "Create a reminder at a given time", {"text": ("string", "What to remind"),
                                                                   "time": ("string", "When")}),
    ],
    "uses": [
        use("Find a good thai restaurant near Union Square", "find_restaurants",
            {"location": "Union Square, SF", "cuisine": "thai"}),
        use("How do I get from the airport to downtown by transit? Give me directions", "get_directions",
            {"origin": "airport", "destination": "downtown", "mode": "transit"}),
        use("Remind me to call mom at 6pm", "create_reminder", {"text": "Call mom", "time": "18:00"}),
        use("Walking directions from the Louvre to the Eiffel Tower please", "get_directions",
            {"origin": "Louvre", "destination": "Eiffel Tower", "mode": "walking"}),
        use("Set a reminder for tomorrow morning to take out the trash", "create_reminder",
            {"text": "Take out the trash", "time": "tomorrow 08:00"}),
        use("Recuérdame comprar leche a las 7 — crea un recordatorio", "create_reminder",
            {"text": "Comprar leche", "time": "19:00"}),
        use("Trouve un restaurant italien près de la gare", "find_restaurants",
            {"location": "gare", "cuisine": "italien"}),
        use("Erinnere mich morgen um 9 an den Termin — Erinnerung bitte", "create_reminder",
            {"text": "Termin", "time": "09:00"}),
        use("附近有什么好吃的日本餐厅？", "find_restaurants", {"location": "nearby", "cuisine": "japanese"}),
        use("駅までのルートを教えて", "get_directions", {"origin": "here", "destination": "駅"}),
        use("Напомни мне завтра позвонить врачу", "create_reminder", {"text": "Позвонить врачу", "time": "завтра"}),
    ],
}

DATA = {
    "tools": [
        fn("calculate", "Evaluate a math expression exactly", {"expression": ("string", "e.g. 2*(3+4)")}),
        fn("convert_units", "Convert a quantity between units (length, weight, volume, temperature)",
           {"value": ("number", "Quantity"), "from_unit": ("string", "e.g. km"), "to_unit": ("string", "e.g. mi")}),
        fn("query_sales_db", "Run a read-only report over the sales database",
           {"metric": ("string", "revenue, orders or refunds"), "region": ("string", "Sales region"),
            "period": ("string", "e.g. 2024-Q3")}),
    ],
    "uses": [
        use("What is 48213 * 7719?", "calculate", {"expression": "48213*7719"}),
        use("Compute (1234.5 / 17) + 3^7", "calculate", {"expression": "(1234.5/17)+3^7"}),
        use("Convert 26.2 miles to kilometers", "convert_units", {"value": 26.2, "from_unit": "mi", "to_unit": "km"}),
        use("How many pounds is 70 kg? Convert it", "convert_units", {"value": 70, "from_unit": "kg", "to_unit": "lb"}),
        use("What was our revenue in the EMEA region for 2024-Q3?", "query_sales_db",
            {"metric": "revenue", "region": "EMEA", "period": "2024-Q3"}),
        use("Pull the refunds report for APAC last quarter", "query_sales_db",
            {"metric": "refunds", "region": "APAC", "period": "2026-Q3"}),
        use("Convierte 10 millas a kilómetros", "convert_units", {"value": 10, "from_unit": "mi", "to_unit": "km"}),
        use("Calcule 1789 * 2024 s'il te plaît", "calculate", {"expression": "1789*2024"}),
        use("Rechne 15% von 2480 aus", "calculate", {"expression": "0.15*2480"}),
        use("计算一下 345 乘以 987 等于多少", "calculate", {"expression": "345*987"}),
        use("Посчитай 1024 * 768", "calculate", {"expression": "1024*768"}),
    ],
}

MATHSCI = {
    "tools": [
        fn("calculate_circle_area", "Calculate the area of a circle given its radius", {"radius": ("number", "Radius")}),
        fn("solve_quadratic", "Find the roots of a quadratic equation ax^2 + bx + c = 0",
           {"a": ("number", "Coefficient a"), "b": ("number", "Coefficient b"), "c": ("number", "Coefficient c")}),
        fn("get_prime_factors", "Return the prime factors of an integer", {"number": ("integer", "The integer")}),
        fn("calculate_compound_interest", "Compute compound interest for a principal, rate and number of years",
           {"principal": ("number", "Initial amount"), "rate": ("number", "Annual rate in percent"),
            "years": ("integer", "Years")}),
    ],
    "uses": [
        use("Calculate the area of a circle with a radius of 7 cm.", "calculate_circle_area", {"radius": 7}),
        use("What are the roots of the equation 2x^2 + 3x - 5 = 0?", "solve_quadratic", {"a": 2, "b": 3, "c": -5}),
        use("Find the prime factors of 360.", "get_prime_factors", {"number": 360}),
        use("How much interest will I earn on $10,000 at 5% compounded over 8 years?", "calculate_compound_interest",
            {"principal": 10000, "rate": 5, "years": 8}),
        use("Solve the quadratic x^2 - 5x + 6 = 0 for me", "solve_quadratic", {"a": 1, "b": -5, "c": 6}),
        use("What's the area of a circle whose radius is 2.5 meters?", "calculate_circle_area", {"radius": 2.5}),
        use("Calcula el área de un círculo de radio 4.", "calculate_circle_area", {"radius": 4}),
        use("Zerlege 924 in Primfaktoren.", "get_prime_factors", {"number": 924}),
        use("求方程 x^2 + 2x - 8 = 0 的根", "solve_quadratic", {"a": 1, "b": 2, "c": -8}),
    ],
}

MEDIA = {
    "tools": [
        fn("find_movie_showtimes", "Find showtimes for a movie at cinemas in a city",
           {"movie": ("string", "Movie title"), "city": ("string", "City"), "date": ("string", "Date")}),
        fn("get_sports_scores", "Get the latest game scores and results for a sports team or league",
           {"team": ("string", "Team or league name")}),
        fn("get_recipe", "Find a cooking recipe by dish name or ingredients", {"query": ("string", "Dish or ingredients")}),
    ],
    "uses": [
        use("What time is Oppenheimer showing at cinemas in Chicago tonight?", "find_movie_showtimes",
            {"movie": "Oppenheimer", "city": "Chicago"}),
        use("Did the Yankees win their game yesterday? Get the score.", "get_sports_scores", {"team": "Yankees"}),
        use("Find me a recipe for vegan lasagna", "get_recipe", {"query": "vegan lasagna"}),
        use("What are the latest Premier League results?", "get_sports_scores", {"team": "Premier League"}),
        use("Any showtimes for the new Pixar movie in Austin this weekend?", "find_movie_showtimes",
            {"movie": "Pixar", "city": "Austin"}),
        use("I have chickpeas, spinach and rice. Find a recipe that uses them.", "get_recipe",
            {"query": "chickpeas spinach rice"}),
        use("¿Cómo quedó el partido del Real Madrid? Dame el resultado.", "get_sports_scores", {"team": "Real Madrid"}),
        use("Trouve-moi une recette de quiche lorraine.", "get_recipe", {"query": "quiche lorraine"}),
        use("Найди рецепт борща", "get_recipe", {"query": "борщ"}),
    ],
}

WORK = {
    "tools": [
        fn("search_jobs", "Search job listings by title, location and remote option",
           {"title": ("string", "Job title"), "location": ("string", "City or region"), "remote": ("boolean", "Remote only")}),
        fn("post_to_social", "Publish a post to the company's social media accounts",
           {"text": ("string", "Post text"), "platform": ("string", "Platform")}, enums={"platform": ["x", "linkedin", "instagram"]}),
        fn("define_word", "Look up the dictionary definition of a word", {"word": ("string", "The word"),
                                                                         "language": ("string", "Language code")}),
        fn("upload_file", "Upload a file to the team's cloud storage folder", {"path": ("string", "Local path"),
                                                                              "folder": ("string", "Destination folder")}),
    ],
    "uses": [
        use("Find remote data analyst jobs in Canada", "search_jobs", {"title": "data analyst", "location": "Canada", "remote": True}),
        use("Post 'We're hiring! Join our support team' on LinkedIn", "post_to_social",
            {"text": "We're hiring! Join our support team", "platform": "linkedin"}),
        use("What's the dictionary definition of 'ephemeral'?", "define_word", {"word": "ephemeral"}),
        use("Upload report.pdf to the Finance folder", "upload_file", {"path": "report.pdf", "folder": "Finance"}),
        use("Are there any nursing jobs in Leeds?", "search_jobs", {"title": "nurse", "location": "Leeds"}),
        use("Define the word 'serendipity' for me", "define_word", {"word": "serendipity"}),
        use("Busca trabajos de diseñador gráfico en Valencia", "search_jobs", {"title": "diseñador gráfico", "location": "Valencia"}),
        use("Publie sur Instagram : « Nouvelle collection en boutique ! »", "post_to_social",
            {"text": "Nouvelle collection en boutique !", "platform": "instagram"}),
        use("查一下“卷”这个词的意思", "define_word", {"word": "卷", "language": "zh"}),
    ],
}

TOOLSETS: list[dict[str, Any]] = [WEATHER, EMAIL, CALENDAR, TRAVEL, FINANCE, HOME, SHOP, CRM, INFO, PLACES, DATA,
                                   MATHSCI, MEDIA, WORK]

# Follow-ups after a finished tool exchange: they need the tool again.
FOLLOW_UPS = ["And for Berlin?", "Same again for tomorrow, please.", "What about the other one?",
              "Do that again but for next week.", "And in Tokyo?", "Now the same for Maria.", "¿Y en Sevilla?",
              "Et pour demain ?", "Und für Hamburg?", "那上海呢？", "Ещё раз для Казани."]
