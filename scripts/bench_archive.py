"""A large archive for ``make bench`` without a crawl: N synthetic article records stored
through the real store (``records.validate`` / ``records.normalise``, then
``process.store_record`` → ``Store.upsert``, which also indexes for search), in one process.

    .venv/bin/python scripts/bench_archive.py --n 20000 --db /tmp/a20k/almodon.db

Two ways to make a record:

- ``records`` (the default, ~1 ms a page): each of the 26 fixture templates is extracted once
  (the real extractor), and record ``i`` is that template's record with the fields
  ``synth.make_page`` would change replaced the way it changes them (same generator, same seed:
  headline, URL, section, date, body paragraphs, authors, image names). No HTML is written or
  parsed, which is what makes 100,000 articles take minutes instead of the 7 of
  generate → WARC → import.
- ``pages`` (``--via pages``): page ``i`` is generated as HTML by ``synth.make_page`` and run
  through ``workers.prepare`` (extract → validate → normalise) in ``--workers`` processes, as
  ``almodon import-warc`` does, minus the WARC round trip (~200 pages/s here).

Records are stored in page order: publication dates are spread over the whole archive in that
order (as a back-fill would insert them), so nothing here favours "newest rowid = newest
article".
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import random
import re
import sys
import time
import unicodedata
import uuid
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import synth

#: The fetch time every synthetic page gets (after the newest synthetic publication date).
FETCHED_AT = "2026-11-30T00:00:00Z"
_STATE: dict = {}
WARC_NAME = "almodon-20261130T000000Z-{:05d}.warc.gz"


def _init(seed: int) -> None:
    templates, pools = synth.load_templates()
    _STATE.update(templates=templates, pools=pools, seed=seed, taken=set())


def _prepare(i: int):
    """Page ``i``: generated, then extracted/validated/normalised exactly as an import does."""
    from pipelines import workers
    from pipelines.archive import Fetched

    templates = _STATE["templates"]
    _stem, golden, body = synth.make_page(i, templates[i % len(templates)], _STATE["pools"],
                                          _STATE["seed"], _STATE["taken"])
    fx = golden["_fixture"]
    ctype = f"text/html; charset={fx['charset']}" if fx.get("charset") else "text/html"
    page = Fetched(url=fx["original_url"], body=body, headers={"content-type": ctype},
                   fetched_at=FETCHED_AT)
    kind, payload = workers.prepare(page)
    page.body = b""  # the parent stores the record; no need to send the page back
    return page, kind, payload


_BASES: dict[str, dict] = {}
_KEEP_PARAGRAPH: dict[tuple[str, str], bool] = {}


def _base(tpl) -> dict:
    """The template page's own record, extracted once by the real extractor."""
    if tpl.name not in _BASES:
        from pipelines.extract import extract

        ctype = f"text/html; charset={tpl.charset}" if tpl.charset else "text/html"
        _BASES[tpl.name] = extract(tpl.text.encode(tpl.encoding, errors="xmlcharrefreplace"),
                                   tpl.origin + tpl.path, content_type=ctype).to_dict()
    return _BASES[tpl.name]


def _shift(value, delta):
    """An ISO date/datetime string moved by ``delta`` (whole weeks), the rest kept."""
    if not isinstance(value, str) or not re.match(r"\d{4}-\d{2}-\d{2}", value):
        return value
    return (date.fromisoformat(value[:10]) + delta).isoformat() + value[10:]


def synth_record(i: int, templates, pools, seed: int, taken: set[str]) -> dict:
    """Record ``i``: what extracting ``synth.make_page(i, …)`` gives, without the HTML (the
    generator is drawn from in the same order, so headline, section, date, URL, paragraphs and
    authors are page ``i``'s)."""
    tpl = templates[i % len(templates)]
    rng = random.Random(f"{seed}:{i}")
    g = tpl.golden
    section = rng.choice(list(synth.SECTIONS))
    lo, hi = synth.ERA_RANGE[tpl.era]
    target = lo + timedelta(days=rng.randrange((hi - lo).days + 1))
    new_day = tpl.day + timedelta(weeks=round((target - tpl.day).days / 7))
    while new_day > hi:
        new_day -= timedelta(weeks=1)
    while new_day < lo:
        new_day += timedelta(weeks=1)
    delta = new_day - tpl.day
    while True:
        headline = synth._headline(rng, pools)
        slug = synth.slugify(headline)
        ident = str(uuid.UUID(int=rng.getrandbits(128), version=4)) if tpl.era == 2 else slug
        key = f"{new_day}/{ident}"
        if key not in taken:
            taken.add(key)
            break
    paragraphs = []
    for p in g.get("paragraphs") or []:
        keep = _KEEP_PARAGRAPH.get((tpl.name, p))
        if keep is None:
            keep = _KEEP_PARAGRAPH[tpl.name, p] = not (
                len(p) >= 12 and any(f in tpl.text for f in synth._forms(p)))
        paragraphs.append(p if keep else synth._paragraph(rng, pools, p))
    old_authors = list(g.get("authors") or [])
    others = [a for a in pools.authors if a not in old_authors] or pools.authors
    authors = rng.sample(others, k=min(len(old_authors), len(others))) if old_authors else []
    token = f"{rng.getrandbits(32):08x}"
    base = _base(tpl)
    images = []
    for im in base.get("images") or []:
        name = im["url"].rsplit("/", 1)[-1]
        stem, dot, ext = name.rpartition(".")
        new = f"{stem}-{token}.{ext}" if dot and len(stem) >= 6 else name
        images.append({**im, "url": synth._shift_dates(im["url"][: -len(name)] + new, tpl.day, delta)})
    if tpl.era == 2:
        url = original = f"https://www.almodon.com/{section}/{ident}"
    else:  # the page is fetched at its decoded, unpadded path (synth.make_page's original_url)
        m, d = tpl.path.strip("/").split("/")[2:4]
        md = f"{new_day:%m/%d}" if len(m) == 2 and len(d) == 2 else f"{new_day.month}/{new_day.day}"
        original = f"{tpl.origin}/{section}/{new_day.year}/{md}/{slug}"
        url = (f"https://www.almodon.com/{section}/{new_day:%Y/%m/%d}/"
               f"{quote(unicodedata.normalize('NFC', slug), safe='')}")
    record = {k: _shift(v, delta) if k.endswith(("_at", "_local", "_date")) else v
              for k, v in base.items()}
    record.update(
        url=url, original_url=original, section=section,
        section_name=synth.SECTIONS[section] if base.get("section_name") else None,
        headline=headline, authors=authors, published_date=new_day.isoformat(),
        paragraphs=paragraphs, body="\n\n".join(paragraphs), images=images,
        url_key=f"d:{section}/{new_day:%Y/%m/%d}/{slug}" if tpl.era == 3 else f"u:{ident}",
    )
    return record


