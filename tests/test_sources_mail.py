"""The mailbox parser against three real r-help months in tests/data/mail/ (1997-05, the
Latin-1 1998-10, and 2026-07 with its 2018+ address obfuscation), hand-made mailboxes for
the edge cases, and the whole r-help archive in ../shared when it is there."""

from __future__ import annotations

import gzip
import io
import re
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from threadsearch.errors import SourceFormatError
from threadsearch.model import Entry, Thread, entry_id_for, thread_id_for
from threadsearch.sources import SourceContext, get_source

DATA = Path(__file__).parent / "data" / "mail"
MAY_1997 = DATA / "r-help-1997-05.txt"
OCTOBER_1998 = DATA / "r-help-1998-10.txt"
JULY_2026 = DATA / "r-help-2026-07.txt"


def parse(path: Path) -> tuple[list[Thread], list[str]]:
    warnings: list[str] = []
    with path.open("rb") as stream:
        threads = list(
            get_source("mail").parse(stream, SourceContext(str(path), warn=warnings.append))
        )
    return threads, warnings


def parse_bytes(data: bytes, *, zone: tzinfo | None = None) -> tuple[list[Thread], list[str]]:
    warnings: list[str] = []
    context = SourceContext("sample.mbox", timezone=zone, warn=warnings.append)
    return list(get_source("mail").parse(io.BytesIO(data), context)), warnings


def entries(threads: list[Thread]) -> list[Entry]:
    return [entry for thread in threads for entry in thread.entries]


def find(threads: list[Thread], author: str, title: str) -> tuple[Thread, Entry]:
    for thread in threads:
        for entry in thread.entries:
            if entry.author == author and thread.title == title:
                return thread, entry
    raise AssertionError(f"no entry by {author!r} in {title!r}")


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)


def message(
    sender: str = "jane at example.org (Jane Doe)",
    date: str = "Tue, 1 Apr 2003 10:00:00 +0200",
    subject: str = "[R] lm question",
    msgid: str = "<a1@example.org>",
    extra: str = "",
    body: str = "How do I fit this?",
    separator: str = "From jane at example.org  Tue Apr  1 10:00:00 2003",
) -> str:
    headers = f"From: {sender}\nDate: {date}\nSubject: {subject}\n{extra}Message-ID: {msgid}\n"
    return f"{separator}\n{headers}\n{body}\n\n"


# --- the real months -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "threads", "comments", "posts"),
    [(MAY_1997, 15, 22, 14), (OCTOBER_1998, 50, 48, 48), (JULY_2026, 4, 15, 3)],
    ids=lambda value: value.name if isinstance(value, Path) else None,
)
def test_mail_sample_counts(path: Path, threads: int, comments: int, posts: int) -> None:
    parsed, warnings = parse(path)
    kinds = [entry.kind for entry in entries(parsed)]
    assert (len(parsed), kinds.count("comment"), kinds.count("post")) == (threads, comments, posts)
    assert len({thread.id for thread in parsed}) == threads
    assert len({entry.id for entry in entries(parsed)}) == len(kinds)
    assert warnings == []


def test_mail_sample_message_count_matches_separators() -> None:
    for path in (MAY_1997, OCTOBER_1998, JULY_2026):
        separators = sum(
            1
            for line in path.read_bytes().split(b"\n")[:-1]
            if line.startswith(b"From ") and line.rstrip().endswith((b"1997", b"1998", b"2026"))
        )
        assert len(entries(parse(path)[0])) == separators


def test_mail_1997_reply_fields() -> None:
    threads, _ = parse(MAY_1997)
    thread, entry = find(threads, "Peter Dalgaard BSA", "formula() and model formulae")
    assert thread.id == thread_id_for("199705061521.LAA12884@desire.stat.cmu.edu")
    assert thread.site == "r-help"
    assert [e.author for e in thread.entries[:2]] == ["Mike Meyer", "Peter Dalgaard BSA"]
    assert (entry.kind, entry.position, entry.depth) == ("comment", 1, 1)
    assert entry.timestamp == utc(1997, 5, 6, 16, 17, 15)
    assert entry.parent_id == thread.entries[0].id
    deepest = thread.entries[6]
    assert (deepest.author, deepest.depth, deepest.parent_id) == (
        "Bill Venables",
        4,
        thread.entries[4].id,
    )


