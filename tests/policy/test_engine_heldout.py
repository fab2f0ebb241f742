"""A small version of the held-out accuracy check that ``policy_bench`` prints: recall per
evasion class and false positives on a held-out seed the engine was not tuned on."""

import random

import pytest

from policy.engine import bench
from policy.engine import corpus as cp
from policy.engine import normalize as nz
from policy.engine.compiler import compile_policy


@pytest.fixture(scope="module")
def held_out():
    seed = cp.HELD_OUT_SEEDS[0]
    rng = random.Random(seed)
    terms = bench.build_terms(120, rng)
    return seed, terms, compile_policy(bench.build_policy(terms)[:2]), rng


def test_recall_per_evasion_class_on_a_held_out_seed(held_out):
    seed, terms, policy, _ = held_out
    for cls, items in cp.adversarial(terms, seed, per_class=80).items():
        results = policy.lint_many([t for t, _, _ in items])
        found = sum(bench._hit(r, a, b) for r, (_, a, b) in zip(results, items, strict=True))
        assert found / len(items) >= 0.95, (cls, found, len(items))


def test_no_false_positives_on_clean_scunthorpe_and_hazard_texts(held_out):
    _, _, policy, rng = held_out
    clean = [bench.clean_post(rng) for _ in range(300)]
    scunthorpe = [bench.scunthorpe_post(rng) for _ in range(150)]
    assert [r.findings for r in policy.lint_many(clean + scunthorpe) if r.findings] == []
    from policy.engine.compiler import compile_policy as compile_

    flagged = [
        text
        for terms, text in cp.hazards()
        if compile_(bench.build_policy(list(terms))[:1]).lint(text).findings
    ]
    assert flagged == []


def test_lint_many_gives_what_lint_gives(held_out):
    seed, terms, policy, rng = held_out
    texts = [t for items in cp.adversarial(terms, seed + 1, 40).values() for t, _, _ in items]
    texts += [bench.clean_post(rng) for _ in range(100)]
    assert policy.lint_many(texts) == [policy.lint(t) for t in texts]


@pytest.mark.parametrize(
    "term, text",
    [
        ("god", "So good"),
        ("god", "gooood morning"),
        ("fed", "feed the cat"),
        ("bok", "a good book"),
        ("hell", "he'll be there"),
        ("rape", "rap music"),
        ("penis", "pens and pencils"),
        # a pair read as one letter on top of another rule: a respelling, a digit for a
        # vowel it does not look like
        ("stykou", "stykku"),
        ("mufti", "muff73"),
        ("mufti", "@muff73 ok"),
        ("boobs", "#9995Ancients"),  # 9 for b, then "bbs" with its vowels dropped
    ],
)
def test_doubled_letters_contractions_and_respellings_stay_innocent(term, text):
    policy = compile_policy(bench.build_policy([term])[:1])
    assert policy.lint(text).findings == []


@pytest.mark.parametrize(
    "term, text",
    [
        ("fistfucks", "fi.stfucks"),
        ("hoer", "hoe_r"),
        ("ninny", "ni'nny"),
        ("footjob", "fo*otjob"),
        ("muffdiver", "muffdi_ver"),
        ("dangerous product", "da.ngerous product"),
        ("fuck", "f4ck"),
        ("shit", "sh1t"),
        ("gokkun", "90kkun"),
        ("organ", "or94n"),
        ("fuck", "fuk"),
        ("fuck", "fck"),
        ("fuck", "phuck"),
        ("bitch", "biatch"),
        ("infierno", "ianfierno"),
        ("dumppai", "dumpp4!"),  # a digit for a, "!" for i after it
        ("god", "godddd"),
        ("stykou", "styku"),  # each rule alone still reads
        ("mufti", "muft1"),
        ("mufti", "mufffti"),
        ("fuck", "fuuuk"),  # a run longer than a pair, respelled
    ],
)
def test_the_evasions_of_the_issue_are_found(term, text):
    policy = compile_policy(bench.build_policy([term])[:1])
    found = policy.lint(f"well {text} then")
    assert [f.match for f in found.findings] == [text]
    assert policy.lint_many([f"well {text} then"]) == [found]


