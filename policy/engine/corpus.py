"""Generated texts for measuring the engine: what it must find and what it must leave.

Everything here is made from a seed, so a figure can be reproduced, and the seeds are
split in two (decided before any tuning, and written here so that they stay fixed):

- ``TUNING_SEEDS``: the corpora the engine was developed against;
- ``HELD_OUT_SEEDS``: corpora that were only ever run for the reported figures.

Three kinds of corpus:

- per evasion class, an *adversarial* set (``adversarial``): a banned term written the
  way people write it to get past a filter, one class of trick at a time, inside an
  ordinary sentence;
- the *false-positive hazards* (``hazards``): text that contains banned letters without
  containing a banned word: Scunthorpe words, place names, surnames, brand names,
  words run across a word boundary, and everyday words with a double letter next to a
  banned term with a single one ("good" and "god");
- an *outside-like* corpus (``outside_corpus``): 1,000 banned terms (real ones from the
  starter word lists and made-up ones), 20,000 social posts over a long-tail vocabulary
  (about 32,000 distinct tokens) with emoji, links, hashtags and mentions, 5% of them
  with a banned term, most of those evaded. It is built independently of the marketing
  corpus in ``bench`` and is what ``policy_bench --subprocess`` feeds to ``policy_import``
  and ``policy_lint --jsonl``.

The evasion generators are written from how people write, not from how the engine
reads: they pick positions, digits and respellings at random.
"""

from __future__ import annotations

import random
import unicodedata
from functools import lru_cache

from policy.engine.normalize import DATA_DIR

TUNING_SEEDS = (1, 2, 3)
HELD_OUT_SEEDS = (4241, 7717)
HAZARD_SEED = 9103  # held out too

SCUNTHORPE_TERMS = ["ass", "cock", "cunt", "tit", "penis", "shit", "hell", "anal", "rape"]
# Everyday words, names and texts that contain the letters of SCUNTHORPE_TERMS but none
# of them as a word.
SCUNTHORPE_WORDS = [
    "Scunthorpe",
    "assistant",
    "class",
    "cocktail",
    "therapist",
    "shiitake",
    "Cockburn",
    "Sussex",
    "Hancock",
    "bass",
    "grapes",
    "pen is mightier",
    "the pen is mightier than the sword",
    "an Al Pacino film",
    "Hello",
    "Shell",
    "Hellenic",
    "analysis",
    "titles",
    "grape",
    "passage",
    "passion",
    "classic",
    "embassy",
    "scrape",
    "drape",
    "peacock",
    "shellfish",
    "title",
    "constitution",
    "cocktails",
    "Middlesex",
    "assess",
    "canal",
    "banal",
    "hello there",
    "Michelle",
    "Shelley",
    "analyst",
    "therapists",
    "as",
    "is",
    "pen",
    "a s",
    "shell-fish",
    "#Hello",
    "#therapist",
    "#ShellShock",
    "@Hancock",
    "Call 455-1234",
    "the 455 bus",
    "$5 off",
]

