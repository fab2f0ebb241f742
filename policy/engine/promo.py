"""Whether a post sells something: the promotional category, a price, a discount, a sale, a
promo code, a call to buy or a shop link.

Used by sensitive_topics rules with ``when_promotional: block``: a disaster or tragedy
term warns on its own and blocks in a post that sells (a "hurricane sale", a storm with
free shipping, a tsunami warning with an order of chicken).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from policy.engine import entities

PROMOTIONAL_CATEGORIES = frozenset({"promotional", "promo", "promotion", "sponsored", "ad"})

_CURRENCY = r"[$€£¥₹]"
_PRICE_RE = re.compile(
    rf"{_CURRENCY}\s?\d[\d,.]*|\d[\d,.]*\s?{_CURRENCY}|\b(?:usd|eur|gbp)\s?\d[\d,.]*"
    r"|\b\d{1,3}\s?(?:%|percent|per cent)\s?off\b|\b(?:half|50%)\s?(?:price|off)\b",
    re.IGNORECASE,
)
# Words and phrases that sell, matched whole (case-insensitive).
_SELLING = (
    "sale",
    "sales event",
    "on sale",
    "discount",
    "discounts",
    "discounted",
    "clearance",
    "markdown",
    "markdowns",
    "bogo",
    "buy one get one",
    "free shipping",
    "free delivery",
    "ships free",
    "promo code",
    "promocode",
    "coupon",
    "coupons",
    "voucher",
    "use code",
    "enter code",
    "discount code",
    "at checkout",
    "deals",
    "special offer",
    "limited time offer",
    "today only",
    "shop now",
    "shop online",
    "shop the",
    "buy now",
    "order now",
    "order online",
    "order a",
    "order your",
    "order yours",
    "get yours",
    "grab yours",
    "available online",
    "now available",
    "in stores now",
    "add to cart",
    "add to basket",
    "shopping",
    "pre-order",
    "preorder",
)
_SELLING_RE = re.compile(
    r"(?<![\w-])(?:"
    + "|".join(
        r"[\s\-]+".join(re.escape(w) for w in phrase.split()) for phrase in _SELLING
    ).replace(r"buy[\s\-]+one[\s\-]+get[\s\-]+one", r"buy[\s\-]+one,?[\s\-]+get[\s\-]+one")
    + r")(?![\w-])",
    re.IGNORECASE,
)
# A link to a shop: a host or path naming one.
_SHOP_LINK_RE = re.compile(
    r"(?:^|[./?=&_-])(?:shop|store|buy|cart|checkout|product|products|collection|"
    r"collections|sale|deals?|offers?|promo|coupon|order)(?:$|[./?=&_-])",
    re.IGNORECASE,
)
_SHOP_HOSTS = ("amazon.", "etsy.com", "ebay.", "myshopify.com")


@dataclass(frozen=True, slots=True)
class Promotion:
    """Why a post counts as promotional: what was found, and where (start == end == 0 for
    the category)."""

    reason: str
    start: int = 0
    end: int = 0


def promotion(text: str, category: str | None = None) -> Promotion | None:
    """The first sign that ``text`` sells something, or None."""
    if category and category.strip().casefold() in PROMOTIONAL_CATEGORIES:
        return Promotion("the post's category is promotional")
    if not isinstance(text, str) or not text:
        return None
    folded = unicodedata.normalize("NFKC", text)
    same = len(folded) == len(text)  # spans index the text as given only then
    m = _PRICE_RE.search(folded)
    if m:
        return _found(text, m, "a price or discount", same)
    m = _SELLING_RE.search(folded)
    if m:
        return _found(text, m, "selling words", same)
    for start, end in entities.find_urls(text):
        link = text[start:end]
        host = entities.url_host(link)
        if any(h in host for h in _SHOP_HOSTS) or _SHOP_LINK_RE.search(link.split("//")[-1]):
            return Promotion(f"a shop link (“{link}”)", start, end)
    return None


def _found(text: str, m: re.Match, what: str, same: bool) -> Promotion:
    if not same:
        return Promotion(what)
    return Promotion(f"{what} (“{text[m.start() : m.end()]}”)", m.start(), m.end())