@pytest.mark.parametrize(
    "text, match",
    [
        ("my boss is a b i t c h today", "b i t c h"),  # the article stays an article
        ("you are a f.u.c.k.i.n.g joke", "f.u.c.k.i.n.g"),
        ("I f u c k e d up", "f u c k e d"),
        ("a s s h o l e", "a s s h o l e"),  # or the first letter of the word
        ("what a s s", "a s s"),
    ],
)
def test_a_word_of_one_letter_before_a_spelled_out_word_is_read_both_ways(text, match):
    policy = compile_policy(
        bench.build_policy(["bitch", "fucking", "fucked", "asshole", "ass"])[:1]
    )
    found = policy.lint(text)
    assert [f.match for f in found.findings] == [match]
    assert policy.lint_many([text]) == [found]
    tracked = nz.tracked_skeleton(text)
    assert tracked.s == nz.collapse(nz.skeleton(text))


def test_a_leet_symbol_in_one_word_and_a_digit_for_a_vowel_in_another():
    policy = compile_policy(bench.build_policy(["alabama hot pocket"])[:1])
    for text in ("alabam@ hot p4cket this", "al@bama hot p4cket!"):
        found = policy.lint(text)
        assert len(found.findings) == 1 and policy.lint_many([text]) == [found]


@pytest.mark.parametrize(
    "text, flagged",
    [
        ("barenake'd", True),  # no word before the ending: a separator
        ("we'd go", False),
        ("I'd say", False),
        ("you're here", False),
        ("could've been", False),
        ("John'll come", False),  # a name
        ("he'll be fine", False),
        ("ba'll gag", True),  # "ba" is no word "'ll" shortens with
        ("as's", True),  # a function word takes no possessive
        ("the dog's bowl", False),
        ("that's it", False),
    ],
)
def test_an_apostrophe_before_d_ll_re_ve_is_a_contraction_only_after_a_word(text, flagged):
    policy = compile_policy(
        bench.build_policy(["barenaked", "hell", "wed", "youre", "couldve", "ball gag", "ass"])[:1]
    )
    assert bool(policy.lint(text).findings) is flagged


@pytest.mark.parametrize(
    "text",
    [
        "new post: copro|@gnia (link in bio)",  # two leet symbols side by side
        "zuzplourmsk3!n!!! cannot believe i",  # "!" inside, "!!!" after
        "my boss is a 2 girl$ 1 c0p today",  # "a 2": the article and a number
        "stop #uroph!||ia",  # "!" before a "|": both leet symbols the classes read as gaps
        "stop uroph!|!a",
        "brrr 8@@ngbus",  # a run of symbols after a digit
    ],
)
def test_the_batch_prescreen_sends_these_to_the_exact_lint(text):
    policy = compile_policy(
        bench.build_policy(
            ["coprolagnia", "zuzplourmskein", "2 girls 1 cup", "urophilia", "bangbus"]
        )[:2]
    )
    found = policy.lint(text)
    assert len(found.findings) == 1
    assert policy.lint_many([text, "a clean one"]) == [found, policy.lint("a clean one")]


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_the_batch_prescreen_never_drops_what_lint_finds(seed):
    """lint_many against lint on fresh seeds of every evasion class and of the
    outside-like corpus: a text the prescreen let go with a finding is a lost post."""
    rng = random.Random(seed)
    terms = bench.build_terms(150, rng)
    policy = compile_policy(bench.build_policy(terms)[:2])
    texts = [t for items in cp.adversarial(terms, seed, 60).values() for t, _, _ in items]
    assert policy.lint_many(texts) == [policy.lint(t) for t in texts]
    outside_terms, items = cp.outside_corpus(seed, 600, 150)
    outside = compile_policy(
        [
            {
                "id": "b",
                "kind": "banned_terms",
                "severity": "block",
                "message": "x",
                "terms": outside_terms,
            }
        ]
    )
    texts = [t for t, *_ in items]
    assert outside.lint_many(texts) == [outside.lint(t) for t in texts]


@pytest.mark.parametrize(
    "text, flagged",
    [
        ("honestly what the @rsehole is this", True),  # "@" for a first letter
        ("new post: @ssm4nch (link in bio)", True),  # and a digit for a vowel
        ("naz! scum", True),  # "!" for a last one
        ("thanks @assistant!", False),  # a mention, an exclamation
        ("hi @team great!!", False),
        ("cry pip!", False),  # an everyday word's exclamation
        ("go @team4life", False),
    ],
)
def test_a_leet_symbol_at_a_words_edge(text, flagged):
    policy = compile_policy(
        bench.build_policy(["arsehole", "assmunch", "nazi", "pipi", "ateam", "ateam4life"])[:2]
    )
    found = policy.lint(text)
    assert bool(found.findings) is flagged
    assert policy.lint_many([text, "fine"])[0] == found