# Real places, surnames and brands whose names hold a banned word's letters.
PLACE_NAMES = [
    "Scunthorpe",
    "Penistone",
    "Essex",
    "Sussex",
    "Middlesex",
    "Wessex",
    "Clitheroe",
    "Shitterton",
    "Cockermouth",
    "Twatt",
    "Lightwater",
    "Fucking",
    "Bitche",
    "Assen",
    "Cockfosters",
    "Titicaca",
    "Analalava",
    "Pissouri",
    "Dikshit",
    "Matsushita",
    "Sexsmith",
    "Cumming",
    "Scunthorpe United",
    "Bumpass",
    "Effing",
    "Horni",
    "Wankendorf",
]
SURNAMES = [
    "Hancock",
    "Cockburn",
    "Dickens",
    "Assange",
    "Hitchcock",
    "Glasscock",
    "Titmuss",
    "Babcock",
    "Cumberbatch",
    "Shitole",
    "Kuntz",
    "Butts",
    "Dickinson",
    "Wankel",
    "Hellmann",
    "Analise",
    "Peacock",
    "Cockroft",
    "Shellenberger",
    "Sasse",
    "Matt",
    "Scott",
    "Anna",
    "Goode",
    "Woodcock",
]
BRAND_NAMES = [
    "Shell",
    "Hellmann's",
    "Cocktail Club",
    "Pepsi",
    "Assos",
    "Mitsubishi",
    "Peacock TV",
    "Hancock Whitney",
    "Shitake Co",
    "Kellogg's",
    "Facebook",
    "Google",
    "Booking.com",
    "Coffee Republic",
    "Butterball",
    "Dickies",
    "Assurant",
    "Analog Devices",
    "Titleist",
    "Cockspur",
    "Bass Pro Shops",
    "Grapefruit Co",
]
PLACE_TERMS = [
    "ass",
    "cock",
    "cunt",
    "tit",
    "penis",
    "shit",
    "hell",
    "anal",
    "rape",
    "twat",
    "clit",
    "sex",
    "dick",
    "cum",
    "piss",
    "wank",
    "horn",
    "kunt",
    "butt",
    "fuck",
    "bitch",
]
# Two words side by side whose letters, run together, spell a banned word.
BOUNDARY_PHRASES = [
    ("therapist", "the rapist"),
    ("penisland", "pen island"),
    ("anal", "an al"),
    ("analysis", "an alysis"),
    ("expertsexchange", "experts exchange"),
    ("cumin", "cum in"),
    ("hotwife", "hot wife"),
    ("whore", "who re"),
    ("assess", "as sess"),
    ("butthole", "butt hole"),
    ("ho", "who own"),
    ("tit", "it it"),
    ("nob", "no body"),
    ("slut", "s lut"),
]
# A banned term with a single letter next to an everyday word with it doubled.
FOLD_HAZARDS = [
    ("god", ["So good", "gooood morning", "a good day", "goood vibes", "Goooood!", "g00d"]),
    ("fed", ["feed the cat", "feeeed me", "feedback", "we feed"]),
    ("bok", ["a book", "boooook club", "bookings"]),
    ("as", ["class", "the assessor", "bass", "asss"]),
    ("helo", ["hello", "helloooo", "well hello"]),
    ("cofe", ["coffee", "cofffeee", "coffee time"]),
    ("sup", ["supper", "suuupper", "support"]),
    ("bet", ["better", "betttter", "beet"]),
    ("ful", ["full", "fuuuull", "fully"]),
    ("wel", ["well", "wellll", "welll done"]),
    ("lok", ["look", "loooook", "lookout"]),
    ("see", ["seeing", "seeeeing"]),
    ("mod", ["mood", "moooood", "moody"]),
    ("ass", ["class", "hello", "assistant", "bass"]),
    ("hell", ["hello", "shell", "helloooo", "hellenic"]),
]


@lru_cache(maxsize=1)
def dictionary_words() -> tuple[str, ...]:
    text = (DATA_DIR / "dictionary" / "en.txt").read_text(encoding="ascii")
    return tuple(text.split())


# --- evasions ------------------------------------------------------------------------------

# How people write letters with digits and symbols: the look-alikes, and for a vowel any
# digit that is read as a vowel ("f4ck" for fuck, "sh1t", "fr3ak").
LOOKALIKE_DIGITS = {
    "a": "4",
    "b": "86",
    "e": "3",
    "g": "96",
    "i": "1",
    "l": "1",
    "o": "0",
    "s": "5",
    "t": "7",
    "z": "2",
}
VOWEL_DIGITS = "0134"
SYMBOLS = {"a": "@", "s": "$", "i": "!", "l": "|"}
ONE_SEPARATORS = [".", "_", "'", "*", "-"]
EVASION_CLASSES = ("separator", "digits", "phonetic", "classic")


def _letters(term: str) -> list[int]:
    return [i for i, c in enumerate(term) if c.isalpha()]


def evade_separator(term: str, rng: random.Random) -> str | None:
    """One separator inside a word of the term: ``fi.stfucks``, ``hoe_r``."""
    spots = [i for i in range(1, len(term)) if term[i - 1].isalpha() and term[i].isalpha()]
    if not spots:
        return None
    i = rng.choice(spots)
    return term[:i] + rng.choice(ONE_SEPARATORS) + term[i:]


def evade_digits(term: str, rng: random.Random) -> str | None:
    """Digits (or a leet symbol) for one or two letters, anywhere in the word; a vowel
    may get a digit it does not look like. At least three letters stay."""
    spots = [i for i in _letters(term) if term[i] in LOOKALIKE_DIGITS or term[i] in "aeiou"]
    letters = len(_letters(term))
    if not spots or letters < 4:
        return None
    count = 1 if letters < 6 or rng.random() < 0.5 else 2
    chars = list(term)
    for i in rng.sample(spots, min(count, len(spots))):
        c = term[i]
        roll = rng.random()
        if c in "aeiou" and (roll < 0.6 or c not in LOOKALIKE_DIGITS):
            chars[i] = rng.choice([d for d in VOWEL_DIGITS if LOOKALIKE_DIGITS.get(c) != d])
        elif c in SYMBOLS and roll < 0.75:
            chars[i] = SYMBOLS[c]
        else:
            chars[i] = rng.choice(LOOKALIKE_DIGITS[c])
    out = "".join(chars)
    return out if out != term else None


