"""Bytes with no charset, or a wrong one, are decoded by detection before mojibake repair
(threadsearch.text.decode_bytes), in mail messages, MIME parts and saved pages."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

from threadsearch.sources import SourceContext, get_source
from threadsearch.text import decode_bytes, repair_text

DATA = Path(__file__).parent / "data"
RUSSIAN = (
    "Привет всем! Я пытаюсь установить пакет, но получаю ошибку при компиляции. "
    "Подскажите, пожалуйста, что делать?"
)
GERMAN = "Grüße aus Köln: die Größe der Datei ist über 2 MB, das Ergebnis stimmt nicht."


def parse_mail(data: bytes) -> list:
    context = SourceContext("list.mbox")
    return [e for t in get_source("mail").parse(io.BytesIO(data), context) for e in t.entries]


def mail(body: bytes, headers: bytes = b"") -> bytes:
    return (
        b"From jane at example.org  Tue Apr  1 10:00:00 2003\n"
        b"From: jane at example.org (Jane)\nDate: Tue, 1 Apr 2003 10:00:00 +0000\n"
        b"Subject: test\nMessage-ID: <a@x>\n" + headers + b"\n" + body + b"\n"
    )


def test_decode_prefers_utf8_then_a_declared_charset_that_fits() -> None:
    assert decode_bytes(GERMAN.encode()) == GERMAN
    assert decode_bytes(RUSSIAN.encode("cp1251"), ("windows-1251",)) == RUSSIAN


def test_decode_detects_when_the_declared_charset_is_wrong_or_missing() -> None:
    assert decode_bytes(RUSSIAN.encode("koi8-r"), ("utf-8",)) == RUSSIAN
    assert decode_bytes(RUSSIAN.encode("cp1251")) == RUSSIAN
    assert decode_bytes(GERMAN.encode("cp1252"), ("us-ascii",)) == GERMAN


def test_mail_without_charset_is_detected() -> None:
    (entry,) = parse_mail(mail(RUSSIAN.encode("koi8-r")))
    assert entry.body == RUSSIAN


def test_mail_part_declaring_the_wrong_charset_is_detected() -> None:
    headers = (
        b"MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n"
        b"Content-Transfer-Encoding: 8bit\n"
    )
    (entry,) = parse_mail(mail(GERMAN.encode("cp1252"), headers))
    assert entry.body == GERMAN
    multipart = (
        b"MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=XX\n\n--XX\n"
        b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
        + RUSSIAN.encode("cp1251")
        + b"\n--XX--\n"
    )
    (entry,) = parse_mail(
        mail(b"", multipart.split(b"\n\n", 1)[0] + b"\n").replace(
            b"\n\n\n", b"\n\n" + multipart.split(b"\n\n", 1)[1] + b"\n"
        )
    )
    assert entry.body == RUSSIAN


def test_latin1_portuguese_archive_reads_as_latin1() -> None:
    """327 of gpt-usuarios' 328 messages hold raw ISO-8859-1 bytes and declare nothing:
    every letter they hold is a Latin-1 one (no code page of another script won)."""
    path = DATA / "mail" / "gpt-usuarios-pt-2007-10.txt.gz"
    with gzip.open(path, "rb") as stream:
        context = SourceContext(str(path))
        text = "".join(
            e.body + e.quoted for t in get_source("mail").parse(stream, context) for e in t.entries
        )
    assert {ch for ch in text if ord(ch) > 0x7F} <= set(bytes(range(0xA0, 0x100)).decode("latin-1"))
    assert "não" in text


def test_page_with_no_declared_charset_is_detected() -> None:
    page = (
        f'<html><body><article class="post"><h1>Пост</h1><p>{RUSSIAN}</p></article></body></html>'
    )
    page = page.encode("cp1251")
    warnings: list[str] = []
    context = SourceContext("page.html", warn=warnings.append)
    (thread,) = get_source("html").parse(io.BytesIO(page), context)
    assert RUSSIAN in thread.entries[0].body
    assert warnings[0] == (
        "page.html: the page is neither UTF-8 nor its declared charset (none); "
        "read as cp1251, the charset detected"
    )


def test_mojibake_repair_runs_after_decoding() -> None:
    # UTF-8 text that was once read as Windows-1252 and saved as UTF-8: decoding keeps
    # it, the repair undoes it.
    damaged = "Itâ€™s fine".encode()
    assert repair_text(decode_bytes(damaged)) == "It’s fine"