@pytest.mark.parametrize(
    "terms, text, flagged",
    [
        (["hard core"], "#hardcore fans", False),  # run together: an everyday word
        (["hard core"], "#HardCore", True),  # the words apart
        (["the rapist"], "t.h.e.r.a.p.i.s.t", True),  # spelled out still counts
        (["péter"], "ego peter ox", False),  # a name without the term's accent
        (["péter"], "ne pas péter", True),
        (["ânus"], "rib âns keg", True),  # a respelling that is a word, with the accent
        (["ânus"], "rib ans keg", False),  # the word itself
        (["pênis"], "ok PÊNS, pens", True),
        (["pênis"], "pens and pans", False),
        (["anus"], "rib âns keg", False),  # the term has no accent: "âns" is "ans"
        (["idiota"], "@idiot44 get ta", False),  # a number after a word
        (["twat"], "Off to Twatt this weekend ☀️", False),  # a place: a name's double t
        (["twat"], "#VisitTwatt", False),
        (["scot"], "Thanks Scott!", False),
        (["twat"], "you twatt", True),  # written small, or shouted, a stretched letter
        (["twat"], "TWATT", True),
        (["twat"], "you Twattt", True),  # three: no name's spelling
        (["fuck"], "#FuckkYou", True),  # not the hashtag's last word
        (["fuck"], "Fuckk", True),  # no name ends in kk
        (["fuck"], "fuCkk\u200b", True),
        (["cunt"], "Cuntt", False),  # (as Scott)
        (["shit"], "say hi77", False),
        (["shit"], "5hi77", True),  # not after a word: a digit before its letters too
        (["hell"], "h33ll", True),  # digits inside a word stretch it
        (["how to murder"], "um h1w t3 murder", True),  # a word of two with a digit
        (["la putain de ta mère"], "la puta4n de t0 mère", True),
        (["pousse-crotte"], "rib keg pous50-crotte ur", True),  # 5 as s, then 0 for e
        (["how to murder"], "go t0 bed", False),
        (["2 girls 1 cup"], "aw this and thought #2Girls1Cup", True),  # digits between words
        (["shit show"], "#sh1tShow", True),  # a digit inside a word stays in it
        (["2 girls 1 cup"], "#Area51Party #iPhone15Pro", False),
    ],
)
def test_words_that_are_everyday_words_and_digits_beside_letters(terms, text, flagged):
    policy = compile_policy(
        [{"id": "b", "kind": "banned_terms", "severity": "block", "message": "x", "terms": terms}]
    )
    found = policy.lint(text)
    assert bool(found.findings) is flagged
    assert policy.lint_many([text, "fine"])[0] == found


@pytest.mark.parametrize(
    "text, match",
    [
        ("a.b.c\nfi.stfucks.lol", "fi.stfucks"),  # the line before has separators too
        ("a.b.c\tfi.stfucks.lol", "fi.stfucks"),
        ("muff.muff.muff\nmuff.f.fuck ", "f.fuck"),
        ("a.b.c fi.stfucks.lol", "fi.stfucks"),
    ],
)
def test_a_newline_ends_a_word_as_a_space_does(text, match):
    """A word's separators are read per word; the words of the line before a newline
    are not part of it (they made one word of "a.b.c\\nfi.stfucks.lol", whose five
    separators were too many to read one at a time)."""
    policy = compile_policy(bench.build_policy(["fistfucks", "fuck"])[:1])
    found = policy.lint(text)
    assert [f.to_dict()["match"] for f in found.findings] == [match]
    assert policy.lint_many([text, "fine"])[0] == found


