"""Recall, precision and cost of :mod:`threadsearch.analysis` on the shared real files.

Run ``python -m bench.analysis_eval`` (needs ``../shared/corpora`` beside the repository
or ``SHARED_CORPORA=...``, and the ``bench`` extra for the jieba and kiwipiepy variants).

For each query word: an entry is *relevant* when its title or body contains the word
(case-insensitive; for CJK as a substring, for Latin-script words as a whole word in any
of the spellings and inflections listed for it); it is *found* when the analyzed query matches the
analyzed title or body (a multi-token word as a phrase). Recall = found & relevant /
relevant, precision = found & relevant / found, summed over the words of a list.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from threadsearch.analysis import (
    LangText,
    Positions,
    QueryPlan,
    detect_language,
    plan_spans,
    query_plan,
    term_positions,
    text_analyzer,
)
from threadsearch.ingest import IngestOptions, Progress, iter_threads

CORPORA = Path(
    os.environ.get("SHARED_CORPORA", Path(__file__).resolve().parents[2] / "shared" / "corpora")
)

ZH_FILES = (
    "wxr/cedricporter-zh-2012-threaded.wxr.xml",
    "disqus/tanglei-name-zh-2010-2016.disqus.xml",
    "disqus/laisky-blog-2015-2024.disqus.xml",
)
KO_FILES = ("wxr/sheepless-ko-2008-2013.wxr.xml",)
FR_FILES = ("wxr/alienlebarge-fr-2007-2013.wxr.xml",)
CS_FILES = ("rss/jasnapaka-bloguje-cz-comments-iso-8859-2.rss.xml",)
RU_FILES = ("html/aboutnetapp-ru-archives-1272.html",)
MIXED_FILES = ("wxr/dmacvicar-wordpresscom-2005-2015.wxr.xml",)

#: The 30 two-character and 6 longer Han words that occur in the most entries of the
#: Chinese files, as jieba segments them (all of its 2-4 character all-Han words ranked by
#: the number of entries holding them; none left out).
ZH_WORDS = (
    "可以 一个 呵呵 这个 不过 还是 什么 现在 没有 我们 瓜哥 就是 一下 不是 自己 问题 不错 代码 "
    "时候 实习 应该 怎么 如果 然后 知道 谢谢 时间 所以 的话 博客 "
    "数据库 为什么 服务器 研究生 计算机 非常感谢"
).split()
#: The 15 nouns (kiwipiepy NNG, 2+ syllables) in the most entries of the Korean export.
KO_WORDS = (
    "사람 생각 지금 시간 기억 자신 이야기 정도 다음 의미 친구 소리 시작 노래 사실"
).split()
#: Query typed without diacritics -> the spellings that count as the word.
FR_WORDS = {
    "ete": ("été", "ete"), "tres": ("très", "tres"), "deja": ("déjà", "deja"),
    "meme": ("même", "meme", "mêmes", "memes"),
    "premiere": ("première", "premiere", "premières", "premieres"),
    "idee": ("idée", "idee", "idées", "idees"),
    "probleme": ("problème", "probleme", "problèmes", "problemes"),
    "reseau": ("réseau", "reseau", "réseaux", "reseaux"),
    "securite": ("sécurité", "securite"),
    "interessant": ("intéressant", "interessant", "intéressante", "interessante",
                    "intéressants", "interessants", "intéressantes", "interessantes"),
    "bientot": ("bientôt", "bientot"),
    "etait": ("était", "etait"), "peut-etre": ("peut-être", "peut-etre"),
    "ca": ("ça", "ca"),
}  # fmt: skip
CS_WORDS = {
    "pouzivam": ("používám", "pouzivam"), "ze": ("že", "ze"), "napr": ("např", "napr"),
    "nemuzu": ("nemůžu", "nemuzu"), "dobre": ("dobře", "dobre"),
    "protoze": ("protože", "protoze"), "stranek": ("stránek", "stranek"),
    "nekdy": ("někdy", "nekdy"), "uplne": ("úplně", "uplne"), "myslim": ("myslím", "myslim"),
    "urcite": ("určitě", "urcite"), "neni": ("není", "neni"),
}  # fmt: skip
DE_WORDS = {
    "mueller": ("müller", "mueller", "muller"), "muller": ("müller", "mueller", "muller"),
    "strasse": ("straße", "strasse"), "gruesse": ("grüße", "gruesse"),
    "fuer": ("für", "fuer"), "ueber": ("über", "ueber"), "schoen": ("schön", "schoen"),
    "muenchen": ("münchen", "muenchen"), "koennen": ("können", "koennen"),
    "maedchen": ("mädchen", "maedchen"), "moechte": ("möchte", "moechte"),
}  # fmt: skip
TR_WORDS = {
    "istanbul": ("istanbul", "İstanbul"), "izmir": ("izmir", "İzmir"),
    "ilk": ("ilk", "İlk"), "bilgisayar": ("bilgisayar",), "kisi": ("kişi", "kisi"),
    "guzel": ("güzel", "guzel"), "cok": ("çok", "cok"), "tesekkur": ("teşekkür", "tesekkur"),
    "sicak": ("sıcak", "sicak"), "acik": ("açık", "acik"), "isik": ("ışık", "isik"),
}  # fmt: skip

#: Small real-looking German threads: the shared files hold almost no German.
DE_TEXTS = (
    ("Umzug nach München", "Wir ziehen nächsten Monat nach München. Kennt jemand eine "
     "günstige Wohnung in der Nähe der Leopoldstraße? Viele Grüße, Anna Müller"),
    ("", "Hallo Anna, schöne Grüße aus Muenchen! Die Strasse ist teuer, aber schön. "
     "Für Studenten gibt es im Norden bessere Angebote."),
    ("", "Frau Mueller, können Sie mir die Adresse schicken? Ich möchte mir die Wohnung "
     "ansehen. Gruesse, Jörg"),
    ("Fahrrad gestohlen", "Mein Fahrrad wurde vor dem Haus in der Goethestraße gestohlen. "
     "Das Mädchen von nebenan hat nichts gesehen."),
    ("", "Über die Polizei kann man das melden, die können aber selten helfen. Moechte "
     "jemand mitkommen? Das Maedchen meiner Schwester hat auch eins verloren."),
    ("", "Danke für den Tipp! Ich gehe morgen zur Polizei in der Schillerstrasse."),
    ("Neues Buch über Geschichte", "Herr Müller hat ein schönes Buch über die Geschichte "
     "von München geschrieben. Sehr zu empfehlen für alle, die sich dafür interessieren."),
    ("", "Ich habe es gelesen, es ist wirklich schoen geschrieben. Ueber die Nachkriegszeit "
     "hätte ich gern mehr gelesen."),
    ("Wetter am Wochenende", "Am Samstag soll es regnen, Sonntag wird es sonnig. Wir "
     "fahren trotzdem an den See, wer kommt mit?"),
    ("", "Ich komme gern mit, ich bringe Kuchen. Können wir uns um zehn treffen?"),
    ("Kochkurs", "Der Kochkurs findet diesmal bei Familie Muller statt, nicht in der "
     "Schule. Fuer Getränke ist gesorgt."),
    ("", "Das klingt gut. Ich bin dabei und bringe die Kinder mit, wenn es möglich ist."),
)  # fmt: skip
#: Small real-looking Turkish threads.
TR_TEXTS = (
    ("İstanbul'da hava", "Bugün İstanbul çok sıcak, akşam sahilde biraz serinlik var. "
     "Yarın İzmir'e gidiyorum, orada da hava güzel olacakmış."),
    ("", "Istanbul'da yaşamak pahalı ama çok güzel bir şehir. Izmir daha sakin."),
    ("", "Teşekkür ederim, bilgi için çok sağ olun. İlk kez gideceğim."),
    ("Bilgisayar önerisi", "Yeni bir bilgisayar almak istiyorum. Bütçem sınırlı, hangi "
     "modeli önerirsiniz? Ekranı açık renkli olsun."),
    ("", "Ben geçen yıl aldım, çok memnunum. Isik yansımaması iyi, ekran ışık altında da "
     "okunuyor. Tesekkur ederim sorduğunuz için."),
    ("", "Bilgisayarın fiyatı kaç? Kisi başına taksit var mı?"),
    ("Kitap kulübü", "Bu ay ilk toplantımız cumartesi günü. Her kişi bir kitap getirsin. "
     "Kapı saat onda açık olacak."),
    ("", "Harika bir fikir, ben de geliyorum. Cok güzel bir kitap buldum."),
    ("", "Sicak çay ve kurabiye bizden. Guzel bir gün olsun herkese."),
    ("Maç sonucu", "Dün akşamki maç çok heyecanlıydı. İlk yarı berabere bitti."),
)  # fmt: skip


@dataclass
class Doc:
    """One entry's title and body, analyzed."""

    title: str
    body: str
    lang: str | None
    fields: tuple[Positions, Positions]


