"""The opensearch backend: the request model on an OpenSearch cluster, through opensearch-py.

Everything that knows OpenSearch lives here, as Whoosh stays in :mod:`.index` and
:mod:`.query`:

- **Mapping and analysis** (:func:`index_body`): the Whoosh schema's fields, keyword fields
  for the facets, ``timestamp`` as a date, ``title``/``body``/``quoted`` folded (identifiers
  whole and in parts, lowercase, ASCII folding, CJK width and bigrams) plus, for an entry in
  a language with a Snowball stemmer, the same text stemmed in ``title_<lang>`` and
  ``body_<lang>``. Differences from the Whoosh side are listed in the README ("When one
  machine is not enough").
- **Requests** (:func:`search_body`): the query text through ``query_string`` (the same
  syntax: ANDed words, phrases, ``field:value``, ``OR``, ``NOT``; spelled first as the
  Whoosh parser reads it, :func:`whoosh_reading`), each word scored in each field as
  Whoosh scores it (:func:`_ranked`), filters as a
  ``post_filter``, each facet an aggregation filtered by every filter but its own
  (multi-select), calendar facets as ``date_histogram``, one hit per thread by ``collapse``,
  the "did you mean" from the term suggester, similar entries by ``more_like_this``, and
  point-in-time with ``search_after`` for reading everything in a stable order.
- **Writes**: threads stream through the bulk helper in bounded chunks, retried with back-off,
  each entry under its own id so a re-run replaces. Each build is one index,
  ``<alias>-g<generation>``, behind the alias; a rebuild fills a new generation and swaps the
  alias in one atomic call.

Snippets and highlights are made by :mod:`.query.snippets` from the returned source, the same
code the Whoosh backend uses, so both mark the same words.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timezone
from functools import partial
from typing import Any, TypeVar

from opensearchpy import OpenSearch, helpers
from opensearchpy.exceptions import (
    ConnectionError as ClusterConnectionError,
)
from opensearchpy.exceptions import (
    ConnectionTimeout,
    RequestError,
    TransportError,
)
from opensearchpy.exceptions import (
    NotFoundError as ClusterNotFoundError,
)

from .analysis import STEMMERS, UMLAUT_SPELLINGS, indexed_as_stems, stop_words
from .errors import (
    BackendUnavailableError,
    InvalidFilterError,
    NotFoundError,
    QuerySyntaxError,
    SearchError,
)
from .index import IngestReport
from .ingest import IngestOptions, Progress, Tally, expand_paths, iter_threads
from .model import (
    Entry,
    Facet,
    FacetValue,
    Hit,
    IngestSummary,
    SearchRequest,
    SearchResult,
    SimilarResult,
    Stats,
    Thread,
    ThreadPage,
    ThreadSummary,
)
from .query.cursor import Cursor, decode_cursor
from .query.engine import (
    FACET_LIMIT,
    MAX_PER_PAGE,
    SUGGEST_BELOW,
    SUGGEST_PREFIX,
    check_request,
    entry_from_fields,
    thread_from_fields,
)
from .query.facets import CALENDAR_FACETS, KEYWORD_FACETS, facet_filter
from .query.filters import DATE_FILTER, KEYWORD_FILTERS, _check_kinds
from .query.limits import DEFAULT_LIMITS, QueryLimits, check_query
from .query.parse import QueryUnit, parse_query, query_units, typed_spans
from .query.snippets import highlight
from .schema import (
    AUTHOR,
    BODY,
    ID_FIELD,
    KIND,
    LANG,
    MENTIONS,
    POSITION,
    SCHEMA_VERSION,
    SITE,
    SPELL,
    TAG,
    THREAD,
    TIME_TEXT,
    TIMESTAMP,
    TITLE,
    build_schema,
    thread_documents,
    title_text,
)
from .writes import WriteResult, _check, validate_threads

DEFAULT_ALIAS = "threadsearch"
#: The field that keeps the order entries were written in (Whoosh's document order).
SEQ = "seq"
#: Entries per bulk request: small enough for a 384 MB node, large enough to amortize.
CHUNK = 500
#: Seconds a search reuses the index's list of languages (another writer's new language
#: is searched in its stemmed fields after at most this long).
LANGS_TTL = 30.0
#: Cardinality counts are exact up to this many distinct values (OpenSearch's ceiling).
EXACT_UP_TO = 40_000
#: Snowball languages OpenSearch's analysis-common knows, by ISO 639-1 code.
SNOWBALL = {
    "en": "English", "de": "German2", "fr": "French", "es": "Spanish", "it": "Italian",
    "pt": "Portuguese", "nl": "Dutch", "ru": "Russian", "sv": "Swedish", "no": "Norwegian",
    "da": "Danish", "fi": "Finnish", "hu": "Hungarian", "ro": "Romanian", "tr": "Turkish",
    "ca": "Catalan", "eu": "Basque", "hy": "Armenian", "lt": "Lithuanian",
}  # fmt: skip
STEMMED = tuple(sorted(lang for lang in SNOWBALL if lang in STEMMERS))
_SCHEMA = build_schema()

T = TypeVar("T")


# --- mapping and analysis ----------------------------------------------------------------


#: Identifiers as the Whoosh side splits them (:func:`.analysis.analyze_word`): whole and,
#: from the same position on, in parts at dots, underscores, apostrophes and case changes
#: (``model.matrix``, ``read_table``, ``readTable``); digits stay in their word and a
#: number (``3.14``) stays whole.
IDENTIFIER_PARTS = {
    "type": "word_delimiter_graph",
    "preserve_original": True,
    "split_on_case_change": True,
    "split_on_numerics": False,
    "generate_number_parts": False,
    "stem_english_possessive": False,
}
#: The case change word_delimiter_graph does not split, capitals before a capitalized
#: word (``XLoad``, ``HTTPServer``), split as on the Whoosh side, parts at one position.
CAPITALS_PARTS = {
    "type": "pattern_capture",
    "preserve_original": True,
    "patterns": [r"^(\p{Lu}+)(\p{Lu}\p{Ll}+)$"],
}
#: The whole identifier is not stemmed (its parts are), as on the Whoosh side: a token
#: that still holds a dot, an underscore or a case change after the split is a whole one.
WHOLE_IDENTIFIER = {
    "type": "keyword_marker",
    "keywords_pattern": r"(?s).*(?:[._]|\p{Ll}\p{Lu}|\p{Lu}\p{Lu}\p{Ll}|\p{Nd}\p{Lu}).*",
}


IDENTIFIERS = ["identifiers", "capitals"]

#: A word with a German umlaut folded both ways at one position, as on the Whoosh side
#: (:mod:`.analysis`): ``münchen`` as ``munchen`` and ``muenchen``, so either spelling
#: finds the other and the umlaut.
UMLAUTS = {
    f"umlaut_{spelled}": {"type": "pattern_replace", "pattern": umlaut, "replacement": spelled}
    for umlaut, spelled in UMLAUT_SPELLINGS.items()
}
FOLDING = {
    "type": "multiplexer",
    "preserve_original": False,
    "filters": ["asciifolding", ", ".join([*UMLAUTS, "asciifolding"])],
}

#: ``C++``, ``C#``, ``S+`` and ``.NET`` are names as written on the Whoosh side
#: (:func:`.analysis.analyze_word`), where the standard tokenizer would drop the signs and
#: index ``c``. Before it, a trailing ``++``, ``+`` or ``#`` after a word and a leading dot
#: before one are spelled out between digits (``C++`` is read as ``C0pp0``): one token, no
#: split (digits do not break a word here), no stem (a word ending in a digit has no
#: suffix to take). The query text goes through the same filters, and highlights map back
#: to ``C++`` itself. The ``spelling`` analyzer leaves them out, so "did you mean" never
#: proposes the spelled form.
_AFTER_WORD, _NOT_BEFORE_WORD = r"(?<=[\p{L}\p{N}_])", r"(?![\p{L}\p{N}_+#])"
SIGNS = {
    "plus_plus": (rf"{_AFTER_WORD}\+\+{_NOT_BEFORE_WORD}", "0pp0"),
    "plus": (rf"{_AFTER_WORD}\+{_NOT_BEFORE_WORD}", "0p0"),
    "sharp": (rf"{_AFTER_WORD}#{_NOT_BEFORE_WORD}", "0s0"),
    "leading_dot": (r"(?<![\p{L}\p{N}_.])\.(?=\p{L})", "0d0"),
}


def _analyzer(filters: list[str], signs: bool = True) -> dict[str, Any]:
    analyzer = {"type": "custom", "tokenizer": "standard", "filter": filters}
    return {**analyzer, "char_filter": list(SIGNS)} if signs else analyzer


def _text_field(analyzer: str, **extra: Any) -> dict[str, Any]:
    """A text field analyzed by ``analyzer``: indexed through the flattened graph of its
    identifier parts, queried through the graph itself (``<analyzer>_query``)."""
    return {"type": "text", "analyzer": analyzer, "search_analyzer": f"{analyzer}_query", **extra}


def index_body(shards: int = 1, replicas: int = 0) -> dict[str, Any]:
    """Settings and mapping of one generation's index."""
    chains: dict[str, list[str]] = {
        "folded": ["cjk_width", *IDENTIFIERS, "lowercase", "folding", "cjk_bigram"],
    }
    filters: dict[str, Any] = {
        "identifiers": IDENTIFIER_PARTS,
        "capitals": CAPITALS_PARTS,
        "whole_identifiers": WHOLE_IDENTIFIER,
        **UMLAUTS,
        "folding": FOLDING,
        # The Whoosh side's English stop words, not Lucene's shorter list.
        "english_stop": {"type": "stop", "stopwords": sorted(stop_words("en"))},
    }
    for lang in STEMMED:
        chain = ["cjk_width", *IDENTIFIERS, "whole_identifiers", "lowercase"]
        if lang == "en":  # the Whoosh side drops stop words from English text only
            chain.append("english_stop")
        filters[f"snowball_{lang}"] = {"type": "snowball", "language": SNOWBALL[lang]}
        chains[f"text_{lang}"] = [*chain, "folding", f"snowball_{lang}"]
    analyzers: dict[str, Any] = {
        # Words as typed, identifiers whole, for "did you mean" (the Whoosh spell field).
        "spelling": _analyzer(["cjk_width", "lowercase", "asciifolding", "cjk_bigram"], False),
    }
    for name, chain in chains.items():
        # A graph filter's output is flattened for the index; the query keeps the graph.
        analyzers[name] = _analyzer([*chain, "flatten_graph"])
        analyzers[f"{name}_query"] = _analyzer(chain)
    keyword = {"type": "keyword"}
    stored = {"type": "keyword", "index": False, "doc_values": False}
    text = _text_field("folded")
    properties: dict[str, Any] = {
        ID_FIELD: keyword, THREAD: keyword, KIND: keyword, AUTHOR: keyword, SITE: keyword,
        TAG: keyword, LANG: keyword, MENTIONS: keyword, "parent_id": keyword,
        "status": keyword, TIMESTAMP: {"type": "date"}, POSITION: {"type": "integer"},
        "depth": {"type": "integer"}, SEQ: {"type": "long"},
        "declared_count": {"type": "integer", "index": False},
        "utc_offset": {"type": "integer", "index": False},
        "thread_title": stored, "thread_url": stored, "author_url": stored, "url": stored,
        "source": stored, TIME_TEXT: stored,
        TITLE: {**text, "copy_to": SPELL}, BODY: {**text, "copy_to": SPELL},
        "quoted": text, SPELL: {"type": "text", "analyzer": "spelling"}, LINKBACK_TITLE: text,
    }  # fmt: skip
    for lang in STEMMED:
        properties[f"{TITLE}_{lang}"] = _text_field(f"text_{lang}")
        properties[f"{BODY}_{lang}"] = _text_field(f"text_{lang}")
    return {
        "settings": {
            "number_of_shards": shards,
            "number_of_replicas": replicas,
            "analysis": {
                "analyzer": analyzers,
                "filter": filters,
                "char_filter": {
                    name: {"type": "pattern_replace", "pattern": pattern, "replacement": spelled}
                    for name, (pattern, spelled) in SIGNS.items()
                },
            },
        },
        "mappings": {
            "dynamic": "strict",
            "_meta": {"threadsearch_schema": SCHEMA_VERSION},
            "properties": properties,
        },
    }