@pytest.mark.parametrize(
    "text, flagged",
    [
        ("oh la la menage 4 trois tonight", True),  # the look-alike
        ("menage 3 trois", True),  # a vowel digit for another vowel
        ("menage 4 tr4is", True),  # and a digit inside the next word
        ("t4ngue in 3", True),
        ("tongue in 4", True),
        ("dar 0 rabo", True),
        ("the 9-spot", True),  # 9 for g, before a hyphen
        ("the 9 spot", True),
        ("back in 4 minutes", False),  # a number in a sentence
        ("top 3 in a row", False),
        ("4 trois", False),  # one word of the term alone
    ],
)
def test_a_digit_alone_may_be_a_word_of_one_letter_of_a_term_of_several(text, flagged):
    """Found on fresh seeds of the outside-like corpus: a digit that is a word by itself
    was never read (normalisation reads a digit as a letter only beside letters)."""
    policy = compile_policy(
        bench.build_policy(["menage a trois", "tongue in a", "dar o rabo", "g-spot"])[:1]
    )
    found = policy.lint(text)
    assert bool(found.findings) is flagged
    assert policy.lint_many([text, "fine"])[0] == found


@pytest.mark.parametrize(
    "text",
    [
        "@shoring2 as brunette @ction cybernetic",  # "@" for the a of a term's second word
        "brunette @ction",
        "naz! party",  # "!" for the i of its first
        "menage 3 trois",  # a digit alone, any vowel
        "tongue in 3",
    ],
)
def test_the_batch_prescreen_reads_a_pair_of_words_with_a_symbol_or_digit_for_a_letter(text):
    """``lint`` found these and the batch prescreen let them go: its pairs of words had
    no "@" or "!" at a word's edge, nor a digit alone for a word of one letter."""
    policy = compile_policy(
        bench.build_policy(["brunette action", "nazi party", "menage a trois", "tongue in a"])[:1]
    )
    found = policy.lint(text)
    assert len(found.findings) == 1
    assert policy.lint_many([text, "a clean one"])[0] == found


@pytest.mark.parametrize(
    "term, text, flagged",
    [
        ("zizi", "zazi", False),  # i -> ia, then the i dropped: one vowel for another
        ("kimme", "kamme", False),
        ("swastika", "swastaka", True),  # a long word: the rest pins it down
        ("sadism", "sadasm", True),
        ("bitch", "biatch", True),  # i -> ia alone
        ("fucking", "fckng", True),  # two vowels dropped
        ("pissen", "piassen", True),
    ],
)
def test_two_respellings_that_only_swap_a_vowel_are_no_respelling(term, text, flagged):
    policy = compile_policy(bench.build_policy([term])[:1])
    assert bool(policy.lint(f"so {text} today").findings) is flagged


@pytest.mark.parametrize(
    "terms, text, matches",
    [
        (["xxx"], "brig oo xxx slices", ["xxx"]),  # a chain's words are words too
        (["g-spot"], "found a g spot", ["g spot"]),
        (["flouhaen"], "faro oo 👩🏽‍💻 f l o u h a e n cherie", ["f l o u h a e n"]),
        (["fuck"], "zzz f u c k you", ["f u c k"]),  # a letter written thrice, then letters
        (["bitch"], "my boss is a b i t c h", ["b i t c h"]),  # "a", then letters
        (["fuck"], "f u n and x o x o", []),
    ],
)
def test_a_chain_of_one_character_words_is_read_joined_and_as_written(terms, text, matches):
    """Found on fresh seeds of the outside-like corpus: normalisation joined "oo xxx" into
    one word (the term "xxx" was missed as written), and "oo f l o u h a e n" too (an
    "oo" before a spelled-out term)."""
    policy = compile_policy(bench.build_policy(terms)[:1])
    found = policy.lint(text)
    assert [f.to_dict()["match"] for f in found.findings] == matches
    assert policy.lint_many([text, "fine"])[0] == found


def test_a_digit_beside_a_symbol_normalisation_reads_as_a_letter_is_not_alone():
    """Found by ``make fuzz``: "Ⓐ" is no letter to ``re`` but an a to normalisation, so
    the 6 of "fⒶ6" is in a word; read alone (as g) it made "fag" for ``lint`` and not for
    the batch prescreen."""
    policy = compile_policy(bench.build_policy(["fag", "menage a trois"])[:1])
    assert policy.lint("fⒶ6").findings == []
    assert policy.lint_many(["fⒶ6", "fine"])[0] == policy.lint("fⒶ6")


def _lint_both(terms: list[str], text: str):
    """``lint`` of ``text`` under a policy that bans ``terms``, which ``lint_many`` gives
    too."""
    policy = compile_policy(bench.build_policy(terms)[:1])
    found = policy.lint(text)
    assert policy.lint_many([text, "fine"])[0] == found
    return found