def _phonetic_options(word: str) -> list[str]:
    """Respellings people use for profanity, each a single change."""
    out = []
    vowels = "aeiou"
    for i, c in enumerate(word):
        if c == "f":
            out.append(word[:i] + "ph" + word[i + 1 :])
        if c in vowels and 0 < i < len(word) - 1 and len(word) >= 4:
            out.append(word[:i] + word[i + 1 :])  # fuck -> fck
        if c == "i" and i + 1 < len(word) and word[i + 1] not in vowels:
            out.append(word[:i] + "ia" + word[i + 1 :])  # bitch -> biatch
    if "ck" in word:
        out += [word.replace("ck", "k"), word.replace("ck", "kk"), word.replace("ck", "q")]
    elif "c" in word.rstrip("eiy"):
        out.append(word.replace("c", "k"))
    if "ph" in word:
        out.append(word.replace("ph", "f"))
    if word.endswith("er") and len(word) > 4:
        out += [word[:-2] + "a", word[:-2] + "ah"]
    if word.endswith("s") and len(word) > 3:
        out.append(word[:-1] + "z")
    if word.endswith("ing"):
        out += [word[:-1], word[:-3] + "in"]
    return [o for o in out if o != word and len(o) >= 3]


def evade_phonetic(term: str, rng: random.Random) -> str | None:
    """A phonetic or dropped-letter spelling: ``fuk``, ``fck``, ``phuck``, ``biatch``."""
    if " " in term or not term.isalpha():
        return None
    options = _phonetic_options(term.lower())
    if not options:
        return None
    out = rng.choice(options)
    if rng.random() < 0.3:
        more = _phonetic_options(out)
        if more:
            out = rng.choice(more)
    return out


_HOMOGLYPHS = {"a": "а", "c": "с", "e": "е", "i": "і", "o": "о", "p": "р", "s": "ѕ", "x": "х"}
_ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\u00ad"]