def test_mail_root_is_post_with_thread_and_entry_ids_from_message_id() -> None:
    threads, _ = parse(JULY_2026)
    thread = next(t for t in threads if t.title.startswith("Build POSIXlt"))
    root_id = "3c3f382a346b873fd4594b1b02a14760@disroot.org"
    assert thread.id == thread_id_for(root_id)
    post = thread.entries[0]
    assert (post.kind, post.position, post.depth, post.parent_id) == ("post", 0, 0, None)
    assert post.id == entry_id_for(thread.id, root_id)
    assert post.author == "iagogv"
    assert post.timestamp == utc(2026, 7, 7, 11, 1, 47)
    assert thread.title == "Build POSIXlt object from its internal representation list"
    assert post.title == "[R] Build POSIXlt object from its internal representation list"


def test_mail_quotes_and_attribution_go_to_quoted() -> None:
    threads, _ = parse(JULY_2026)
    _, reply = find(
        threads, "Ben Bolker", "Build POSIXlt object from its internal representation list"
    )
    assert reply.timestamp == utc(2026, 7, 7, 16, 14, 35)
    assert "Do you mean unclass(p)?" in reply.body
    assert "If I unlist(x), where x is a POSIXlt object" in reply.quoted
    assert "If I unlist(x)" not in reply.body
    assert reply.quoted.startswith("On 2026-07-07 7:01 a.m., iagogv via R-help wrote:")
    assert "wrote:" not in reply.body
    # The list footer inside the quote is quoted text too, not the reply's words.
    assert "posting guide" not in reply.body


def test_mail_unquoted_original_after_top_post_goes_to_quoted() -> None:
    threads, _ = parse(JULY_2026)
    _, reply = find(
        threads, "Ian Worthington", "Build POSIXlt object from its internal representation list"
    )
    assert reply.body.startswith("Do you have to use list??")
    assert 'Class "POSIXlt" is internally' not in reply.body
    assert 'Class "POSIXlt" is internally' in reply.quoted


def test_mail_rfc2047_names_and_subjects_are_decoded() -> None:
    threads, _ = parse(JULY_2026)
    authors = {entry.author for entry in entries(threads)}
    assert "Manuel Muñoz Márquez" in authors
    assert "ERDDAP™ related R packages - an update" in {thread.title for thread in threads}


def test_mail_obfuscated_address_used_when_no_display_name() -> None:
    threads, _ = parse(MAY_1997)
    thread, entry = find(threads, "gordon.harrington@uni.edu", "S Compatibility")
    assert entry.timestamp == utc(1997, 5, 2, 6, 29, 10)


def test_mail_latin1_file_is_decoded() -> None:
    threads, _ = parse(OCTOBER_1998)
    thread, post = find(threads, "Jorge Segura Dávila", "help r-new")
    assert (post.kind, post.timestamp) == ("post", utc(1998, 10, 5, 15, 20, 19))
    reply = thread.entries[1]
    assert reply.author == "Matthew R. Nelson"
    assert reply.quoted.startswith("On Mon, 05 Oct 1998, Jorge Segura Dávila wrote:")
    assert reply.body.startswith("Jorge,")
    # The 1998 list footer is dropped from the post.
    assert "r-help mailing list" not in post.body


def test_mail_reply_to_an_earlier_month_is_keyed_on_its_reference_root() -> None:
    threads, _ = parse(MAY_1997)
    thread = next(t for t in threads if t.title == "S Compatibility")
    assert thread.id == thread_id_for("199704300917.LAA18687@hypatia.math.ethz.ch")
    assert [e.kind for e in thread.entries] == ["comment"] * 6
    assert [e.position for e in thread.entries] == [1, 2, 3, 4, 5, 6]
    first = thread.entries[0]
    assert (first.author, first.parent_id, first.depth) == ("Bill Venables", None, 1)
    assert first.timestamp == utc(1997, 4, 30, 23, 38, 17)


# --- hand-made mailboxes --------------------------------------------------------------


def test_mail_reply_across_months_shares_the_thread_id() -> None:
    april = message(msgid="<root@example.org>")
    may = message(
        sender="bob at example.org (Bob)",
        subject="Re: [R] lm question",
        msgid="<reply@example.org>",
        extra="In-Reply-To: <root@example.org>\nReferences: <root@example.org>\n",
        separator="From bob at example.org  Thu May  1 10:00:00 2003",
    )
    (root_thread,), _ = parse_bytes(april.encode())
    (reply_thread,), _ = parse_bytes(may.encode())
    assert root_thread.id == reply_thread.id == thread_id_for("root@example.org")
    assert root_thread.title == reply_thread.title == "lm question"
    assert reply_thread.entries[0].kind == "comment"


