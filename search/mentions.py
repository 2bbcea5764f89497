"""Finding the names a comment addresses, whatever format the comment came from.

:func:`find_mentions` reads a comment's clean text and returns the people it speaks to,
in the order they first appear. It is deliberately language-light: it looks at the shape
of lines, not at grammar, and leans on a small stop-list so that discourse words are not
taken for names. The rules, each anchored where people put an addressee:

1. **Salutation**: the comment opens with a name of one to three words, the first one
   capitalised, then a comma (``Will, you're right...``, ``Sun bin,``), or the comment's
   first line is such a name alone, with more text after it (``Sun bin`` then a
   paragraph). A leading greeting is dropped (``Hi Will,`` -> ``Will``).
2. **Line of its own**: a line holding only such a name and a comma (``Sun bin,``).
3. **After a discourse word**: a line opens with a stop-list word, a comma, a name and
   a comma (``Therefore, Sun-Bin, how many...``, ``Yes, Will, ...``).
4. **Attribution**: a line opens with a name and a verb of saying and a colon
   (``Sun-Bin muses:``, ``ivan wrote:``); the verb makes the name certain enough to take
   lower-case names too.
5. **Handle**: ``@name``, not preceded by a word character (so e-mail addresses are not
   handles).
6. **Known names**: when the caller knows the thread's authors, one of them at a line
   start followed by a comma or colon, in any case (``martyn: ...``), or ending the short
   opening clause of the comment (``calm down ivan,``, ``thanks Will,``). Known names
   are returned in the caller's spelling.

Without a known author list ``calm down ivan,`` is *not* a mention: a lower-case word
before a comma is far more often an ordinary word (``well,``, ``ok,``) than a name, so the
parser takes it only when the thread says someone called Ivan took part.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Words that open clauses or are too common to be names. Compared lower-cased, against
# every word of a candidate name.
_STOP_WORDS = frozenset(
    """
    a about above after agreed all also although an and anyway anyhow as at
    actually again ah alas aww awww basically because before besides but by come
    consequently dear do does done either else even eventually everyone everybody
    exactly finally first firstly folks for frankly furthermore good great guys hah
    ha haha he hello hence her here hey hi him his hmm hmmm honestly however i if
    in indeed instead interesting it its just last lastly later like lol look meanwhile
    moreover my nah nevertheless next no nonetheless nope not now of ok okay oh on
    one or otoh our overall perhaps personally plus please posted really regarding
    right said say says second secondly see she similarly since so someone somebody
    sorry still sure that the thanks thank their them then there therefore these
    they this those though thus to too true ugh um update edit ps p.s. note uh
    unfortunately us we well what when where whereas which while who why
    wow yeah yep yes yet you your
    """.split()
)

# Greetings that may precede a salutation's name ("Hi Will,", "Dear Sun Bin,").
_GREETINGS = frozenset("dear hello hey hi thanks cheers".split())

_SAYING_VERBS = "muses|mused|said|says|wrote|writes|writ|asks|asked|argues|argued|claims|claimed"

# A name word: letters with inner hyphens or apostrophes (Sun-Bin, O'Brien). The first
# character is a letter; case is checked separately per rule.
_WORD = r"[^\W\d_][\w'’-]*"
_NAME = rf"{_WORD}(?:[ \t]+{_WORD}){{0,2}}"

_SALUTATION = re.compile(rf"\A\s*(?P<name>{_NAME})(?:,(?:\s|\Z)|[ \t]*\n\s*\S)")
_OWN_LINE = re.compile(rf"^[ \t]*(?P<name>{_NAME}),[ \t]*$", re.MULTILINE)
_AFTER_DISCOURSE = re.compile(
    rf"^[ \t]*(?P<lead>{_WORD}),[ \t]+(?P<name>{_NAME}),(?:\s|$)", re.MULTILINE
)
_ATTRIBUTION = re.compile(
    rf"^[ \t]*(?P<name>{_NAME})[ \t]+(?:{_SAYING_VERBS})[ \t]*:", re.MULTILINE | re.IGNORECASE
)
_HANDLE = re.compile(r"(?<![\w@.])@(?P<name>\w(?:[\w.-]*\w)?)")
_OPENING_CLAUSE = re.compile(r"\A\s*(?P<clause>[^,\n]{1,60}),")


def find_mentions(body: str, known_names: Iterable[str] = ()) -> list[str]:
    """The names ``body`` addresses, first appearance first, without duplicates.

    :param known_names: the thread's author names; they are matched in any case and
        returned in this spelling.
    """
    known = _known_lookup(known_names)
    found: list[tuple[int, str]] = []
    found += _salutations(body)
    found += _own_lines(body)
    found += _after_discourse(body)
    found += _attributions(body)
    found += _handles(body)
    found += _known_at_line_start(body, known)
    found += _known_in_opening(body, known)
    return _ordered_unique(found, known)


def _known_lookup(names: Iterable[str]) -> dict[str, str]:
    return {_fold(name): name.strip() for name in names if name and name.strip()}


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()


def _is_name(candidate: str, *, capitalised: bool = True) -> bool:
    """A candidate is a name when no word is a stop word and the first is capitalised."""
    words = candidate.split()
    if not words or any(word.casefold().strip("'’") in _STOP_WORDS for word in words):
        return False
    return words[0][0].isupper() or not capitalised


def _salutations(body: str) -> list[tuple[int, str]]:
    match = _SALUTATION.match(body)
    if not match:
        return []
    name = _without_greeting(match.group("name"))
    return [(match.start("name"), name)] if _is_name(name) else []


def _own_lines(body: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for match in _OWN_LINE.finditer(body):
        name = _without_greeting(match.group("name"))
        if _is_name(name):
            out.append((match.start("name"), name))
    return out


def _without_greeting(candidate: str) -> str:
    """``Hi Will`` -> ``Will``; a greeting alone stays (and is then rejected)."""
    first, _, rest = candidate.partition(" ")
    return rest.strip() if first.casefold() in _GREETINGS and rest.strip() else candidate


def _after_discourse(body: str) -> list[tuple[int, str]]:
    return [
        (m.start("name"), m.group("name"))
        for m in _AFTER_DISCOURSE.finditer(body)
        if m.group("lead").casefold() in _STOP_WORDS and _is_name(m.group("name"))
    ]


def _attributions(body: str) -> list[tuple[int, str]]:
    return [
        (m.start("name"), m.group("name"))
        for m in _ATTRIBUTION.finditer(body)
        if _is_name(m.group("name"), capitalised=False)
    ]


def _handles(body: str) -> list[tuple[int, str]]:
    return [(m.start("name"), m.group("name")) for m in _HANDLE.finditer(body)]


def _known_at_line_start(body: str, known: dict[str, str]) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for name in known.values():
        pattern = re.compile(
            rf"^[ \t]*@?(?P<name>{_spaced(name)})[ \t]*[,:]", re.MULTILINE | re.IGNORECASE
        )
        out += [(m.start("name"), name) for m in pattern.finditer(body)]
    return out


def _known_in_opening(body: str, known: dict[str, str]) -> list[tuple[int, str]]:
    """A known name ending the comment's short opening clause: ``calm down ivan,``."""
    match = _OPENING_CLAUSE.match(body)
    if not match or len(match.group("clause").split()) > 5:
        return []
    clause = match.group("clause").rstrip()
    out: list[tuple[int, str]] = []
    for name in known.values():
        found = re.search(rf"(?<![\w'’-]){_spaced(name)}\Z", clause, re.IGNORECASE)
        if found:
            out.append((match.start("clause") + found.start(), name))
    return out


def _spaced(name: str) -> str:
    """A pattern for ``name`` that allows any run of spaces between its words."""
    return r"[ \t]+".join(re.escape(word) for word in name.split())


def _ordered_unique(found: list[tuple[int, str]], known: dict[str, str]) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for _, name in sorted(found, key=lambda item: item[0]):
        name = known.get(_fold(name), name)
        if _fold(name) not in seen:
            seen.add(_fold(name))
            names.append(name)
    return names