def load(files: Iterable[str], root: Path = CORPORA) -> list[tuple[str, str]]:
    """(title, body) of every entry of the files, parsed by threadsearch's own parsers."""
    paths = [root / f for f in files]
    entries = []
    for thread in iter_threads(paths, IngestOptions(), Progress()):
        for entry in thread.entries:
            entries.append((entry.title or "", entry.body))
    return entries


def analyze(entries: Sequence[tuple[str, str]], fallback: str | None = None) -> list[Doc]:
    """Detect each entry's language (else ``fallback``) and analyze title and body."""
    docs = []
    for title, body in entries:
        lang = detect_language(f"{title}\n{body}") or fallback
        docs.append(Doc(title, body, lang,
                        (term_positions(title, lang), term_positions(body, lang))))  # fmt: skip
    return docs


@dataclass
class Score:
    """Summed counts over a word list, and the per-word recall."""

    relevant: int = 0
    found: int = 0
    hits: int = 0

    @property
    def recall(self) -> float:
        return self.hits / self.relevant if self.relevant else 1.0

    @property
    def precision(self) -> float:
        return self.hits / self.found if self.found else 1.0


def cjk_truth(word: str) -> Callable[[str, str], bool]:
    """Relevance for a CJK word: a substring of title or body."""
    return lambda title, body: word in title.lower() or word in body.lower()