@pytest.mark.parametrize(
    "text, flagged",
    [
        ("thanks @idiot0 for the tip", False),  # a handle: an everyday word and its number
        ("cc @racist1: see thread", False),
        ("(@idiot4)", False),  # a look-alike digit too
        ("@idiot0_ said so", False),
        ("what an idiot0 move", True),  # not a mention: a digit for the last letter
        ("@idi0ta again", True),  # the digit inside the word
        ("@1diota again", True),
        ("@@idiot0", True),  # no mention sign before the word itself
    ],
)
def test_a_mentions_number_after_an_everyday_word_is_no_letter(text, flagged):
    """Found on fresh seeds of the outside-like corpus: "@idiot0" (a handle made of an
    everyday word and a number) was read as "idiota", its 0 as the missing vowel."""
    assert bool(_lint_both(["idiota", "racista"], text).findings) is flagged


@pytest.mark.parametrize(
    "term, text, flagged",
    [
        ("ass", "azz", True),  # a double s written zz
        ("asshole", "azzhole", True),
        ("pussy", "puzzy", True),
        ("ass", "jazz and buzz", False),  # everyday words with zz
        ("pussy", "a puzzle", False),
        ("pussy", "pussi", True),  # a final y written i or ie
        ("pussy", "pussie", True),
        ("horny", "horni", True),
        ("gay", "gai", False),  # after a vowel: no
        ("horny", "hornier", False),
        ("sex", "seks", True),  # x written ks or cks
        ("sex", "secks", True),
        ("sexy", "secksy", True),
        ("sex", "socks and sucks", False),
    ],
)
def test_the_rules_for_common_respellings_of_profanity(term, text, flagged):
    assert bool(_lint_both([term], f"so {text} today").findings) is flagged


@pytest.mark.parametrize(
    "terms, text, matches",
    [
        (["fuck"], "don't f u c k with me", ["f u c k"]),  # the 't joined "tfuck"
        (["bullshit"], "that's b u l l s h i t", ["b u l l s h i t"]),
        (["cunt"], "he's a c u n t", ["c u n t"]),  # then the article read apart
        (["shit"], "I'm s h i t at this", ["s h i t"]),
        (["zizi"], "IT’S Z I Z I", ["Z I Z I"]),  # a typographic apostrophe, capitals
        (["fuck"], "you'll ff u c k up", ["ff u c k"]),
        (["fuck"], "for f u c k's sake", ["f u c k"]),  # after a spelled-out word too
        (["fuck"], "a'm\u200bfuck ", []),  # a zero-width space joins: "mfuck" (make fuzz)
        (["leemjoumbrek"], "l e e m j o u m b r e k's bike", ["l e e m j o u m b r e k"]),
        (["don't care"], "I don't care", ["don't care"]),  # elsewhere the ending stays
        (["don't"], "Don Draper", []),
        (["anus"], "Anu's birthday", []),  # a possessive is not a separator
        (["shit"], "shi't", ["shi't"]),  # an apostrophe inside a word still is
    ],
)
def test_a_contractions_ending_before_a_spelled_out_word_is_no_letter_of_it(terms, text, matches):
    """Found with a corpus generator written apart from the repo's: "it's z i z i" read
    the "s" of "'s" as the first letter of the spelled-out word ("szizi")."""
    assert [f.to_dict()["match"] for f in _lint_both(terms, text).findings] == matches


@pytest.mark.parametrize(
    "text, flagged",
    [
        ("so 5k1t today", True),  # 5 and 7 read as s and t pin the word down, as letters do
        ("ân45. ok", True),
        ("see h4r3 now", False),  # two letters and two digits read as vowels: no
        ("code 2578 now", False),  # no letter
        ("x7y1 mode", False),
    ],
)
def test_a_digit_with_one_reading_pins_a_word_down_as_a_letter_does(text, flagged):
    assert bool(_lint_both(["skut", "anus", "hure"], text).findings) is flagged