#: Indexed, not returned (``_source`` leaves out ``title_*``): a titleless linkback's author.
LINKBACK_TITLE = f"{TITLE}_linkback"


def _list(value: str | None) -> list[str]:
    return [part for part in (value or "").split(",") if part]


def source_from_fields(fields: dict[str, Any], seq: int) -> dict[str, Any]:
    """The cluster document of one entry, from its Whoosh stored fields."""
    doc = {k: v for k, v in fields.items() if v is not None}
    doc[TAG] = _list(fields.get(TAG))
    doc[MENTIONS] = _list(fields.get(MENTIONS))
    doc[SEQ] = seq
    if fields.get(TIME_TEXT):
        doc[TIMESTAMP] = fields[TIME_TEXT]
    # A pingback or trackback without a title is found by its author, as on Whoosh: in
    # the entry's stemmed title, or for an entry not stemmed, in a folded field of its own.
    linkback = (
        "" if fields.get(TITLE) else title_text("", fields.get(KIND) or "", fields.get(AUTHOR))
    )
    lang = fields.get(LANG)
    if linkback and not _stems(lang):
        doc[LINKBACK_TITLE] = linkback
    if _stems(lang):
        doc[f"{TITLE}_{lang}"] = fields.get(TITLE) or linkback
        doc[f"{BODY}_{lang}"] = fields.get(BODY) or ""
    return doc


