"""The mailbox parser against three real r-help months in tests/data/mail/ (1997-05, the
Latin-1 1998-10, and 2026-07 with its 2018+ address obfuscation), hand-made mailboxes for
the edge cases, and the whole r-help archive in ../shared when it is there."""

from __future__ import annotations

import gzip
import io
import re
from collections import Counter
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
    # The entry keeps its own subject, without the list tag (the tag facet has it).
    assert post.title == "Build POSIXlt object from its internal representation list"
    assert (thread.site, thread.tags) == ("r-help", ["R"])


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
    # No List-Id and no list tag: the archive's file name (sample.mbox) names the list.
    assert (thread.title, thread.entries[0].author, thread.site) == ("Hello", "Jane Doe", "sample")


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


# --- the list: site and tags (issue 11) ------------------------------------------------

GPT = DATA / "gpt-usuarios-pt-2007-10.txt.gz"


def parse_gz(path: Path) -> list[Thread]:
    with gzip.open(path, "rb") as stream:
        return list(get_source("mail").parse(stream, SourceContext(str(path))))


def raw_messages(path: Path) -> list[bytes]:
    """The archive cut at its separator lines, independently of the parser."""
    data = gzip.decompress(path.read_bytes())
    return re.split(rb"^From \S+ em \S+ +\w{3} \w{3} +\d+ [\d:]+ \d{4}\n", data, flags=re.M)[1:]


def test_mail_portuguese_archive_counts_from_sources_md() -> None:
    threads = parse_gz(GPT)
    every = entries(threads)
    assert len(raw_messages(GPT)) == len(every) == 328
    assert len(threads) == 47
    # 46 roots in the file and 1 reply whose parent is not: 47 threads.
    assert Counter(e.kind for e in every) == {"post": 46, "comment": 282}
    assert sum(1 for e in every if e.parent_id) == 281
    assert max(e.depth for e in every) == 18


def test_mail_portuguese_archive_list_is_site_and_tag_and_leaves_titles() -> None:
    threads = parse_gz(GPT)
    assert {t.site for t in threads} == {"gpt-usuarios"}
    assert {tuple(t.tags) for t in threads} == {("gpt-usuarios",)}
    titles = [t.title for t in threads] + [e.title or "" for e in entries(threads)]
    assert [title for title in titles if "gpt-usuarios" in title] == []
    titles_by_first = {t.title for t in threads}
    # Folded RFC 2047 subjects whose first line holds only the tag, decoded.
    assert "O que seria acesso aos serviços do kernel ?" in titles_by_first
    assert "Sobre o código intermediário (CTE), assembly, ..." in titles_by_first


def test_mail_portuguese_archive_dates_are_utc_with_their_offsets() -> None:
    every = entries(parse_gz(GPT))
    zones = Counter(
        re.findall(rb"^Date: .* ([+-]\d{4})\s*$", gzip.decompress(GPT.read_bytes()), re.M)
    )
    assert zones == {b"-0300": 135, b"-0400": 106, b"-0200": 87}
    assert Counter(e.utc_offset for e in every) == {-180: 135, -240: 106, -120: 87}
    assert {e.timestamp.tzinfo for e in every if e.timestamp} == {timezone.utc}
    first, last = min(e.timestamp for e in every), max(e.timestamp for e in every)
    assert (first, last) == (utc(2007, 10, 4, 15, 26, 13), utc(2007, 10, 30, 16, 32, 55))


def test_mail_portuguese_archive_authors_and_localised_notes() -> None:
    every = entries(parse_gz(GPT))
    authors = Counter(e.author for e in every)
    # No From: line in the file lacks a name; no author is made up or dropped.
    assert authors == {
        "Alex Garzao": 136,
        "Thiago Silva": 136,
        "Adorilson Bezerra de Araujo": 47,
        "rubens suhet": 8,
        "Laércio Henrique": 1,
    }
    # Mailman's Portuguese scrub notes are not anyone's words.
    for marker in ("Próxima Parte", "foi limpo...", "Tipo: image/png"):
        assert [e.id for e in every if marker in e.body or marker in e.quoted] == []


