"""Score the holdout set (``tests/fixtures/holdout``) and say, per failing field, what came out.

    .venv/bin/python tests/holdout_report.py                 # the extractor installed in the venv
    PYTHONPATH=/tmp/extract-snapshot .venv/bin/python tests/holdout_report.py
                                                             # another branch's code, read-only:
                                                             # git archive <branch> | tar -x -C /tmp/extract-snapshot

    .venv/bin/python tests/holdout_report.py --pins          # also the PINNED figures and the
                                                             # failing (page, field) keys for test_holdout.py

Prints the per-field exact/missing/wrong table of ``tests/scoring.py`` for the holdout set, then
one line per (page, field) that is not exact: ``page field outcome: got … expected …``. The
``pipelines`` package that was imported is named on the first line, so a run against a snapshot
says so. The holdout set is not tuned on (see ``tests/fixtures/holdout/README.md``).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from golden import HOLDOUT, compare, goldens
from scoring import record_of, score, score_page, table

import pipelines


def _short(value, width: int = 70) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def describe(field: str, got, want) -> str:
    """got vs expected in one line (lists: where they first differ)."""
    if field == "paragraphs" and isinstance(got, list) and isinstance(want, list):
        i = next((k for k, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
        g = got[i] if i < len(got) else None
        w = want[i] if i < len(want) else None
        return f"{len(got)} paragraphs vs {len(want)}; first difference at #{i}: got {_short(g, 60)} expected {_short(w, 60)}"
    if field == "images" and isinstance(got, list) and isinstance(want, list):
        if len(got) != len(want):
            urls = [Path(im.get("url") or "").name for im in got]
            return f"{len(got)} images vs {len(want)}: got {_short(urls, 120)}"
        i = next(k for k, (a, b) in enumerate(zip(got, want)) if a != b)
        keys = [k for k in want[i] if got[i].get(k) != want[i][k]]
        return f"image #{i} " + "; ".join(f"{k}: got {_short(got[i].get(k), 50)} expected {_short(want[i][k], 50)}" for k in keys)
    return f"got {_short(got)} expected {_short(want)}"


def lines(cases) -> list[str]:
    out = []
    for golden in cases:
        record = record_of(golden)
        for field, outcome in score_page(golden).items():
            if outcome == "exact":
                continue
            name = golden.html.stem
            if isinstance(record, str):
                out.append(f"{name} {field} {outcome}: page rejected ({record})")
                continue
            got, want = compare(record, {field: golden.fields[field]})[field]
            out.append(f"{name} {field} {outcome}: {describe(field, got, want)}")
    return out


def pins(scores: dict, cases) -> str:
    """What ``tests/test_holdout.py`` would pin for this extractor (for a human to review and paste)."""
    out = ["PINNED = {"]
    out += [f'    "{f}": ({c["exact"]}, {c["missing"]}, {c["wrong"]}),' for f, c in scores.get(HOLDOUT, {}).items()]
    out.append("}\nfailing (page, field):")
    out += [f"    {g.id} {f}" for g in cases for f, o in score_page(g).items() if o != "exact"]
    return "\n".join(out)


def main(argv: list[str]) -> int:
    cases = goldens(HOLDOUT)
    print(f"extractor: {Path(pipelines.__file__).resolve().parent.parent}  pages: {len(cases)}")
    scores = score(cases)
    print(table(scores))
    fields = scores.get(HOLDOUT, {})
    exact = sum(c["exact"] for c in fields.values())
    total = sum(sum(c.values()) for c in fields.values())
    print(f"\nholdout fields exact: {exact}/{total}\n")
    print("\n".join(lines(cases)) or "every field exact")
    if "--pins" in argv:
        print("\n" + pins(scores, cases))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