def thread_sources(thread: Thread) -> list[dict[str, Any]]:
    """The stored fields of a thread's entries, as the Whoosh side stores them."""
    stored = []
    for doc in thread_documents(thread):
        fields: dict[str, Any] = {}
        for key, value in doc.items():
            if key.startswith("_stored_"):
                fields[key.removeprefix("_stored_")] = str(value)
            elif key in _SCHEMA.stored_names() and key not in fields:
                fields[key] = str(value) if isinstance(value, str) else value
        stored.append(fields)
    return stored


def fields_from_source(source: dict[str, Any]) -> dict[str, Any]:
    """A hit's source back in the shape of Whoosh stored fields."""
    fields = dict(source)
    fields[TAG] = ",".join(source.get(TAG) or [])
    fields[MENTIONS] = ",".join(source.get(MENTIONS) or [])
    return fields


# --- requests ----------------------------------------------------------------------------


def _utc_text(moment: datetime) -> str:
    if moment.tzinfo is None:  # the Whoosh side reads a naive bound as UTC too
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat()


def filter_clauses(request: SearchRequest) -> dict[str, dict[str, Any]]:
    """One filter clause per active filter, keyed as :mod:`.query.filters` keys masks."""
    clauses: dict[str, dict[str, Any]] = {}
    for name, field in KEYWORD_FILTERS.items():
        values: list[str] = getattr(request, name)
        if values:
            if name == "kind":
                _check_kinds(values)
            clauses[name] = {"terms": {field: values}}
    if request.since is not None or request.until is not None:
        if request.since and request.until and request.since > request.until:
            raise InvalidFilterError(
                f"since ({request.since.isoformat()}) is after until ({request.until.isoformat()})",
                hint="Swap the two dates.",
            )
        bounds = {}
        if request.since is not None:
            bounds["gte"] = _utc_text(request.since)
        if request.until is not None:
            bounds["lte"] = _utc_text(request.until)
        clauses[DATE_FILTER] = {"range": {TIMESTAMP: bounds}}
    return clauses


def _all_of(clauses: Iterable[dict[str, Any]]) -> dict[str, Any]:
    return {"bool": {"filter": list(clauses)}}


def text_query(
    q: str, langs: Sequence[str | None], limits: QueryLimits = DEFAULT_LIMITS
) -> dict[str, Any]:
    """The query text over the stemmed fields of ``langs`` for entries in a stemmed
    language, and over the folded fields for the others (:func:`.analysis.indexed_as_stems`:
    the Whoosh side indexes one or the other, and a prefix must reach the same terms);
    fuzzy terms keep ``limits.fuzzy_prefix`` leading characters, as on the Whoosh side.

    ``query_string`` decides which entries match; each positive word, phrase and prefix
    (:func:`.query.parse.query_units`) then adds its own score (:func:`_ranked`).
    """
    if not q.strip():
        return {"match_all": {}}
    units = query_units(q, _SCHEMA, langs)
    q = whoosh_reading(q, langs)
    folded_fields = {TITLE: [f"{TITLE}^2", f"{LINKBACK_TITLE}^2"], BODY: [BODY]}
    folded = {
        "bool": {
            "must": [_ranked(q, units, folded_fields, limits)],
            "must_not": [{"terms": {LANG: list(STEMMED)}}],
        }
    }
    stemmed = [lang for lang in dict.fromkeys(langs) if _stems(lang)]
    if not stemmed:
        return folded
    stemmed_fields = {
        TITLE: [f"{TITLE}_{lang}^2" for lang in stemmed],
        BODY: [f"{BODY}_{lang}" for lang in stemmed],
    }
    return {
        "bool": {
            "should": [_ranked(q, units, stemmed_fields, limits), folded],
            "minimum_should_match": 1,
        }
    }


#: Characters query_string reads as syntax where Whoosh's parser reads part of a word:
#: ``R-help``, ``TCP/IP`` (a regular expression there), ``-java``, ``!java``, ``a||b``.
_NOT_SYNTAX_IN_WHOOSH = frozenset("+-!/&|=<>\\")


