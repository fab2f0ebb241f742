"""The newsjacking guard's yardsticks: brand-account incidents from public reporting, replayed
against the starter policy (general preset), and a seeded generator of ordinary brand posts
that must never gain a block.

Sources of the incidents (paraphrased where the reporting paraphrases; the tag, the
promotion and the event are kept): The Drum 2012-10-30 "Companies who have turned a disaster
into a social media disaster"; wallblog.co.uk 2012-10-30; Gulf News "Top social media
fails"; Mashable 2012-10-30; pulse2.com 2011-02-03; The Drum on Gap and Sandy. None of the
strings below is in a rule: the rules are general (disaster and memorial wording, promotion
signs, hashtags the brand has not used, moments an admin adds).

Tuning seeds are 1, 2 and 3; 4241 and 7717 are held out (never looked at while the lists
were written). Pure Python, no Django.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from policy.engine.guard import GuardedPolicy, LintContext, Moment, compile_moments
from policy.engine.hashtags import vocabulary_keys

TUNING_SEEDS = (1, 2, 3)
HELD_OUT_SEEDS = (4241, 7717)


@dataclass(frozen=True)
class Incident:
    key: str
    who: str
    text: str
    category: str = "engagement"
    # a moment an admin would have added that day (name, terms and tags), or None
    moment: tuple[str, tuple[str, ...]] | None = None


INCIDENTS: tuple[Incident, ...] = (
    Incident(
        "habitat-2009",
        "Habitat UK, 2009",
        "#iranelection Our new spring collection is in: 20% off all sofas this week. #Mms #iPhone",
        "promotional",
    ),
    Incident(
        "kenneth-cole-cairo-2011",
        "Kenneth Cole, 2011",
        "Millions are in uproar in #Cairo. Rumor is they heard our new spring collection is now "
        "available online at http://bit.ly/KCairo -KC",
    ),
    Incident(
        "american-apparel-sandy-2012",
        "American Apparel, 2012",
        "Hurricane Sandy Sale. In case you're bored during the storm, 20% off everything for "
        "the next 36 hours. Just enter SANDYSALE at checkout.",
        "promotional",
    ),
    Incident(
        "gap-sandy-2012",
        "Gap, 2012",
        "All impacted by #Sandy, stay safe! We'll be doing lots of Gap.com shopping today. "
        "How about you?",
        moment=("Hurricane Sandy", ("Sandy", "#Sandy", "hurricane sandy")),
    ),
    Incident(
        "urban-outfitters-sandy-2012",
        "Urban Outfitters, 2012",
        "This storm blows (but free shipping doesn't)! Today only.",
        "promotional",
    ),
    Incident(
        "celeb-boutique-aurora-2012",
        "Celeb Boutique, 2012",
        "#Aurora is trending, clearly about our Kim K inspired #Aurora dress ;)",
        moment=("Aurora cinema shooting", ("Aurora", "#Aurora", "#TheatreShooting")),
    ),
    Incident(
        "digiorno-whyistayed-2014",
        "DiGiorno, 2014",
        "#WhyIStayed You had pizza.",
    ),
    Incident(
        "entenmanns-notguilty-2011",
        "Entenmann's, 2011",
        "Who's #notguilty about eating all the tasty treats they want?!",
    ),
    Incident(
        "att-911-2013",
        "AT&T, 2013",
        "Never forget.",
    ),
    Incident(
        "epicurious-boston-scones-2013",
        "Epicurious, 2013",
        "In honor of Boston and New England, may we suggest: whole-grain cranberry scones!",
    ),
    Incident(
        "epicurious-boston-breakfast-2013",
        "Epicurious, 2013",
        "Boston, our hearts are with you. Here's a bowl of breakfast energy we could all use "
        "to start today.",
    ),
    Incident(
        "spaghettios-pearl-harbor-2013",
        "SpaghettiOs, 2013",
        "Take a moment to remember #PearlHarbor with us.",
    ),
    Incident(
        "bing-japan-2011",
        "Microsoft Bing, 2011",
        "How you can #SupportJapan: for every retweet, Bing will give $1 to Japan quake "
        "victims, up to $100K.",
    ),
    Incident(
        "kenneth-cole-syria-2013",
        "Kenneth Cole, 2013",
        "'Boots on the ground' or not, let's not forget about sandals, pumps and loafers. "
        "#footwear",
    ),
    Incident(
        "kfc-thailand-2012",
        "KFC Thailand, 2012",
        "Hurry home to monitor the earthquake news after the tsunami warning, and don't "
        "forget to order a KFC bucket.",
    ),
    Incident(
        "american-rifleman-aurora-2012",
        "American Rifleman, 2012",
        "Good morning, shooters. Happy Friday! Weekend plans?",
        moment=("Aurora cinema shooting", ("Aurora", "#Aurora", "shooting", "shooters")),
    ),
)

#: The brand whose posts the corpus writes: a kitchen and homeware brand, and its tags.
BRAND_NAME = "Harbor Kitchen"
BRAND_VOCABULARY = (
    "#HarborKitchen",
    "#BakingDay",
    "#SummerSale",
    "#WeekendBake",
    "#RecipeOfTheWeek",
    "#NewIn",
    "#MeetTheMaker",
    "#KitchenTips",
    "#SpringCollection",
    "#HomeCooking",
    "#BrunchClub",
    "#ColdBrew",
    "#TasteTest",
    "#FreshBread",
    "#SundayRoast",
    "#footwear",
)


def brand_context() -> LintContext:
    return LintContext(vocabulary=vocabulary_keys([*BRAND_VOCABULARY, "#" + BRAND_NAME]))


def incident_moment(incident: Incident) -> Moment | None:
    if incident.moment is None:
        return None
    name, entries = incident.moment
    return Moment(
        incident.key,
        name,
        "block",
        tuple(e for e in entries if not e.startswith("#")),
        tuple(e for e in entries if e.startswith("#")),
    )


@dataclass(frozen=True)
class Replayed:
    incident: Incident
    blocked: bool
    flagged: bool
    rules: tuple[str, ...]
    with_moment: bool | None  # blocked with the day's moment added (None: no moment)

    @property
    def outcome(self) -> str:
        if self.blocked:
            return "blocked"
        if self.flagged:
            return "flagged"
        return "MISSED"


def replay(policy: GuardedPolicy, context: LintContext | None = None) -> list[Replayed]:
    """Each incident linted as the brand would have (its vocabulary, no moment), and again
    with the moment an admin would have added that day."""
    context = context or brand_context()
    out = []
    for incident in INCIDENTS:
        result = policy.with_context(context).lint(incident.text, category=incident.category)
        with_moment = None
        moment = incident_moment(incident)
        if moment is not None:
            timely = LintContext(context.vocabulary, compile_moments([moment]))
            with_moment = (
                policy.with_context(timely).lint(incident.text, category=incident.category).blocked
            )
        out.append(
            Replayed(
                incident,
                result.blocked,
                bool(result.findings),
                tuple(dict.fromkeys(f.rule for f in result.findings)),
                with_moment,
            )
        )
    return out


# --- ordinary posts ----------------------------------------------------------------------------

_DISHES = (
    "lemon drizzle cake",
    "sourdough loaf",
    "banana bread",
    "cinnamon rolls",
    "tomato soup",
    "mushroom risotto",
    "chocolate brownies",
    "carrot cake",
    "apple crumble",
    "shakshuka",
    "pumpkin pie",
    "focaccia",
    "pad thai",
    "blueberry muffins",
    "chicken tikka masala",
    "veggie lasagne",
    "fish tacos",
    "cold brew",
    "overnight oats",
    "beef stew",
)
_PRODUCTS = (
    "stand mixer",
    "cast-iron pan",
    "chef's knife",
    "kettle",
    "toaster",
    "food processor",
    "Dutch oven",
    "espresso machine",
    "pasta roller",
    "ice cream maker",
    "Storm Grey mixer",
    "Ocean Blue kettle",
    "bread tin",
    "spiralizer",
)
_COLOURS = ("sage green", "matte black", "peacock blue", "Storm Grey", "sunset orange", "cream")
_PLACES = ("Leeds", "our Brooklyn store", "the Covent Garden shop", "Austin", "our Dublin pop-up")
_DAYS = ("Saturday", "Sunday", "Friday night", "next Thursday", "this weekend", "May 12")
_DISCOUNTS = ("20% off", "15% off", "$10 off", "£5 off", "half price", "buy one, get one free")
_HOSTS = ("harborkitchen.com", "shop.harborkitchen.com", "harborkitchen.com/recipes")

_RECIPES = (
    "New recipe: {dish} in {n} minutes. Remember to preheat the oven! {link}",
    "Our {dish} is the bomb. Recipe on the blog: {link}",
    "{Dish}, step by step. Take the weekend by storm with this one.",
    "Rainy day? {Dish} and a cup of tea. Recipe in bio.",
    "Five tips for the perfect {dish}. Number three is the one everyone forgets.",
    "Tried our {dish} yet? Tag us in your bakes!",
    "Weeknight winner: {dish} with what's already in the fridge.",
    "In honor of National {Dish} Day, here's our favourite way to make it.",
    "The secret to a fluffy {dish}? Room-temperature eggs. You'll never forget it.",
    "{Dish} that tastes like a hug. Ready in {n} minutes.",
)
_PRODUCT_NEWS = (
    "Meet the new {product} in {colour}. Shop now: https://{host}/new",
    "Back in stock: the {product}. {discount} this weekend only.",
    "The {product} is here, and it's {discount} until Sunday. Order online at https://{host}",
    "Our {product} just won Best in Test. Thank you for the flood of orders!",
    "Behind the scenes: shooting our new {product} video today.",
    "Free shipping on every {product} until midnight. Use code SPRING{n} at checkout.",
    "The {colour} {product} is {price}. Limited stock, get yours today.",
    "Memorial Day Sale: {discount} every {product}. https://{host}/sale",
    "Heatwave sale! Keep cool with {discount} our ice cream maker.",
    "Our {product} takes the kitchen by storm: {discount} today only.",
    "Pre-order the {product} in {colour} now and save {price}.",
    "We remember our first {product}: 1998, a garage, and a lot of coffee. 25 years on, "
    "{discount} everything.",
)
_EVENTS = (
    "Join us at {place} on {day} for a free {dish} class.",
    "Live Q&A with our chefs, {day} at 7pm. Bring your questions about {dish}!",
    "Our pop-up at {place} opens {day}: tastings, demos and {discount} the {product}.",
    "Book your seat: {dish} masterclass at {place}, {day}. Tickets {price}: https://{host}/events",
    "The summer market is back at {place} on {day}. Come say hi!",
    "Thank you to everyone who came to {place}! Photos from the {dish} bake-off are up.",
    "Kids' baking club this {day} at {place}: aprons provided.",
    "Stay safe in the kitchen: our knife skills workshop is {day} at {place}.",
)
_EXTRAS = ("", "", " ✨", " 🍰", " Link in bio.", " See you there!", " #ad")


def _fill(template: str, rng: random.Random) -> str:
    dish = rng.choice(_DISHES)
    return template.format(
        dish=dish,
        Dish=dish[:1].upper() + dish[1:],
        n=rng.choice((10, 15, 20, 30, 45, 60)),
        product=rng.choice(_PRODUCTS),
        colour=rng.choice(_COLOURS),
        place=rng.choice(_PLACES),
        day=rng.choice(_DAYS),
        discount=rng.choice(_DISCOUNTS),
        price=rng.choice(("$49", "£35", "€29.99", "$120", "£12")),
        host=rng.choice(_HOSTS),
        link=f"https://{rng.choice(_HOSTS)}/{dish.replace(' ', '-')}",
    )


def ordinary_posts(seed: int, n: int = 2000) -> list[tuple[str, str]]:
    """``n`` ordinary posts (text, category) of the brand: recipes, product news and events,
    with zero to three of the brand's own hashtags (in any case), prices, discounts, codes
    and shop links."""
    rng = random.Random(seed)
    posts = []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.35:
            text, category = _fill(rng.choice(_RECIPES), rng), "engagement"
        elif kind < 0.75:
            text = _fill(rng.choice(_PRODUCT_NEWS), rng)
            category = "promotional" if rng.random() < 0.6 else "news"
        else:
            text = _fill(rng.choice(_EVENTS), rng)
            category = rng.choice(("news", "engagement", "promotional"))
        tags = rng.sample(BRAND_VOCABULARY[:-1], rng.randrange(0, 4))
        tags = [t.lower() if rng.random() < 0.2 else t for t in tags]
        posts.append((" ".join([text + rng.choice(_EXTRAS), *tags]).strip(), category))
    return posts


@dataclass(frozen=True)
class FalsePositives:
    seed: int
    posts: int
    blocked: list[tuple[str, list[str]]]
    warned: int

    @property
    def blocks(self) -> int:
        return len(self.blocked)


def false_positives(policy: GuardedPolicy, seed: int, n: int = 2000) -> FalsePositives:
    linter = policy.with_context(brand_context())
    blocked, warned = [], 0
    for text, category in ordinary_posts(seed, n):
        result = linter.lint(text, category=category)
        if result.blocked:
            blocked.append(
                (text, [f"{f.rule}:{f.match}" for f in result.findings if f.severity == "block"])
            )
        elif result.findings:
            warned += 1
    return FalsePositives(seed, n, blocked, warned)