def evade_classic(term: str, rng: random.Random) -> str | None:
    """What worked before: case, accents, full-width, homoglyphs, zero-width characters,
    spacing out, a repeated letter, stars, hashtags."""
    kind = rng.choice(
        ["case", "accent", "fullwidth", "homoglyph", "zero", "spaced", "repeat", "stars", "tag"]
    )
    letters = _letters(term)
    if kind == "case":
        return "".join(c.upper() if rng.random() < 0.5 else c for c in term)
    if kind == "accent":
        return unicodedata.normalize(
            "NFC", "".join(c + "\u0301" if c in "aeiou" else c for c in term)
        )
    if kind == "fullwidth":
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in term)
    if kind == "homoglyph":
        return "".join(_HOMOGLYPHS.get(c, c) if rng.random() < 0.5 else c for c in term)
    if kind == "zero":
        i = rng.choice(letters[1:] or letters)
        return term[:i] + rng.choice(_ZERO_WIDTH) + term[i:]
    if kind == "spaced":
        sep = rng.choice([" ", ".", "-", "_"])
        return "  ".join(sep.join(w) for w in term.split())
    if kind == "repeat":
        i = rng.choice(letters)
        return term[:i] + term[i] * rng.randint(3, 6) + term[i + 1 :]
    if kind == "stars":
        if len(letters) < 4 or " " in term:
            return None
        inner = letters[1:-1]
        hide = set(rng.sample(inner, max(1, len(inner) // 2)))
        return "".join("*" if i in hide else c for i, c in enumerate(term))
    words = term.split()
    return "#" + "".join(w[:1].upper() + w[1:] for w in words)


EVADERS = {
    "separator": evade_separator,
    "digits": evade_digits,
    "phonetic": evade_phonetic,
    "classic": evade_classic,
}

_FRAMES = [
    "honestly what the {} is this",
    "{} this weather",
    "my boss is a {} today",
    "lol {}",
    "ok so the {} thing again?",
    "you {} 😂",
    "why is everyone so {} about it",
    "{}!!! cannot believe it",
    "new post: {} (link in bio)",
    "saw this and thought {} 🙃 #mondays",
]


def _in_frame(shown: str, rng: random.Random) -> tuple[str, int, int]:
    frame = rng.choice(_FRAMES)
    start = frame.index("{}")
    return frame.replace("{}", shown), start, start + len(shown)


def adversarial(terms: list[str], seed: int, per_class: int = 300) -> dict[str, list]:
    """For each evasion class, ``per_class`` (text, start, end): a sentence holding one
    evaded term at ``text[start:end]``. Terms a class does not apply to (no vowel to
    swap, too short) are skipped."""
    rng = random.Random(seed)
    out: dict[str, list] = {}
    for cls in EVASION_CLASSES:
        evader = EVADERS[cls]
        items: list[tuple[str, int, int]] = []
        tries = 0
        while len(items) < per_class and tries < per_class * 50:
            tries += 1
            term = rng.choice(terms)
            shown = evader(term, rng)
            if shown is None:
                continue
            items.append(_in_frame(shown, rng))
        out[cls] = items
    return out


def hazards(seed: int = HAZARD_SEED, repeats: int = 3) -> list[tuple[list[str], str]]:
    """(banned terms, text) pairs: each text must give no finding under its terms."""
    rng = random.Random(seed)
    cases: list[tuple[list[str], str]] = []
    for _ in range(repeats):
        for word in SCUNTHORPE_WORDS:
            cases.append((SCUNTHORPE_TERMS, _sentence(word, rng)))
        for word in PLACE_NAMES + SURNAMES + BRAND_NAMES:
            cases.append((PLACE_TERMS, _sentence(word, rng)))
        for term, phrase in BOUNDARY_PHRASES:
            cases.append(([term], _sentence(phrase, rng)))
        for term, texts in FOLD_HAZARDS:
            cases.append(([term], _sentence(rng.choice(texts), rng)))
    return cases


_HAZARD_FRAMES = [
    "{}",
    "We met {} yesterday.",
    "Off to {} this weekend ☀️",
    "{} — what a find",
    "Thanks {}! #grateful",
    "Is {} open on Sundays?",
]


def _sentence(word: str, rng: random.Random) -> str:
    return rng.choice(_HAZARD_FRAMES).format(word)


# --- an outside-like corpus ------------------------------------------------------------------

_SYLLABLES_ON = ["k", "t", "m", "l", "r", "v", "z", "p", "s", "n", "d", "h", "j", "w"]
_SYLLABLES_ON += ["kr", "tr", "sl", "pl", "gr", "th", "ch", "st", "br", "fl"]
_SYLLABLES_V = ["a", "e", "i", "o", "u", "ia", "ou", "ae", "y"]
_SYLLABLES_CODA = ["", "", "", "n", "r", "l", "s", "x", "rt", "nd", "m", "k"]


def _made_up(rng: random.Random) -> str:
    return "".join(
        rng.choice(_SYLLABLES_ON) + rng.choice(_SYLLABLES_V) + rng.choice(_SYLLABLES_CODA)
        for _ in range(rng.choice((2, 2, 3, 3, 4)))
    )


def outside_terms(seed: int, count: int = 1000) -> list[str]:
    """``count`` banned terms: every usable entry of the starter word lists that fits,
    then made-up words."""
    from policy.engine.matcher import parse_term
    from policy.engine.starter import LANGUAGES, read_wordlist

    rng = random.Random(seed)
    real = []
    for lang in LANGUAGES:
        real += [w for w in read_wordlist(lang) if parse_term(w) is not None]
    real = list(dict.fromkeys(w.lower() for w in real if "&" not in w and "*" not in w))
    rng.shuffle(real)
    terms = real[: count * 2 // 5]
    seen = set(terms)
    while len(terms) < count:
        word = _made_up(rng)
        if word not in seen:
            seen.add(word)
            terms.append(word)
    return terms


_EMOJI = ["😂", "❤️", "🔥", "👍", "🙏", "😍", "✨", "🎉", "😭", "👀", "🇧🇷", "👩🏽‍💻", "🍕", "☕"]
_TLDS = ["com", "org", "net", "io", "co.uk", "de", "app"]


def _vocabulary(rng: random.Random, banned: set[str], size: int) -> list[str]:
    """Ranked vocabulary: dictionary words, made-up words, names and numbers, mixed so
    that the tail is long; none of them a banned term."""
    words = [w for w in dictionary_words() if w not in banned]
    rng.shuffle(words)
    common = words[: size // 2]
    made = [w for w in (_made_up(rng) for _ in range(size // 3)) if w not in banned]
    names = [w.capitalize() for w in words[size // 2 : size // 2 + size // 12]]
    numbers = [str(rng.randrange(10_000)) for _ in range(size // 40)]
    numbers += [f"${rng.randrange(5, 500)}", f"{rng.randrange(1, 12)}pm", "2025", "24/7"]
    pool = common + made + names + numbers
    head = sorted(pool[: size // 20], key=len)  # short words are the frequent ones
    tail = pool[size // 20 :]
    rng.shuffle(tail)
    return head + tail


def _zipf_sampler(n: int, rng: random.Random, exponent: float = 1.25):
    weights = [1 / (r + 1) ** exponent for r in range(n)]
    cum = []
    total = 0.0
    for w in weights:
        total += w
        cum.append(total)
    from bisect import bisect_left

    def draw() -> int:
        return bisect_left(cum, rng.random() * total)

    return draw


def outside_corpus(seed: int, posts: int = 20000, terms: int = 1000):
    """(terms, [(text, label, start, end)]): label "clean" or an evasion class (or
    "plain"); an evaded term sits at ``text[start:end]``."""
    term_list = outside_terms(seed, terms)
    rng = random.Random(seed * 7 + 1)
    banned = {t for t in term_list if " " not in t}
    vocab = _vocabulary(rng, banned, 40_000)
    draw = _zipf_sampler(len(vocab), rng)
    multi = [t.split() for t in term_list if " " in t]
    corpus = []
    for _ in range(posts):
        words = [vocab[draw()] for _ in range(rng.randint(4, 30))]
        for w in words[:]:
            if w.lower() in banned:
                words.remove(w)
        if rng.random() < 0.25:
            tag = rng.choice(words).lower() + rng.choice(vocab[:3000]).capitalize()
            words.insert(rng.randrange(len(words) + 1), "#" + tag[0].upper() + tag[1:])
        if rng.random() < 0.2:
            words.append("#" + rng.choice(vocab[:5000]).lower())
        if rng.random() < 0.15:
            words.insert(0, "@" + rng.choice(vocab).lower() + str(rng.randrange(100)))
        if rng.random() < 0.25:
            words.append(
                f"https://{rng.choice(vocab[:8000]).lower()}.{rng.choice(_TLDS)}/"
                f"{rng.choice(vocab).lower()}?id={rng.randrange(10**6)}"
            )
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            words.insert(rng.randrange(len(words) + 1), rng.choice(_EMOJI))
        text = " ".join(words)
        if rng.random() < 0.3:
            text = text[0].upper() + text[1:] + rng.choice([".", "!", "?", "!!", " ..."])
        low = f" {text.lower()} "
        if any(f" {' '.join(m)} " in low for m in multi):
            continue
        roll = rng.random()
        if roll < 0.05:
            label = "plain" if roll < 0.01 else rng.choice(EVASION_CLASSES)
            # phonetic spellings are of real words (the first 40% of the list)
            term = rng.choice(term_list[: terms * 2 // 5] if label == "phonetic" else term_list)
            shown = term if label == "plain" else EVADERS[label](term, rng)
            if shown is None:
                shown, label = term, "plain"
            at = text.find(" ", rng.randrange(len(text)))
            before = text[: len(text) if at < 0 else at].rstrip(" ")
            after = "" if at < 0 else text[at:].lstrip(" ")
            start = len(before) + 1 if before else 0
            text = (before + " " if before else "") + shown + (" " + after if after else "")
            corpus.append((text, label, start, start + len(shown)))
        else:
            corpus.append((text, "clean", 0, 0))
    return term_list, corpus


def write_outside(directory, seed: int, posts: int = 20000, terms: int = 1000) -> list:
    """Write ``policy.yaml`` (one banned_terms rule), ``posts.jsonl`` (one ``{"text"}`` a
    line) and ``empty.jsonl`` into ``directory``; returns the corpus."""
    import json
    from pathlib import Path

    from policy.engine.schema import dump_policy_yaml

    directory = Path(directory)
    term_list, corpus = outside_corpus(seed, posts, terms)
    rules = [
        {
            "id": "banned",
            "kind": "banned_terms",
            "severity": "block",
            "message": "Not on our channels.",
            "terms": term_list,
        }
    ]
    (directory / "policy.yaml").write_text(dump_policy_yaml(rules), encoding="utf-8")
    with (directory / "posts.jsonl").open("w", encoding="utf-8") as fh:
        for text, *_ in corpus:
            fh.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")
    (directory / "empty.jsonl").write_text("", encoding="utf-8")
    return corpus
