"""A repeatable benchmark of the engine on a generated corpus of marketing posts.

``run_bench()`` builds (from ``seed``) a policy with ``terms`` banned terms (real ones
and made-up word-like ones) and every other rule kind, and a corpus of ``posts``
marketing posts of which about 5% contain a banned term, half of those evaded
(leetspeak, separators, zero-width characters, repeated letters, homoglyphs,
full-width and circled letters, accents, hashtags). It also lints a clean set and a
"Scunthorpe" set (everyday words that contain banned ones), and times a bare
Aho-Corasick pass (``text.casefold()`` through pyahocorasick, same terms, same posts)
as the reference, and the same corpus through a policy with only the banned-terms
rule (the like-for-like comparison with the bare pass).
"""

from __future__ import annotations

import gc
import random
import re
import statistics
import time
import unicodedata

import ahocorasick

from policy.engine import dictionary
from policy.engine.compiler import compile_policy
from policy.engine.corpus import SCUNTHORPE_TERMS, SCUNTHORPE_WORDS
from policy.engine.guard import guard
from policy.engine.matcher import parse_term
from policy.engine.normalize import collapse, skeleton
from policy.engine.starter import read_wordlist

BRAND = "KitchenAid"
ALLOWED = ["kitchenaid.com", "example.com"]
# The everyday words that hold banned letters are kept once, in ``corpus``.
SCUNTHORPE_PHRASES = [w for w in SCUNTHORPE_WORDS if w.replace(" ", "").isalpha()]

_OPENERS = [
    "New in store:",
    "Meet the",
    "Say hello to the",
    "Just landed:",
    "Weekend treat:",
    "Our team loves the",
    "Back in stock:",
    "Limited edition:",
    "This week only,",
    "Fresh from the test kitchen:",
]
_PRODUCTS = [
    "stand mixer",
    "hand blender",
    "food processor",
    "espresso machine",
    "toaster",
    "kettle",
    "cast-iron pan",
    "spiralizer",
    "pasta roller",
    "ice cream maker",
    "bread bowl",
    "cold brew jar",
]
_COLOURS = ["pistachio", "matte black", "empire red", "ice blue", "butter yellow", "sage green"]
_BENEFITS = [
    "whips cream in under a minute",
    "makes weeknight dinners easy",
    "is built to last for decades",
    "fits neatly on any counter",
    "cleans up in seconds",
    "kneads dough like a pro",
    "turns leftovers into lunch",
    "brings cafe-style coffee home",
]
_RECIPES = [
    "lemon drizzle cake",
    "sourdough focaccia",
    "grape and rosemary flatbread",
    "sea bass with herbs",
    "shiitake ramen",
    "classic carrot cake",
    "strawberry pavlova",
    "spiced pumpkin soup",
]
_CTAS = [
    "Shop now",
    "Tap the link to learn more",
    "Find your nearest store",
    "Get the recipe",
    "Save 20% this weekend",
    "Free delivery over $50",
    "Order by 5pm for next-day delivery",
    "Ask our assistant in store",
    "Join the class on Saturday at 10am",
]
_HASHTAGS = [
    "#KitchenAid",
    "#MadeForMore",
    "#BakingDay",
    "#RecipeOfTheWeek",
    "#HomeCooking",
    "#foodie",
    "#SummerSale",
    "#baking",
    "#StandMixer",
    "#ad",
]
_MENTIONS = ["@kitchenaid_uk", "@chefmaria", "@bakeclub", "@HomeChefAnna"]
_EMOJI = ["😍", "🍰", "☕", "✨", "🎉", "👩‍🍳", "🔥", "🇫🇷", "👍🏽", "❤️"]
_LINKS = [
    "https://www.kitchenaid.com/mixers",
    "https://kitchenaid.com/recipes/lemon-cake?utm_source=social",
    "example.com/offer",
    "https://shop.example.com/p/4455",
]

_LEET = {"a": "4@", "e": "3", "i": "1!", "o": "0", "s": "5$", "t": "7", "l": "1|"}
_HOMOGLYPHS = {
    "a": "аα",
    "c": "сϲ",
    "e": "еε",
    "i": "іι",
    "o": "оο",
    "p": "рρ",
    "s": "ѕ",
    "x": "хχ",
    "y": "у",
    "k": "кκ",
    "h": "һ",
    "j": "ј",
    "t": "т",
    "m": "м",
    "b": "в",
}
_TECHNIQUES = [
    "leet",
    "separators",
    "zero_width",
    "repeat",
    "homoglyph",
    "fullwidth",
    "circled",
    "accents",
    "case",
    "hashtag",
    "mixed",
]
_ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff"]
_SEPARATORS = [".", "-", "_", " ", "*", ". "]