def test_mail_portuguese_archive_attributions_go_with_their_quotes() -> None:
    every = entries(parse_gz(GPT))
    # The file's 8 "Em 05/10/07, X <x em host> escreveu:" lines (SOURCES.md; 6 above a
    # quote, 2 inside one) all end in `quoted`; the one "escreveu." left in a body is a
    # sentence, not an attribution.
    raw = gzip.decompress(GPT.read_bytes()).decode("latin-1")
    assert len(re.findall(r"^[> ]*Em .*escreveu:$", raw, re.M)) == 8
    assert sum(1 for e in every if re.search(r"^Em .*escreveu:$", e.quoted, re.M)) == 8
    assert [line for e in every for line in e.body.split("\n") if "escreveu:" in line] == []


@pytest.mark.parametrize(
    ("subject", "title", "tags"),
    [
        ("[Lista][Lista]Assunto", "Assunto", ["Lista"]),
        ("[Lista]Assunto colado", "Assunto colado", ["Lista"]),
        ("Re: [Lista] Re: Assunto", "Assunto", ["Lista"]),
        ("AW: [Lista] WG: Betreff", "Betreff", ["Lista"]),
        ("Sv: Antw: Enc: [Lista] Ref: RES: Assunto", "Assunto", ["Lista"]),
        ("答复: [Lista] 回复： 主题", "主题", ["Lista"]),
        (
            "=?utf-8?q?=5BLista=5D_Re=3A_Gr=C3=BC?=\n =?utf-8?q?=C3=9Fe_aus_Wien?=",
            "Grüße aus Wien",
            ["Lista"],
        ),
        ("=?iso-8859-1?q?=5BLis?= =?iso-8859-1?q?ta=5D_Pr=F3xima?=", "Próxima", ["Lista"]),
    ],
)
def test_mail_list_tags_are_stripped_in_every_form(
    subject: str, title: str, tags: list[str]
) -> None:
    # The tag opens every subject of the archive; the first message starts the thread.
    text = message(subject="[Lista] Assunto", msgid="<root@x>") + message(
        subject=subject, msgid="<reply@x>", extra="In-Reply-To: <root@x>\n"
    )
    (thread,), _ = parse_bytes(text.encode())
    assert (thread.title, thread.tags, thread.site) == ("Assunto", tags, "lista")
    assert thread.entries[1].title is not None
    assert strip_reply(thread.entries[1].title) == title


def strip_reply(title: str) -> str:
    from threadsearch.sources.listtags import strip_subject

    return strip_subject(title)[0]


def test_mail_rare_bracket_prefix_is_no_list_tag() -> None:
    text = "".join(
        message(subject=subject, msgid=f"<m{number}@x>")
        for number, subject in enumerate(["[PATCH] one", "two", "three", "four"])
    )
    threads, _ = parse_bytes(text.encode())
    assert [t.title for t in threads] == ["[PATCH] one", "two", "three", "four"]
    assert {t.site for t in threads} == {"sample"}
    assert [t.tags for t in threads] == [[], [], [], []]


def test_mail_list_id_beats_the_tag_and_file_name_comes_last() -> None:
    # One message: its tag is the list's because the List-Id names the same list.
    with_id = message(subject="[foo-users] x", extra="List-Id: Foo users <foo-users.example.org>\n")
    (thread,), _ = parse_bytes(with_id.encode())
    assert (thread.site, thread.title) == ("foo-users", "x")
    source = get_source("mail")
    plain = message(subject="hello").encode()
    context = SourceContext("archives/devel-list-2007-October.txt.gz")
    (thread,) = list(source.parse(io.BytesIO(plain), context))
    assert thread.site == "devel-list"