def test_mail_missing_parent_attaches_to_nearest_reference() -> None:
    root = message(msgid="<a@x>")
    grandchild = message(
        sender="carol at example.org (Carol)",
        subject="Re: [R] lm question",
        msgid="<c@x>",
        extra="In-Reply-To: <b@x>\nReferences: <a@x> <b@x>\n",
        date="Tue, 1 Apr 2003 12:00:00 +0200",
    )
    (thread,), _ = parse_bytes((root + grandchild).encode())
    post, reply = thread.entries
    assert reply.parent_id == post.id == entry_id_for(thread_id_for("a@x"), "a@x")
    assert (reply.depth, reply.author) == (1, "Carol")


def test_mail_subject_fallback_for_replies_without_ids() -> None:
    root = message(subject="[R] Plot margins", msgid="<p@x>")
    reply = message(
        sender="dan at example.org (Dan)",
        subject="Re: [R] Plot margins",
        msgid="<q@x>",
        extra="In-Reply-To: Jane Doe's message of Tue, 1 Apr 2003 10:00:00 +0200\n",
        date="Tue, 1 Apr 2003 11:00:00 +0200",
    )
    unrelated = message(subject="[R] Plot margins", msgid="<r@x>")
    threads, _ = parse_bytes((root + reply + unrelated).encode())
    assert [len(t.entries) for t in threads] == [2, 1]
    assert threads[0].entries[1].parent_id == threads[0].entries[0].id


def test_mail_duplicate_message_ids_are_kept_apart() -> None:
    text = message() + message()
    (thread,), _ = parse_bytes(text.encode())
    assert [e.id for e in thread.entries] == [
        entry_id_for(thread.id, "a1@example.org"),
        entry_id_for(thread.id, "a1@example.org#2"),
    ]


def test_mail_odd_dates_are_read_with_their_zone_or_naive() -> None:
    cases = {
        "23 Apr 97 20:29:00 EST": utc(1997, 4, 24, 1, 29),
        "Fri Feb 13 10:00:00 1998": datetime(1998, 2, 13, 10, 0),  # no zone: naive
        "Thu,  3 Apr 2003 17:30:28 MET DST": utc(2003, 4, 3, 15, 30, 28),
        "vr, 25 apr 2003 09:26:00": datetime(2003, 4, 25, 9, 26),
        "Tue, 1 Apr 1997 20:35:48 +1200 (NZST)": utc(1997, 4, 1, 8, 35, 48),
    }
    for value, expected in cases.items():
        (thread,), warnings = parse_bytes(message(date=value).encode())
        assert (thread.entries[0].timestamp, warnings) == (expected, []), value


def test_mail_zone_less_date_uses_the_timezone_option() -> None:
    text = message(date="Fri Feb 13 10:00:00 1998").encode()
    (thread,), _ = parse_bytes(text, zone=ZoneInfo("Europe/Zurich"))
    assert thread.entries[0].timestamp == utc(1998, 2, 13, 9, 0)


def test_mail_unreadable_date_warns_and_uses_separator() -> None:
    (thread,), warnings = parse_bytes(message(date="sometime last week").encode())
    assert thread.entries[0].timestamp == datetime(2003, 4, 1, 10, 0)  # asctime: no zone
    assert warnings == [
        "sample.mbox, line 1, message <a1@example.org>: cannot read the Date "
        "'sometime last week'; using the separator line's date"
    ]


def test_mail_garbage_header_block_is_warned_about_and_skipped() -> None:
    garbage = "From x at y.org  Wed Apr  2 10:00:00 2003\nthis is no header\nnor this\n\n"
    threads, warnings = parse_bytes((message() + garbage + message(msgid="<b@x>")).encode())
    assert len(entries(threads)) == 2
    assert warnings == [
        "sample.mbox, line 9: no mail headers after the separator "
        "(first line 'this is no header'); message skipped"
    ]