def whoosh_reading(q: str, langs: Sequence[str | None]) -> str:
    """``q`` spelled so that ``query_string`` reads it as the Whoosh side does.

    - A word holding a character that is syntax only to ``query_string`` is quoted: Whoosh
      reads ``R-help`` as the phrase of its parts and ``-java`` as ``java`` (exclusion is
      ``NOT``), and a quoted word is the phrase of its parts here too.
    - A date is spelled as the range Whoosh searches (``timestamp:2005-10``,
      ``timestamp:yesterday``, ``timestamp:>2005``), in ISO dates the cluster reads.

    >>> whoosh_reading("R-help -java timestamp:2005-10", ["en"])
    '"R-help" "-java" timestamp:[2005-10-01T00:00:00+00:00 TO 2005-10-31T23:59:59.999999+00:00]'
    """
    parts: list[str] = []
    at = 0
    for span in typed_spans(q, _SCHEMA, langs):
        if span.word is not None:
            if _NOT_SYNTAX_IN_WHOOSH.isdisjoint(span.word):
                continue
            spelled = '"' + span.word.replace("\\", "\\\\") + '"'
        else:
            low, high = (_utc_text(b) if b else "*" for b in (span.low, span.high))
            spelled = f"{span.fieldname}:[{low} TO {high}]"
        parts += [q[at : span.start], spelled]
        at = span.end
    parts.append(q[at:])
    return "".join(parts)


def _ranked(
    q: str, units: Sequence[QueryUnit], fields: dict[str, list[str]], limits: QueryLimits
) -> dict[str, Any]:
    """The entries ``q`` matches over ``fields``, scored word by word as on the Whoosh side.

    ``query_string`` reads the words typed together as one text, and its multi-field types
    either want every word in one field (``best_fields``, ``most_fields``) or blend the
    fields' document frequencies (``cross_fields``), so a word rare in titles weighs no
    more there than in bodies. Whoosh scores each word in each field with that field's
    statistics and adds the scores up. So ``query_string`` only filters here (the entries
    matched do not change), and each positive word, phrase and prefix of the query
    (:func:`.query.parse.query_units`) adds its own score (:func:`_unit_score`).
    """
    everywhere = [name for names in fields.values() for name in names]
    matching = _query_string(q, everywhere, limits)
    if not units:
        return matching
    scores = [_unit_score(unit, fields, limits) for unit in units]
    return {"bool": {"filter": [matching], "should": scores}}


#: Terms a prefix or wildcard is scored by (OpenSearch's default clause limit). An entry
#: that only terms past these match is still matched, through the filter, with no score.
SCORED_TERMS = 1024
#: query_string's special characters but the wildcards ``*`` and ``?``.
_SPECIAL = re.compile(r'([+\-=&|><!(){}\[\]^"~:\\/])')


def _unit_score(
    unit: QueryUnit, fields: dict[str, list[str]], limits: QueryLimits
) -> dict[str, Any]:
    """The clause that scores ``unit``: each of its fields with the field's own statistics,
    the fields' scores added (``tie_breaker`` 1) as Whoosh adds the title's and body's."""
    names = [name for field in sorted(unit.fields) for name in fields.get(field, [field])]
    if unit.pattern is not None:
        # A prefix or wildcard scored by its terms, as on the Whoosh side, where the
        # default rewrite would give every match the same score.
        return {
            "query_string": {
                "query": _SPECIAL.sub(r"\\\1", unit.text),
                "fields": names,
                "tie_breaker": 1.0,
                "rewrite": f"top_terms_{SCORED_TERMS}",
                "lenient": True,
                "allow_leading_wildcard": limits.allow_leading_wildcard,
            }
        }
    if len(unit.text.split()) > 1:
        kind = {"type": "phrase"}
    else:  # a word's parts (an identifier's, a CJK word's bigrams) in one field
        kind = {"type": "best_fields", "operator": "and"}
    return {
        "multi_match": {
            "query": unit.text,
            "fields": names,
            **kind,
            "tie_breaker": 1.0,
            "lenient": True,
        }
    }


def _stems(lang: str | None) -> bool:
    return indexed_as_stems(lang, STEMMED)


def _query_string(q: str, fields: list[str], limits: QueryLimits) -> dict[str, Any]:
    return {
        "query_string": {
            "query": q,
            "fields": fields,
            "default_operator": "AND",
            # Each word in any of the fields, as Whoosh's multifield parser reads it
            # (best_fields would want every word in one field).
            "type": "cross_fields",
            # A word's score is the sum of its fields' scores, as Whoosh adds the
            # title's and the body's (the default, 0, keeps the best field's alone).
            "tie_breaker": 1.0,
            "lenient": True,
            "fuzzy_prefix_length": limits.fuzzy_prefix,
            "allow_leading_wildcard": limits.allow_leading_wildcard,
        }
    }


def _facet_agg(name: str, limit: int) -> dict[str, Any]:
    if name in CALENDAR_FACETS:
        interval = {"year": "year", "month": "month", "day": "day"}[name]
        fmt = {"year": "yyyy", "month": "yyyy-MM", "day": "yyyy-MM-dd"}[name]
        return {
            "date_histogram": {
                "field": TIMESTAMP,
                "calendar_interval": interval,
                "format": fmt,
                "min_doc_count": 1,
                "time_zone": "UTC",
            }
        }
    field = KEYWORD_FACETS[name][0]
    # Counts are exact when every shard returns every value it holds.
    return {
        "terms": {
            "field": field,
            "size": 65_535,
            "shard_size": 65_535,
            "order": [{"_count": "desc"}, {"_key": "asc"}],
        }
    }


def _missing_field(name: str) -> str:
    return TIMESTAMP if name in CALENDAR_FACETS else KEYWORD_FACETS[name][0]