def word_truth(spellings: Sequence[str]) -> Callable[[str, str], bool]:
    """Relevance for a Latin-script word: any of its spellings as a whole word."""
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, spellings)) + r")(?!\w)",
                         re.IGNORECASE)  # fmt: skip
    return lambda title, body: bool(pattern.search(title) or pattern.search(body))


def score(docs: Sequence[Doc], plan: QueryPlan, truth: Callable[[str, str], bool]) -> Score:
    """Counts for one query plan over analyzed docs."""
    result = Score()
    for doc in docs:
        relevant = truth(doc.title, doc.body)
        found = any(plan_spans(field, plan) for field in doc.fields)
        result.relevant += relevant
        result.found += found
        result.hits += relevant and found
    return result


def evaluate(docs: Sequence[Doc], words: dict[str, Callable[[str, str], bool]],
             langs: Sequence[str | None]) -> tuple[Score, dict[str, Score]]:  # fmt: skip
    """Total and per-word scores of query words against analyzed docs."""
    total, per_word = Score(), {}
    for word, truth in words.items():
        s = score(docs, query_plan(word, langs), truth)
        per_word[word] = s
        total.relevant += s.relevant
        total.found += s.found
        total.hits += s.hits
    return total, per_word


# ---------------------------------------------------------------------------------------
# Variants: a dictionary segmenter for Chinese, a morphological analyser for Korean.


def _token_score(entries: Sequence[tuple[str, str]], words: Sequence[str],
                 segment: Callable[[str], list[str]]) -> Score:  # fmt: skip
    """Scores when title and body are segmented by ``segment`` and a word is the phrase of
    its own segments."""
    segmented = [(segment(t.lower()), segment(b.lower())) for t, b in entries]
    total = Score()
    for word in words:
        query = segment(word)
        n = len(query)
        for (title, body), fields in zip(entries, segmented, strict=True):
            relevant = word in title.lower() or word in body.lower()
            found = any(
                toks[i : i + n] == query for toks in fields for i in range(len(toks) - n + 1)
            )
            total.relevant += relevant
            total.found += found
            total.hits += relevant and found
    return total


def jieba_score(entries: Sequence[tuple[str, str]], words: Sequence[str]) -> Score:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return _token_score(entries, words, lambda text: [w for w in jieba.cut(text) if w.strip()])


def kiwi_score(entries: Sequence[tuple[str, str]], words: Sequence[str]) -> Score:
    from kiwipiepy import Kiwi

    kiwi = Kiwi()
    return _token_score(entries, words, lambda text: [t.form for t in kiwi.tokenize(text)])


# ---------------------------------------------------------------------------------------
# Cost