@pytest.mark.parametrize(
    "term, text, flagged",
    [
        ("cock sucker", "you cok sucker", True),  # one word of several respelled
        ("blow job", "a blw job", True),
        ("mother fucker", "mother fuker!", True),
        ("pousse-crotte", "un pusse-crotte", True),
        ("ass-hat", "what an azz-hat", True),
        ("cock sucker", "cok suker", False),  # one word at a time
        ("blow job", "blw jb", False),
    ],
)
def test_a_word_of_a_term_of_several_is_respelled_too(term, text, flagged):
    """Found with a corpus generator written apart from the repo's: the phonetic rules
    respelled terms of one word only ("pusse-crotte" was missed)."""
    assert bool(_lint_both([term], text).findings) is flagged


def test_a_respellings_prescreen_pattern_has_no_variant_for_a_symbol_at_its_edge():
    """The respelling "orgi" of "orgy" gave the batch prescreen the pattern "org" (the "naz!"
    variant, for an i written "!"), and every text with a .org link went to the exact
    lint (~700 more of 20,000): a respelling is never read on top of a symbol's reading."""
    policy = compile_policy(bench.build_policy(["orgy"])[:1])
    texts = ["see https://example.org/page", "the org! chart", "an orgi tonight"]
    assert policy._screen(texts) == {2}
    assert policy.lint_many(texts) == [policy.lint(t) for t in texts]
    assert [bool(r.findings) for r in policy.lint_many(texts)] == [False, False, True]


@pytest.mark.parametrize(
    "text, flagged",
    [
        ("back to the 80s", False),  # a decade: 8 and 0 are no b and o beside its s
        ("the 80's were loud", False),  # nor is the apostrophe a separator in "80s"
        ("1990s style", False),
        ("100s of fans", False),
        ("x 77's y", False),  # a number's "'s" ("tts", tits respelled)
        ("the 1st day", False),  # an ordinal: "lst", a made-up term respelled
        ("on the 22nd, 3rd and 10th", False),
        ("90st", True),  # no ordinal: "gost"
        ("b00bs", True),  # letters beside the digits, or digits not a round number
        ("8008s", True),
        ("b0s", True),
        ("t1ts", True),
        ("t17s", True),
    ],
)
def test_a_number_with_a_plural_s_or_an_ordinal_is_a_number(text, flagged):
    """Found with a corpus generator written apart from the repo's: "77's" (a number with
    a possessive) was read as "tts", tits respelled; "80s" read as "bos"; "1st" as "lst"."""
    terms = ["tits", "boobs", "bos", "loos", "is", "os", "leest", "znd", "erd", "oth", "gost"]
    assert bool(_lint_both(terms, text).findings) is flagged


@pytest.mark.parametrize(
    "text, flagged",
    [
        ("the new P30 phone", False),  # read "pau" only as a word of "pole smoker"
        ("a P30 smoker", False),
        ("now €4.55", False),  # "4" alone read "a" for "2 girls 1 cup": no "a55"
        ("2 girls 1 cup", True),
        ("p4u", True),  # 4 looks like the a
        ("pol3 smoker", True),
        ("p0le smoker", True),
    ],
)
def test_a_word_read_only_for_a_term_of_several_finds_no_term_of_one(text, flagged):
    """Found with product codes and units run against the starter word lists: with "pau"
    and "pole smoker" banned, "P30" was read "pau" (a word of one letter and two digits is
    read as a word of a term of several) and found as the term of one word; so was "4.55",
    a price, with "2 girls 1 cup" and "ass"."""
    terms = ["pole smoker", "pau", "2 girls 1 cup", "ass"]
    assert bool(_lint_both(terms, text).findings) is flagged


@pytest.mark.parametrize(
    "text, flagged",
    [
        ("size 77s in stock", False),  # "tts": tits respelled, read in digits
        ("the 88s and 66s", False),  # "bbs": boobs respelled
        ("ok kk <3", False),  # "kke": kike respelled, in letters joined to a digit
        ("thanks @bran_14", False),  # "brania": branler respelled, after a separator
        ("lol :P :-P 1/5", False),  # "ppi": pipi respelled, in emoticons' letters
        ("you fuk", True),  # respellings written in letters
        ("FUK this", True),
        ("(fuk)", True),
        ("#FukThis", True),
        ("fúk", True),
        ("ｆｕｋ", True),
        ("you cok sucker", True),
        ("son of a biatch", True),
        ("t1ts", True),  # the terms as written, in digits, are read as before
        ("b00bs", True),
    ],
)
def test_a_respelling_is_read_in_letters_only(text, flagged):
    """Found with everyday post shapes (sizes, emoticons, handles) run against the starter
    word lists: a respelling is one evasion rule, so it is not read on top of digits,
    symbols, separators or letters joined from single characters."""
    terms = ["tits", "boobs", "kike", "branler", "pipi", "fuck", "cock sucker", "son of a bitch"]
    assert bool(_lint_both(terms, text).findings) is flagged


