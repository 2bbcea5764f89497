"""The benchmark corpora: a deterministic synthetic generator and the R-help archive.

Each corpus is written once to ``bench/scratch/<name>/corpus.pkl`` as a stream of pickled
:class:`threadsearch.model.Thread` objects (one ``pickle.dump`` per thread), so every engine's
ingest subprocess reads identical documents, and ``info.json`` beside it holds the
statistics the query picker needs (document frequencies, bigrams, authors, dates).
"""

from __future__ import annotations

import json
import math
import pickle
import re
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
from threadsearch.model import Entry, Thread, entry_id_for, thread_id_for
from whoosh.analysis import STOP_WORDS

from .words import COMMON

ROOT = Path(__file__).resolve().parent
WORK = ROOT / "scratch"
SEED_TEXT = ROOT.parent / "index_data"
RHELP = ROOT.parent.parent / "shared" / "corpora" / "bulk" / "r-help"
GENERATOR_VERSION = 2

_WORD = re.compile(r"[a-z]+")

FIRST = """james mary john patricia robert jennifer michael linda william elizabeth david
barbara richard susan joseph jessica thomas sarah charles karen daniel nancy matthew lisa
anthony betty mark margaret donald sandra steven ashley paul kimberly andrew emily joshua
donna kenneth michelle kevin dorothy brian carol george amanda edward melissa ronald
deborah timothy stephanie jason rebecca jeffrey sharon ryan laura jacob cynthia gary
kathleen nicholas amy eric shirley jonathan angela stephen helen larry anna justin brenda
scott pamela brandon nicole benjamin emma samuel samantha frank katherine gregory
christine raymond debra alexander rachel patrick catherine jack carolyn dennis janet jerry
ruth tyler maria aaron heather jose diane henry virginia adam julie douglas joyce nathan
victoria peter olivia zachary kelly kyle christina walter lauren harold joan jeremy
evelyn ethan judith carl megan keith cheryl roger andrea gerald hannah christian martha
terry jacqueline sean frances arthur gloria austin ann noah teresa lawrence kathryn""".split()
LAST = """smith johnson williams brown jones garcia miller davis rodriguez martinez
hernandez lopez gonzalez wilson anderson thomas taylor moore jackson martin lee perez
thompson white harris sanchez clark ramirez lewis robinson walker young allen king
wright scott torres nguyen hill flores green adams nelson baker hall rivera campbell
mitchell carter roberts gomez phillips evans turner diaz parker cruz edwards collins
reyes stewart morris morales murphy cook rogers gutierrez ortiz morgan cooper peterson
bailey reed kelly howard ramos kim cox ward richardson watson brooks chavez wood james
bennett gray mendoza ruiz hughes price alvarez castillo sanders patel myers long ross
foster jimenez powell jenkins perry russell sullivan bell coleman butler henderson
barnes gonzales fisher vasquez simmons romero jordan patterson alexander hamilton graham
reynolds griffin wallace moreno west cole hayes bryant herrera gibson ellis tran medina
aguilar stevens murray ford castro marshall owens harrison fernandez mcdonald woods
washington kennedy wells vargas henry chen freeman webb tucker guzman burns crawford
olson simpson porter hunter gordon mendez silva shaw snyder mason dixon munoz hunt hicks
holmes palmer wagner black robertson boyd rose stone salazar fox warren mills meyer rice
schmidt garza daniels ferguson nichols stephens soto weaver ryan gardner payne grant""".split()


def vocabulary() -> list[str]:
    """Real English words, most frequent first: the fixed list, then the seed text's."""
    seen: dict[str, None] = dict.fromkeys(COMMON)
    counts: Counter[str] = Counter()
    for path in sorted(SEED_TEXT.glob("*.txt")):
        counts.update(_WORD.findall(path.read_text(encoding="utf-8", errors="replace").lower()))
    for word, _ in sorted(counts.items(), key=lambda wc: (-wc[1], wc[0])):
        if len(word) >= 2:
            seen.setdefault(word, None)
    return list(seen)


