"""Synthetic Al-Modon article pages for ``make bench``: N pages made by varying the real-shaped
fixture pages, written with golden-format JSON so ``Replica(fixtures=DIR)`` serves them (with its
home page, section listings, RSS and monthly sitemaps generated from the goldens).

    .venv/bin/python scripts/synth.py --n 10000 --out /tmp/almodon-synth [--seed 1]

Every article fixture (``seed-``, ``d-``, ``g-``: the 2016-classic, 2025-ssr, 2014-guid and
legacy windows-1256 layouts) is a template. Page ``i`` takes template ``i mod T`` (so layouts are
evenly mixed) and, from a generator seeded with ``(seed, i)`` (so the first k pages of a run of N
are the pages of a run of k), gets:

- a new headline (a window of words from the fixtures' body sentences) and the slug made from it;
- every body paragraph replaced by a new one: 1-4 sentences recombined from all fixtures' body
  paragraphs (subheadings by another short block), in the paragraph's own markup;
- a new date, the template's date moved by whole weeks (the printed weekday stays right;
  the day before and after, as printed by JSON-LD in UTC or by a date bar, move with it);
- a new section (in the URL, ``articleSection`` and ``article:section``);
- other authors (from the fixtures' authors), and image file names made unique.

Paragraphs with inline markup or odd whitespace in the template keep their text. Each page's
``.json`` has ``_fixture`` (``original_url``, ``charset``, ``numeric_id``, ``template``,
``layout``) plus ``url`` (canonical), ``section``, ``headline``, ``authors``, ``published_date``,
``paragraphs``, ``images`` and ``tags``: what extraction should give.
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import sys
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "almodon"
sys.path.insert(0, str(ROOT / "tests"))
from replica.pages import SECTIONS

#: Dates a page of each URL era may get (fixed, for determinism; the dated era stops before
#: "today" in the fixtures' world, 2026-11, so no page is newer than the crawl that fetches it).
ERA_RANGE = {2: (date(2014, 9, 1), date(2015, 12, 31)), 3: (date(2016, 1, 4), date(2026, 10, 31))}
NUMERIC_ID_BASE = 200_000  # pinned era-1 ids, clear of the replica's hashed 10000-99999
_SOFT404 = re.compile(r"الصفحة\s+غير|404|لم\s+يتم")
_HARAKAT = re.compile("[\u064b-\u065f\u0670\u0640]")
_SENTENCE = re.compile(r"[^.!؟?]+[.!؟?]*")
_YMD = re.compile(r"(?<!\d)(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?!\d)")
_DMY = re.compile(r"(?<!\d)(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)")
#: Month names as printed (Levantine, then the Egyptian/Gulf forms), index 0 = January.
_MONTHS = (
    ("كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز", "آب", "أيلول", "تشرين الأول",
     "تشرين الثاني", "كانون الأول"),
    ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر",
     "ديسمبر"),
)
_MONTH_NO = {name: (family, n + 1) for family, names in enumerate(_MONTHS) for n, name in enumerate(names)}
_DMONTHY = re.compile(
    r"(?<!\d)(\d{1,2})(\s+)(" + "|".join(sorted(map(re.escape, _MONTH_NO), key=len, reverse=True))
    + r")(\s+)(\d{4})(?!\d)"
)
_ISO_AWARE = re.compile(
    r"(?<!\d)(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:?\d{2})(?!\d)"
)
BEIRUT = ZoneInfo("Asia/Beirut")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


@dataclass
class Template:
    name: str
    golden: dict
    text: str  # decoded HTML
    charset: str | None  # as served (None: no charset in the header)
    encoding: str  # how the file is encoded
    era: int  # 2 (uuid) or 3 (dated)
    day: date
    path: str  # decoded path of the original URL
    origin: str  # scheme://netloc of the original URL


@dataclass
class Pools:
    sentences: list[str]
    short: list[str]
    authors: list[str]


def load_templates(fixtures: Path = FIXTURES) -> tuple[list[Template], Pools]:
    templates, sentences, short, authors = [], [], [], []
    for golden_path in sorted(fixtures.glob("*.json")):
        golden = json.loads(golden_path.read_text(encoding="utf-8"))
        fx = golden.get("_fixture") or {}
        if fx.get("expect") == "not_article" or not fx.get("original_url") or not golden.get("headline"):
            continue
        charset = fx.get("charset")
        encoding = charset or "cp1256"
        raw = golden_path.with_suffix(".html").read_bytes()
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            encoding, text = "cp1256", raw.decode("cp1256")
        parts = urlsplit(fx["original_url"])
        path = unquote(parts.path)
        segs = path.strip("/").split("/")
        era = 2 if len(segs) == 2 and _UUID.match(segs[1]) else 3
        templates.append(Template(
            name=golden_path.stem, golden=golden, text=text, charset=charset, encoding=encoding,
            era=era, day=date.fromisoformat(golden["published_date"]), path=path,
            origin=f"{parts.scheme}://{parts.netloc}",
        ))
        for p in golden.get("paragraphs") or []:
            if len(p) < 60:
                short.append(p)
            else:
                sentences += [s.strip() for s in _SENTENCE.findall(p) if len(s.strip()) > 25]
        authors += golden.get("authors") or []
    clean = [s for s in sentences if not re.search(r'[<>&"]', s)]
    return templates, Pools(sorted(set(clean)), sorted(set(short)), sorted(set(authors)))


def slugify(headline: str) -> str:
    """The site's slug rule: harakat/shadda/tanween and tatweel dropped, punctuation dropped,
    spaces to ``-``; hamza forms kept."""
    text = _HARAKAT.sub("", unicodedata.normalize("NFC", headline))
    text = "".join(c for c in text if not unicodedata.category(c).startswith(("P", "S")))
    return "-".join(text.split())


def _headline(rng: random.Random, pools: Pools) -> str:
    while True:
        words = rng.choice(pools.sentences).split()
        k = rng.randint(5, 10)
        start = rng.randint(0, max(0, len(words) - k))
        text = " ".join(words[start:start + k]).strip(" .،,:؛؟!-")
        if len(text) >= 15 and not _SOFT404.search(text):
            return text


def _paragraph(rng: random.Random, pools: Pools, like: str) -> str:
    if len(like) < 60 and pools.short:
        return rng.choice(pools.short)
    target = max(80, int(len(like) * rng.uniform(0.6, 1.5)))
    out: list[str] = []
    while sum(len(s) + 1 for s in out) < target and len(out) < 6:
        out.append(rng.choice(pools.sentences))
    return " ".join(out)


def _forms(text: str) -> list[str]:
    """How a string may be printed in a page, in a fixed order: as is, HTML-escaped (text and
    attribute), inside JSON (ASCII-escaped or not). Old and new strings pair up form by form."""
    return [text, html.escape(text, quote=False), html.escape(text), json.dumps(text)[1:-1],
            json.dumps(text, ensure_ascii=False)[1:-1]]


def _shift_dates(text: str, old: date, delta: timedelta) -> str:
    """Move the article's date (and the day either side) by ``delta`` in every printed form,
    keeping each form's separator, order and zero padding."""
    near = {old - timedelta(days=1), old, old + timedelta(days=1)}

    def aware(m: re.Match) -> str:
        """A time with an offset keeps its Beirut wall-clock time on the new day, with the
        offset (or ``Z``) that Beirut has then: structured data and the printed update line
        stay in agreement across DST."""
        zone = m[5]
        try:
            when = datetime.fromisoformat(f"{m[1]}T{m[2]}{m[3] or ''}{'+00:00' if zone == 'Z' else zone}")
        except ValueError:
            return m[0]
        local = when.astimezone(BEIRUT)
        if local.date() not in near:
            return m[0]
        new = (local.replace(tzinfo=None) + delta).replace(tzinfo=BEIRUT)
        if zone == "Z":
            new = new.astimezone(UTC)
        stamp = new.strftime("%Y-%m-%dT%H:%M") + (new.strftime(":%S") if m[3] else "") + (m[4] or "")
        if zone == "Z":
            return stamp + "Z"
        offset = new.strftime("%z")
        return stamp + (offset[:3] + ":" + offset[3:] if ":" in zone else offset)

    text = _ISO_AWARE.sub(aware, text)

    def fmt(value: int, like: str) -> str:
        return f"{value:0{len(like)}d}" if like.startswith("0") or len(like) == 2 else str(value)

    def ymd(m: re.Match) -> str:
        try:
            d = date(int(m[1]), int(m[3]), int(m[4]))
        except ValueError:
            return m[0]
        if d not in near:
            return m[0]
        n = d + delta
        return f"{n.year}{m[2]}{fmt(n.month, m[3])}{m[2]}{fmt(n.day, m[4])}"

    def dmy(m: re.Match) -> str:
        try:
            d = date(int(m[3]), int(m[2]), int(m[1]))
        except ValueError:
            return m[0]
        if d not in near:
            return m[0]
        n = d + delta
        return f"{fmt(n.day, m[1])}/{fmt(n.month, m[2])}/{n.year}"

    def dmonthy(m: re.Match) -> str:
        family, month = _MONTH_NO[m[3]]
        try:
            d = date(int(m[5]), month, int(m[1]))
        except ValueError:
            return m[0]
        if d not in near:
            return m[0]
        n = d + delta
        return f"{fmt(n.day, m[1])}{m[2]}{_MONTHS[family][n.month - 1]}{m[4]}{n.year}"

    return _DMONTHY.sub(dmonthy, _DMY.sub(dmy, _YMD.sub(ymd, text)))