@pytest.mark.parametrize("name", ["r-help-1997-05.txt", "r-help-1998-10.txt", "r-help-2026-07.txt"])
def test_mail_r_help_tags_are_the_list(name: str) -> None:
    threads, _ = parse(DATA / name)
    assert {t.site for t in threads} == {"r-help"}
    assert [t.title for t in threads if t.title.startswith("[R]")] == []
    tagged = [t for t in threads if t.tags]
    assert {tag for t in tagged for tag in t.tags} <= {"R", "r", "R-beta", "R-alpha"}


def test_mail_r_help_bulk_month_tags(corpora: Path) -> None:
    """[R], [Rd] and [BioC] on a real month: each names its list; none stays in a title."""
    path = corpora / "bulk" / "r-help" / "r-help-2005-06.txt.gz"
    threads = parse_gz(path)
    data = gzip.decompress(path.read_bytes()).decode("latin-1")
    subjects = re.findall(r"^Subject: (.*)$", data, re.M)
    assert sum(1 for s in subjects if "[R]" in s) > 0.9 * len(subjects)
    sites = Counter(t.site for t in threads)
    assert sites.most_common(1)[0][0] == "r-help"
    assert set(sites) <= {"r-help", "r-devel", "bioconductor"} | {
        s for s in sites if s and s.startswith("r-")
    }
    assert [t.title for t in threads if re.match(r"\s*\[(R|Rd|BioC)\]", t.title)] == []


# --- attribution lines in many languages (issue 11) -------------------------------------


@pytest.mark.parametrize(
    "attribution",
    [
        "On Tue, Apr 1, 2003 at 10:00 AM, Jane Doe <jane@example.org> wrote:",
        "Jane Doe wrote:",
        "Am 12.07.2007 schrieb Hans Meier <hm@example.de>:",
        "Am 12.07.2007 um 10:11 schrieb Hans Meier\n<hm@example.de>:",
        "El 3 de mayo de 2010 15:00, Juan Pérez <jp@example.es> escribió:",
        "Le 12 oct. 2010 à 10:11, Jean Dupont a écrit :",
        "Le 12 oct. 2010 à 10:11, Jean Dupont <jd@example.fr>\na écrit :",
        "Op 12 okt. 2010, om 10:11 heeft Jan de Vries het volgende geschreven:",
        "Op 12-10-2010 schreef Jan de Vries <jan@example.nl>:",
        "Il giorno 12/10/2010 10:11, Mario Rossi ha scritto:",
        "Em 05/10/07, Alex Garzao <alexgarzaol em gmail.com> escreveu:",
        "2010/10/15 Taro Yamada <taro@example.jp>",
        "2010/10/15 Taro Yamada\n<taro@example.jp>",
    ],
)
def test_mail_attribution_lines_move_with_the_quote(attribution: str) -> None:
    body = f"I agree.\n\n{attribution}\n> The original point.\n> Second line.\n\nThanks."
    (thread,), _ = parse_bytes(message(subject="Re: x", body=body).encode())
    entry = thread.entries[0]
    assert entry.body == "I agree.\n\nThanks."
    assert (
        entry.quoted == f"{' '.join(attribution.split(chr(10)))}\nThe original point.\nSecond line."
    )


def test_mail_sentence_ending_in_a_colon_stays_own_text() -> None:
    body = "El perro comió:\n> una manzana\n\nLe chat a écrit un livre."
    (thread,), _ = parse_bytes(message(subject="Re: x", body=body).encode())
    assert thread.entries[0].body == "El perro comió:\n\nLe chat a écrit un livre."


def test_mail_list_tag_and_site_are_facets_in_the_index(tmp_path: Path) -> None:
    from threadsearch import SearchRequest, ingest_paths, open_index, search

    index = open_index(tmp_path, create=True)
    try:
        ingest_paths(index, [GPT])
        result = search(index, SearchRequest(q="", facets=["tag", "site"], tag=["gpt-usuarios"]))
    finally:
        index.close()
    assert result.total == 328
    facets = {
        name: [(v.value, v.count) for v in facet.values] for name, facet in result.facets.items()
    }
    assert facets == {"tag": [("gpt-usuarios", 328)], "site": [("gpt-usuarios", 328)]}
