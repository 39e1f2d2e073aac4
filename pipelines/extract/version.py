"""The extractor's version, recorded with every extraction and every stored article version.

Bump it whenever a change to extraction can change what a page yields (a new layer, a profile
entry, a fixed detector). A reparse by a newer extractor is then recorded as a re-extraction
(``article_versions.reextraction = 1``), not as a change the site made (see docs/versions.md).
"""

EXTRACTOR_VERSION = "2026.11.30.2"  # .1: the one-pass index, the profile as data, content-based detectors;
# .2: generic fixes found on the holdout set (update label آخر تعديل, byline labels تغطية/حوار/عدسة,
# writer links on the page's own host, printed names over Latin JSON-LD, live-blog <time>s, posters,
# thumbnails, gallery counters, follow-us promo lines, body runs, a place beside the name)