def _replace_all(text: str, mapping: dict[str, str]) -> str:
    """Every key of ``mapping`` replaced, longest first and without cascading: each found key
    becomes a placeholder (NUL + number) first, and the placeholders become the values last."""
    keys = sorted((k for k in mapping if k and k in text), key=len, reverse=True)
    for n, key in enumerate(keys):
        text = text.replace(key, f"\x00{n}\x00")
    for n, key in enumerate(keys):
        text = text.replace(f"\x00{n}\x00", mapping[key])
    return text


def make_page(i: int, tpl: Template, pools: Pools, seed: int, taken: set[str]) -> tuple[str, dict, bytes]:
    """Page ``i`` from ``tpl``: (file stem, golden, body bytes)."""
    rng = random.Random(f"{seed}:{i}")
    g = tpl.golden
    old_section = tpl.path.strip("/").split("/")[0]
    section = rng.choice(list(SECTIONS))
    lo, hi = ERA_RANGE[tpl.era]
    target = lo + timedelta(days=rng.randrange((hi - lo).days + 1))
    weeks = round((target - tpl.day).days / 7)
    new_day = tpl.day + timedelta(weeks=weeks)
    while new_day > hi:
        new_day -= timedelta(weeks=1)
    while new_day < lo:
        new_day += timedelta(weeks=1)
    delta = new_day - tpl.day

    while True:
        headline = _headline(rng, pools)
        slug = slugify(headline)
        if tpl.era == 2:
            ident = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        else:
            ident = slug
        key = f"{new_day}/{ident}"
        if key not in taken:
            taken.add(key)
            break

    mapping: dict[str, str] = {}
    old_ident = tpl.path.rstrip("/").split("/")[-1]
    if tpl.era == 2:
        mapping.update({old_ident.lower(): ident, old_ident.upper(): ident.upper()})
    else:
        enc_old, enc_new = quote(old_ident, safe=""), quote(slug, safe="")
        mapping.update({old_ident: slug, enc_old: enc_new, enc_old.lower(): enc_new.lower()})
    for form_old, form_new in zip(_forms(g["headline"]), _forms(headline), strict=True):
        mapping[form_old] = form_new
    paragraphs = []
    for p in g.get("paragraphs") or []:
        if len(p) >= 12 and any(f in tpl.text for f in _forms(p)):
            new = _paragraph(rng, pools, p)
            mapping.update(dict(zip(_forms(p), _forms(new), strict=True)))
            paragraphs.append(new)
        else:
            paragraphs.append(p)
    old_authors = list(g.get("authors") or [])
    others = [a for a in pools.authors if a not in old_authors] or pools.authors
    authors = rng.sample(others, k=min(len(old_authors), len(others))) if old_authors else []
    for old, new in zip(old_authors, authors, strict=False):
        mapping.update(dict(zip(_forms(old), _forms(new), strict=True)))
    token = f"{rng.getrandbits(32):08x}"
    stems = {}
    for im in g.get("images") or []:
        stem = im["url"].rsplit("/", 1)[-1].rsplit(".", 1)[0]
        if len(stem) >= 6:
            stems[stem] = f"{stem}-{token}"
    mapping.update(stems)

    text = _replace_all(tpl.text, mapping)
    text = _shift_dates(text, tpl.day, delta)
    new_name = SECTIONS[section]
    if tpl.era == 2:
        text = re.sub(rf"/{re.escape(old_section)}/(?={re.escape(ident)})", f"/{section}/", text, flags=re.IGNORECASE)
    else:
        slugs = "|".join(map(re.escape, {slug, quote(slug, safe=""), quote(slug, safe="").lower()}))
        text = re.sub(rf"/{re.escape(old_section)}/(?=\d{{4}}/\d{{1,2}}/\d{{1,2}}/(?:{slugs}))",
                      f"/{section}/", text, flags=re.IGNORECASE)
    text = re.sub(r'("articleSection"\s*:\s*")[^"]*(")', rf"\g<1>{new_name}\g<2>", text)
    text = re.sub(r'(property="article:section"\s+content=")[^"]*(")', rf"\g<1>{new_name}\g<2>", text)
    body = text.encode(tpl.encoding, errors="xmlcharrefreplace")

    if tpl.era == 2:
        path = f"/{section}/{ident}"
        url = f"https://www.almodon.com{path}"
    else:
        m, d = tpl.path.strip("/").split("/")[2:4]
        padded = len(m) == 2 and len(d) == 2
        md = f"{new_day:%m/%d}" if padded else f"{new_day.month}/{new_day.day}"
        path = f"/{section}/{new_day.year}/{md}/{slug}"
        url = f"https://www.almodon.com/{section}/{new_day:%Y/%m/%d}/{quote(unicodedata.normalize('NFC', slug), safe='')}"
    images = []
    for im in g.get("images") or []:
        new_url = _shift_dates(_replace_all(im["url"], stems), tpl.day, delta)
        images.append({**im, "url": new_url})
    golden = {
        "_fixture": {
            "original_url": tpl.origin + path,
            "charset": tpl.charset,
            "numeric_id": NUMERIC_ID_BASE + i,
            "template": tpl.name,
            "layout": g.get("_fixture", {}).get("layout"),
        },
        "url": url,
        "section": section,
        "headline": headline,
        "authors": authors,
        "published_date": new_day.isoformat(),
        "paragraphs": paragraphs,
        "images": images,
        "tags": g.get("tags") or [],
    }
    return f"{i:06d}-{tpl.name}", golden, body