@pytest.mark.parametrize(
    "terms, text, flagged",
    [
        (["caca"], "ccca!", False),  # "cca" respelled, its double c written three times
        (["chiasse"], "chasssse", False),  # may be "chase" stretched
        (["couilles"], "collllles", False),
        (["dick"], "lol :D kk", False),  # "dkk", in letters joined from single ones
        (["chatte"], "cc @chat_73", False),  # a handle's number after an everyday word
        (["caca"], "cca", True),
        (["kacken"], "kkken", True),  # the respelling's own three k
        (["fuck"], "fuuuk", True),  # a letter it has once, stretched
        (["chatte"], "chat73", True),
    ],
)
def test_a_respellings_double_letter_is_not_a_stretched_single(terms, text, flagged):
    """Found with everyday post shapes (stretched words, emoticons, handles) against the
    five starter word lists."""
    assert bool(_lint_both(terms, text).findings) is flagged


def test_a_contractions_ending_after_a_digit_stays_a_word():
    """``make fuzz`` found this while step 0 also blanked an ending after a digit: "’m"
    after "2" was blanked, "$shit" became a word of its own, and ``lint`` and
    ``lint_many`` disagreed. An ending after a digit stays a word; its "'s" is a
    number's ending for the readings (``compiler._contraction``)."""
    policy = compile_policy(bench.build_policy(["shit"])[:1])
    for text in ("2’m$shit ", "the 80's shit"):
        assert policy.lint_many([text, "x"])[0] == policy.lint(text)


EVERYDAY_SHAPES = [
    # numbers with an ending: decades, round numbers, ordinals, sizes, units
    "back to the 80s",
    "the 1990s were loud",
    "100s of fans",
    "the 80's",
    "747's engines",
    "on the 1st",
    "the 22nd and 3rd",
    "her 10th birthday",
    "size 77s and 88s in stock",
    "66s and 68s sold out",
    "86s restocked",
    "15s left",
    "5km run",
    "10kg bag",
    "100ml",
    "3pm",
    "10am",
    "1080p",
    "4K",
    "5G",
    "B2B",
    "Q3 results",
    "2x points",
    "24/7",
    # product codes and prices
    "the new P30",
    "A52 or S23",
    "G502 mouse",
    "€4.55",
    "€3.55 each",
    "$5.99",
    "£77.79",
    # dates and fractions beside emoticons
    "7/1 7/18",
    "1/3 5/5",
    "ok kk <3",
    "lol :D kk",
    ":P 4/5",
    "xD 6/24",
    # handles with numbers
    "@bran_14",
    "@chat_73",
    "@bang_82",
    "@idiot0",
    "@racist1",
    # stretched everyday words
    "chasssse",
    "ccca!",
    "collllles",
    "borrre",
    "gooood morning",
    "So good",
    "sooo",
]


@pytest.fixture(scope="module")
def every_starter_entry():
    """A policy of every entry of the five starter word lists (not the curated starter
    policy, which leaves the everyday ones out)."""
    from policy.engine.matcher import parse_term
    from policy.engine.starter import LANGUAGES, read_wordlist

    terms = [w for lang in LANGUAGES for w in read_wordlist(lang) if parse_term(w) is not None]
    return compile_policy(bench.build_policy(terms)[:1])


@pytest.mark.parametrize("text", EVERYDAY_SHAPES)
def test_everyday_post_shapes_find_nothing_in_the_starter_lists(every_starter_entry, text):
    """The shapes of everyday posts that this stop's changes stopped flagging, when run
    against every entry of the starter lists: a number with an ending, a product code, a
    price, a date beside an emoticon, a handle's number, a stretched word. (Still read and
    left alone: "45s" as "ass", "53x" as "sex", ":-P 1/5" as the letters "P 1 5" joined,
    "pis".)"""
    policy = every_starter_entry
    assert policy.lint(text).findings == []
    assert policy.lint_many([text, "x"])[0].findings == []