def _made_up_word(rng: random.Random) -> str:
    onsets = ["b", "bl", "br", "d", "dr", "f", "fl", "g", "gr", "k", "kr", "m", "n", "p"]
    onsets += ["pl", "sk", "sn", "st", "t", "tr", "v", "z", "zw", "sh", "ch", "qu"]
    vowels = ["a", "e", "i", "o", "u", "oo", "ee", "ai", "ou"]
    codas = ["", "n", "rk", "x", "b", "g", "ck", "nt", "sp", "lf", "rm", "z", "mp"]
    return "".join(
        rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas)
        for _ in range(rng.choice((2, 2, 3)))
    )


def _skeleton(text: str) -> str:
    return collapse(skeleton(text)).strip()


def _vocabulary() -> set[str]:
    words: set[str] = set()
    pieces = _OPENERS + _PRODUCTS + _COLOURS + _BENEFITS + _RECIPES + _CTAS + SCUNTHORPE_PHRASES
    pieces += [*_FILLER, BRAND]
    for piece in pieces:
        words.update(_skeleton(piece).split())
    return words


_FILLER = [
    "Perfect for brunch with friends.",
    "Swipe to see it in action.",
    "Tag someone who needs this.",
    "Made with love by our test kitchen in Sussex.",
    "Ask our assistant for a demo.",
    "Pairs beautifully with a summer cocktail.",
    "Top tip: chill the bowl first.",
    "Our therapist-approved stress bake.",
    "Class is in session every Saturday.",
    "Hello, weekend baking!",
]


