"""The extractor's version, recorded with every extraction and every stored article version.

Bump it whenever a change to extraction can change what a page yields (a new layer, a profile
entry, a fixed detector). A reparse by a newer extractor is then recorded as a re-extraction
(``article_versions.reextraction = 1``), not as a change the site made (see docs/versions.md).
"""

EXTRACTOR_VERSION = "2026.11.30.1"  # .1: the one-pass index, the profile as data, content-based detectors
