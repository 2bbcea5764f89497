"""Every parser against hostile input: a clear SearchError or threads, never a crash.

A short derandomized hypothesis round per parser (the long run is ``make fuzz``), then
the fixed hostile cases: entity bombs and external entities, a 50 MB line, invalid
UTF-8, NUL bytes and 10,000-deep nesting.
"""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import HealthCheck, given, settings
from threadsearch.errors import SearchError, SourceFormatError
from threadsearch.sources import Format, get_source
from threadsearch.sources.base import SourceContext

from tests.conftest import DATA
from tests.fuzzing import SEEDS, XML_FORMATS, malformed, parse_all

FORMATS = sorted(SEEDS)
#: Examples per parser in the suite's round: a few seconds each.
EXAMPLES = 40


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_seed_parses(fmt: str) -> None:
    for seed in SEEDS[fmt]:
        assert parse_all(fmt, seed) > 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_malformed_input_parses_or_raises_a_search_error(fmt: str) -> None:
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(malformed(fmt))
    def parse(data: bytes) -> None:
        try:
            parse_all(fmt, data)
        except SearchError as error:
            assert str(error)

    parse()


#: Inputs the fuzzer found crashing a parser, by file (``<format>-<what>.<ext>``), with
#: the error each must now raise.
FOUND = {
    # urllib's "Invalid IPv6 URL" ValueError escaped the feed parser (bench/fuzz.py, feed).
    "feed-invalid-ipv6-link.rss.xml": "a link cannot be read as a URL: Invalid IPv6 URL",
    # feedparser's loose parser failed on int(None) for a <height> of unclosed elements.
    "feed-unclosed-elements-in-image-height.rss.xml": (
        "the feed's markup is too broken to read (TypeError: int() argument must be"
    ),
    # json's RecursionError on 3,000 brackets opening a line escaped the JSONL parser.
    "jsonl-nested-arrays.jsonl": "invalid JSON: arrays or objects nested too deep",
}


@pytest.mark.parametrize("name", sorted(FOUND))
def test_inputs_the_fuzzer_found_raise_a_clear_error(name: str) -> None:
    path = DATA / "fuzz" / name
    with pytest.raises(SourceFormatError) as caught:
        parse_all(name.split("-")[0], path.read_bytes(), name)
    assert FOUND[name] in str(caught.value)
    assert str(caught.value).startswith(name)


def test_a_mail_subject_with_a_charset_that_is_none_is_kept_as_written() -> None:
    # make_header's CharsetError escaped the mail parser on '=?\x80tf-8?q?...?='.
    name = "mail-bad-charset-encoded-word.txt"
    data = (DATA / "fuzz" / name).read_bytes()
    original = (DATA / "mail" / "r-help-2026-07.txt").read_bytes()
    separators = re.compile(rb"^From .+  \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$", re.M)
    messages = len(separators.findall(original))
    assert parse_all("mail", data, name) == parse_all("mail", original) == messages == 18



def test_a_from_header_of_groups_nested_past_the_stack_is_kept_as_written() -> None:
    # email.utils.parseaddr's RecursionError on 1,000 nested groups ('iagogv:iagogv:...')
    # escaped the mail parser (bench/fuzz.py, mail).
    name = "mail-nested-address-groups.txt"
    data = (DATA / "fuzz" / name).read_bytes()
    header = b"iagogv:" * 1000 + b" iagogv@droot.org"
    threads = list(get_source(Format.MAIL).parse(io.BytesIO(data), SourceContext(name)))
    authors = [entry.author for thread in threads for entry in thread.entries]
    assert len(authors) == data.count(b"\nFrom ") + 1 == 6
    assert authors.count(header.decode()) == 1
    assert "Ben Bolker" in authors

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE r [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE r [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
"""


def _with_prolog(fmt: str, prolog: bytes) -> bytes:
    seed = SEEDS[fmt][0]
    body = (
        seed[seed.find(b"?>") + 2 :] if seed.lstrip(b"\xef\xbb\xbf").startswith(b"<?xml") else seed
    )
    return prolog + body.replace(b"</title>", b"&lol9;&xxe;</title>", 1)


@pytest.mark.parametrize("attack", [BILLION_LAUGHS, EXTERNAL], ids=["billion_laughs", "external"])
@pytest.mark.parametrize("fmt", [f for f in XML_FORMATS if f in SEEDS])
def test_entity_declarations_are_refused(fmt: str, attack: bytes) -> None:
    with pytest.raises(SourceFormatError) as caught:
        parse_all(fmt, _with_prolog(fmt, attack))
    assert "declares XML entities" in str(caught.value)
    assert str(caught.value).startswith("fuzzed")


def _hostile(fmt: str, case: str) -> bytes:
    seed = SEEDS[fmt][0]
    middle = len(seed) // 2
    if case == "line_50mb":
        return seed[:middle] + b"x" * (50 * 1024 * 1024) + seed[middle:]
    if case == "invalid_utf8":
        return seed[:middle] + b"\xff\xfe\xc3\x28\xed\xa0\x80" + seed[middle:]
    if case == "nul_bytes":
        return seed[:middle] + b"\x00" * 64 + seed[middle:]
    if fmt == "jsonl":  # at the start of a line, where JSON reads it
        return b"[" * 10_000 + b"]" * 10_000 + b"\n" + seed
    return seed[:middle] + b"<div>" * 10_000 + b"</div>" * 10_000 + seed[middle:]


@pytest.mark.parametrize("fmt", ["text", "mail"])
def test_a_50mb_line_in_a_line_format_is_refused_naming_the_line(fmt: str) -> None:
    data = _hostile(fmt, "line_50mb")
    number = data.count(b"\n", 0, len(SEEDS[fmt][0]) // 2) + 1
    with pytest.raises(SourceFormatError) as caught:
        parse_all(fmt, data)
    assert str(caught.value).startswith(f"fuzzed, line {number}: the line is ")
    assert "bytes long, over the 1,048,576 a line may hold" in str(caught.value)


@pytest.mark.parametrize("case", ["line_50mb", "invalid_utf8", "nul_bytes", "nesting_10000"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_hostile_input_parses_or_fails_clearly(fmt: str, case: str) -> None:
    try:
        parse_all(fmt, _hostile(fmt, case))
    except SourceFormatError as error:
        assert str(error).startswith("fuzzed")