def generate(n: int, out: Path, *, seed: int = 1, fixtures: Path = FIXTURES) -> list[Path]:
    """Write pages 0..n-1 into ``out`` (``<stem>.html`` + ``<stem>.json``); returns the JSON paths."""
    templates, pools = load_templates(fixtures)
    out.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    written = []
    for i in range(n):
        stem, golden, body = make_page(i, templates[i % len(templates)], pools, seed, taken)
        (out / f"{stem}.html").write_bytes(body)
        path = out / f"{stem}.json"
        path.write_text(json.dumps(golden, ensure_ascii=False, indent=1), encoding="utf-8")
        written.append(path)
    return written


def subset(source: Path, n: int, out: Path) -> Path:
    """A directory serving the first ``n`` pages of ``source`` (symlinks), for a smaller site."""
    out.mkdir(parents=True, exist_ok=True)
    for golden in sorted(source.glob("*.json"))[:n]:
        for src in (golden, golden.with_suffix(".html")):
            link = out / src.name
            if not link.exists():
                link.symlink_to(src.resolve())
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="pages to write (default 10000)")
    parser.add_argument("--out", type=Path, required=True, help="directory to write into")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fixtures", type=Path, default=FIXTURES, help="template fixtures")
    opts = parser.parse_args(argv)
    paths = generate(opts.n, opts.out, seed=opts.seed, fixtures=opts.fixtures)
    size = sum(p.with_suffix(".html").stat().st_size for p in paths)
    print(f"{len(paths)} pages ({size / len(paths) / 1024:.1f} KiB each) in {opts.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
