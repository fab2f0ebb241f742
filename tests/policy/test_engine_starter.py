"""The starter policy and the data files it is built from."""

import pytest

from policy.engine import compile_policy, starter_rules
from policy.engine import normalize as nz
from policy.engine.starter import LANGUAGES, read_curation, read_wordlist

STARTER = compile_policy(starter_rules())

MARKETING = [
    "New recipe: grape and bass cocktail at our Scunthorpe store, ask our assistant!",
    "Meet the pistachio stand mixer. It whips cream in under a minute. #BakingDay",
    "Our Sussex test kitchen baked 400 loaves this week. Thank you, bakers!",
    "Class is in session: join our sourdough class this Saturday at 10am.",
    "Therapist-approved stress baking: lemon drizzle cake in 30 minutes.",
    "Shiitake ramen in 20 minutes with the new spiralizer. Recipe in bio.",
    "Hello weekend! Pancakes for everyone, made with our cast-iron pan.",
    "Shell-on prawns, sea bass and a glass of lemonade: summer on a plate.",
    "The pen is mightier than the whisk? Tell us your favourite recipe.",
    "Free delivery over $50 until Sunday. Shop now: https://www.example.com/offer",
    "Save 20% on all kettles this weekend only. #SummerSale",
    "Top 10 tips for fluffier scones, number 7 will surprise you.",
    "Order by 5pm for next-day delivery. 24/7 support at example.com/help",
    "We're hiring! Join the team in Hancock Street, Cockburn Road or online.",
    "Titles of our new cookbook chapters are in: Bread, Cakes, Pasta.",
    "The Hellenic salad: feta, olives, cucumber and a drizzle of oil.",
    "Grapes, cheese and crackers: the perfect board for game night.",
    "Analysis of 1,000 home bakers: 87% prefer butter. Do you?",
    "Swipe to see the ice blue mixer in action. Tag someone who needs this.",
    "Back in stock: the matte black toaster. Two slots, four slices, zero fuss.",
    "Our assistant chef shares a classic carrot cake recipe.",
    "Coffee lovers: cold brew in 12 hours, no fuss. #ColdBrew #CoffeeTime",
    "Ask our in-store assistant for a free demo of the food processor.",
    "Win a year of baking supplies! Comment with your best bake to enter.",
    "Cocktail hour? Try our mint lemonade mocktail, no alcohol needed.",
    "Meet Anna, our head of product, who tested 300 whisks for you.",
    "It's National Pizza Day! Our dough hook kneads in 5 minutes.",
    "Happy Easter! Our hot cross bun recipe is on the blog.",
    "Merry Christmas from all of us. See you in the new year!",
    "Spring cleaning? The new kettle descales itself.",
    "A bread bowl so good you'll want to frame it.",
    "Our warranty: 5 years, no questions asked.",
    "Ice cream maker tip: chill the bowl for 24 hours first.",
    "Tuesday tip: use room-temperature eggs for a better sponge.",
    "Kids in the kitchen? Our pasta roller is safe for small hands.",
    "Pumpkin soup season is here. Roast, blend, serve.",
    "From farm to table: meet the growers behind our tomatoes.",
    "We asked 50 pastry chefs about their favourite tools. Here's what they said.",
    "The trump card of any kitchen: a good knife. Sharpen it weekly.",
    "Vote for your favourite flavour in our stories!",
    "Shooting our new video today, behind the scenes on Instagram.",
    "Sea salt caramel: sweet, salty and ready in 15 minutes.",
    "Join us live at 7pm for a Q&A with our chefs.",
    "Gluten-free brownies that nobody will guess are gluten-free.",
    "Weekend project: homemade pasta with just flour and eggs.",
    "P.S. our outlet store in Scunthorpe opens at 9am on Saturday.",
    "The classic Victoria sponge, step by step.",
    "Tag us @kitchenaid_uk in your bakes to be featured!",
    "A.S.A.P. baking: three-ingredient cookies.",
    "Rip, tear and share: our tear-and-share garlic bread.",
    "Middlesex and Essex stores are open late on Thursday.",
    "Our peacock blue mixer is back, and it's a showstopper.",
    "Buddha bowls, grain bowls, smoothie bowls: which is your favourite?",
    "Dive into our shellfish paella, ready in 40 minutes.",
]


@pytest.mark.parametrize("post", MARKETING)
def test_everyday_marketing_copy_is_not_flagged(post):
    result = STARTER.lint(post, channel="@brand", platform="mastodon", category="promo")
    assert result.findings == [], [(f.rule, f.match) for f in result.findings]