def build_terms(count: int, rng: random.Random) -> list[str]:
    real = [w for w in read_wordlist("en") if parse_term(w) is not None]
    real = [w for w in real if not any(ch in w for ch in "&")]
    terms = list(dict.fromkeys(SCUNTHORPE_TERMS + real))[: max(count // 3, len(SCUNTHORPE_TERMS))]
    vocab = _vocabulary()
    seen = {_skeleton(t) for t in terms}
    while len(terms) < count:
        word = _made_up_word(rng)
        skel = _skeleton(word)
        if skel in seen or skel in vocab:
            continue
        seen.add(skel)
        terms.append(word)
    return terms[:count]


def build_policy(terms: list[str]) -> list[dict]:
    return [
        {
            "id": "banned",
            "kind": "banned_terms",
            "severity": "block",
            "message": "Banned term.",
            "terms": terms,
        },
        {
            "id": "topics",
            "kind": "sensitive_topics",
            "severity": "block",
            "message": "Sensitive topic.",
            "terms": ["mass shooting", "election day", "#prayfor*", "Brexit", "terror attack"],
        },
        {
            "id": "brand-name",
            "kind": "brand_spelling",
            "severity": "warn",
            "message": f"Write {BRAND}.",
            "canonical": BRAND,
        },
        {
            "id": "disclose",
            "kind": "required_terms",
            "severity": "block",
            "message": "Sponsored posts say #ad.",
            "any_of": ["#ad", "#sponsored"],
            "categories": ["sponsored"],
        },
        {
            "id": "max-hashtags",
            "kind": "max_count",
            "severity": "warn",
            "message": "At most 5 hashtags.",
            "what": "hashtags",
            "max": 5,
        },
        {
            "id": "max-mentions",
            "kind": "max_count",
            "severity": "warn",
            "message": "At most 3 mentions.",
            "what": "mentions",
            "max": 3,
        },
        {
            "id": "max-links",
            "kind": "max_count",
            "severity": "warn",
            "message": "At most 2 links.",
            "what": "links",
            "max": 2,
        },
        {
            "id": "max-emoji",
            "kind": "max_count",
            "severity": "warn",
            "message": "At most 4 emoji.",
            "what": "emoji",
            "max": 4,
        },
        {
            "id": "links",
            "kind": "link_domains",
            "severity": "block",
            "message": "Link only to our own sites.",
            "allow": ALLOWED,
        },
    ]


def clean_post(rng: random.Random) -> str:
    """A short post (X, Bluesky, Mastodon) or, one time in three, a longer caption
    (Instagram, LinkedIn, Facebook)."""
    parts = [
        rng.choice(_OPENERS),
        f"the {rng.choice(_COLOURS)} {BRAND} {rng.choice(_PRODUCTS)}",
        f"{rng.choice(_BENEFITS)}.",
    ]
    if rng.random() < 0.5:
        parts.append(f"Try our {rng.choice(_RECIPES)} recipe.")
    if rng.random() < 0.5:
        parts.append(rng.choice(_FILLER))
    if rng.random() < 0.33:
        parts += rng.sample(_FILLER, 3)
        parts.append(f"Our {rng.choice(_PRODUCTS)} {rng.choice(_BENEFITS)}.")
        parts.append(f"And the {rng.choice(_RECIPES)}? {rng.choice(_FILLER)}")
    parts.append(rng.choice(_CTAS) + ":")
    if rng.random() < 0.7:
        parts.append(rng.choice(_LINKS))
    if rng.random() < 0.3:
        parts.append(rng.choice(_MENTIONS))
    parts.extend(rng.sample(_HASHTAGS, rng.randint(0, 4)))
    parts.extend(rng.sample(_EMOJI, rng.randint(0, 3)))
    return " ".join(parts)


def evade(term: str, rng: random.Random) -> str:
    """One evasion of ``term`` that the engine is meant to see through."""
    letters = list(term)
    technique = rng.choice(_TECHNIQUES)
    if technique == "mixed":
        return evade(evade(term, rng), rng) if " " not in term else evade(term, rng)
    if technique == "leet":
        spots = [i for i, c in enumerate(letters) if c in _LEET]
        if len(spots) > 1:
            keep = rng.choice(spots)  # at least one real letter stays
            for i in spots:
                if i != keep and rng.random() < 0.7:
                    choice = rng.choice(_LEET[letters[i]])
                    if choice == "!" and (i == len(letters) - 1 or letters[i + 1] == " "):
                        choice = "1"
                    if choice == "@" and (i == 0 or letters[i - 1] == " "):
                        choice = "4"
                    letters[i] = choice
        return "".join(letters)
    if technique == "separators":
        sep = rng.choice(_SEPARATORS)
        return "   ".join(sep.join(word) for word in term.split())
    if technique == "zero_width":
        out = []
        for c in term:
            out.append(c)
            if c != " " and rng.random() < 0.5:
                out.append(rng.choice(_ZERO_WIDTH))
        return "".join(out)
    if technique == "repeat":
        i = rng.randrange(len(term))
        while term[i] == " ":
            i = rng.randrange(len(term))
        return term[:i] + term[i] * rng.randint(2, 6) + term[i:]
    if technique == "homoglyph":
        return "".join(
            rng.choice(_HOMOGLYPHS[c]) if c in _HOMOGLYPHS and rng.random() < 0.6 else c
            for c in term
        )
    if technique == "fullwidth":
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in term)
    if technique == "circled":
        return "".join(chr(0x24D0 + ord(c) - 97) if "a" <= c <= "z" else c for c in term)
    if technique == "accents":
        marks = ["\u0301", "\u0308", "\u0300", "\u0302", "\u0327"]
        text = "".join(
            c + rng.choice(marks) if c.isalpha() and rng.random() < 0.5 else c for c in term
        )
        return unicodedata.normalize(rng.choice(["NFC", "NFD"]), text)
    if technique == "case":
        return "".join(c.upper() if rng.random() < 0.5 else c for c in term)
    # hashtag: the whole term as a tag, camel-cased or run together
    words = term.split()
    if rng.random() < 0.5:
        return "#" + "".join(w[:1].upper() + w[1:] for w in words)
    return "#" + "".join(words)


def _with_term(rng: random.Random, shown: str) -> tuple[str, int, int]:
    before = f"{rng.choice(_OPENERS)} the {BRAND} {rng.choice(_PRODUCTS)}, "
    after = f" {rng.choice(_FILLER)} {rng.choice(_CTAS)}."
    if rng.random() < 0.5:
        before, after = before + "what the ", after
    return before + shown + after, len(before), len(before) + len(shown)


def build_corpus(posts: int, terms: list[str], rng: random.Random):
    corpus: list[tuple[str, str, int, int]] = []  # (text, label, start, end)
    for _ in range(posts):
        roll = rng.random()
        if roll < 0.025:
            text, a, b = _with_term(rng, rng.choice(terms))
            corpus.append((text, "plain", a, b))
        elif roll < 0.05:
            text, a, b = _with_term(rng, evade(rng.choice(terms), rng))
            corpus.append((text, "evaded", a, b))
        else:
            corpus.append((clean_post(rng), "clean", 0, 0))
    return corpus


def scunthorpe_post(rng: random.Random) -> str:
    words = rng.sample(SCUNTHORPE_PHRASES, 4)
    return f"{words[0]} and {words[1]}: {rng.choice(_FILLER)} {words[2]}, {words[3]}!"


def _found(result, start: int, end: int) -> bool:
    return any(f.rule == "banned" and f.start < end and start < f.end for f in result.findings)


def _best(run, repeat: int):
    """(seconds, result) of the fastest of ``repeat`` runs, with the collector paused."""
    best = None
    result = None
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            gc.collect()
            started = time.perf_counter()
            result = run()
            took = time.perf_counter() - started
            best = took if best is None else min(best, took)
    finally:
        if enabled:
            gc.enable()
    return best, result


def run_bench(posts: int = 20000, terms: int = 1000, seed: int = 1, repeat: int = 5) -> dict:
    rng = random.Random(seed)
    term_list = build_terms(terms, rng)
    rules = build_policy(term_list)
    t0 = time.perf_counter()
    policy = compile_policy(rules)
    compile_ms = (time.perf_counter() - t0) * 1000
    corpus = build_corpus(posts, term_list, rng)
    clean_set = [clean_post(rng) for _ in range(max(posts // 10, 200))]
    scunthorpe_set = [scunthorpe_post(rng) for _ in range(max(posts // 20, 100))]
    categories = [("sponsored" if rng.random() < 0.1 else None) for _ in corpus]

    texts = [text for text, *_ in corpus]
    calls = [
        (text, "@kitchenaid", "mastodon", category)
        for text, category in zip(texts, categories, strict=True)
    ]
    for text, *_ in corpus[:500]:  # warm the character table and the caches
        policy.lint(text)

    # Throughput: the whole loop timed, exactly like the bare pass below, so no per-post
    # timer call is counted against the engine. Every loop is timed as ``timeit`` does
    # it: the best of ``repeat`` passes, with the garbage collector paused.
    lint = policy.lint

    def engine_pass():
        return [
            lint(text, channel, platform, category) for text, channel, platform, category in calls
        ]

    wall, results = _best(engine_pass, repeat)

    # Latency: a separate pass with a timer around each post.
    timings: list[int] = []
    clock = time.perf_counter_ns
    for text, channel, platform, category in calls:
        t = clock()
        lint(text, channel, platform, category)
        timings.append(clock() - t)

    evaded = [
        (r, a, b) for r, (_, label, a, b) in zip(results, corpus, strict=True) if label == "evaded"
    ]
    plain = [
        (r, a, b) for r, (_, label, a, b) in zip(results, corpus, strict=True) if label == "plain"
    ]
    fp_clean = sum(1 for text in clean_set if policy.lint(text).findings)
    fp_scunthorpe = sum(1 for text in scunthorpe_set if policy.lint(text).findings)

    automaton = ahocorasick.Automaton()
    for term in term_list:
        automaton.add_word(term.casefold(), term)
    automaton.make_automaton()
    for text in texts[:500]:  # warm-up, as for the engine
        for _ in automaton.iter(text.casefold()):
            pass

    def bare_pass():
        for text in texts:
            for _ in automaton.iter(text.casefold()):
                pass

    bare, _ = _best(bare_pass, repeat)

    terms_only = compile_policy(rules[:1])
    for text in texts[:500]:
        terms_only.lint(text)

    def terms_pass():
        for text in texts:
            terms_only.lint(text)

    terms_wall, _ = _best(terms_pass, repeat)

    # The same corpus through a freshly compiled policy, once, with nothing warmed up:
    # every token is new to it (see summaries.py), the worst case of a cold worker.
    cold_policy = compile_policy(rules)
    cold, _ = _best(
        lambda: [cold_policy.lint(*call) for call in calls],
        1,
    )

    # The worst case for the token summaries: posts made of words never seen before
    # (40 made-up words each), on a fresh policy, next to the exact way on the same.
    words = random.Random(seed + 1)
    unseen = [
        " ".join(_made_up_word(words) + str(words.randrange(10**6)) for _ in range(40))
        for _ in range(max(posts // 40, 50))
    ]
    unseen_policy = compile_policy(rules)
    unseen_fast, _ = _best(lambda: [unseen_policy.lint(text) for text in unseen], 1)
    unseen_exact, _ = _best(lambda: [unseen_policy.lint(text, fast=False) for text in unseen], 1)

    jsonl = jsonl_path(texts, term_list, repeat=min(repeat, 3))
    timings.sort()
    rate = len(corpus) / wall
    bare_rate = len(texts) / bare
    return {
        "posts": len(corpus),
        "terms": len(term_list),
        "seed": seed,
        "compile_ms": round(compile_ms, 1),
        "posts_per_s": round(rate),
        "p50_us": round(statistics.median(timings) / 1000, 1),
        "p99_us": round(timings[min(len(timings) - 1, int(len(timings) * 0.99))] / 1000, 1),
        "evaded_posts": len(evaded),
        "recall_evaded": round(sum(_found(r, a, b) for r, a, b in evaded) / max(len(evaded), 1), 4),
        "plain_posts": len(plain),
        "recall_plain": round(sum(_found(r, a, b) for r, a, b in plain) / max(len(plain), 1), 4),
        "clean_posts": len(clean_set),
        "fp_clean": fp_clean,
        "scunthorpe_posts": len(scunthorpe_set),
        "fp_scunthorpe": fp_scunthorpe,
        "bare_ac_posts_per_s": round(bare_rate),
        "ratio_to_bare": round(rate / bare_rate, 3),
        "cold_posts_per_s": round(len(texts) / cold),
        "unseen_posts_per_s": round(len(unseen) / unseen_fast),
        "unseen_exact_posts_per_s": round(len(unseen) / unseen_exact),
        "repeat": repeat,
        "terms_only_posts_per_s": round(len(texts) / terms_wall),
        "terms_only_ratio_to_bare": round(len(texts) / terms_wall / bare_rate, 3),
        **jsonl,
    }


def missed_evasions(posts: int = 2000, terms: int = 200, seed: int = 1) -> list[str]:
    """The evaded texts the engine did not catch (a debugging aid)."""
    rng = random.Random(seed)
    term_list = build_terms(terms, rng)
    policy = compile_policy(build_policy(term_list))
    return [
        text[a:b]
        for text, label, a, b in build_corpus(posts, term_list, rng)
        if label == "evaded" and not _found(policy.lint(text), a, b)
    ]


def format_bench(result: dict) -> str:
    r = result
    return "\n".join(
        [
            f"corpus: {r['posts']:,} posts, {r['terms']:,} banned terms, seed {r['seed']}; "
            f"policy compiled in {r['compile_ms']} ms",
            f"throughput: {r['posts_per_s']:,} posts/s "
            f"(p50 {r['p50_us']} us, p99 {r['p99_us']} us per post)",
            f"bare Aho-Corasick reference: {r['bare_ac_posts_per_s']:,} posts/s; "
            f"engine/bare = {r['ratio_to_bare']}",
            f"banned_terms rule alone: {r['terms_only_posts_per_s']:,} posts/s; "
            f"engine/bare = {r['terms_only_ratio_to_bare']}",
            f"cold policy (freshly compiled, one pass, its token summaries empty): "
            f"{r['cold_posts_per_s']:,} posts/s",
            f"posts of 40 never-seen words: {r['unseen_posts_per_s']:,} posts/s "
            f"(without the token summaries: {r['unseen_exact_posts_per_s']:,})",
            f"(throughputs: best of {r['repeat']} passes, garbage collector paused)",
            f"recall: evaded {r['recall_evaded']:.2%} of {r['evaded_posts']}, "
            f"plain {r['recall_plain']:.2%} of {r['plain_posts']}",
            f"false positives: clean {r['fp_clean']} of {r['clean_posts']}, "
            f"Scunthorpe {r['fp_scunthorpe']} of {r['scunthorpe_posts']}",
        ]
    )


# --- accuracy on tuning and held-out seeds, and the policy_lint --jsonl path ----------------


def _hit(result, start: int, end: int) -> bool:
    return any(f.start < end and start < f.end for f in result.findings)


def accuracy(seed: int, terms: int = 300, per_class: int = 300) -> dict:
    """Recall per evasion class (``corpus.adversarial``) and false positives on clean and
    Scunthorpe posts, for one seed's terms and texts."""
    from policy.engine import corpus as cp

    rng = random.Random(seed)
    term_list = build_terms(terms, rng)
    policy = compile_policy(build_policy(term_list)[:2])
    out: dict = {"seed": seed}
    for cls, items in cp.adversarial(term_list, seed, per_class).items():
        results = policy.lint_many([t for t, _, _ in items])
        missed = [t[a:b] for r, (t, a, b) in zip(results, items, strict=True) if not _hit(r, a, b)]
        out[f"recall_{cls}"] = round(1 - len(missed) / max(len(items), 1), 4)
        # a spelling the generator made that is itself an everyday word ("bob" for
        # "boob"): reading it as the term would flag every post with the word
        out[f"missed_{cls}"] = len(missed)
        out[f"everyday_{cls}"] = sum(dictionary.is_word(w.lower()) for w in missed)
    clean = [clean_post(rng) for _ in range(1000)]
    scunthorpe = [scunthorpe_post(rng) for _ in range(500)]
    out["fp_clean"] = sum(bool(r.findings) for r in policy.lint_many(clean))
    out["fp_scunthorpe"] = sum(bool(r.findings) for r in policy.lint_many(scunthorpe))
    return out


def hazard_false_positives(seed: int | None = None) -> tuple[int, int]:
    """(texts with a finding, texts) over ``corpus.hazards``: the fixed held-out seed."""
    from policy.engine import corpus as cp

    cases = cp.hazards(cp.HAZARD_SEED if seed is None else seed)
    policies: dict = {}
    flagged = 0
    for terms, text in cases:
        key = tuple(terms)
        if key not in policies:
            policies[key] = compile_policy(build_policy(list(terms))[:1])
        flagged += bool(policies[key].lint(text).findings)
    return flagged, len(cases)


def jsonl_path(texts: list[str], term_list: list[str], repeat: int = 3) -> dict:
    """Posts/s through ``policy.engine.jsonl.lint_lines`` (what ``policy_lint --jsonl``
    runs), compile included, next to the bare casefolded Aho-Corasick pass."""
    import json

    from policy.engine import jsonl

    lines = [json.dumps({"text": t}, ensure_ascii=False).encode() for t in texts]
    rules = build_policy(term_list)[:1]

    def run():
        policy = compile_policy(rules)
        for _ in jsonl.lint_lines(policy, [lines], lambda c: (c, None)):
            pass

    wall, _ = _best(run, repeat)
    automaton = ahocorasick.Automaton()
    for term in term_list:
        automaton.add_word(term.casefold(), term)
    automaton.make_automaton()

    def bare():
        for text in texts:
            for _ in automaton.iter(text.casefold()):
                pass

    bare_wall, _ = _best(bare, repeat)
    return {
        "jsonl_posts_per_s": round(len(texts) / wall),
        "jsonl_bare_posts_per_s": round(len(texts) / bare_wall),
        "jsonl_ratio_to_bare": round(bare_wall / wall, 3),
    }


def format_accuracy(rows: list[dict], hazards: tuple[int, int]) -> str:
    from policy.engine.corpus import EVASION_CLASSES, HELD_OUT_SEEDS

    head = "seed".ljust(16) + "".join(c[:10].rjust(11) for c in EVASION_CLASSES)
    lines = ["recall per evasion class, false positives (tuned seeds, then held out):", head]
    for row in rows:
        label = f"{row['seed']}{' held-out' if row['seed'] in HELD_OUT_SEEDS else ' tuned'}"
        cells = "".join(f"{row['recall_' + c]:>11.2%}" for c in EVASION_CLASSES)
        lines.append(
            f"{label:<16}{cells}   FP clean {row['fp_clean']}/1000, "
            f"Scunthorpe {row['fp_scunthorpe']}/500"
        )
    everyday = [
        f"{row['seed']}: "
        + ", ".join(
            f"{c} {row['everyday_' + c]} of {row['missed_' + c]}"
            for c in EVASION_CLASSES
            if row.get("missed_" + c)
        )
        for row in rows
        if any(row.get("missed_" + c) for c in EVASION_CLASSES)
    ]
    if everyday:
        lines.append(
            "misses that are everyday words (read as terms, they would flag every post with "
            "the word): " + "; ".join(everyday)
        )
    lines.append(f"false-positive hazards (held-out seed): {hazards[0]} of {hazards[1]} texts")
    return "\n".join(lines)


# --- the outside-like corpus: the policy_lint --jsonl path, tuned and held-out seeds ------


def _bare_seconds(texts: list[str], term_list: list[str], clock=time.perf_counter) -> float:
    """The bare casefolded pyahocorasick pass over ``texts`` (automaton built outside)."""
    automaton = ahocorasick.Automaton()
    for term in term_list:
        automaton.add_word(term.casefold(), term)
    automaton.make_automaton()
    started = clock()
    for text in texts:
        for _ in automaton.iter(text.casefold()):
            pass
    return clock() - started


def outside_path(seed: int, posts: int = 20000, terms: int = 1000, repeat: int = 2) -> dict:
    """The outside-like corpus (``corpus.outside_corpus``) through ``jsonl.lint_lines``,
    what ``policy_lint --jsonl`` runs, with the policy compiled once as the command's
    process does (``policy.selectors`` caches it; the compile is timed apart), next to
    the bare pass in the same run; each timed ``repeat`` times, the median counts. With
    recall per class and false positives on its clean posts."""
    import json

    from policy.engine import corpus as cp
    from policy.engine import jsonl

    term_list, items = cp.outside_corpus(seed, posts, terms)
    texts = [t for t, *_ in items]
    lines = [json.dumps({"text": t}, ensure_ascii=False).encode() for t in texts]
    rules = [
        {
            "id": "banned",
            "kind": "banned_terms",
            "severity": "block",
            "message": "Not on our channels.",
            "terms": term_list,
        }
    ]
    processes = jsonl.default_processes()
    compiles, walls, parallel, bares = [], [], [], []
    out: list[str] = []
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        # wrapped as the command's brand policy is (here with no vocabulary or moments)
        policy = guard(compile_policy(rules))
        compiles.append(time.perf_counter() - started)
        policy.prepare()  # as the command does before it reads a line
        with jsonl.long_lived():  # as the command streams
            started = time.perf_counter()
            out = list(jsonl.lint_lines(policy, [lines], lambda c: (c, None)))
            walls.append(time.perf_counter() - started)
            if processes > 1:
                # forked before the clock starts, as the command forks them as it starts
                with jsonl.start_workers(policy, lambda c: (c, None), processes=processes) as w:
                    started = time.perf_counter()
                    forked = list(jsonl.lint_lines(policy, [lines], None, workers=w))
                    parallel.append(time.perf_counter() - started)
                if forked != out:
                    raise AssertionError("the forked processes answered differently")
        bares.append(_bare_seconds(texts, term_list))
    wall, bare, compile_s = (statistics.median(x) for x in (walls, bares, compiles))
    forked_wall = statistics.median(parallel) if parallel else None
    found: dict[str, list[int]] = {}
    everyday = 0  # misses that are everyday words (see ``accuracy``)
    fp = clean = 0
    for line, (text, label, a, b) in zip(out, items, strict=True):
        result = json.loads(line)
        if label == "clean":
            clean += 1
            fp += bool(result["findings"])
            continue
        hit = any(f["start"] < b and a < f["end"] for f in result["findings"])
        found.setdefault(label, []).append(hit)
        everyday += not hit and dictionary.is_word(text[a:b].lower())
    return {
        "seed": seed,
        "posts": len(texts),
        "terms": len(term_list),
        "compile_ms": round(compile_s * 1000, 1),
        "posts_per_s": round(len(texts) / wall),
        "bare_posts_per_s": round(len(texts) / bare),
        "ratio": round(bare / wall, 3),
        "ratio_with_compile": round(bare / (wall + compile_s), 3),
        "processes": processes,
        "processes_posts_per_s": round(len(texts) / forked_wall) if forked_wall else None,
        "processes_ratio": round(bare / forked_wall, 3) if forked_wall else None,
        "recall": {k: round(sum(v) / len(v), 4) for k, v in sorted(found.items())},
        "missed": sum(len(v) - sum(v) for v in found.values()),
        "missed_everyday": everyday,
        "fp_clean": fp,
        "clean_posts": clean,
    }


def format_outside(rows: list[dict]) -> str:
    from policy.engine.corpus import HELD_OUT_SEEDS

    lines = [
        "policy_lint --jsonl path on the outside-like corpus (policy compiled once, as in "
        "the command; median of the runs):"
    ]
    for r in rows:
        kind = "held-out" if r["seed"] in HELD_OUT_SEEDS else "tuned"
        recall = ", ".join(f"{k} {v:.2%}" for k, v in r["recall"].items())
        forked = (
            f"; {r['processes']} processes (the command's default here): "
            f"{r['processes_posts_per_s']:,} posts/s, ratio {r['processes_ratio']}"
            if r.get("processes_ratio")
            else ""
        )
        lines.append(
            f"  seed {r['seed']} {kind}: one process {r['posts_per_s']:,} posts/s, bare pass "
            f"{r['bare_posts_per_s']:,}, ratio {r['ratio']} (with the compile, "
            f"{r['compile_ms']} ms: {r['ratio_with_compile']}){forked}; recall {recall} "
            f"({r['missed']} missed, {r['missed_everyday']} of them everyday words); "
            f"FP clean {r['fp_clean']}/{r['clean_posts']}"
        )
    return "\n".join(lines)


def composer_latency(seed: int = 1, posts: int = 2000, terms: int = 1000) -> dict:
    """Single-post lint (``CompiledPolicy.lint``, the live composer's call) of 280-character
    posts with the whole marketing policy (``terms`` banned terms and every other rule
    kind), each post new to the policy: p50 and p99."""
    from policy.engine import corpus as cp

    rng = random.Random(seed)
    policy = compile_policy(build_policy(build_terms(terms, rng)))
    _, items = cp.outside_corpus(seed + 100, posts * 3, terms)
    pool = [t for t, *_ in items]
    texts = []
    k = 0
    while len(texts) < posts:
        text = ""
        while len(text) < 280:
            text = f"{text} {pool[k % len(pool)]}".strip()
            k += 1
        texts.append(text[:280])
    for text in texts[:50]:  # the first calls (tables, caches) are not a composer's
        policy.lint(text + " warm")
    timings = []
    cpu = []
    clock = time.perf_counter_ns
    cpu_clock = time.thread_time_ns
    for text in texts:
        t = clock()
        c = cpu_clock()
        policy.lint(text)
        cpu.append(cpu_clock() - c)
        timings.append(clock() - t)
    timings.sort()
    cpu.sort()

    def at(values, share):
        return round(values[min(len(values) - 1, int(len(values) * share))] / 1000, 1)

    # Wall time counts the moments another process had the core (on a busy machine a
    # scheduler tick, ~4 ms, lands in the tail); the thread's CPU time does not.
    return {
        "posts": len(texts),
        "chars": 280,
        "p50_us": at(timings, 0.5),
        "p99_us": at(timings, 0.99),
        "cpu_p50_us": at(cpu, 0.5),
        "cpu_p99_us": at(cpu, 0.99),
    }


# what ``policy_lint --jsonl --timing`` writes on stderr: lines, wall, CPU, processes
TIMED_RE = re.compile(r"([\d,]+) lines? in ([\d.]+) s.*\(CPU ([\d.]+) s, (\d+) process")


def outside_subprocess(seeds, posts: int = 20000, terms: int = 1000, repeat: int = 2) -> list:
    """The outside-like corpus through the real commands, as separate processes:
    ``policy_import`` of its policy into a throwaway SQLite database's demo brand, then
    ``policy_lint demo --jsonl --timing`` with the posts on standard input. The figures
    are the command's own (``--timing``: the stream from its first read to its last
    answer, the start of the process excluded; CPU of the process and the ones it
    forked), next to the bare pass in this process; the median of ``repeat`` runs. (A
    run less an empty run, as this was measured before, buried the ~0.2 s of the stream
    under the ~2 s start's run-to-run noise.)"""
    import os
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    from policy.engine import corpus as cp

    manage = [sys.executable, str(Path(__file__).resolve().parents[2] / "manage.py")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        env["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
        env["DJANGO_SETTINGS_MODULE"] = "config.settings"
        env.pop("CI", None)

        def run(args, stdin=None) -> str:
            """The standard error of one command."""
            with open(stdin or os.devnull, "rb") as fh:
                done = subprocess.run(  # noqa: S603 - this interpreter, our manage.py
                    manage + args,
                    stdin=fh,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    env=env,
                    check=False,
                )
            if done.returncode not in (0, 1):
                raise RuntimeError(f"{' '.join(args)} exited with {done.returncode}")
            return done.stderr.decode("utf-8", "replace")

        run(["migrate", "--verbosity", "0"])
        run(["seed_demo", "--force", "--verbosity", "0"])
        for seed in seeds:
            folder = Path(tmp) / str(seed)
            folder.mkdir()
            items = cp.write_outside(folder, seed, posts, terms)
            texts = [t for t, *_ in items]
            term_list = cp.outside_terms(seed, terms)
            run(["policy_import", "demo", str(folder / "policy.yaml")])
            lint, walls, bare, bare_wall = [], [], [], []
            processes = 1
            for _ in range(repeat):
                found = TIMED_RE.search(
                    run(["policy_lint", "demo", "--jsonl", "--timing"], folder / "posts.jsonl")
                )
                if found is None or int(found[1].replace(",", "")) != len(texts):
                    raise RuntimeError("policy_lint --timing did not report every line")
                walls.append(float(found[2]))
                lint.append(float(found[3]))
                processes = int(found[4])
                bare.append(_bare_seconds(texts, term_list, time.process_time))
                bare_wall.append(_bare_seconds(texts, term_list))
            lint_s, bare_s = statistics.median(lint), statistics.median(bare)
            wall_s, bare_wall_s = statistics.median(walls), statistics.median(bare_wall)
            rows.append(
                {
                    "seed": seed,
                    "posts": len(texts),
                    "processes": processes,
                    "lint_cpu_s": round(lint_s, 3),
                    "bare_cpu_s": round(bare_s, 3),
                    "ratio": round(bare_s / lint_s, 3) if lint_s > 0 else None,
                    "lint_wall_s": round(wall_s, 3),
                    "bare_wall_s": round(bare_wall_s, 3),
                    "wall_ratio": round(bare_wall_s / wall_s, 3) if wall_s > 0 else None,
                }
            )
    return rows


def format_subprocess(rows: list[dict]) -> str:
    from policy.engine.corpus import HELD_OUT_SEEDS

    lines = [
        "policy_import + policy_lint --jsonl --timing as processes (the stream as the "
        "command times it, the start of the process excluded: wall, and CPU summed over "
        "the processes it forks; median):"
    ]
    for r in rows:
        kind = "held-out" if r["seed"] in HELD_OUT_SEEDS else "tuned"
        lines.append(
            f"  seed {r['seed']} {kind}: {r['posts']:,} posts in {r['lint_wall_s']} s wall "
            f"with {r['processes']} process{'es' if r['processes'] > 1 else ''} (bare pass "
            f"{r['bare_wall_s']} s: ratio {r['wall_ratio']}), {r['lint_cpu_s']} s CPU "
            f"(bare pass {r['bare_cpu_s']} s: ratio {r['ratio']})"
        )
    return "\n".join(lines)
