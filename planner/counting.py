"""Character counting by each platform's own rules.

Pure Python, no Django imports: the composer, the submit check and the tests
all call :func:`count_characters`.

Every platform measures a post in a different unit, and none of them is
Python's ``len()``:

``x``
    twitter-text v3 weighted length. Code points in U+0000-U+10FF,
    U+2000-U+200D, U+2010-U+201F and U+2032-U+2037 weigh 1, everything else
    (CJK, most symbols) weighs 2; one emoji - however many code points it is
    made of (ZWJ sequences, flags, keycaps, skin tones, tag sequences) -
    weighs 2; every URL counts 23 (t.co) however long it is, with or without
    a scheme. The text is NFC-normalised first. Limit 280 (pass
    ``max_characters`` for an account allowed longer posts).

``mastodon``
    What Mastodon's ``StatusLengthValidator`` does: URLs that have a scheme
    are replaced by 23 ``x`` characters, a remote mention ``@user@domain`` is
    replaced by ``@user``, and the result is counted in extended grapheme
    clusters. A URL without a scheme counts at its full length. The limit is
    the instance's ``max_characters`` (default 500). Mastodon also counts the
    content warning (``spoiler_text``) towards the same limit: count
    ``spoiler + text`` if a post has one.

``bluesky``
    300 extended grapheme clusters (``app.bsky.feed.post`` ``maxGraphemes``),
    counted on the text as written: a URL counts at its full length. The same
    lexicon also caps the text at 3,000 UTF-8 bytes (``maxLength``), which a
    post of long emoji sequences can hit before 300 graphemes, so the result
    carries ``byte_length``/``byte_limit`` too and ``over`` checks both.

``linkedin`` (3,000) and ``instagram`` (2,200)
    Both platforms document their limit only as "characters", without saying
    what a character is. Their web composers are JavaScript, whose
    ``String.length`` counts UTF-16 code units, so that is what we count: it
    is also the largest of the plausible units (code units >= code points >=
    graphemes), so a post we accept is never refused for length.

``webhook`` and ``outbox``
    No platform limit: ``limit`` is ``None`` (unlimited) and ``length`` is
    the number of grapheme clusters, for display.

Why not the ``twitter-text-parser`` package (the Python port of the official
library)? Checked at 3.0.0, its latest release (May 2023):

* it raises ``UnicodeEncodeError`` on any text with a lone surrogate (it
  measures UTF-16 lengths with ``str.encode('utf-16')``), and we must never
  raise on user text;
* its emoji table is frozen at Emoji 12.0 (2019), so newer ZWJ sequences are
  weighed code point by code point - e.g. the Emoji 15.1 family
  U+1F9D1 U+200D U+1F9D1 U+200D U+1F9D2 counts 8 instead of 2;
* it loads that table through ``pkg_resources``, which is deprecated and
  absent from environments without an old setuptools.

So this module implements the twitter-text v3 algorithm itself: emoji
sequences are recognised structurally from the Unicode emoji properties of
the ``regex`` module (the UTS #51 "possible emoji" grammar), which stays
current with every Unicode release instead of a frozen list, and URLs are
found by the extractor at the end of this module, which follows the
official library's ``extractUrlsWithIndices`` (``http``/``https`` scheme or
none, a domain ending in a real top-level domain, its path and query
characters, t.co slugs, the 63-character label and 4,096-character URL
bounds, and how the scan consumes the character before each URL). Compared
against the official JavaScript library (twitter-text 3.1.0) on the Big List
of Naughty Strings and tens of thousands of generated posts, the counts
agree except:

* emoji newer than that library's table (Emoji 11), and ZWJ sequences
  outside the recommended set, count 2 here where it counts their parts;
  so does an emoji with a redundant presentation selector (rainbow U+1F308
  followed by U+FE0F: 2 here, 4 there);
* about one generated string in a thousand differs in URL extraction, all
  of them domains run together with other domains and punctuation without
  spaces (``foo-.com.jp?www.example.co.uk/x``).

As in the library, a bare ``name.tld`` counts as a URL whenever ``tld`` is a
real top-level domain, so ``readme.md`` and ``hello.world`` count 23.

Line endings are counted as given: ``"\\r\\n"`` (what a browser submits for a
textarea newline) is two code points on X, LinkedIn and Instagram and one
grapheme elsewhere. The publisher should send what was counted.
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass
from functools import cache

import regex

from platforms.instagram import InstagramClient
from platforms.linkedin import LinkedInClient
from platforms.registry import PLATFORMS
from platforms.x import XClient

__all__ = [
    "BLUESKY_MAX_BYTES",
    "MASTODON_DEFAULT_MAX_CHARACTERS",
    "PLATFORM_LIMITS",
    "URL_LENGTH",
    "CharCount",
    "count_characters",
    "grapheme_count",
    "mastodon_length",
    "utf16_length",
    "x_weighted_length",
]

#: What X (t.co) and Mastodon charge for one URL.
URL_LENGTH = 23
#: Platforms the composer counts for whose adapters are not offered as channels yet; every
#: limit is its adapter's ``text_limit`` (platforms/, one place for a platform's facts).
_LIMITS_WITHOUT_ADAPTER: dict[str, int | None] = {
    "x": XClient.text_limit,
    "linkedin": LinkedInClient.text_limit,
    "instagram": InstagramClient.text_limit,
}

#: Every platform's own limit; ``None`` means the platform has none.
PLATFORM_LIMITS: dict[str, int | None] = {
    **_LIMITS_WITHOUT_ADAPTER,
    **{slug: client.text_limit for slug, client in PLATFORMS.items()},
}
#: Mastodon's default ``max_characters`` when the instance does not say.
MASTODON_DEFAULT_MAX_CHARACTERS = PLATFORMS["mastodon"].text_limit
#: ``app.bsky.feed.post`` text ``maxLength``, in UTF-8 bytes.
BLUESKY_MAX_BYTES = PLATFORMS["bluesky"].text_byte_limit


@dataclass(frozen=True)
class CharCount:
    """A post's length in its platform's unit, against the platform's limit.

    ``limit`` is ``None`` when the platform has no limit. ``byte_length`` and
    ``byte_limit`` are set only where a platform also caps the encoded size
    (Bluesky).
    """

    platform: str
    length: int
    limit: int | None
    byte_length: int | None = None
    byte_limit: int | None = None

    @property
    def over(self) -> bool:
        """True when the platform would refuse the text as too long."""
        if self.limit is not None and self.length > self.limit:
            return True
        return (
            self.byte_limit is not None
            and self.byte_length is not None
            and self.byte_length > self.byte_limit
        )

    @property
    def remaining(self) -> int | None:
        """``limit - length`` (negative when over); ``None`` when unlimited."""
        if self.limit is None:
            return None
        return self.limit - self.length


def count_characters(text: str, platform: str, *, max_characters: int | None = None) -> CharCount:
    """Count ``text`` the way ``platform`` does.

    ``max_characters`` overrides the platform's limit: a Mastodon instance's
    ``configuration.statuses.max_characters``, an X account with a longer
    allowance, or a limit configured for a webhook. Raises ``ValueError`` for
    an unknown platform or a ``max_characters`` that is not a positive int,
    ``TypeError`` when ``text`` is not a ``str``; never raises because of what
    the string contains.
    """
    if not isinstance(platform, str) or platform not in PLATFORM_LIMITS:
        known = ", ".join(sorted(PLATFORM_LIMITS))
        raise ValueError(f"Unknown platform {platform!r}; expected one of: {known}.")
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}.")
    if max_characters is not None and (
        isinstance(max_characters, bool)
        or not isinstance(max_characters, int)
        or max_characters < 1
    ):
        raise ValueError(f"max_characters must be a positive int, not {max_characters!r}.")
    limit = max_characters if max_characters is not None else PLATFORM_LIMITS[platform]

    if platform == "x":
        return CharCount(platform, x_weighted_length(text), limit)
    if platform == "mastodon":
        return CharCount(platform, mastodon_length(text), limit)
    if platform == "bluesky":
        return CharCount(
            platform,
            grapheme_count(text),
            limit,
            byte_length=len(text.encode("utf-8", "surrogatepass")),
            byte_limit=BLUESKY_MAX_BYTES,
        )
    if platform in ("linkedin", "instagram"):
        return CharCount(platform, utf16_length(text), limit)
    return CharCount(platform, grapheme_count(text), limit)


# --------------------------------------------------------------------------
# Units
# --------------------------------------------------------------------------

_GRAPHEME = regex.compile(r"\X")
_FLAG_PAIR = regex.compile(r"\p{Regional_Indicator}{2}")


def grapheme_count(text: str) -> int:
    """Extended grapheme clusters (UAX #29): what a reader sees as characters."""
    # ``\X`` re-scans a run of regional indicators at every position to find
    # its pairing, which is quadratic on a long run. A pair always forms one
    # cluster and joins its neighbours exactly as a letter would, so count
    # each pair as one placeholder letter first.
    text = _FLAG_PAIR.sub("x", text)
    return sum(1 for _ in _GRAPHEME.finditer(text))


def utf16_length(text: str) -> int:
    """UTF-16 code units: JavaScript's ``String.length``."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# --------------------------------------------------------------------------
# X: twitter-text v3 weighted length
# --------------------------------------------------------------------------

_X_SCALE = 100
_X_DEFAULT_WEIGHT = 200
_X_LIGHT_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))

# One emoji, per the UTS #51 "possible emoji" grammar: a flag (two regional
# indicators), or an emoji character with an optional skin tone, presentation
# selector, keycap or tag sequence, joined to more of the same by ZWJ.
_EMOJI_ELEMENT = (
    r"(?:\p{Regional_Indicator}\p{Regional_Indicator}"
    r"|\p{Emoji}(?:\p{Emoji_Modifier}|\uFE0F?\u20E3|\uFE0F|[\U000E0020-\U000E007E]+\U000E007F)?)"
)
_EMOJI = regex.compile(_EMOJI_ELEMENT + r"(?:\u200D" + _EMOJI_ELEMENT + r")*")
_EMOJI_PRESENTATION = regex.compile(r"\p{Emoji_Presentation}")


def _x_char_weight(char: str) -> int:
    code = ord(char)
    for start, end in _X_LIGHT_RANGES:
        if start <= code <= end:
            return _X_SCALE
    return _X_DEFAULT_WEIGHT


def _x_emoji_spans(text: str) -> dict[int, int]:
    spans = {}
    for match in _EMOJI.finditer(text):
        emoji = match.group()
        # A lone '#', digit or text-style symbol is not an emoji until it has a
        # presentation selector, keycap, modifier or ZWJ partner.
        if len(emoji) > 1 or _EMOJI_PRESENTATION.match(emoji):
            spans[match.start()] = match.end()
    return spans


def x_weighted_length(text: str) -> int:
    """The twitter-text v3 ``weightedLength`` of ``text``."""
    text = unicodedata.normalize("NFC", text)
    urls = dict(_find_urls(text, _X))
    emoji = _x_emoji_spans(text)
    weighted = 0
    index = 0
    end = len(text)
    while index < end:
        if index in urls:
            weighted += URL_LENGTH * _X_SCALE
            index = urls[index]
        elif index in emoji:
            weighted += _X_DEFAULT_WEIGHT
            index = emoji[index]
        else:
            weighted += _x_char_weight(text[index])
            index += 1
    return weighted // _X_SCALE


# --------------------------------------------------------------------------
# Mastodon: StatusLengthValidator
# --------------------------------------------------------------------------

# Account::MENTION_RE: a local part of [a-z0-9_] runs joined by '.' or '-',
# optionally followed by @domain; not preceded by '=', '/' or a word character.
_MENTION = regex.compile(
    r"(?<![=/\w])@(?P<user>[a-z0-9_]+(?:[.\-]+[a-z0-9_]+)*)(?P<domain>@\w+(?:[.\-]+\w+)*)?",
    regex.IGNORECASE,
)
_LATIN_ACCENTS = (
    r"\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259"
    r"\u025b\u0263\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
# A mention directly followed by another at sign, an accented letter or :// is
# not a mention (twitter-text's end_mention_match, which Mastodon reuses).
_MENTION_END_INVALID = regex.compile(r"[@\uff20" + _LATIN_ACCENTS + r"]|://")
_BLANK = regex.compile(r"\s*")


def mastodon_length(text: str) -> int:
    """The length Mastodon's ``StatusLengthValidator`` gives ``text``."""
    if _BLANK.fullmatch(text):
        return 0
    entities = [(start, end, "x" * URL_LENGTH) for start, end in _find_urls(text, _MASTODON)]
    for match in _MENTION.finditer(text):
        if _MENTION_END_INVALID.match(text, match.end()):
            continue
        entities.append((match.start(), match.end(), "@" + match.group("user")))
    entities.sort(key=lambda entity: entity[0])

    pieces = []
    position = 0
    for start, end, replacement in entities:
        if start < position:  # overlaps an entity already kept
            continue
        pieces.append(text[position:start])
        pieces.append(replacement)
        position = end
    pieces.append(text[position:])
    return grapheme_count("".join(pieces))


# --------------------------------------------------------------------------
# URL extraction (twitter-text's rules, shared by X and Mastodon)
# --------------------------------------------------------------------------

# IANA root zone top-level domains (tlds-alpha-by-domain.txt, version
# 2026100300). Internationalised ones are listed in their xn-- form and
# matched in both forms.
_IANA_TLDS = """
aaa aarp abb abbott abbvie abc able abogado abudhabi ac academy accenture accountant accountants
aco actor ad ads adult ae aeg aero aetna af afl africa ag agakhan agency ai aig airbus airforce
airtel akdn al alibaba alipay allfinanz allstate ally alsace alstom am amazon americanexpress
americanfamily amex amfam amica amsterdam analytics android anquan anz ao aol apartments app
apple aq aquarelle ar arab aramco archi army arpa art arte as asda asia associates at athleta
attorney au auction audi audible audio auspost author auto autos aw aws ax axa az azure ba baby
baidu banamex band bank bar barcelona barclaycard barclays barefoot bargains baseball basketball
bauhaus bayern bb bbc bbt bbva bcg bcn bd be beats beauty beer berlin best bestbuy bet bf bg bh
bharti bi bible bid bike bing bingo bio biz bj black blackfriday blockbuster blog bloomberg blue
bm bms bmw bn bnpparibas bo boats boehringer bofa bom bond boo book booking bosch bostik boston
bot boutique box br bradesco bridgestone broadway broker brother brussels bs bt build builders
business buy buzz bv bw by bz bzh ca cab cafe cal call calvinklein cam camera camp canon
capetown capital capitalone car caravan cards care career careers cars casa case cash casino cat
catering catholic cba cbn cbre cc cd center ceo cern cf cfa cfd cg ch chanel channel charity
chase chat cheap chintai christmas chrome church ci cipriani circle cisco citadel citi citic
city ck cl claims cleaning click clinic clinique clothing cloud club clubmed cm cn co coach
codes coffee college cologne com commbank community company compare computer comsec condos
construction consulting contact contractors cooking cool coop corsica country coupon coupons
courses cpa cr credit creditcard creditunion cricket crown crs cruise cruises cu cuisinella cv
cw cx cy cymru cyou cz dad dance data date dating datsun day dclk dds de deal dealer deals
degree delivery dell deloitte delta democrat dental dentist desi design dev dhl diamonds diet
digital direct directory discount discover dish diy dj dk dm dnp do docs doctor dog domains dot
download drive dtv dubai dupont durban dvag dvr dz earth eat ec eco edeka edu education ee eg
email emerck energy engineer engineering enterprises epson equipment er ericsson erni es esq
estate et eu eurovision eus events exchange expert exposed express extraspace fage fail
fairwinds faith family fan fans farm farmers fashion fast fedex feedback ferrari ferrero fi
fidelity fido film final finance financial fire firestone firmdale fish fishing fit fitness fj
fk flickr flights flir florist flowers fly fm fo foo food football ford forex forsale forum
foundation fox fr free fresenius frl frogans frontier ftr fujitsu fun fund furniture futbol fyi
ga gal gallery gallo gallup game games gap garden gay gb gbiz gd gdn ge gea gent genting george
gf gg ggee gh gi gift gifts gives giving gl glass gle global globo gm gmail gmbh gmo gmx gn
godaddy gold goldpoint golf goodyear goog google gop got gov gp gq gr grainger graphics gratis
green gripe grocery group gs gt gu gucci guge guide guitars guru gw gy hair hamburg hangout haus
hbo hdfc hdfcbank health healthcare help helsinki here hermes hiphop hisamitsu hitachi hiv hk
hkt hm hn hockey holdings holiday homedepot homegoods homes homesense honda horse hospital host
hosting hot hotels hotmail house how hr hsbc ht hu hughes hyatt hyundai ibm icbc ice icu id ie
ieee ifm ikano il im imamat imdb immo immobilien in inc industries infiniti info ing ink
institute insurance insure int international intuit investments io ipiranga iq ir irish is
ismaili ist istanbul it itau itv jaguar java jcb je jeep jetzt jewelry jio jll jm jmp jnj jo
jobs joburg jot joy jp jpmorgan jprs juegos kaufen kddi ke kerryhotels kerryproperties kfh kg kh
ki kia kids kim kindle kitchen kiwi km kn koeln komatsu kosher kp kpmg kpn kr krd kred kuokgroup
kw ky kyoto kz la lacaixa lamborghini lamer land landrover lanxess lasalle lat latino latrobe
law lawyer lb lc lds lease leclerc lefrak legal lego lexus lgbt li lidl life lifeinsurance
lifestyle lighting like lilly limited limo lincoln link live living lk llc llp loan loans locker
locus lol london lotte lotto love lpl lplfinancial lr ls lt ltd ltda lu lundbeck luxe luxury lv
ly ma madrid maif maison makeup man management mango map market marketing markets marriott
marshalls mattel mba mc mckinsey md me med media meet melbourne meme memorial men menu merck
merckmsd mg mh miami microsoft mil mini mint mit mitsubishi mk ml mlb mls mm mma mn mo mobi
mobile moda moe moi mom monash money monster mormon mortgage moscow moto motorcycles mov movie
mp mq mr ms msd mt mtn mtr mu museum music mv mw mx my mz na nab nagoya name navy nba nc ne nec
net netbank netflix network neustar new news next nextdirect nexus nf nfl ng ngo nhk ni nico
nike nikon ninja nissan nissay nl no nokia norton now nowruz nowtv np nr nra nrw ntt nu nyc nz
obi observer office okinawa olayan olayangroup ollo om omega one ong onl online ooo open oracle
orange org organic origins osaka otsuka ott ovh pa page panasonic paris pars partners parts
party pay pccw pe pet pf pfizer pg ph pharmacy phd philips phone photo photography photos physio
pics pictet pictures pid pin ping pink pioneer pizza pk pl place play playstation plumbing plus
pm pn pnc pohl poker politie porn post pr praxi press prime pro prod productions prof
progressive promo properties property protection pru prudential ps pt pub pw pwc py qa qpon
quebec quest racing radio re read realestate realtor realty recipes red redumbrella rehab reise
reisen reit reliance ren rent rentals repair report republican rest restaurant review reviews
rexroth rich richardli ricoh ril rio rip ro rocks rodeo rogers room rs rsvp ru rugby ruhr run rw
rwe ryukyu sa saarland safe safety sakura sale salon samsclub samsung sandvik sandvikcoromant
sanofi sap sarl sas save saxo sb sbi sbs sc scb schaeffler schmidt scholarships school schule
schwarz science scot sd se search seat secure security seek select sener services seven sew sex
sexy sfr sg sh shangrila sharp shell shia shiksha shoes shop shopping shouji show si silk sina
singles site sj sk ski skin sky skype sl sling sm smart smile sn sncf so soccer social softbank
software sohu solar solutions song sony soy spa space sport spot sr srl ss st stada staples star
statebank statefarm stc stcgroup stockholm storage store stream studio study style su sucks
supplies supply support surf surgery suzuki sv swatch swiss sx sy sydney systems sz tab taipei
talk taobao target tatamotors tatar tattoo tax taxi tc tci td tdk team tech technology tel
temasek tennis teva tf tg th thd theater theatre tiaa tickets tienda tips tires tirol tj tjmaxx
tjx tk tkmaxx tl tm tmall tn to today tokyo tools top toray toshiba total tours town toyota toys
tr trade trading training travel travelers travelersinsurance trust trv tt tube tui tunes tushu
tv tvs tw tz ua ubank ubs ug uk unicom university uno uol ups us uy uz va vacations vana
vanguard vc ve vegas ventures verisign versicherung vet vg vi viajes video vig viking villas vin
vip virgin visa vision viva vivo vlaanderen vn vodka volvo vote voting voto voyage vu wales
walmart walter wang wanggou watch watches weather weatherchannel web webcam weber website wed
wedding weibo weir wf whoswho wien wiki williamhill win windows wine winners wme woodside work
works world wow ws wtc wtf xbox xerox xihuan xin xn--11b4c3d xn--1ck2e1b xn--1qqw23a xn--2scrj9c
xn--30rr7y xn--3bst00m xn--3ds443g xn--3e0b707e xn--3hcrj9c xn--3pxu8k xn--42c2d9a xn--45br5cyl
xn--45brj9c xn--45q11c xn--4dbrk0ce xn--4gbrim xn--54b7fta0cc xn--55qw42g xn--55qx5d
xn--5su34j936bgsg xn--5tzm5g xn--6frz82g xn--6qq986b3xl xn--80adxhks xn--80ao21a xn--80aqecdr1a
xn--80asehdb xn--80aswg xn--8y0a063a xn--90a3ac xn--90ae xn--90ais xn--9dbq2a xn--9et52u
xn--9krt00a xn--b4w605ferd xn--bck1b9a5dre4c xn--c1avg xn--c2br7g xn--cck2b3b xn--cckwcxetd
xn--cg4bki xn--clchc0ea0b2g2a9gcd xn--czr694b xn--czrs0t xn--czru2d xn--d1acj3b xn--d1alf
xn--e1a4c xn--eckvdtc9d xn--efvy88h xn--fct429k xn--fhbei xn--fiq228c5hs xn--fiq64b xn--fiqs8s
xn--fiqz9s xn--fjq720a xn--flw351e xn--fpcrj9c3d xn--fzc2c9e2c xn--fzys8d69uvgm xn--g2xx48c
xn--gckr3f0f xn--gecrj9c xn--gk3at1e xn--h2breg3eve xn--h2brj9c xn--h2brj9c8c xn--hxt814e
xn--i1b6b1a6a2e xn--imr513n xn--io0a7i xn--j1aef xn--j1amh xn--j6w193g xn--jlq480n2rg
xn--jvr189m xn--kcrx77d1x4a xn--kprw13d xn--kpry57d xn--kput3i xn--l1acc xn--lgbbat1ad8j
xn--mgb9awbf xn--mgba3a3ejt xn--mgba3a4f16a xn--mgba7c0bbn0a xn--mgbaam7a8h xn--mgbab2bd
xn--mgbah1a3hjkrd xn--mgbai9azgqp6j xn--mgbayh7gpa xn--mgbbh1a xn--mgbbh1a71e xn--mgbc0a9azcg
xn--mgbca7dzdo xn--mgbcpq6gpa1a xn--mgberp4a5d4ar xn--mgbgu82a xn--mgbi4ecexp xn--mgbpl2fh
xn--mgbt3dhd xn--mgbtx2b xn--mgbx4cd0ab xn--mix891f xn--mk1bu44c xn--mxtq1m xn--ngbc5azd
xn--ngbe9e0a xn--ngbrx xn--node xn--nqv7f xn--nqv7fs00ema xn--nyqy26a xn--o3cw4h xn--ogbpf8fl
xn--otu796d xn--p1acf xn--p1ai xn--pgbs0dh xn--pssy2u xn--q7ce6a xn--q9jyb4c xn--qcka1pmc
xn--qxa6a xn--qxam xn--rhqv96g xn--rovu88b xn--rvc1e0am3e xn--s9brj9c xn--ses554g xn--t60b56a
xn--tckwe xn--tiq49xqyj xn--unup4y xn--vermgensberater-ctb xn--vermgensberatung-pwb xn--vhquv
xn--vuq861b xn--w4r85el8fhu5dnra xn--w4rs40l xn--wgbh1c xn--wgbl6a xn--xhq521b xn--xkc2al3hye2a
xn--xkc2dl3a5ee0h xn--y9a3aq xn--yfro4i67o xn--ygbi2ammx xn--zfr164b xxx xyz yachts yahoo
yamaxun yandex ye yodobashi yoga yokohama you youtube yt yun za zappos zara zero zip zm zone
zuerich zw
"""

_MAX_URL_LENGTH = 4096
_MAX_LABEL_LENGTH = 63
_MAX_TCO_SLUG_LENGTH = 40

_SPACES = r"\x09-\x0d\x20\x85\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_INVALID_CHARS = r"\ufffe\ufeff\uffff"
_DIRECTIONAL = r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# A URL may follow anything but a letter, a digit, an at, dollar or hash sign.
_PRECEDING = r"[^a-z0-9@\uff20$#\uff03" + _INVALID_CHARS + "]"


@dataclass(frozen=True)
class _Rules:
    """One platform's flavour of the twitter-text URL grammar."""

    schemes: str
    # Whether a URL without a scheme is linked. Either way one is matched, so
    # that what it spans is not searched again.
    schemeless: bool
    # ASCII punctuation that may not appear in a domain label, and other
    # excluded characters (both platforms exclude spaces, the invalid and the
    # directional characters; Mastodon's Ruby library also excludes controls).
    domain_punct: str
    domain_extra: str
    path_char: str
    path_end: str
    path_alt_prefix: str
    # twitter-text's JavaScript pastes "ending character or balanced
    # parentheses" into the path pattern without a group around it, so a
    # path segment ends with an ending character or *is* a parenthesis group.
    path_end_ungrouped: bool
    query_char: str
    query_end: str


_X = _Rules(
    schemes="https?",
    schemeless=True,
    domain_punct="!'#%&()*+,-./:;<=>?@[\\]^_{|}~$",
    domain_extra=_SPACES + _INVALID_CHARS + _DIRECTIONAL,
    path_char=rf"[a-z\u0400-\u04ff0-9!*';:=+,.$/%#\[\]\-\u2013_~@|&{_LATIN_ACCENTS}]",
    path_end=rf"[+\-a-z\u0400-\u04ff0-9=_#/{_LATIN_ACCENTS}]",
    path_alt_prefix="@",
    path_end_ungrouped=True,
    query_char=r"[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]",
    query_end=r"[a-z0-9\-_&=#/]",
)
# Mastodon widens the path and query characters and the schemes
# (config/initializers/twitter_regex.rb) and only counts URLs with a scheme.
_UCHARS = (
    r"\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef\U00010000-\U0001fffd\U00020000-\U0002fffd"
    r"\U00030000-\U0003fffd\U00040000-\U0004fffd\U00050000-\U0005fffd\U00060000-\U0006fffd"
    r"\U00070000-\U0007fffd\U00080000-\U0008fffd\U00090000-\U0009fffd\U000a0000-\U000afffd"
    r"\U000b0000-\U000bfffd\U000c0000-\U000cfffd\U000d0000-\U000dfffd\U000e1000-\U000efffd"
    r"\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd"
)
_MASTODON = _Rules(
    schemes="https?|dat|dweb|ipfs|ipns|ssb|gopher|gemini",
    schemeless=False,
    domain_punct="!\"#$%&'()*+,-./:;<=>?@[\\]^_{|}~",
    domain_extra=_SPACES + r"\x00-\x1f\x7f" + _INVALID_CHARS + _DIRECTIONAL,
    path_char=r"[^\s<>()?]",
    path_end="[^\\s()?!*\"'\u300c\u300d<>;:=,.$%\\[\\]~&|@]",
    path_alt_prefix="",
    path_end_ungrouped=False,
    query_char=rf"[a-z0-9!?*'();:&=+$/%#\[\]\-_.,~|@\^{_UCHARS}]",
    query_end=rf"[a-z0-9_&=#/\-{_UCHARS}]",
)


def _domain_char(rules: _Rules, allowed: str = "") -> str:
    punct = "".join("\\" + char for char in rules.domain_punct if char not in allowed)
    return "[^" + punct + rules.domain_extra + "]"


@cache
def _url_source(rules: _Rules, *, anchored: bool) -> str:
    dc = _domain_char(rules)
    sub_char, name_char = _domain_char(rules, "-_"), _domain_char(rules, "-")
    # Labels are atomic: a label before a dot is always the longest run of
    # label characters, and atomic groups stop a long run without a dot from
    # backtracking quadratically.
    subdomain = rf"(?>{dc}(?:{sub_char}*{dc})?)\."
    domain_name = rf"(?>{dc}(?:{name_char}*{dc})?)\."
    # A URL over _MAX_URL_LENGTH is never linked, so no domain has more labels than fit in
    # it (two characters a label at least): bounding the repeat keeps a long dotted run
    # ("a.a.a..." without a TLD) from backtracking quadratically, and changes no result.
    labels = rf"(?:{subdomain}){{0,{_MAX_URL_LENGTH // 2}}}"
    domain = rf"{labels}{domain_name}{_TLD}"
    char, end = rules.path_char, rules.path_end
    parens = rf"\((?:{char}+|{char}*\({char}+\){char}*)\)"
    if rules.path_end_ungrouped:
        segment = rf"{char}*(?:{parens}{char}*)*{end}|{parens}"
    else:
        segment = rf"{char}*(?:{parens}{char}*)*(?:{end}|{parens})"
    path = rf"(?:{segment}|{rules.path_alt_prefix}{char}+/)"
    if anchored:
        scheme_start = ""
        bare = rf"|(?P<bare>{domain})"
    else:
        scheme_start = rf"(?<={_PRECEDING}|^)"
        # twitter-text tries a URL after every valid preceding character.
        # Without a scheme, this looks only where a domain can begin: not
        # inside a label or a dotted name, which would be found whole from
        # where it begins ...
        start = rf"(?<={_PRECEDING}|^)(?<![\-_.]|{dc})"
        # ... except that after '@', '$' or '#' (not valid preceding
        # characters) it begins after the first non-alphanumeric character ...
        after_blocked = rf"(?<=[@\uff20$#\uff03{_INVALID_CHARS}](?:{dc}|[\-_]){{0,63}}{_PRECEDING})"
        # ... and a domain right after '-' or '_' is found only to be rejected
        # (what it spans is not searched again). Its first label is bounded:
        # a longer one is invalid anyway, and the bound keeps a long run of
        # hyphenated words from being rescanned at every hyphen.
        first_sub = rf"(?>{dc}(?:{sub_char}{{0,61}}{dc})?)\."
        first_name = rf"(?>{dc}(?:{name_char}{{0,61}}{dc})?)\."
        glued = rf"(?:{first_sub}{labels}{domain_name}|{first_name}){_TLD}"
        bare = (
            rf"|(?:{start}|{after_blocked})(?P<bare>{domain})"
            rf"|(?<=[\-_])(?P<glued>{glued})"
        )
    return (
        rf"(?:{scheme_start}(?P<scheme>(?:{rules.schemes})://)(?P<domain>{domain}){bare})"
        r"(?::[0-9]+)?"
        rf"(?P<path>/{path}*)?"
        rf"(?:\?{rules.query_char}*{rules.query_end})?"
    )


_TLD_END = r"(?=[^0-9a-z@+\-]|$)"
_TLD = rf"(?:\L<tlds>{_TLD_END}|xn--[\-0-9a-z]+)"
_ASCII_DOMAIN = rf"(?:[\-a-z0-9{_LATIN_ACCENTS}]+\.)+{_TLD}"
_TCO = rf"https?://t\.co/(?P<slug>[a-z0-9]+)(?:\?{_X.query_char}*{_X.query_end})?"


@cache
def _tlds() -> list[str]:
    tlds = set()
    for tld in _IANA_TLDS.split():
        tlds.add(tld)
        if tld.startswith("xn--"):
            tlds.add(codecs.decode(tld[4:].encode("ascii"), "punycode"))
    return sorted(tlds)


@cache
def _compiled(source: str) -> regex.Pattern:
    flags = regex.IGNORECASE | regex.VERSION0
    return regex.compile(source, flags, ignore_unused=True, tlds=_tlds())


def _domain_ok(domain: str) -> bool:
    """twitter-text's IDNA check: every label 1-63 characters once punycoded."""
    if domain[:4].lower() == "xn--" and not _compiled(_ASCII_DOMAIN).search(domain):
        return False
    for label in domain.split("."):
        try:
            ascii_label = label if label.isascii() else "xn--" + label.encode("punycode").decode()
        except UnicodeError:
            return False
        if not 1 <= len(ascii_label) <= _MAX_LABEL_LENGTH:
            return False
    return True


def _find_urls(text: str, rules: _Rules) -> list[tuple[int, int]]:
    """``(start, end)`` of every URL in ``text`` that the platform would link.

    Follows twitter-text's ``extractUrlsWithIndices``: X also links bare
    domains such as ``example.com``; Mastodon only links URLs with a scheme.
    """
    if "." not in text:
        return []
    search = _compiled(_url_source(rules, anchored=False))
    anchored = _compiled(_url_source(rules, anchored=True))
    preceding = _compiled(_PRECEDING)
    urls: list[tuple[int, int]] = []
    position = 0
    while position < len(text):
        # twitter-text's scan consumes one "preceding" character before each
        # URL. So where its scan (re)starts - the start of the text and the
        # end of each match - a URL may begin right after the first character
        # (tried first), or at the very start of the text, and only then
        # further on, after a preceding character.
        match = None
        if preceding.match(text, position):
            match = anchored.match(text, position + 1)
        if match is None and position == 0:
            match = anchored.match(text, 0)
        if match is None:
            match = search.search(text, position + 1)
        if match is None:
            break
        position = match.end()
        start, end = match.span()
        url = match.group()
        groups = match.groupdict()
        if groups.get("glued") is not None:
            continue  # follows '-' or '_': rejected, as twitter-text does
        scheme = groups["scheme"]
        domain = groups["domain"] if scheme else groups["bare"]
        if len(scheme or "https://") + len(url) > _MAX_URL_LENGTH or not _domain_ok(domain):
            continue
        if not scheme and (not rules.schemeless or (start > 0 and text[start - 1] in "-_./")):
            continue  # found, and what it spans is not searched again, but not linked
        if scheme:
            tco = _compiled(_TCO).match(url)
            if tco is not None:
                if len(tco.group("slug")) > _MAX_TCO_SLUG_LENGTH:
                    continue
                end = start + tco.end()
            urls.append((start, end))
            continue
        # No scheme: only the ASCII parts of the domain are links, and the
        # path (with any port and query) belongs to the last of them. As in
        # twitter-text, that last link then covers the length of the URL with
        # its domain replaced by the ASCII part - shorter than the text it
        # spans when the domain had other parts, which then count as text.
        domain_start = match.start("bare")
        found = [
            (domain_start + ascii_domain.start(), domain_start + ascii_domain.end())
            for ascii_domain in _compiled(_ASCII_DOMAIN).finditer(domain)
        ]
        if found and groups["path"]:
            ascii_start, ascii_end = found[-1]
            found[-1] = (ascii_start, ascii_end + len(url) - len(domain))
        urls.extend(found)
    return urls
