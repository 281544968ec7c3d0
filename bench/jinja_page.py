#!/usr/bin/env python3
"""The Jinja2 peer of the renderer benchmarks: a feed page of N post cards.

  jinja_page.py [N] [--html]     N defaults to 50

This is the project's own Jinja2 page. Without --html it renders the page
repeatedly for about two seconds and prints one line,
"jinja2 bytes B renders_per_s R us_per_render U" (bench/bench_render.py reads
it); with --html it prints the page once.

bench/html/feed_page.sx is the sx twin of this page and must give the same
DOM (tests/oracles/render_dom_oracle.py). bench/bench_python.py imports this
file and uses CARD, PAGE and data(n): PAGE includes the card as "card.html"
once per post, with the post in `p`; data(n) must hold exactly the data that
feed_page.sx builds with (feed-data n).
"""
import sys
import time

import jinja2

CARD = """\
<article class="post-card" id="post-{{ p.id }}">
  <h2 class="title"><a href="/posts/{{ p.slug }}/">{{ p.title }}</a></h2>
  <p class="meta">by {{ p.author }}
    {%- if p.featured %} <span class="badge">featured</span>{% endif -%}
  </p>
  <div class="body">{{ p.body }}</div>
  <ul class="tags">
    {%- for tag in p.tags -%}
    <li><a href="/tags/{{ tag }}/">#{{ tag }}</a></li>
    {%- endfor -%}
  </ul>
  <button class="like" hx-post="/like/" hx-vals='{"post-id": {{ p.id }}}'
          {%- if p.liked %} disabled{% endif %}>{{ p.likes }} likes</button>
</article>"""

PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{ title }}</title>
<link rel="stylesheet" href="/static/site.css">
</head>
<body class="min-h-screen">
<header><nav>
  {%- for link in nav -%}
  <a href="{{ link.href }}"{% if link.current %} class="current"{% endif %}>{{ link.label }}</a>
  {%- endfor -%}
</nav></header>
<main id="feed">
  {%- for p in posts %}{% include "card.html" %}{% endfor -%}
</main>
<footer><p>&copy; rose-ash co-op</p></footer>
</body>
</html>"""

SECTIONS = ("blog", "market", "events", "cart")
TAGS = ("markets", "food", "co-op")
BODY = "Three new vendors joining this Saturday. "


def post(i):
    """Post i, as make-post in feed_page.sx."""
    return {
        "id": i,
        "slug": "post-%d" % i,
        "title": "Market update <%d> & news" % i,
        "author": "alice%d" % (i % 7),
        "featured": i % 5 == 0,
        "body": BODY * 3,
        "tags": list(TAGS[:i % 3 + 1]),
        "liked": i % 2 == 0,
        "likes": 3 * i,
    }


def data(n):
    """The page's context for n posts, as feed-data in feed_page.sx."""
    nav = [{"href": "/%s/" % s, "label": s.capitalize(), "current": s == "blog"}
           for s in SECTIONS]
    return {"title": "Feed", "nav": nav, "posts": [post(i) for i in range(n)]}


def template():
    loader = jinja2.DictLoader({"card.html": CARD, "page.html": PAGE})
    return jinja2.Environment(loader=loader, autoescape=True).get_template("page.html")


def main():
    args = sys.argv[1:]
    print_html = "--html" in args
    counts = [a for a in args if a != "--html"]
    n = int(counts[0]) if counts else 50
    page, context = template(), data(n)
    html = page.render(**context)
    if print_html:
        sys.stdout.write(html)
        return
    renders, start = 0, time.perf_counter()
    while True:
        page.render(**context)
        renders += 1
        elapsed = time.perf_counter() - start
        if elapsed >= 2.0:
            break
    print("jinja2 bytes %d renders_per_s %.1f us_per_render %.1f"
          % (len(html), renders / elapsed, elapsed / renders * 1e6))


if __name__ == "__main__":
    main()