def search_body(
    request: SearchRequest,
    langs: Sequence[str | None],
    limits: QueryLimits = DEFAULT_LIMITS,
    after: Cursor | None = None,
) -> dict[str, Any]:
    """The request in the query DSL: query, post_filter, facet aggregations, sort, page;
    with ``after``, the page after that cursor (``search_after``)."""
    clauses = filter_clauses(request)
    body: dict[str, Any] = {
        "query": text_query(request.q, langs, limits),
        "from": (request.page - 1) * request.per_page,
        "size": request.per_page,
        "track_total_hits": True,
        "_source": {"excludes": [f"{TITLE}_*", f"{BODY}_*", SPELL]},
        "sort": _sort(request),
    }
    if after is not None:
        body["search_after"] = [after.key, after.entry_id]
    if clauses:
        body["post_filter"] = _all_of(clauses.values())
    aggs: dict[str, Any] = {}
    for name in request.facets:
        others = [c for key, c in clauses.items() if key != facet_filter(name)]
        inner = {"values": _facet_agg(name, 0)}
        if name != "tag":  # a tag-less entry is not counted under None on the Whoosh side
            inner["none"] = {"missing": {"field": _missing_field(name)}}
        aggs[f"facet_{name}"] = {"filter": _all_of(others), "aggs": inner}
    if request.collapse == "thread":
        body["collapse"] = {"field": THREAD}
        aggs["collapsed_total"] = {
            "filter": _all_of(clauses.values()),
            "aggs": {
                "threads": {"cardinality": {"field": THREAD, "precision_threshold": EXACT_UP_TO}}
            },
        }
    if aggs:
        body["aggs"] = aggs
    return body


def _cursor_sort(sort: str) -> str:
    # Cursors name the backend beside the sort: the cluster's keys (Lucene scores,
    # epoch milliseconds) mean nothing to the Whoosh backend, and the other way round.
    return f"{sort}@opensearch"


def decode_cluster_cursor(text: str, sort: str) -> Cursor:
    """The cursor of ``text``, made by this backend for a search with the same ``sort``."""
    try:
        decode_cursor(text, sort)
    except InvalidFilterError:
        return decode_cursor(text, _cursor_sort(sort))
    raise InvalidFilterError(
        "the cursor was made by another backend (whoosh), not by this cluster",
        hint="Pass the next_cursor of a previous result of this server unchanged.",
    )


def next_cursor(request: SearchRequest, raw: list[dict[str, Any]], total: int) -> str | None:
    """The cursor after this page's last hit (its sort values); None when none can follow.

    Hits are ordered by (score or timestamp, entry id), as on the Whoosh side, so the
    cursor holds the last hit's two sort values, which ``search_after`` takes back.
    """
    if request.collapse or not raw or len(raw) < request.per_page:
        return None
    if request.cursor is None and request.page * request.per_page >= total:
        return None
    key, entry_id = raw[-1]["sort"]
    return Cursor(_cursor_sort(request.sort), key, str(entry_id)).encode()


def _sort(request: SearchRequest) -> list[Any]:
    # Ties break as on the Whoosh side: by entry id (which the cursor holds), except
    # that collapse keeps each thread's first entry in document order (``seq``).
    tie = {SEQ: "asc"} if request.collapse else {ID_FIELD: "asc"}
    by_time = request.sort != "relevance" or not request.q.strip()
    if not by_time:
        return ["_score", tie]
    order = "asc" if request.sort == "oldest" else "desc"
    return [{TIMESTAMP: {"order": order, "missing": "_last"}}, tie]


def _facet(name: str, agg: dict[str, Any], selected: list[str], limit: int) -> Facet:
    buckets = agg["values"]["buckets"]
    missing = agg.get("none", {}).get("doc_count", 0)
    if name in CALENDAR_FACETS:
        values = [FacetValue(b["key_as_string"], b["doc_count"]) for b in buckets]
        if missing:
            values.append(FacetValue(None, missing))
        cap = max(limit, 10_000)
        return Facet(name, values[:cap], truncated=len(values) > cap)
    pairs: list[tuple[str | None, int]] = [(b["key"], b["doc_count"]) for b in buckets]
    if missing:
        pairs.append((None, missing))
    pairs.sort(key=lambda vc: (-vc[1], vc[0] is None, vc[0] or ""))
    chosen = set(selected)
    shown = [FacetValue(v, c, v in chosen) for v, c in pairs[:limit]]
    return Facet(name, shown, truncated=len(pairs) > limit)


def _time(source: dict[str, Any]) -> datetime | None:
    text = source.get(TIME_TEXT)
    return datetime.fromisoformat(text) if text else None


def _hit(
    source: dict[str, Any], units: list[Any], score: float | None, collapsed: int | None
) -> Hit:
    fields = fields_from_source(source)
    shown = highlight(fields, units, fields.get(LANG))
    return Hit(
        id=fields[ID_FIELD],
        thread_id=fields[THREAD],
        thread_title=fields.get("thread_title") or "",
        kind=fields[KIND],
        author=fields.get(AUTHOR),
        timestamp=_time(fields),
        position=fields[POSITION],
        score=score,
        snippet=shown.snippet,
        collapsed=collapsed,
        utc_offset=fields.get("utc_offset"),
        lang=fields.get(LANG),
        highlights=shown.fields,
        matched_terms=shown.matched_terms,
    )


# --- the backend -------------------------------------------------------------------------


