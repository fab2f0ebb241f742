"""Per-token summaries: the fast path of ``CompiledPolicy.lint``.

Almost everything the engine looks at stays inside one whitespace-separated token: a
word's skeleton, a link, a hashtag, a mention, an emoji. Posts are written from a
small vocabulary, so a compiled policy keeps, for each token it has seen, a short
*summary* string: a marker character per entity in the token, then the token's
flagged skeleton and a gap (``normalize.token_skeleton``). A post's summary is its
tokens' summaries joined, which costs a split, one dictionary lookup per token and a
join, all in C. ``compiler`` reads the summary to decide which rules could possibly
find something; only those run on the whole text, exactly as before. The summary
never decides that something *is* wrong, only that it cannot be.

This is the word cache of a tokenizer (a BPE tokenizer caches each word's pieces the
same way). It is bounded: at most ``LIMIT`` tokens of at most ``MAX_TOKEN``
characters, and a text with many unseen tokens is linted the exact way while its
tokens wait for a second sighting, so an adversary can slow the cache down, never
grow it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import accumulate

# Markers, one per item in the token. Control characters that a skeleton never holds
# (the translate step makes every control character a gap); LONE ("\x00") is taken.
EMOJI = "\x01"
HASHTAG = "\x02"
MENTION = "\x03"
LINK = "\x04"
BAD_LINK = "\x05"  # besides LINK: a link that some link_domains rule does not allow
BRAND = "\x06"  # a brand_spelling finding inside the token
# A brand spelling may run over whitespace ("Kitchen Aid"): a token that ends with a
# spelling's start gets BRAND_HEAD last, after its skeleton; one that starts with the
# rest of a spelling gets BRAND_TAIL first. Only the two side by side (SPLIT_BRAND)
# make it worth looking at the whole text.
BRAND_HEAD = "\x07"
BRAND_TAIL = "\x08"
SPLIT_BRAND = BRAND_HEAD + BRAND_TAIL
# Single characters that normalisation step 5 may join ("f u c k") are rare: a token
# whose words include two in a row gets CHAIN; one that starts with one gets
# SINGLE_START first, one that ends with one SINGLE_END last. SINGLES_RE finds an end
# and a start in a row, whatever markers of word-less tokens stand between.
CHAIN = "\x0b"
SINGLE_START = "\x0c"
SINGLE_END = "\x0e"
MARKERS = (
    EMOJI
    + HASHTAG
    + MENTION
    + LINK
    + BAD_LINK
    + BRAND
    + BRAND_HEAD
    + BRAND_TAIL
    + CHAIN
    + SINGLE_START
    + SINGLE_END
)
SINGLES_RE = re.compile(f"{SINGLE_END}[{MARKERS}]*{SINGLE_START}")


class TokenSummaries:
    """``summary(text)``: the summaries of the tokens of ``text`` joined, after a gap;
    ``None`` when a token is unknown still (too long, or one of many new ones).

    Summarising a token costs several microseconds, more than linting a whole post the
    exact way costs per word, so a token is only summarised when it is likely to come
    back: at once when a text has at most ``FEW`` new tokens (an evasion, a name), and
    otherwise the second time it is seen (the first time it only goes into a set, like a
    TinyLFU doorkeeper). A stream of texts made of words never seen before is then
    linted the exact way at about the exact way's cost."""

    LIMIT = 20_000  # about 180 bytes a token: some 4 MB a compiled policy at most
    MAX_TOKEN = 120
    MAX_NEW = 24
    FEW = 4

    __slots__ = ("_map", "_measure", "_seen", "_sizes", "_summarize", "get")

    def __init__(self, summarize: Callable[[str], str], measure: Callable[[str], int]):
        self._map: dict[str, str] = {}
        self.get = self._map.get  # a token's summary, or None
        self._sizes: dict[str, int] = {}  # measure(summary) of each token
        self._seen: set[str] = set()  # tokens seen once among many new ones
        self._summarize = summarize
        self._measure = measure

    def __len__(self) -> int:
        return len(self._map)

    def summary(self, text: str) -> str | None:
        tokens = text.split()
        try:
            return " " + "".join(map(self.get, tokens))
        except TypeError:  # a token not seen before: its lookup gave None
            return self.learn(tokens)

    def learn(self, tokens: list[str]) -> str | None:
        """Summarise the unseen tokens that are worth it; the summary of the whole text,
        or None when a token is still unknown."""
        known = self._map
        new = set(tokens).difference(known)
        if len(new) > self.FEW:
            seen = self._seen
            learn = new.intersection(seen)
            if len(seen) + len(new) > self.LIMIT:
                seen.clear()
            seen.update(new)
        else:
            learn = new
        if learn and max(map(len, learn)) > self.MAX_TOKEN:
            learn = {t for t in learn if len(t) <= self.MAX_TOKEN}
        if len(known) + len(learn) > self.LIMIT:
            known.clear()
            self._sizes.clear()
        for token in list(learn)[: self.MAX_NEW]:
            value = self._summarize(token)
            self._sizes[token] = self._measure(value)
            known[token] = value
        if len(learn) != len(new) or len(learn) > self.MAX_NEW:
            return None
        try:
            return " " + "".join(map(self.get, tokens))
        except TypeError:  # another thread cleared the map in between
            return None

    def offsets(self, tokens: list[str]) -> list[int] | None:
        """Where each token's part starts in a summary measured the same way, after the
        leading gap; ``None`` if a token was forgotten since."""
        try:
            return list(accumulate(map(self._sizes.__getitem__, tokens), initial=1))
        except KeyError:
            return None