def build_records(n: int, db: Path, *, seed: int = 1, log=None) -> dict:
    """Store records 0..n-1 (``synth_record``) into ``db``; returns counts and times."""
    from pipelines import process, records
    from pipelines.archive import Fetched
    from pipelines.store import Store

    db.parent.mkdir(parents=True, exist_ok=True)
    templates, pools = synth.load_templates()
    outcomes: Counter[str] = Counter()
    taken: set[str] = set()
    page = Fetched(url="", body=b"", headers={"content-type": "text/html; charset=utf-8"},
                   fetched_at=FETCHED_AT)
    t0, cpu0 = time.perf_counter(), time.process_time()
    with Store(db) as store:
        start = store.conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        run_id = store.start_run(job="import", args={"bench_archive": n, "seed": seed})
        for i in range(n):
            record = synth_record(i, templates, pools, seed, taken)
            if i < start:
                continue
            problem = records.validate(record, fetched_at=FETCHED_AT)
            if problem:
                outcomes[f"rejected:{problem[0]}"] += 1
                continue
            page.url = record["url"]
            outcomes[process.store_record(store, records.normalise(record), page, run_id)] += 1
            # the raw-archive row a crawl or an import writes for the page (the WARC itself is
            # not written: its offsets are made up, its size is the bench's ~4.3 KB a page)
            store.add_raw(url=page.url, fetch_url=None, warc_file=WARC_NAME.format(i // 20_000),
                          offset=4_300 * (i % 20_000), length=4_300, fetched_at=FETCHED_AT,
                          status=200, content_type=page.content_type,
                          sha256=hashlib.sha256(page.url.encode()).hexdigest(), run_id=run_id)
            if log and (i + 1) % 10_000 == 0:
                log(f"archive: {i + 1}/{n} records stored ({time.perf_counter() - t0:.0f} s)")
        store.finish_run(run_id, {**outcomes, "responses": n - start}, status="ok", exit_code=0,
                         finish_reason="finished")
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    wall = time.perf_counter() - t0
    return {"via": "records", "pages": n, "already_stored": start, "outcomes": dict(outcomes),
            "wall_s": wall, "pages_s": (n - start) / wall if wall else 0.0,
            "cpu_ms_per_page": (time.process_time() - cpu0) * 1000 / max(n - start, 1)}


def build(n: int, db: Path, *, seed: int = 1, workers: int = 2, log=None) -> dict:
    """Store pages 0..n-1 into ``db`` (a new or partly built archive); returns counts and times."""
    from pipelines import process
    from pipelines.store import Store

    db.parent.mkdir(parents=True, exist_ok=True)
    outcomes: Counter[str] = Counter()
    t0, cpu0 = time.perf_counter(), time.process_time()
    with Store(db) as store:
        start = store.conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        run_id = store.start_run(job="import", args={"bench_archive": n, "seed": seed})
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(workers, initializer=_init, initargs=(seed,)) as pool:
            for done, (page, kind, payload) in enumerate(
                    pool.imap(_prepare, range(start, n), chunksize=64), start + 1):
                if kind == "ok":
                    outcomes[process.store_record(store, payload, page, run_id)] += 1
                else:
                    outcomes[f"{kind}:{payload[0] if kind == 'rejected' else payload}"] += 1
                if log and done % 10_000 == 0:
                    log(f"archive: {done}/{n} pages stored ({time.perf_counter() - t0:.0f} s)")
        store.finish_run(run_id, {**outcomes, "responses": n - start}, status="ok", exit_code=0,
                         finish_reason="finished")
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    wall = time.perf_counter() - t0
    return {"via": "pages", "pages": n, "already_stored": start, "outcomes": dict(outcomes), "workers": workers,
            "wall_s": wall, "pages_s": (n - start) / wall if wall else 0.0,
            "parent_cpu_ms_per_page": (time.process_time() - cpu0) * 1000 / max(n - start, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--via", choices=("records", "pages"), default="records")
    parser.add_argument("--workers", type=int, default=2, help="with --via pages")
    opts = parser.parse_args(argv)
    log = lambda m: print(m, file=sys.stderr, flush=True)
    if opts.via == "pages":
        print(build(opts.n, opts.db, seed=opts.seed, workers=opts.workers, log=log))
    else:
        print(build_records(opts.n, opts.db, seed=opts.seed, log=log))
    return 0


if __name__ == "__main__":
    sys.exit(main())