def test_mail_broken_header_line_is_warned_about_and_kept() -> None:
    text = (
        "From x at y.org  Wed Apr  2 10:00:00 2003\nFrom: x at y.org (X)\n"
        "Subject: [R] odd\nthis line is no header\nMessage-ID: <odd@x>\n\nbody\n"
    )
    (thread,), warnings = parse_bytes(text.encode())
    assert thread.entries[0].author == "X"
    assert thread.entries[0].timestamp == datetime(2003, 4, 2, 10, 0)  # asctime: no zone
    assert len(warnings) == 1
    assert "line 1, the message at line 1: malformed header block" in warnings[0]


def test_mail_not_a_mailbox_raises() -> None:
    with pytest.raises(SourceFormatError) as caught:
        parse_bytes(b"\nJust some notes.\nFrom me to you.\n")
    assert caught.value.line == 2
    assert "not a mailbox" in str(caught.value)


def test_mail_bare_message_without_separator() -> None:
    text = "From: Jane Doe <jane@example.org>\nSubject: Hello\nMessage-ID: <m@x>\n"
    text += "Date: Tue, 1 Apr 2003 10:00:00 +0000\n\nHi all\n"
    (thread,), _ = parse_bytes(text.encode())
    assert (thread.title, thread.entries[0].author, thread.site) == ("Hello", "Jane Doe", None)


def test_mail_list_id_names_the_site_and_new_obfuscation_is_undone() -> None:
    text = message(
        sender="jdoe @end|ng |rom ex@mp|e@com (jdoe @end|ng |rom ex@mp|e@com)",
        extra="List-Id: Main R Mailing List <r-help.r-project.org>\n",
    )
    (thread,), _ = parse_bytes(text.encode())
    assert thread.site == "r-help"
    assert thread.entries[0].author == "jdoe@ex@mp|e@com"


def test_mail_scrubbed_attachments_and_html_notes_are_not_content() -> None:
    body = (
        "Here is my data.\n\n[[alternative HTML version deleted]]\n\n"
        "-------------- next part --------------\nA non-text attachment was scrubbed...\n"
        "Name: data.xls\nType: application/vnd.ms-excel\nSize: 13824 bytes\nDesc: not available\n"
        "Url : https://stat.ethz.ch/pipermail/r-help/attachments/data.xls\n"
    )
    (thread,), _ = parse_bytes(message(body=body).encode())
    assert thread.entries[0].body == "Here is my data."


def test_mail_console_prompts_in_a_question_stay_in_the_body() -> None:
    body = "My session:\n\n> x <- c(1, NA)\n> mean(x)\n[1] NA\n"
    (thread,), _ = parse_bytes(message(body=body).encode())
    assert "> mean(x)" in thread.entries[0].body
    assert thread.entries[0].quoted == ""


def test_mail_latin1_bytes_and_declared_charset() -> None:
    latin = message(sender="p at x.org (Jos\xe9 P\xe9rez)").encode("latin-1")
    (thread,), _ = parse_bytes(latin)
    assert thread.entries[0].author == "José Pérez"
    koi8 = message(
        sender="i at x.ru (Ivan)",
        extra="Content-Type: text/plain; charset=koi8-r\n",
        body="Привет",
    ).encode("koi8-r")
    (thread,), _ = parse_bytes(koi8)
    assert thread.entries[0].body == "Привет"


def test_mail_quoted_printable_message_is_decoded() -> None:
    extra = (
        "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: quoted-printable\n"
    )
    (thread,), _ = parse_bytes(message(extra=extra, body="Gr=C3=BC=C3=9Fe").encode())
    assert thread.entries[0].body == "Grüße"


# --- the whole archive ----------------------------------------------------------------


def test_mail_r_help_archive_sample_message_count(corpora: Path) -> None:
    """Every separator line followed by a From: header is one entry.

    A deterministic sample of 12 of the 270 months (every 23rd): the whole archive,
    172,090 messages, parses to 172,090 entries too, but takes 30-60 s on the 2-core
    machines, too long for every test run.
    """
    files = sorted((corpora / "bulk" / "r-help").glob("r-help-*.txt.gz"))
    assert len(files) == 270
    separators = re.compile(rb"^From .*\nFrom: ", re.MULTILINE)
    source = get_source("mail")
    expected = parsed = 0
    for path in files[::23]:
        data = gzip.decompress(path.read_bytes())
        expected += len(separators.findall(data))
        threads = source.parse(io.BytesIO(data), SourceContext(str(path)))
        parsed += sum(len(thread.entries) for thread in threads)
    assert (parsed, expected) == (7801, 7801)
