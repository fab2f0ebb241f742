"""Hashtag vetting: every hashtag a post uses is in the brand's vocabulary, or a finding.

A brand's vocabulary (its own tags, campaign tags, tags it has published, tags an admin
approved) lives in the database; the engine gets it at lint time as a set of *keys*
(``tag_key``), so the engine stays Django-free. Two spellings of a tag share a key when
they differ only in case, accents, full-width or look-alike letters from other alphabets,
zero-width characters or underscores: ``#WhyIStayed``, ``#whyistayed`` and
``#Whyіstayed`` (a Cyrillic і) are one tag, so a look-alike spelling can neither slip
past a vetted tag's key nor make a vetted tag look new.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from policy.engine import entities
from policy.engine import normalize as nz

#: What a hashtags rule's message stands for the tag with.
TAG_PLACEHOLDER = "{tag}"
DEFAULT_MESSAGE = "{tag} has not been used by this brand: check what it is about before you post"
MAX_TAG_CHARS = 100

_NOT_KEY = re.compile(r"[^0-9a-z]")


def tag_key(tag: str) -> str:
    """The key two spellings of one hashtag share ('' for none): the normalised letters and
    digits without the '#'. A capital I is an i here (the skeleton's i-or-l marker is for
    evasions of banned words, not for telling tags apart)."""
    if not isinstance(tag, str):
        return ""
    tag = tag.strip().lstrip("#").replace("I", "i")[:MAX_TAG_CHARS]
    folded = nz.translate(tag).replace(nz.MARK, "i")
    if folded.isascii():
        return _NOT_KEY.sub("", folded)
    return "".join(ch for ch in folded if ch.isalnum())


def vocabulary_keys(tags: Iterable[str]) -> frozenset[str]:
    """The keys of ``tags`` (with or without '#'), leaving out those with none."""
    return frozenset(key for key in map(tag_key, tags) if key)


def joined_name_key(name: str) -> str:
    """The key of a name written as a hashtag: "Demo Kitchen" is #DemoKitchen."""
    return tag_key(re.sub(r"[\s\-\u2010-\u2015.'&]+", "", name or ""))


def hashtag_spans(text: str) -> list[tuple[int, int]]:
    """Where the hashtags of ``text`` are (not inside links), '#' included."""
    if "#" not in text:
        return []
    return entities.find_hashtags(text, entities.find_urls(text))


def unvetted(text: str, vocabulary: frozenset[str]) -> list[tuple[int, int]]:
    """The spans of the hashtags whose key is not in ``vocabulary``."""
    out = []
    for start, end in hashtag_spans(text):
        key = tag_key(text[start:end])
        if key and key not in vocabulary:
            out.append((start, end))
    return out


def message_for(template: str, tag: str) -> str:
    """A hashtags rule's message for one tag: ``{tag}`` stands for it as written."""
    if TAG_PLACEHOLDER in template:
        return template.replace(TAG_PLACEHOLDER, tag)
    return f"{tag}: {template}"