def test_starter_rule_ids_severities_and_defaults():
    rules = {r["id"]: r for r in starter_rules()}
    assert list(rules) == [
        "profanity-en",
        "profanity-fr",
        "profanity-es",
        "profanity-de",
        "profanity-pt",
        "slurs",
        "sensitive-politics",
        "sensitive-elections",
        "sensitive-tragedies",
        "sensitive-religion",
        "sensitive-alcohol-drugs",
        "sensitive-disasters",
        "sensitive-memorial",
        "new-hashtags",
        "sensitive-gambling",
        "sensitive-financial-promises",
        "sensitive-drugs",
    ]
    for rule_id in ["slurs", "sensitive-politics", "sensitive-elections", "sensitive-tragedies"]:
        assert rules[rule_id]["severity"] == "block"
    assert all(rules[f"profanity-{lang}"]["severity"] == "block" for lang in LANGUAGES)
    assert rules["sensitive-religion"]["severity"] == "warn"
    assert rules["sensitive-alcohol-drugs"]["enabled"] is False
    # the newsjacking guard: disasters warn (and block in a promotion), new hashtags warn
    assert rules["sensitive-disasters"]["severity"] == "warn"
    assert rules["sensitive-disasters"]["when_promotional"] == "block"
    assert rules["sensitive-memorial"]["severity"] == "warn"
    assert rules["new-hashtags"]["kind"] == "hashtags"
    assert rules["new-hashtags"]["severity"] == "warn"
    off = {
        "sensitive-alcohol-drugs",
        "sensitive-gambling",
        "sensitive-financial-promises",
        "sensitive-drugs",
    }
    assert all(rules[i]["enabled"] is False for i in off)
    assert all(r["enabled"] for i, r in rules.items() if i not in off)


def test_starter_rules_are_fresh_copies():
    first = starter_rules()
    first[0]["terms"].append("changed")
    assert "changed" not in starter_rules()[0]["terms"]


@pytest.mark.parametrize(
    "text, rule",
    [
        ("What the fuck is this", "profanity-en"),
        ("f.u.c.k this", "profanity-en"),
        ("Quelle merde", "profanity-fr"),
        ("¡Qué mierda!", "profanity-es"),
        ("So eine Scheiße", "profanity-de"),
        ("Que porra é essa", "profanity-pt"),
        ("Vote in the election!", "sensitive-elections"),
        ("#ElectionDay is coming", "sensitive-elections"),
        ("Thoughts on Brexit?", "sensitive-politics"),
        ("#PrayForParis", "sensitive-tragedies"),
        ("#JeSuisCharlie", "sensitive-tragedies"),
        ("Another mass shooting today", "sensitive-tragedies"),
        ("Never forget 9/11", "sensitive-tragedies"),
        ("Ramadan Mubarak from our team", "sensitive-religion"),
    ],
)
def test_starter_catches(text, rule):
    assert rule in {f.rule for f in STARTER.lint(text).findings}


def test_religion_only_warns_and_alcohol_is_off():
    assert not STARTER.lint("Ramadan Mubarak from our team").blocked
    assert STARTER.lint("Two beers and a cocktail").findings == []


def test_slurs_are_their_own_rule_not_profanity():
    rules = {r["id"]: r for r in starter_rules()}
    slurs = {nz.collapse(nz.skeleton(t)) for t in rules["slurs"]["terms"]}
    assert len(rules["slurs"]["terms"]) >= 30
    for lang in LANGUAGES:
        for term in rules[f"profanity-{lang}"]["terms"]:
            assert nz.collapse(nz.skeleton(term)) not in slurs, term


def test_curation_names_only_entries_that_exist():
    curation = read_curation()
    assert set(curation) == set(LANGUAGES)
    for lang, lists in curation.items():
        words = {w.casefold() for w in read_wordlist(lang)}
        for key in ("drop", "slurs"):
            missing = [w for w in lists.get(key, []) if w.casefold() not in words]
            assert missing == [], (lang, key, missing)


def test_dropped_everyday_words_are_gone():
    terms = {t.casefold() for r in starter_rules() for t in r.get("terms", [])}
    for word in ["bite", "con", "cerveja", "rosette", "strap on", "taste my", "sex", "xxx"]:
        assert word not in terms


def test_data_files_carry_their_licences():
    data = nz.DATA_DIR
    assert "Creative Commons Attribution 4.0" in (data / "wordlists" / "LICENSE").read_text(
        encoding="utf-8"
    ) or "Attribution 4.0 International" in (data / "wordlists" / "LICENSE").read_text(
        encoding="utf-8"
    )
    attribution = (data / "wordlists" / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert "Shutterstock" in attribution and "CC BY 4.0" in attribution
    unicode_licence = (data / "UNICODE-LICENSE.txt").read_text(encoding="utf-8")
    assert "UNICODE LICENSE V3" in unicode_licence
    header = (data / "confusables_latin.tsv").read_text(encoding="utf-8").splitlines()[:4]
    assert any("UTS #39" in line for line in header)


@pytest.mark.parametrize(
    "char, latin",
    [
        ("е", "e"),  # Cyrillic
        ("ο", "o"),  # Greek
        ("Ꭺ", "a"),  # Cherokee
        ("𝐟", "f"),  # mathematical bold
        ("ｆ", "f"),  # full-width
        ("ⓕ", "f"),  # circled
        ("🅕", "f"),  # negative circled (supplement)
        ("к", "k"),  # Cyrillic ka (supplement)
        ("ᴛ", "t"),  # small capital (supplement)
        ("é", "e"),
        ("ß", "ss"),
        ("\u200b", ""),
        ("\u202e", ""),
        ("😀", " "),
        ("™", " "),
        ("ا", "ا"),  # Arabic letters stay themselves
    ],
)
def test_character_map(char, latin):
    assert nz.map_char(char) == latin
