"""Bytes per article version (and per article) of one or more archives, from SQLite's dbstat.

    .venv/bin/python scripts/version_size.py data/demo.db [other.db …]

Pages: what the table takes in the file; payload: the rows' own bytes. The numbers in
docs/versions.md were measured with it (before: an archive made by the previous code).
"""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path


def sizes(path: Path) -> dict:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        versions = conn.execute("SELECT count(*) FROM article_versions").fetchone()[0]
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        stat = {name: (pages, payload) for name, pages, payload in conn.execute(
            "SELECT name, sum(pgsize), sum(payload) FROM dbstat GROUP BY name")}
    finally:
        conn.close()
    pages, payload = stat.get("article_versions", (0, 0))
    return {"versions": versions, "articles": articles, "file": path.stat().st_size,
            "version_pages": pages / max(versions, 1), "version_payload": payload / max(versions, 1),
            "article_pages": stat.get("articles", (0, 0))[0] / max(articles, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", nargs="+", type=Path)
    for path in parser.parse_args(argv).db:
        s = sizes(path)
        print(f"{path}: {s['versions']} versions of {s['articles']} articles, file {s['file']:,} B "
              f"({s['file'] / max(s['articles'], 1):,.0f} B/article); article_versions "
              f"{s['version_pages']:,.0f} B/version in pages, {s['version_payload']:,.0f} B payload; "
              f"articles {s['article_pages']:,.0f} B/article")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