def long_tail(words: list[str], count: int, seed: int) -> list[str]:
    """``count`` rare words after the real ones: two-word compounds ("stonewater").

    The real vocabulary has under 2,000 words, too few for the rare end of a Zipf
    distribution (terms in 10-50 of 100,000 entries); these stand in for that tail.
    """
    base = [w for w in words if len(w) >= 3][:1500]
    rng = np.random.Generator(np.random.PCG64(seed + 1))
    picks = rng.choice(len(base) * len(base), size=count * 2, replace=False)
    seen = set(words)
    tail: list[str] = []
    for pick in picks.tolist():
        word = base[pick // len(base)] + base[pick % len(base)]
        if word not in seen:
            seen.add(word)
            tail.append(word)
            if len(tail) == count:
                break
    return tail


def _authors(count: int) -> list[str]:
    names = []
    for i in range(count):
        first = FIRST[i % len(FIRST)].title()
        last = LAST[(i // len(FIRST)) % len(LAST)].title()
        extra = i // (len(FIRST) * len(LAST))
        names.append(f"{first} {last}" + (f" {extra + 1}" if extra else ""))
    return names


def synthetic_threads(n_entries: int, seed: int = 4) -> Iterator[Thread]:
    """``n_entries`` entries in threads of about 20, deterministic for a seed.

    Words: Zipf-Mandelbrot over the vocabulary rank (p ~ 1/(rank+2.7)); the ~1,800
    real words take the frequent ranks, :func:`long_tail` compounds the rare ones. Authors:
    n/40 of them, activity Zipf (s=1.1), so a few authors write most entries.
    Timestamps: 10 years from 2015-01-01 UTC; threads start uniformly, replies follow
    at exponential gaps (mean 5 hours). Bodies: log-normal length (median ~40 words).
    Kinds: position 0 is the post; 2% of replies are pingbacks and 1% trackbacks.
    """
    rng = np.random.Generator(np.random.PCG64(seed))
    vocab = vocabulary()
    vocab += long_tail(vocab, max(20_000, n_entries // 5), seed)
    ranks = np.arange(len(vocab), dtype=np.float64)
    p = 1.0 / (ranks + 2.7)
    p /= p.sum()
    cdf = np.cumsum(p)
    n_authors = max(20, n_entries // 40)
    authors = _authors(n_authors)
    ap = 1.0 / np.power(np.arange(1, n_authors + 1, dtype=np.float64), 1.1)
    acdf = np.cumsum(ap / ap.sum())
    start = datetime(2015, 1, 1, tzinfo=timezone.utc)
    span = 10 * 365.25 * 86400
    made = 0
    number = 0
    while made < n_entries:
        size = min(1 + int(rng.geometric(1 / 19.0)), n_entries - made)
        number += 1
        tid = thread_id_for(f"https://synthetic.example/t/{number}")
        lengths = np.clip(rng.lognormal(math.log(40), 0.8, size), 3, 600).astype(np.int64)
        title_len = int(rng.integers(3, 9))
        words = np.searchsorted(cdf, rng.random(int(lengths.sum()) + title_len))
        words = np.minimum(words, len(vocab) - 1).tolist()
        title = " ".join(vocab[w] for w in words[:title_len]).capitalize()
        who = np.minimum(np.searchsorted(acdf, rng.random(size)), n_authors - 1).tolist()
        t0 = rng.random() * span
        gaps = np.concatenate(([0.0], np.cumsum(rng.exponential(5 * 3600, size - 1))))
        kinds = rng.random(size)
        thread = Thread(id=tid, title=title, url=f"https://synthetic.example/t/{number}",
                        site="synthetic.example", source="synthetic")
        pos = title_len
        for i in range(size):
            n = int(lengths[i])
            body = " ".join(vocab[w] for w in words[pos : pos + n])
            pos += n
            if i == 0:
                kind = "post"
            elif kinds[i] < 0.02:
                kind = "pingback"
            elif kinds[i] < 0.03:
                kind = "trackback"
            else:
                kind = "comment"
            thread.entries.append(
                Entry(
                    id=entry_id_for(tid, str(i)),
                    thread_id=tid,
                    kind=kind,
                    position=i,
                    body=body.capitalize() + ".",
                    author=authors[who[i]],
                    timestamp=(start + timedelta(seconds=int(t0 + gaps[i]))),
                    title=title if i == 0 else None,
                    depth=0 if i == 0 else 1,
                )
            )
        made += size
        yield thread


def rhelp_files(limit: int | None = None) -> list[Path]:
    files = sorted(RHELP.glob("*.txt.gz"))
    return files[:limit] if limit else files


def rhelp_threads(limit: int | None = None) -> Iterator[Thread]:
    """R-help through threadsearch's own parsing (search.ingest.iter_threads)."""
    from threadsearch.ingest import IngestOptions, Progress, iter_threads

    yield from iter_threads(rhelp_files(limit), IngestOptions(), Progress())


def rhelp_available() -> tuple[bool, str]:
    if not RHELP.is_dir() or not rhelp_files():
        return False, f"R-help archive not found at {RHELP}; skipping the rhelp corpus"
    try:
        import threadsearch.sources.mail  # noqa: F401
    except ImportError as exc:
        return False, f"the mail parser (search/sources/mail.py) is missing ({exc}); skipping rhelp"
    return True, ""


def read_threads(path: Path) -> Iterator[Thread]:
    with path.open("rb") as stream:
        while True:
            try:
                yield pickle.load(stream)
            except EOFError:
                return


def _stem_ok(word: str) -> bool:
    return len(word) >= 3 and word not in STOP_WORDS


def prepare(name: str, threads: Iterator[Thread], log: Any = print) -> dict[str, Any]:
    """Write the corpus stream and its statistics (reused when already there)."""
    folder = WORK / name
    info_path = folder / "info.json"
    if info_path.exists():
        info: dict[str, Any] = json.loads(info_path.read_text())
        if info.get("version") == GENERATOR_VERSION:
            log(f"[{name}] corpus ready ({info['entries']} entries, reused)")
            return info
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    df: Counter[str] = Counter()
    bigrams: Counter[tuple[str, str]] = Counter()
    authors: Counter[str] = Counter()
    sizes: list[tuple[int, str]] = []
    entries = 0
    times: list[float] = []
    with (folder / "corpus.pkl").open("wb") as out:
        for thread in threads:
            pickle.dump(thread, out, protocol=pickle.HIGHEST_PROTOCOL)
            sizes.append((len(thread.entries), thread.id))
            for entry in thread.entries:
                entries += 1
                tokens = _WORD.findall(f"{entry.title or ''} {entry.body}".lower())
                df.update(set(tokens))
                if entries % 10 == 0:  # phrase candidates from a sample of entries
                    pairs = zip(tokens, tokens[1:], strict=False)
                    bigrams.update((a, b) for a, b in pairs if _stem_ok(a) and _stem_ok(b))
                if entry.author:
                    authors[entry.author] += 1
                if entry.timestamp:
                    stamp = entry.timestamp
                    if stamp.tzinfo is None:
                        stamp = stamp.replace(tzinfo=timezone.utc)
                    times.append(stamp.timestamp())
    sizes.sort()
    ts = np.array(times) if times else np.array([0.0])
    info = {
        "version": GENERATOR_VERSION,
        "name": name,
        "entries": entries,
        "threads": len(sizes),
        "seconds_to_prepare": round(time.perf_counter() - started, 2),
        "df": [[w, c] for w, c in df.most_common() if _stem_ok(w)],
        "bigrams": [[a, b, c] for (a, b), c in bigrams.most_common(5000)],
        "authors": [[a, c] for a, c in authors.most_common(100)],
        "time_p10": float(np.percentile(ts, 10)),
        "time_p50": float(np.percentile(ts, 50)),
        "time_p90": float(np.percentile(ts, 90)),
        "time_min": float(ts.min()),
        "time_max": float(ts.max()),
        "median_threads": [tid for _, tid in sizes[len(sizes) // 2 : len(sizes) // 2 + 20]],
        # threads of median size and up, none of them the median_threads above
        "fresh_threads": [tid for _, tid in sizes[len(sizes) // 2 + 20 :: 7][:1000]],
    }
    info_path.write_text(json.dumps(info))
    log(f"[{name}] corpus written: {entries} entries in {len(sizes)} threads "
        f"({info['seconds_to_prepare']} s)")
    return info
