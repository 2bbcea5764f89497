"""The analysis chain: exact tokens per rule, and recall/precision on the shared files."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from threadsearch.analysis import (
    LangText,
    detect_language,
    fold,
    highlight_spans,
    pair_analyzer,
    pair_terms,
    query_plan,
    spelling_analyzer,
    text_analyzer,
    whoosh_query,
)
from whoosh.fields import TEXT, Schema
from whoosh.filedb.filestore import FileStorage

from bench import analysis_eval as ev


def terms(text: str, lang: str | None = None) -> list[tuple[str, int]]:
    return [(t.text, t.pos) for t in text_analyzer()(text, positions=True, lang=lang)]


def test_chinese_runs_become_overlapping_bigrams() -> None:
    assert terms("我们在北京大学，好") == [
        ("我们", 0), ("们在", 1), ("在北", 2), ("北京", 3), ("京大", 4), ("大学", 5), ("好", 6)
    ]  # fmt: skip


def test_korean_noun_with_particle_shares_the_nouns_bigram() -> None:
    assert terms("사람이 사람들") == [("사람", 0), ("람이", 1), ("사람", 2), ("람들", 3)]


def test_japanese_han_and_kana_bigrams() -> None:
    assert terms("東京都に住む") == [
        ("東京", 0), ("京都", 1), ("都に", 2), ("に住", 3), ("住む", 4)
    ]  # fmt: skip


def test_turkish_dotted_and_dotless_i_fold_to_i() -> None:
    assert fold("İstanbul") == ("istanbul",)
    assert fold("ılık") == ("ilik",)
    assert terms("İzmir ISPARTA", "tr") == [("izmir|tr", 0), ("ispar|tr", 1)]


def test_sharp_s_and_spelled_letters() -> None:
    assert fold("Straße") == ("strasse",)
    assert fold("Æble") == ("aeble",)
    assert fold("Øre") == ("ore",)
    assert fold("Œuvre") == ("oeuvre",)


def test_umlaut_indexed_in_both_spellings_at_one_position() -> None:
    assert fold("Müller") == ("muller", "mueller")
    assert terms("Frau Müller", None) == [("frau", 0), ("muller", 1), ("mueller", 1)]
    for query in ("mueller", "muller", "Müller"):
        assert highlight_spans("Frau Müller kommt", query, [], None) == [(5, 11)]


def test_identifiers_whole_and_in_parts() -> None:
    assert terms("model.matrix readTable read_table", "en") == [
        ("model.matrix", 0), ("model|en", 0), ("matrix|en", 0),
        ("readtable", 1), ("read|en", 1), ("tabl|en", 1),
        ("read_table", 2), ("read|en", 2), ("tabl|en", 2),
    ]  # fmt: skip
    assert query_plan("model.matrix", ["en"]).terms() == {"model.matrix"}
    assert highlight_spans("use model.matrix here", "matrix", ["en"], "en") == [(10, 16)]
    assert highlight_spans("model matrix", "model.matrix", ["en"], "en") == []
    assert highlight_spans("then read table", "readTable", ["en"], "en") == [(5, 15)]


def test_names_with_symbols_stay_findable() -> None:
    assert terms("C++ C# .NET node.js", "en") == [
        ("c++", 0), ("c#", 1), (".net", 2), ("net|en", 2), ("node.js", 3), ("node|en", 3),
        ("js|en", 3),
    ]  # fmt: skip
    for query in ("C++", "c#", ".NET", "node.js"):
        assert len(highlight_spans("C++ C# .NET node.js", query, ["en"], "en")) == 1


def test_apostrophes_straight_and_curly_alike() -> None:
    assert terms("aren't", "en") == terms("aren’t", "en") == [("aren|en", 0)]


def test_stems_per_language() -> None:
    assert terms("refugees running", "en") == [("refuge|en", 0), ("run|en", 1)]
    assert terms("maisons", "fr") == [("maison|fr", 0)]
    assert terms("компьютеры", "ru") == [("компьютер|ru", 0)]
    assert terms("refugees", None) == [("refugees", 0)]
    # English stop words leave the index (as before) without using a position.
    assert terms("the box", "en") == [("box|en", 0)]


def test_query_matches_across_languages() -> None:
    plan = query_plan("maisons", ["en", "fr"])
    assert plan.terms() == {"maisons", "maison|en", "maison|fr"}
    assert highlight_spans("une maison", "maisons", ["en", "fr"], "fr") == [(4, 10)]


def test_chinese_query_is_a_phrase_of_bigrams() -> None:
    text = "我们在北京大学见面，大学"
    assert highlight_spans(text, "北京大学", ["zh"], "zh") == [(3, 7)]
    assert highlight_spans(text, "京大学生", ["zh"], "zh") == []


def test_accent_free_query_highlights_accented_word() -> None:
    assert highlight_spans("La sécurité d'abord", "securite", ["fr"], "fr") == [(3, 11)]


def test_lang_text_survives_pickle() -> None:
    text = pickle.loads(pickle.dumps(LangText("Häuser", "de")))
    assert (text, text.lang, type(text)) == ("Häuser", "de", LangText)


def test_spelling_and_pair_analyzers() -> None:
    assert [t.text for t in spelling_analyzer()("Müller's model.matrix", lang="de")] == [
        "muller", "mueller", "s", "model.matrix"
    ]  # fmt: skip
    pairs = [t.text for t in pair_analyzer()(LangText("North Korea's Müller", "en"))]
    # Every term of a position pairs with every term of the next (both spellings of
    # Müller), so the pair look-up matches exactly what the two-word phrase matches.
    assert pairs == ["north|en korea|en", "korea|en muller|en", "korea|en mueller|en"]
    assert "north|en korea|en" in pair_terms("North", "Korea", ["en", "de"])


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Ich habe heute leider keine Zeit, weil ich bis spät arbeiten muss.", "de"),
        ("Je pense que la sécurité du réseau est un vrai problème ici.", "fr"),
        ("I tried model.matrix on the data frame but the columns are wrong.", "en"),
        ("数据库服务器今天又挂了，怎么办", "zh"),
        ("東京都に住んでいます。よろしくお願いします", "ja"),
        ("오늘 사람들이 많이 왔어요", "ko"),
        ("ok thanks", None),
    ],
)
def test_detect_language(text: str, lang: str | None) -> None:
    assert detect_language(text) == lang


def test_plans_run_as_whoosh_queries_on_a_real_index(tmp_path: Path) -> None:
    schema = Schema(body=TEXT(analyzer=text_analyzer(), stored=True))
    index = FileStorage(str(tmp_path)).create().create_index(schema)
    bodies = [
        LangText("我们在北京大学见面", "zh"),
        LangText("Frau Müller nutzt model.matrix in München", "de"),
        LangText("The refugees used readTable and C++", "en"),
        LangText("model matrix, read the table", "en"),
    ]
    with index.writer() as writer:
        for body in bodies:
            writer.add_document(body=body, _stored_body=str(body))
    langs = ["de", "en", "zh"]
    expected = {
        "北京大学": {0}, "京大学生": set(), "mueller": {1}, "muenchen": {1},
        "matrix": {1, 3}, "model.matrix": {1}, "refugee": {2}, "readTable": {2, 3},
        "c++": {2}, "table": {2, 3},
    }  # fmt: skip
    with index.searcher() as searcher:
        for query, docs in expected.items():
            q = whoosh_query("body", query_plan(query, langs))
            found = {hit.docnum for hit in searcher.search(q, limit=None)}
            assert (query, found) == (query, docs)


# --- recall and precision on the shared real files -----------------------------------

ZH_WORDS = (
    "可以 一个 呵呵 这个 不过 还是 什么 现在 没有 我们 瓜哥 就是 一下 不是 自己 问题 不错 代码 "
    "时候 实习 应该 怎么 如果 然后 知道 谢谢 时间 所以 的话 博客 "
    "数据库 为什么 服务器 研究生 计算机 非常感谢"
).split()
KO_WORDS = "사람 생각 지금 시간 기억 자신 이야기 정도 다음 의미 친구 소리 시작 노래 사실".split()
FR_WORDS = {
    "tres": ("très", "tres"), "deja": ("déjà", "deja"), "ete": ("été", "ete"),
    "meme": ("même", "meme", "mêmes", "memes"),
    "premiere": ("première", "premiere", "premières", "premieres"),
    "idee": ("idée", "idee", "idées", "idees"),
    "probleme": ("problème", "probleme", "problèmes", "problemes"),
    "reseau": ("réseau", "reseau", "réseaux", "reseaux"), "securite": ("sécurité", "securite"),
    "bientot": ("bientôt", "bientot"), "etait": ("était", "etait"), "ca": ("ça", "ca"),
}  # fmt: skip
CS_WORDS = {
    "pouzivam": ("používám", "pouzivam"), "nemuzu": ("nemůžu", "nemuzu"),
    "dobre": ("dobře", "dobre"), "protoze": ("protože", "protoze"), "nekdy": ("někdy", "nekdy"),
    "uplne": ("úplně", "uplne"), "myslim": ("myslím", "myslim"), "urcite": ("určitě", "urcite"),
    "neni": ("není", "neni"),
}  # fmt: skip


@pytest.fixture(scope="module")
def languages() -> list[str]:
    return ["cs", "de", "en", "es", "fr", "ja", "ko", "ru", "tr", "zh"]


def _check(docs: list[ev.Doc], words: dict[str, object], langs: list[str],
           recall: float, precision: float) -> None:  # fmt: skip
    total, _ = ev.evaluate(docs, words, langs)  # type: ignore[arg-type]
    assert total.relevant > 0
    assert (total.recall, total.precision) >= (recall, 0.0)
    assert total.precision >= precision


def test_chinese_words_found_as_substrings(corpora: Path, languages: list[str]) -> None:
    docs = ev.analyze(ev.load(ev.ZH_FILES, corpora))
    _check(docs, {w: ev.cjk_truth(w) for w in ZH_WORDS}, languages, 0.95, 0.95)


def test_korean_nouns_found_with_particles(corpora: Path, languages: list[str]) -> None:
    docs = ev.analyze(ev.load(ev.KO_FILES, corpora))
    _check(docs, {w: ev.cjk_truth(w) for w in KO_WORDS}, languages, 0.9, 0.9)


def test_french_and_czech_without_diacritics(corpora: Path, languages: list[str]) -> None:
    for files, words in ((ev.FR_FILES, FR_WORDS), (ev.CS_FILES, CS_WORDS)):
        docs = ev.analyze(ev.load(files, corpora))
        _check(docs, {w: ev.word_truth(s) for w, s in words.items()}, languages, 0.9, 0.9)


def test_german_and_turkish_without_diacritics(languages: list[str]) -> None:
    for texts, words in ((ev.DE_TEXTS, ev.DE_WORDS), (ev.TR_TEXTS, ev.TR_WORDS)):
        docs = ev.analyze(list(texts))
        _check(docs, {w: ev.word_truth(s) for w, s in words.items()}, languages, 0.9, 0.9)
