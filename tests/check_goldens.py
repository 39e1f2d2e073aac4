"""Print how each golden fixture differs from the current extraction (a developer's view).

    .venv/bin/python tests/check_goldens.py [NAME-SUBSTRING]
"""

import json
import sys

from golden import compare, goldens

from pipelines.extract import NotAnArticle, extract

bad = 0
for g in goldens():
    if len(sys.argv) > 1 and sys.argv[1] not in g.id:
        continue
    try:
        rec = extract(g.html.read_bytes(), g.url, content_type=g.content_type, fetched_at=g.fetched_at).to_dict()
    except NotAnArticle as exc:
        ok = not g.is_article and exc.reason == g.fixture.get("reason")
        print(("ok  " if ok else "BAD ") + g.id, "not article:", exc.reason)
        bad += not ok
        continue
    if not g.is_article:
        print("BAD", g.id, "extracted but expected not_article")
        bad += 1
        continue
    diffs = compare(rec, g.fields)
    print(("ok  " if not diffs else "BAD ") + g.id, rec["sources"])
    for k, (got, want) in diffs.items():
        bad += 1
        print(f"   {k}:\n     got {json.dumps(got, ensure_ascii=False)[:700]}\n     exp {json.dumps(want, ensure_ascii=False)[:700]}")
print(f"{bad} differences")