class OpenSearchBackend:
    """The request model served by an OpenSearch cluster behind the alias ``alias``.

    A query that meets a node error (a node gone, a shard moving) is retried on the other
    nodes with back-off; only when every try fails is it a
    :class:`~threadsearch.errors.BackendUnavailableError`.
    """

    name = "opensearch"

    def __init__(
        self,
        urls: Sequence[str],
        *,
        alias: str = DEFAULT_ALIAS,
        retries: int = 6,
        client: OpenSearch | None = None,
    ) -> None:
        self.urls = list(urls)
        self.alias = alias
        self.retries = retries
        self._langs: tuple[float, list[str | None]] | None = None
        self.client = client or OpenSearch(
            hosts=self.urls,
            retry_on_timeout=True,
            retry_on_status=(502, 503, 504),
            max_retries=3,
            timeout=30,
        )

    # -- plumbing

    def _call(self, action: Callable[[], T]) -> T:
        """Run ``action``, retrying node errors with back-off; map the rest to ours."""
        delay = 0.25
        for attempt in range(self.retries + 1):
            try:
                return action()
            except ClusterNotFoundError as exc:
                if _missing_index(exc):
                    raise SearchError(
                        f"no index {self.alias!r} in the cluster at {', '.join(self.urls)}",
                        hint="Fill it with `threadsearch ingest --backend opensearch` or "
                        "`threadsearch copy`.",
                    ) from exc
                raise
            except RequestError as exc:
                raise QuerySyntaxError(
                    f"the cluster cannot read the query: {_reason(exc)}"
                ) from exc
            except (ClusterConnectionError, ConnectionTimeout, TransportError) as exc:
                status = getattr(exc, "status_code", None)
                retryable = not isinstance(status, int) or status >= 500 or status == 429
                if not retryable or attempt == self.retries:
                    raise BackendUnavailableError(
                        f"the cluster at {', '.join(self.urls)} did not answer: {exc}"
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, 4.0)
        raise AssertionError("unreachable")

    def _search(self, body: dict[str, Any], **params: Any) -> dict[str, Any]:
        # A shard whose copy just died fails the whole request instead of answering with
        # fewer hits: the retry then reaches the promoted replica.
        return self._call(
            lambda: self.client.search(
                index=self.alias,
                body=body,
                allow_partial_search_results=False,
                search_type="dfs_query_then_fetch",
                **params,
            )
        )

    def langs(self, request: SearchRequest) -> list[str | None]:
        """Languages the query words are analyzed in, as :func:`.engine.query_langs`.

        The index's languages are asked for once per :data:`LANGS_TTL` seconds (and after
        each write through this backend), not on every search.
        """
        if request.lang:
            return list(request.lang)
        known = self._langs
        if known is None or time.monotonic() - known[0] > LANGS_TTL:
            body = {"size": 0, "aggs": {"langs": {"terms": {"field": LANG, "size": 1000}}}}
            buckets = self._search(body)["aggregations"]["langs"]["buckets"]
            known = (time.monotonic(), sorted(b["key"] for b in buckets))
            self._langs = known
        return list(known[1])

    # -- reads

    def search(
        self,
        request: SearchRequest,
        *,
        max_per_page: int = MAX_PER_PAGE,
        facet_limit: int = FACET_LIMIT,
        limits: QueryLimits = DEFAULT_LIMITS,
        time_budget: float | None = None,
    ) -> SearchResult:
        """Run a search request on the cluster.

        ``limits`` are checked before the cluster is asked (the expansion of wildcards,
        which needs the index's terms, is left to the cluster). ``time_budget`` is not
        applied: the cluster runs a search to its end and ``partial`` stays false.
        """
        started = time.perf_counter()
        check_request(request, max_per_page, limits)
        after = decode_cluster_cursor(request.cursor, request.sort) if request.cursor else None
        langs = self.langs(request)
        if request.q.strip():
            check_query(parse_query(request.q, _SCHEMA, langs), None, limits)
        result = self._search(search_body(request, langs, limits, after))
        aggs = result.get("aggregations", {})
        total = int(result["hits"]["total"]["value"])
        if request.collapse == "thread":
            total = int(aggs["collapsed_total"]["threads"]["value"])
        units = query_units(request.q, _SCHEMA, langs) if request.q.strip() else []
        raw = result["hits"]["hits"]
        collapsed = self._collapsed_counts(request, raw) if request.collapse else {}
        by_score = request.sort == "relevance" and bool(request.q.strip())
        hits = [
            _hit(
                h["_source"],
                units,
                round(float(h["_score"]), 4) if by_score and h.get("_score") else None,
                collapsed.get(h["_source"][THREAD]) if request.collapse else None,
            )
            for h in raw
        ]
        facets = {
            name: _facet(name, aggs[f"facet_{name}"], getattr(request, name, []), facet_limit)
            for name in request.facets
        }
        suggestion = self._suggest(request, total) if total < SUGGEST_BELOW else None
        return SearchResult(
            total,
            request.page,
            request.per_page,
            round((time.perf_counter() - started) * 1000, 3),
            hits,
            facets,
            suggestion,
            [],
            next_cursor=next_cursor(request, raw, total),
        )

    def _collapsed_counts(
        self, request: SearchRequest, raw: list[dict[str, Any]]
    ) -> dict[str, int]:
        """For each thread on the page, how many more selected entries it has."""
        threads = [h["_source"][THREAD] for h in raw]
        if not threads:
            return {}
        clauses = [*filter_clauses(request).values(), {"terms": {THREAD: threads}}]
        body = {
            "size": 0,
            "query": {
                "bool": {"must": [text_query(request.q, self.langs(request))], "filter": clauses}
            },
            "aggs": {"per": {"terms": {"field": THREAD, "size": len(threads)}}},
        }
        buckets = self._search(body)["aggregations"]["per"]["buckets"]
        return {b["key"]: int(b["doc_count"]) - 1 for b in buckets}

    def _suggest(self, request: SearchRequest, total: int) -> str | None:
        words = request.q.split()
        plain = [w for w in words if w.isalpha()]
        if not plain:
            return None
        body = {
            "suggest": {
                f"w{i}": {
                    "text": w.lower(),
                    "term": {"field": SPELL, "size": 1, "prefix_length": SUGGEST_PREFIX},
                }
                for i, w in enumerate(plain)
            },
            "size": 0,
        }
        found = self._search(body).get("suggest", {})
        changed = False
        corrected = []
        index = 0
        for word in words:
            if not word.isalpha():
                corrected.append(word)
                continue
            options = found[f"w{index}"][0]["options"]
            index += 1
            if options:
                corrected.append(options[0]["text"])
                changed = True
            else:
                corrected.append(word)
        if not changed:
            return None
        suggestion = " ".join(corrected)
        better = self._search({"size": 0, "query": text_query(suggestion, self.langs(request))})
        return suggestion if better["hits"]["total"]["value"] > total else None

    def _entry_source(self, entry_id: str) -> dict[str, Any]:
        body = {"query": {"term": {ID_FIELD: entry_id}}, "size": 1}
        hits = self._search(body)["hits"]["hits"]
        if not hits:
            raise NotFoundError(f"no entry with id {entry_id!r}", hint="Ids come from search hits.")
        source: dict[str, Any] = hits[0]["_source"]
        return source

    def get_entry(self, entry_id: str) -> Entry:
        return entry_from_fields(fields_from_source(self._entry_source(entry_id)))

    def get_thread(self, thread_id: str) -> Thread:
        body = {
            "query": {"term": {THREAD: thread_id}},
            "sort": [{POSITION: "asc"}, {SEQ: "asc"}],
        }
        stored = [fields_from_source(h["_source"]) for h in self.scan(body)]
        if not stored:
            raise NotFoundError(f"no thread with id {thread_id!r}", hint="See GET /threads.")
        return thread_from_fields(stored)

    def scan(self, body: dict[str, Any], page: int = 1000) -> Iterator[dict[str, Any]]:
        """Every hit of ``body`` in its sort order: a point in time and ``search_after``."""
        pit = self._call(
            lambda: self.client.create_pit(index=self.alias, params={"keep_alive": "2m"})
        )
        pit_id = pit["pit_id"]
        try:
            after: list[Any] | None = None
            while True:
                request = {
                    **body,
                    "size": page,
                    "pit": {"id": pit_id, "keep_alive": "2m"},
                    "sort": [*body.get("sort", []), {ID_FIELD: "asc"}],
                }
                if after is not None:
                    request["search_after"] = after
                hits = self._call(partial(self.client.search, body=request))["hits"]["hits"]
                yield from hits
                if len(hits) < page:
                    return
                after = hits[-1]["sort"]
        finally:
            self._call(lambda: self.client.delete_pit(body={"pit_id": [pit_id]}))

    def list_threads(self, page: int = 1, per_page: int = 20) -> ThreadPage:
        wanted = page * per_page
        body = {
            "size": 0,
            "aggs": {
                "count": {"cardinality": {"field": THREAD, "precision_threshold": EXACT_UP_TO}},
                "threads": {
                    "terms": {
                        "field": THREAD,
                        "size": max(wanted, 1),
                        "shard_size": max(wanted * 4, 1000),
                        "order": [{"latest": "desc"}, {"_key": "asc"}],
                    },
                    "aggs": {
                        "latest": {"max": {"field": TIMESTAMP, "missing": 0}},
                        "first": {"top_hits": {"size": 1, "sort": [{SEQ: "asc"}]}},
                    },
                },
            },
        }
        aggs = self._search(body)["aggregations"]
        buckets = aggs["threads"]["buckets"][(page - 1) * per_page : wanted]
        threads = [
            _summary(fields_from_source(b["first"]["hits"]["hits"][0]["_source"]), b["doc_count"])
            for b in buckets
        ]
        total = int(aggs["count"]["value"])
        return ThreadPage(total=total, page=page, per_page=per_page, threads=threads)

    def similar(self, entry_id: str, limit: int = 10) -> SimilarResult:
        source = self._entry_source(entry_id)
        lang = source.get(LANG)
        field = f"{BODY}_{lang}" if _stems(lang) else BODY
        body = {
            "size": limit,
            "query": {
                "more_like_this": {
                    "fields": [field],
                    "like": [{"_index": self._generation_index(), "_id": entry_id}],
                    "min_term_freq": 1,
                    "min_doc_freq": 1,
                    "max_query_terms": 10,
                }
            },
        }
        hits = [
            _hit(h["_source"], [], round(float(h["_score"]), 4), None)
            for h in self._search(body)["hits"]["hits"]
        ]
        return SimilarResult(id=entry_id, hits=hits)

    def stats(self) -> Stats:
        exact = {"precision_threshold": EXACT_UP_TO}
        body = {
            "size": 0,
            "track_total_hits": True,
            "aggs": {
                "threads": {"cardinality": {"field": THREAD, **exact}},
                "authors": {"cardinality": {"field": AUTHOR, **exact}},
                "sites": {"terms": {"field": SITE, "size": 10_000}},
                "kinds": {"terms": {"field": KIND, "size": 100}},
                "first": {"min": {"field": TIMESTAMP}},
                "last": {"max": {"field": TIMESTAMP}},
            },
        }
        result = self._search(body)
        aggs = result["aggregations"]
        index = self._generation_index()
        sizes = self._call(lambda: self.client.indices.stats(index=index, metric="store"))
        return Stats(
            entries=int(result["hits"]["total"]["value"]),
            threads=int(aggs["threads"]["value"]),
            authors=int(aggs["authors"]["value"]),
            sites=sorted(b["key"] for b in aggs["sites"]["buckets"]),
            kinds={b["key"]: int(b["doc_count"]) for b in aggs["kinds"]["buckets"]},
            first=_epoch(aggs["first"]["value"]),
            last=_epoch(aggs["last"]["value"]),
            generation=_generation_of(index),
            index_dir=f"{self.urls[0]}/{self.alias}",
            size_bytes=int(sizes["_all"]["primaries"]["store"]["size_in_bytes"]),
            format_version=SCHEMA_VERSION,
        )

    # -- writes

    def _generation_index(self) -> str:
        """The index the alias points at now."""
        aliases = self._call(lambda: self.client.indices.get_alias(name=self.alias))
        return str(sorted(aliases)[-1])

    def _generations(self) -> list[str]:
        found = self._call(
            lambda: self.client.indices.get(index=f"{self.alias}-g*", expand_wildcards="open")
        )
        return sorted(found, key=_generation_of)

    def create_generation(self, shards: int = 1, replicas: int = 0) -> str:
        """A new, empty index for the next generation (not yet behind the alias)."""
        existing = self._generations()
        number = _generation_of(existing[-1]) + 1 if existing else 1
        name = f"{self.alias}-g{number}"
        self._call(
            lambda: self.client.indices.create(index=name, body=index_body(shards, replicas))
        )
        return name

    def swap_alias(self, index: str) -> None:
        """Point the alias at ``index`` in one atomic call, then drop older generations."""
        older = [name for name in self._generations() if name != index]
        actions: list[dict[str, Any]] = [{"add": {"index": index, "alias": self.alias}}]
        actions += [{"remove": {"index": name, "alias": self.alias}} for name in self._aliased()]
        self._call(lambda: self.client.indices.update_aliases(body={"actions": actions}))
        self._langs = None
        for name in older:
            self._call(partial(self.client.indices.delete, index=name))

    def _aliased(self) -> list[str]:
        """The indices behind the alias now (none before the first generation)."""
        if not self._call(lambda: self.client.indices.exists_alias(name=self.alias)):
            return []
        return sorted(self._call(lambda: self.client.indices.get_alias(name=self.alias)))

    def _target(self, shards: int, replicas: int) -> str:
        """The index writes go to: the alias's, or a first generation made for them."""
        if self._aliased():
            return self._generation_index()
        index = self.create_generation(shards, replicas)
        self.swap_alias(index)
        return index

    def write_sources(
        self, index: str, sources: Iterable[dict[str, Any]], *, refresh: bool = True
    ) -> int:
        """Bulk-write documents (each under its entry id): bounded chunks, retried."""
        actions = (
            {"_op_type": "index", "_index": index, "_id": doc[ID_FIELD], "_source": doc}
            for doc in sources
        )
        written = 0
        try:
            for ok, _item in helpers.streaming_bulk(
                self.client,
                actions,
                chunk_size=CHUNK,
                max_chunk_bytes=20 * 1024 * 1024,
                max_retries=5,
                initial_backoff=1,
                max_backoff=30,
                raise_on_error=True,
            ):
                written += bool(ok)
        except helpers.BulkIndexError as exc:
            first = exc.errors[0] if exc.errors else {}
            raise SearchError(
                f"the cluster refused {len(exc.errors)} entries; first: {first}"
            ) from exc
        except (ClusterConnectionError, TransportError) as exc:
            raise BackendUnavailableError(f"bulk write to {index} failed: {exc}") from exc
        if refresh:
            self._call(lambda: self.client.indices.refresh(index=index))
        self._langs = None
        return written

    def ingest(
        self,
        paths: list[str | os.PathLike[str]],
        options: IngestOptions | None = None,
        *,
        rebuild: bool = False,
        shards: int = 1,
        replicas: int = 0,
    ) -> IngestSummary:
        """Parse the files and stream their threads into the cluster.

        With ``rebuild`` the threads fill a new generation that replaces the old one
        atomically when complete; without, they are added to (or replace entries in) the
        current one. With ``options.strict`` every file is read before anything is sent,
        and a warning sends nothing.
        """
        options = options or IngestOptions()
        files = expand_paths(paths)
        if not files:
            raise SearchError("no files to ingest", hint="Name files or folders that hold some.")
        tally = Tally([str(f) for f in files], strict=options.strict)
        report = IngestReport(files=[str(f) for f in files])
        progress = Progress(on_file_warning=tally.warn, on_format=tally.set_format)
        threads: Iterable[Thread] = tally.counted(iter_threads(files, options, progress))
        if options.strict:
            threads = list(threads)  # raises StrictIngestError before anything is sent
        self.copy_threads(threads, report, rebuild=rebuild, shards=shards, replicas=replicas)
        return tally.summary(report.threads, report.entries)

    def copy_threads(
        self,
        threads: Iterable[Thread],
        report: IngestReport | None = None,
        *,
        rebuild: bool = False,
        shards: int = 1,
        replicas: int = 0,
    ) -> IngestReport:
        """Write threads, as :meth:`ingest` does with parsed files."""
        report = report or IngestReport()
        index = (
            self.create_generation(shards, replicas) if rebuild else self._target(shards, replicas)
        )
        start = 0 if rebuild else self._next_seq(index)
        seen: set[str] = set()

        def sources() -> Iterator[dict[str, Any]]:
            seq = start
            for thread in threads:
                seen.add(thread.id)
                for fields in thread_sources(thread):
                    yield source_from_fields(fields, seq)
                    seq += 1

        report.entries = self.write_sources(index, sources())
        report.threads = len(seen)
        if rebuild:
            self.swap_alias(index)
        return report

    def copy_fields(
        self, stored: Iterable[dict[str, Any]], *, shards: int = 1, replicas: int = 0
    ) -> int:
        """Fill a new generation from Whoosh stored fields (in document order), then swap."""
        index = self.create_generation(shards, replicas)
        written = self.write_sources(
            index, (source_from_fields(f, seq) for seq, f in enumerate(stored))
        )
        self.swap_alias(index)
        return written

    def _next_seq(self, index: str) -> int:
        body = {"size": 0, "aggs": {"top": {"max": {"field": SEQ}}}}
        top = self._call(lambda: self.client.search(index=index, body=body))
        value = top["aggregations"]["top"]["value"]
        return 0 if value is None else int(value) + 1

    def add_threads(self, threads: Sequence[Thread], *, wait: float = 0.0) -> WriteResult:
        given = list(threads)
        _check(validate_threads(given))
        report = self.copy_threads(given)
        return WriteResult(threads=len(given), entries=report.entries)

    def delete_thread(self, thread_id: str, *, wait: float = 0.0) -> None:
        result = self._call(
            lambda: self.client.delete_by_query(
                index=self.alias, body={"query": {"term": {THREAD: thread_id}}}, refresh=True
            )
        )
        if not result.get("deleted"):
            raise NotFoundError(f"no thread with id {thread_id!r} in the cluster")

    def drop(self) -> None:
        """Delete every generation of this alias's index, and so the alias."""
        for name in self._generations():
            self._call(partial(self.client.indices.delete, index=name))

    def close(self) -> None:
        self.client.close()


def _summary(fields: dict[str, Any], count: int) -> ThreadSummary:
    return ThreadSummary(
        id=fields[THREAD],
        title=fields.get("thread_title") or "",
        url=fields.get("thread_url"),
        site=fields.get(SITE),
        tags=_list(fields.get(TAG)),
        declared_count=fields.get("declared_count"),
        entry_count=count,
    )


def _epoch(value: float | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromtimestamp(int(value) // 1000, timezone.utc)


def _generation_of(index: str) -> int:
    return int(index.rsplit("-g", 1)[1])


def _missing_index(exc: ClusterNotFoundError) -> bool:
    return "index_not_found" in str(exc)


def _reason(exc: TransportError) -> str:
    info = exc.info if isinstance(exc.info, dict) else {}
    causes = info.get("error", {}).get("root_cause") or [{}]
    return str(causes[0].get("reason") or exc.error)
