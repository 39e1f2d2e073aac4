"""Charset witnesses: invalid bytes under a declared charset fall back to the next witness
(``<meta>``, then detection); a UTF-8 page with a few invalid bytes keeps its text and says so."""

from __future__ import annotations

from golden import compare, goldens

from pipelines.extract import extract
from pipelines.extract.text import decode_with_witnesses

CP1256 = {g.id: g for g in goldens("almodon")}
WITH_META = CP1256["almodon/g-2015-02-10-culture-cp1256"]  # <meta http-equiv … windows-1256>
NO_META = CP1256["almodon/g-2015-03-03-economy-cp1256-nocharset"]  # no charset anywhere
SEED = CP1256["almodon/seed-2024-04-26"]


def _record(golden, content_type):
    return extract(golden.html.read_bytes(), golden.url, content_type=content_type,
                   fetched_at=golden.fetched_at).to_dict()


def test_a_windows_1256_page_served_as_utf8_is_read_from_its_meta():
    record = _record(WITH_META, "text/html; charset=utf-8")
    assert compare(record, WITH_META.fields) == {}
    assert "\ufffd" not in record["headline"] + record["body"]
    assert record["encoding"] == "cp1256"
    assert {"field": "encoding", "reason": "declared_charset_wrong", "declared": "utf-8",
            "by": "header"} in record["conflicts"]


def test_a_windows_1256_page_served_as_utf8_without_meta_is_detected():
    record = _record(NO_META, "text/html; charset=utf-8")
    assert compare(record, NO_META.fields) == {}
    assert record["encoding"] == "cp1256"


def test_a_utf8_page_with_a_few_invalid_bytes_keeps_utf8_and_is_flagged():
    body = SEED.html.read_bytes().replace(b"<title>", b"<title>\xff", 1)  # one stray byte
    record = extract(body, SEED.url, content_type="text/html; charset=utf-8").to_dict()
    assert record["encoding"] == "utf-8"
    assert record["paragraphs"] == SEED.fields["paragraphs"]
    flags = [c for c in record["conflicts"] if c["field"] == "encoding"]
    assert flags == [{"field": "encoding", "reason": "invalid_bytes", "encoding": "utf-8", "count": 1}]


def test_a_clean_page_carries_no_encoding_note():
    record = _record(SEED, "text/html; charset=utf-8")
    assert not [c for c in record["conflicts"] if c["field"] == "encoding"]


def test_witness_order():
    arabic = "<html><head><meta charset='windows-1256'></head><body>مرحبا</body></html>"
    cp = arabic.encode("cp1256")
    assert decode_with_witnesses(cp, "text/html; charset=utf-8")[:2] == ("cp1256", arabic)
    assert decode_with_witnesses(cp, "text/html; charset=windows-1256")[:2] == ("cp1256", arabic)
    assert decode_with_witnesses(cp, None)[:2] == ("cp1256", arabic)
    # iso-8859-1 is a server default, not a witness: the <meta> speaks
    assert decode_with_witnesses(cp, "text/html; charset=iso-8859-1")[0] == "cp1256"
    utf = arabic.replace("windows-1256", "utf-8").encode()
    assert decode_with_witnesses(utf, "text/html; charset=utf-8") == ("utf-8", utf.decode(), [])
