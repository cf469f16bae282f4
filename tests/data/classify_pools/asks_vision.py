# ruff: noqa: E501, RUF001  (a table of asks: long lines, other scripts' punctuation)
"""Asks that come with an image: photos, screenshots of code, charts, documents, in several languages."""

from __future__ import annotations

VISION_ASKS = [
    "What's in this picture?", "Describe this image in detail.", "What breed is this dog?", "Transcribe the handwriting in this photo.",
    "What's wrong with the code in this screenshot?", "Here's a screenshot of my error. How do I fix it?", "Convert this UI mockup into HTML and CSS.",
    "What does this chart show?", "Extract the table in this image as CSV.", "Is this mushroom safe to eat?", "What plant is this?",
    "Read the receipt and tell me the total.", "Can you explain this diagram?", "Write a caption for this photo for Instagram.",
    "What city is this?", "Solve the math problem in the picture.", "Rate my outfit.", "What's the text on this sign?",
    "This is a screenshot of my terminal, why did the build fail?", "Turn this whiteboard sketch into a Python class.",
    "Describe the architecture in this diagram.", "", "Is there anything wrong with this wiring?", "What year is this car from?",
    "¿Qué hay en esta imagen?", "Décris cette photo.", "Was steht auf diesem Schild?", "这张图片里有什么？", "この写真について説明してください。",
    "Что изображено на этой картинке?", "O que está escrito nesta imagem?", "이 사진에 무엇이 있나요?",
]
VISION_ANSWERS = ["The image shows a golden retriever lying on a wooden porch.", "It's a bar chart of monthly sales; March is highest.",
                  "The screenshot shows a Python traceback ending in a KeyError.", "The photo shows a street in Lisbon with a yellow tram."]
VISION_FOLLOWUPS = ["And what color is the car on the left?", "Can you describe it in more detail?", "What about the text at the bottom?",
                    "How would I fix that?", "Thanks. Is it expensive?", "Et en français ?"]
IMAGE_URLS = ["https://upload.wikimedia.org/wikipedia/commons/3/3a/Cat03.jpg", "https://example.com/screenshots/error-1.png",
              "https://images.example.org/photos/IMG_2031.jpeg", "https://cdn.example.net/charts/q3-sales.png",
              "http://localhost:8000/uploads/diagram.webp", "https://i.imgur.com/abc123.png"]
