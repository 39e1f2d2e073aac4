"""`make canary`: does the site profile still match the LIVE almodon.com?

Fetches one known article URL per URL era and one listing (with the crawler's honest headers),
extracts each and checks the record's shape: headline, date, body length, the update line on
current pages; the listing must yield article links. Prints one line per check and exits
0 when all pass, 1 when a check fails (the profile needs a look), 2 when the site is unreachable.
Needs network access; never part of `make test`.
"""

from __future__ import annotations

import re
import sys
from urllib.parse import urljoin

from pipelines.extract import NotAnArticle, extract, urls
from pipelines.fetch import fetch_one

#: (era, URL). Era 1 links redirect to their current URL; the seed page is era 3.
ARTICLES = (
    ("era1 numeric", "http://almodon.com/ArabWorld/Articles/10392"),
    ("era2 guid", "http://www.almodon.com/politics/26575731-1b58-425a-83ed-4d7a3f311701"),
    ("era3 dated", "https://www.almodon.com/arabworld/2024/04/26/%D8%A7%D9%8A%D8%B1%D8%A7%D9%86-%D9%88%D8%B1%D9%88%D8%B3%D9%8A%D8%A7"),
)
LISTINGS = ("https://www.almodon.com/politics", "https://www.almodon.com/rss")
MIN_BODY = 300


def check_article(label: str, url: str) -> list[str]:
    body, content_type, final = fetch_one(url)
    try:
        rec = extract(body, final, content_type=content_type).to_dict()
    except NotAnArticle as exc:
        return [f"{label}: not extracted as an article ({exc})"]
    problems = []
    if not rec["headline"]:
        problems.append("no headline")
    if not rec["published_date"]:
        problems.append("no date")
    if len(rec["body"]) < MIN_BODY:
        problems.append(f"body only {len(rec['body'])} chars")
    if label.startswith("era3") and not rec["modified_at"]:
        problems.append("no update line (آخر تحديث) found")
    status = "ok" if not problems else "FAIL " + "; ".join(problems)
    print(f"{status:>4}  {label}: {rec['headline'][:60]!r} {rec['published_date']} "
          f"{len(rec['paragraphs'])} paragraphs, sources {rec['sources']}")
    return [f"{label}: {p}" for p in problems]


def check_listing(url: str) -> list[str]:
    body, _, final = fetch_one(url)
    links = re.findall(r'(?:href="|<link>)([^"<]+)', body.decode("utf-8", "replace"))
    articles = {u for u in (urls.canonicalize(urljoin(final, link.strip())) for link in links) if u}
    ok = len(articles) >= 3
    print(f"{'ok' if ok else 'FAIL':>4}  listing {url}: {len(articles)} article links")
    return [] if ok else [f"listing {url}: only {len(articles)} article links"]


def main() -> int:
    problems: list[str] = []
    try:
        for label, url in ARTICLES:
            problems += check_article(label, url)
        for url in LISTINGS:
            problems += check_listing(url)
    except OSError as exc:
        print(f"almodon.com is unreachable from here: {exc}", file=sys.stderr)
        return 2
    if problems:
        print("\nThe site profile may no longer match the live site:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print("\nAll canary checks passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
