"""Highlights in every field a hit matches: title, body and quoted text, built with the
index's analyzer, and the query words each hit matched (``Hit.highlights``,
``Hit.matched_terms``), through a real index on disk."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from threadsearch.analysis import plan_spans, term_positions
from threadsearch.api.cli import main
from threadsearch.export import iter_index_threads
from threadsearch.index import ThreadIndex, open_index
from threadsearch.ingest import IngestOptions, Progress, iter_threads
from threadsearch.model import Entry, Hit, SearchRequest, Thread
from threadsearch.query.engine import search
from threadsearch.query.parse import query_units
from threadsearch.query.snippets import READ_STEP, candidates, highlight, text_positions
from threadsearch.schema import build_schema

KETTLE_BODY = "Descale the kettle with vinegar once a month, then rinse it twice."
KETTLE_QUOTE = "My kettle is full of scale. Does vinegar work, or a teapot brush?"
FR_BODY = "La sécurité des données est importante pour nous tous, vraiment très importante."
ZH_BODY = "我们明天在北京大学见面，然后一起去吃饭。"
#: Payloads for element and attribute contexts, in every text field.
PAYLOAD = "<script>alert(1)</script> \"onmouseover=\"alert('x')\" <img src=x onerror=alert(2)>"

THREADS = [
    Thread(
        id="k",
        title="Kettles",
        entries=[
            Entry(id="k0", thread_id="k", kind="post", position=0, title="Kettle care",
                  body=KETTLE_BODY),
            Entry(id="k1", thread_id="k", kind="comment", position=1,
                  body="A teapot and a kettle: both need vinegar now and then.",
                  quoted=KETTLE_QUOTE),
            Entry(id="k2", thread_id="k", kind="comment", position=2,
                  body="Only the brush works for me, nothing else does.",
                  quoted="Descaling with citric acid is faster than anything."),
            Entry(id="k3", thread_id="k", kind="comment", position=3,
                  title="Zanzibar teapots", body="Nothing about it in the text at all."),
        ],
    ),
    Thread(
        id="f",
        title="Données",
        entries=[
            Entry(id="f0", thread_id="f", kind="post", position=0, title="Sécurité d'abord",
                  body=FR_BODY),
        ],
    ),
    Thread(
        id="z",
        title="见面",
        entries=[
            Entry(id="z0", thread_id="z", kind="post", position=0, title="关于北京大学",
                  body=ZH_BODY, quoted="北京大学很大吗？"),
        ],
    ),
    Thread(
        id="x",
        title="Escaping",
        entries=[
            Entry(id="x0", thread_id="x", kind="post", position=0,
                  title=f"payload {PAYLOAD}", body=f"The payload: {PAYLOAD} & more.",
                  quoted=f"{PAYLOAD} payload"),
        ],
    ),
]  # fmt: skip


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("highlights") / "index"
    with open_index(path, create=True) as index:
        index.ingest(THREADS)
    return path


@pytest.fixture
def index(index_dir: Path) -> Iterator[ThreadIndex]:
    with open_index(index_dir) as opened:
        yield opened


def hits(index: ThreadIndex, q: str) -> dict[str, Hit]:
    return {h.id: h for h in search(index, SearchRequest(q=q, per_page=50)).hits}


def test_chinese_word_is_marked_in_title_body_and_quote(index: ThreadIndex) -> None:
    hit = hits(index, "北京大学")["z0"]
    assert hit.snippet == "我们明天在<mark>北京大学</mark>见面，然后一起去吃饭。"
    assert hit.highlights == {
        "title": "关于<mark>北京大学</mark>",
        "body": hit.snippet,
        "quoted": "<mark>北京大学</mark>很大吗？",
    }
    assert hit.matched_terms == ["北京大学"]


def test_unaccented_query_marks_the_accented_word(index: ThreadIndex) -> None:
    for q in ("securite", "secur*"):
        hit = hits(index, q)["f0"]
        assert hit.snippet == FR_BODY.replace("sécurité", "<mark>sécurité</mark>")
        assert hit.highlights["title"] == "<mark>Sécurité</mark> d&#x27;abord"
        assert hit.matched_terms == [q]


def test_title_match_is_marked_in_the_title_only(index: ThreadIndex) -> None:
    found = hits(index, "zanzibar")
    assert list(found) == ["k3"]
    hit = found["k3"]
    assert hit.highlights == {"title": "<mark>Zanzibar</mark> teapots"}
    assert hit.snippet == "Nothing about it in the text at all."
    assert hit.matched_terms == ["zanzibar"]


def test_quote_shows_the_query_words_of_a_hit(index: ThreadIndex) -> None:
    hit = hits(index, "kettle vinegar")["k1"]
    assert hit.highlights["quoted"] == (
        "My <mark>kettle</mark> is full of scale. Does <mark>vinegar</mark> work, "
        "or a teapot brush?"
    )
    assert hit.highlights["body"] == (
        "A teapot and a <mark>kettle</mark>: both need <mark>vinegar</mark> now and then."
    )


def test_quote_alone_does_not_find_but_quoted_field_does(index: ThreadIndex) -> None:
    assert hits(index, "citric") == {}
    hit = hits(index, "quoted:citric")["k2"]
    assert hit.highlights == {
        "quoted": "Descaling with <mark>citric</mark> acid is faster than anything."
    }
    assert hit.snippet == "Only the brush works for me, nothing else does."
    assert hit.matched_terms == ["citric"]


def test_matched_terms_of_or_and_not(index: ThreadIndex) -> None:
    either = hits(index, "vinegar OR teapot")
    assert {i: h.matched_terms for i, h in either.items()} == {
        "k0": ["vinegar"],
        "k1": ["vinegar", "teapot"],
        "k3": ["teapot"],
    }
    both = hits(index, "vinegar kettle")
    assert {i: h.matched_terms for i, h in both.items()} == {
        "k0": ["vinegar", "kettle"],
        "k1": ["vinegar", "kettle"],
    }
    # k1's quote holds "brush", but the hit matched only by "kettle" in its body.
    assert hits(index, "kettle NOT teapot")["k0"].matched_terms == ["kettle"]
    assert hits(index, "kettle OR brush")["k1"].matched_terms == ["kettle"]
    assert hits(index, '"kettle with vinegar"')["k0"].matched_terms == ["kettle with vinegar"]


def test_no_markup_gets_through_any_field(index: ThreadIndex) -> None:
    hit = hits(index, "payload")["x0"]
    entry = THREADS[-1].entries[0]
    texts = {"title": entry.title, "body": entry.body, "quoted": entry.quoted}
    assert set(hit.highlights) == {"title", "body", "quoted"}
    for name, shown in hit.highlights.items():
        assert shown.count("<mark>payload</mark>") == 1, name
        bare = shown.replace("<mark>", "").replace("</mark>", "")
        assert not set("<>\"'") & set(bare), name
        shown_text = html.unescape(bare)
        # The window starts a little before the match: "… " marks what it left out.
        if shown_text.startswith("… "):
            assert texts[name].endswith(shown_text[2:]), name
        else:
            assert shown_text == texts[name], name
    # A query word inside the payload is marked, its markup still escaped.
    script = hits(index, "script")["x0"].highlights["title"]
    assert "&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;" in script


def test_hit_json_carries_highlights_and_matched_terms(index: ThreadIndex) -> None:
    body = search(index, SearchRequest(q="zanzibar")).to_dict()["hits"][0]
    assert body["highlights"] == {"title": "<mark>Zanzibar</mark> teapots"}
    assert body["matched_terms"] == ["zanzibar"]
    browse = search(index, SearchRequest(q="", per_page=1)).hits[0]
    assert (browse.highlights, browse.matched_terms) == ({}, [])


def test_cli_prints_title_and_quote_snippets(index_dir: Path) -> None:
    args = ["search", "北京大学", "--index", str(index_dir)]
    out = CliRunner().invoke(main, args, color=True).output
    lines = out.splitlines()
    assert "  title: 关于\033[1m北京大学\033[0m" in lines
    assert "  我们明天在\033[1m北京大学\033[0m见面，然后一起去吃饭。" in lines
    assert "  > \033[1m北京大学\033[0m很大吗？" in lines
    assert "  matched: 北京大学" in lines


def test_run_by_run_positions_equal_the_whole_text_analysis(seed_index_dir: Path) -> None:
    """The cached run-by-run analysis gives the index's positions, on the seed's real text."""
    texts = [t for thread in THREADS for e in thread.entries for t in (e.title, e.body, e.quoted)]
    texts += [
        "Use model.matrix(y ~ x) or readTable, C++ and .NET; the end.",
        "Die Straße in München: Grüße an Müller und İstanbul'da çarşı.",
        "我们 在 北京大学 见面, 사람들이 and the 中国人 of it",
    ]
    with open_index(seed_index_dir) as seed:
        entries = [e for thread in iter_index_threads(seed) for e in thread.entries]
    texts += [t for e in entries for t in (e.title, e.body, e.quoted)]
    assert len(texts) > 40
    for text in filter(None, texts):
        for lang in (None, "en", "de", "zh"):
            assert text_positions(text, lang) == term_positions(text, lang)


#: Entry languages the candidate-run check is tried with: the stemmers of the shared
#: files' languages, an unstemmed one and no language.
CANDIDATE_LANGS = ("en", "de", "fr", "es", "nl", "tr", "cs", "pt", "ru", "zh", None)


def _sample_queries(words: list[str], kin: dict[str, list[str]]) -> list[str]:
    """Every 7th word of a text, another word of the files that starts as it does (an
    inflection, mostly: "happy" for "happiness"), a two-word phrase and a prefix."""
    queries = []
    for i in range(0, len(words) - 1, 7):
        word, following = words[i], words[i + 1]
        others = [w for w in kin.get(word[:4].casefold(), []) if w != word]
        queries += [word, *others[:1], f'"{word} {following}"', f"{word[:3]}*"]
    return queries


def test_runs_found_by_candidates_give_the_spans_of_the_whole_analysis(
    corpora: Path,
) -> None:
    """Analyzing only the runs that can hold a query's terms marks exactly what the
    whole-text analysis marks, on the real files of every folder and in every language."""
    files = sorted(p for p in corpora.glob("*/*") if p.is_file() and p.parent.name != "bulk")
    threads = list(iter_threads(files, IngestOptions(), Progress()))
    entries = [e for t in threads for e in t.entries][::4]
    texts_of = [[t for t in (e.title, e.body, e.quoted) if t] for e in entries]
    words_of = [re.findall(r"[^\W_]+(?:[._][^\W_]+)*", " ".join(t)) for t in texts_of]
    kin: dict[str, list[str]] = {}
    for word in sorted({w for words in words_of for w in words}):
        kin.setdefault(word[:4].casefold(), []).append(word)
    schema = build_schema()
    checked = 0
    for number, (texts, words) in enumerate(zip(texts_of, words_of, strict=True)):
        lang = CANDIDATE_LANGS[number % len(CANDIDATE_LANGS)]
        for q in _sample_queries(words, kin)[:8]:
            units = tuple(query_units(q, schema, ["en", "de", "fr", lang]))
            finder = candidates(units, lang)
            for text in texts:
                whole = text_positions(text, lang)
                found = text_positions(text, lang, finder)
                for unit in units:
                    if unit.plan is not None:
                        expected = plan_spans(whole, unit.plan)
                        assert plan_spans(found, unit.plan) == expected, (q, lang, text[:80])
                        checked += bool(expected)
    assert checked > 2000


def test_a_stemmer_that_rewrites_the_start_of_words_is_analyzed_whole() -> None:
    """Indonesian stems "memukul" (hits) to "pukul": a query for "pukul" marks it."""
    units = tuple(query_units("pukul", build_schema(), ["id"]))
    text = "Dia memukul bola itu."
    positions = text_positions(text, "id", candidates(units, "id"))
    assert units[0].plan is not None
    assert plan_spans(positions, units[0].plan) == [(4, 11)]


def _window_queries(words: list[str]) -> list[str]:
    """Queries whose first match falls before, at and after the first read's end: a word,
    a phrase and a prefix from the start, the middle and the end of a text, and pairs of
    them (a later word must still be found for matched_terms)."""
    picks = [words[i] for i in (0, len(words) // 3, len(words) // 2, -2) if words]
    queries = []
    for i, word in enumerate(picks):
        at = words.index(word)
        following = words[at + 1] if at + 1 < len(words) else word
        queries += [word, f'"{word} {following}"', f"{word[:3]}*", f"{picks[0]} {word}"]
        queries.append(f'"{picks[i - 1]} {word}" quoted:{following}')
    return queries


def test_window_only_highlights_equal_the_whole_text_ones(corpora: Path) -> None:
    """Reading a long text only as far as its window and matched terms need gives exactly
    the snippets and matched terms of reading it whole, on the real files' longest texts
    (R-help's quoted messages included) and in several languages."""
    files = sorted(p for p in corpora.glob("*/*") if p.is_file() and p.parent.name != "bulk")
    files += sorted((corpora / "bulk" / "r-help").glob("r-help-1999-0*"))
    threads = list(iter_threads(files, IngestOptions(), Progress()))
    long_entries = [
        e for t in threads for e in t.entries
        if max(len(e.body), len(e.quoted or "")) > 2 * READ_STEP
    ][::5]  # fmt: skip
    schema = build_schema()
    assert len(long_entries) > 200
    checked = 0
    for number, entry in enumerate(long_entries[:200]):
        texts = {"title": entry.title or "", "body": entry.body, "quoted": entry.quoted or ""}
        words = re.findall(r"[^\W_]+(?:[._][^\W_]+)*", f"{entry.body} {entry.quoted}")
        lang = CANDIDATE_LANGS[number % len(CANDIDATE_LANGS)]
        for q in _window_queries(words):
            units = query_units(q, schema, ["en", "de", "fr", lang])
            whole = highlight(texts, units, lang, window_only=False)
            assert highlight(texts, units, lang) == whole, (q, lang, entry.id)
            checked += bool(whole.matched_terms)
    assert checked > 1000


@pytest.mark.parametrize(
    ("text", "query"),
    [
        # a phrase across the first read's end, stop words between its words
        ("x " * 238 + "north of the korea and more " + "y " * 300, '"north korea"'),
        # the window's last mark is a phrase that ends after the read
        ("a " * 100 + "bounty " + "z " * 116 + "bounty hunters " + "q " * 400,
         '"bounty hunters" bounty'),
        # identifier parts and a CJK phrase across the read's end
        ("w " * 239 + "model.matrix " * 3 + "。" + "我们在北京大学见面" * 80, "matrix 北京大学"),
        # the second word only at the very end: read to the end for matched_terms
        ("alpha " + "filler " * 400 + "omega", "alpha omega"),
        # touching matches that join across the read's end
        ("b " * 237 + "kettle" * 40 + " end", "kettle*"),
    ],
)
def test_window_only_highlights_at_the_read_boundary(text: str, query: str) -> None:
    units = query_units(query, build_schema(), ["en", "zh"])
    texts = {"title": "", "body": text, "quoted": text[5:]}
    whole = {lang: highlight(texts, units, lang, window_only=False) for lang in ("en", None, "zh")}
    assert whole["en"].matched_terms
    for lang, expected in whole.items():
        assert highlight(texts, units, lang) == expected