def cost(entries: Sequence[tuple[str, str]]) -> dict[str, float]:
    """Seconds per entry and tokens/s of today's analyzer and of the new chain."""
    from whoosh.analysis import CharsetFilter, StemmingAnalyzer
    from whoosh.support.charset import accent_map

    old = StemmingAnalyzer() | CharsetFilter(accent_map)
    new = text_analyzer()
    out: dict[str, float] = {}
    start = time.perf_counter()
    n_old = sum(1 for t, b in entries for text in (t, b) for _ in old(text, positions=True))
    out["old_ms"] = (time.perf_counter() - start) / len(entries) * 1000
    out["old_tokens_s"] = n_old / (out["old_ms"] * len(entries) / 1000)
    start = time.perf_counter()
    langs = [detect_language(f"{t}\n{b}") for t, b in entries]
    out["detect_ms"] = (time.perf_counter() - start) / len(entries) * 1000
    start = time.perf_counter()
    n_new = sum(
        1
        for (t, b), lang in zip(entries, langs, strict=True)
        for text in (t, b)
        for _ in new(LangText(text, lang), positions=True)
    )
    out["new_ms"] = (time.perf_counter() - start) / len(entries) * 1000
    out["new_tokens_s"] = n_new / (out["new_ms"] * len(entries) / 1000)
    out["extra_ms"] = out["new_ms"] + out["detect_ms"] - out["old_ms"]
    return out


def rhelp_entries(count: int = 5000) -> list[tuple[str, str]]:
    """The first ``count`` entries of R-help from its 101st month on (plain text, English)."""
    files = sorted((CORPORA / "bulk" / "r-help").glob("*.txt.gz"))[100:]
    entries: list[tuple[str, str]] = []
    for thread in iter_threads(files, IngestOptions(), Progress()):
        entries.extend((e.title or "", e.body) for e in thread.entries)
        if len(entries) >= count:
            break
    return entries[:count]


def _line(name: str, s: Score) -> str:
    return (f"  {name:<34} recall {s.recall:.3f}  precision {s.precision:.3f}"
            f"  (relevant {s.relevant}, found {s.found}, both {s.hits})")  # fmt: skip


def main() -> None:
    zh = load(ZH_FILES)
    ko = load(KO_FILES)
    fr = load(FR_FILES)
    cs = load(CS_FILES)
    ru = load(RU_FILES)
    mixed = load(MIXED_FILES)
    de = list(DE_TEXTS)
    tr = list(TR_TEXTS)
    groups = {"zh": zh, "ko": ko, "fr": fr, "cs": cs, "ru": ru, "mixed": mixed, "de": de,
              "tr": tr}  # fmt: skip
    analyzed = {name: analyze(entries) for name, entries in groups.items()}
    # The query side asks for every language the (whole, imagined) index holds.
    langs = sorted({d.lang for docs in analyzed.values() for d in docs if d.lang})
    print(f"languages in the index: {' '.join(langs)}")
    for name, docs in analyzed.items():
        counts: dict[str | None, int] = {}
        for d in docs:
            counts[d.lang] = counts.get(d.lang, 0) + 1
        top = sorted(counts.items(), key=lambda kv: -kv[1])[:5]
        print(f"  {name}: {len(docs)} entries, detected {top}")

    print("Chinese:", len(ZH_WORDS), "words")
    total, per_word = evaluate(
        analyzed["zh"], {w: cjk_truth(w) for w in ZH_WORDS}, langs
    )
    print(_line("bigrams", total))
    print("  lowest recall:", sorted((round(s.recall, 3), w) for w, s in per_word.items())[:3])
    print(_line("jieba (precise mode)", jieba_score(zh, ZH_WORDS)))

    print("Korean:", len(KO_WORDS), "nouns")
    total, per_word = evaluate(
        analyzed["ko"], {w: cjk_truth(w) for w in KO_WORDS}, langs
    )
    print(_line("bigrams", total))
    print(_line("kiwipiepy (morphemes)", kiwi_score(ko, KO_WORDS)))

    for name, words in (("French", FR_WORDS), ("Czech", CS_WORDS), ("German", DE_WORDS),
                        ("Turkish", TR_WORDS)):  # fmt: skip
        docs = analyzed[{"French": "fr", "Czech": "cs", "German": "de", "Turkish": "tr"}[name]]
        total, per_word = evaluate(docs, {w: word_truth(s) for w, s in words.items()}, langs)
        print(f"{name} without diacritics: {len(words)} words")
        print(_line("folded + stemmed", total))
        worst = sorted((round(s.recall, 2), round(s.precision, 2), w) for w, s in per_word.items())
        print("  lowest:", worst[:3])

    if os.environ.get("SKIP_COST"):
        return
    entries = rhelp_entries()
    print(f"Cost on {len(entries)} R-help entries:")
    for key, value in cost(entries).items():
        print(f"  {key:<14} {value:,.3f}")


if __name__ == "__main__":
    main()
