"""A made-up article (text and HTML) for the draft tests, and a way to complete a draft."""

from __future__ import annotations

import re

ARTICLE = (
    "City council approves flood wall after storm, residents furious\n\n"
    "The city council voted on Monday to build a flood wall along the river, according to "
    "the published minutes. The wall will cost $12 million, Mayor Ana Lopez said. Experts "
    "say the wall may not stop a larger flood. Some reports suggest the contractor has ties"
    " to council members.\n\n"
    "The storm last week damaged 240 homes and killed 3 people. Unsurprisingly, the vote "
    "was close. The result surprised many residents, who had expected a delay. Officials "
    "said 5 people died in the storm. The plan was reportedly drafted in a hurry.\n\n"
    "Critics called the project a disastrous waste of money. The council's engineer said "
    'the wall "will protect [the] whole old town" for fifty years. Work on the wall begins '
    "in May, and the river path will close while it is built. The weather was mild on the "
    "day of the vote. Children played in the park near the town hall.\n"
)

# Sentences with nothing to ask about: what a completed "find the contradiction" item quotes.
CALM = (
    "The weather was mild on the day of the vote.",
    "Children played in the park near the town hall.",
)

HTML = f"""<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<title>City council approves flood wall after storm, residents furious | Riverside Echo</title>
<meta property="og:site_name" content="Riverside Echo">
<meta name="author" content="Jo Banks">
<meta property="article:published_time" content="2026-03-03">
<link rel="canonical" href="https://echo.example.org/news/flood-wall">
</head><body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<article>
<h1>City council approves flood wall after storm, residents furious</h1>
{"".join(f"<p>{p}</p>" for p in ARTICLE.split(chr(10) + chr(10))[1:])}
<img src="https://echo.example.org/wall.jpg" alt="The river">
</article>
<footer>Related articles: <a href="/a">Bridge closed</a></footer>
</body></html>
"""


def complete(draft: str) -> str:
    """The draft with every placeholder written, as an instructor would."""
    counter = iter(range(1, 10_000))
    text = re.sub(r"verdict: TODO.*", "verdict: flawed", draft)
    text = re.sub(r"judgement: TODO.*", "judgement: sound", text)
    text = text.replace(
        '"TODO: quote another passage of the article, one that does not conflict (1)"',
        f'"{CALM[0]}"',
    )
    text = text.replace(
        '"TODO: quote another passage of the article, one that does not conflict (2)"',
        f'"{CALM[1]}"',
    )
    return re.sub(r'"TODO:[^"]*"', lambda _: f'"Written answer number {next(counter)}"', text)
