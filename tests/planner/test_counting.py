"""Character counting by each platform's own rules (planner.counting).

Plain pytest functions: no database, no Django.
"""

import ast
import json
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner import counting
from planner.counting import PLATFORM_LIMITS, CharCount, count_characters

BLNS = Path(__file__).resolve().parents[1] / "data" / "blns.json"

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # man, woman, girl, boy
FAMILY_15_1 = "\U0001f9d1\u200d\U0001f9d1\u200d\U0001f9d2"  # adult, adult, child (Emoji 15.1)
FLAG_JP = "\U0001f1ef\U0001f1f5"
FLAG_SCOTLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"
KEYCAP_1 = "1\ufe0f\u20e3"
KEYCAP_HASH = "#\ufe0f\u20e3"
THUMBS_UP_MEDIUM = "\U0001f44d\U0001f3fd"
RAINBOW_FLAG = "\U0001f3f3\ufe0f\u200d\U0001f308"
FACE = "\U0001f637"  # face with medical mask
LONG_URL = "https://example.com/a/very/long/path/that/goes/on/and/on?with=a&query=string"


def length(text, platform, **kwargs):
    return count_characters(text, platform, **kwargs).length


# ---------------------------------------------------------------------------
# The API
# ---------------------------------------------------------------------------


def test_platform_limits():
    assert PLATFORM_LIMITS == {
        "x": 280,
        "mastodon": 500,
        "bluesky": 300,
        "linkedin": 3000,
        "instagram": 2200,
        "facebook": 63206,
        "threads": 500,
        "webhook": None,
        "outbox": None,
    }


def test_char_count_over_and_remaining():
    fits = CharCount("x", 280, 280)
    assert not fits.over
    assert fits.remaining == 0
    too_long = CharCount("x", 281, 280)
    assert too_long.over
    assert too_long.remaining == -1
    unlimited = CharCount("webhook", 10**6, None)
    assert not unlimited.over
    assert unlimited.remaining is None


def test_char_count_is_frozen():
    count = count_characters("hi", "x")
    with pytest.raises(AttributeError):
        count.length = 0


def test_result_carries_platform_and_limit():
    count = count_characters("hello", "bluesky")
    assert (count.platform, count.length, count.limit) == ("bluesky", 5, 300)
    assert count.remaining == 295


@pytest.mark.parametrize("platform", ["twitter", "X", "tiktok", "", " x", None, 3])
def test_unknown_platform_raises_value_error(platform):
    with pytest.raises(ValueError, match="Unknown platform"):
        count_characters("hello", platform)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "500", True])
def test_max_characters_must_be_a_positive_int(bad):
    with pytest.raises(ValueError, match="max_characters"):
        count_characters("hello", "mastodon", max_characters=bad)


def test_text_must_be_a_string():
    with pytest.raises(TypeError):
        count_characters(None, "x")
    with pytest.raises(TypeError):
        count_characters(b"bytes", "x")


def test_max_characters_overrides_any_platform_limit():
    assert count_characters("a" * 600, "mastodon", max_characters=5000).limit == 5000
    assert not count_characters("a" * 600, "mastodon", max_characters=5000).over
    assert count_characters("a" * 600, "mastodon").over
    assert count_characters("a" * 300, "x", max_characters=25_000).remaining == 24_700
    assert count_characters("a" * 20, "webhook", max_characters=10).over


def test_module_is_pure_python():
    tree = ast.parse(Path(counting.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert "django" not in imported
    assert imported <= {
        "__future__",
        "codecs",
        "dataclasses",
        "functools",
        "regex",
        "unicodedata",
        "platforms",  # the adapters' limits: a platform's facts live in one place
    }


def test_the_limits_are_the_adapters_own():
    from platforms.registry import PLATFORMS

    for slug, client in PLATFORMS.items():
        assert counting.PLATFORM_LIMITS[slug] == client.text_limit
    assert counting.PLATFORM_LIMITS["mastodon"] == 500
    assert counting.PLATFORM_LIMITS["bluesky"] == 300
    assert counting.PLATFORM_LIMITS["webhook"] is None
    assert counting.PLATFORM_LIMITS["outbox"] is None
    assert counting.BLUESKY_MAX_BYTES == 3000


# ---------------------------------------------------------------------------
# X: twitter-text v3 weighted length
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("hello world", 11),
        ("Ünïcödé façade", 14),  # Latin-1 and Latin Extended weigh 1
        ("Привет", 6),  # Cyrillic weighs 1
        ("שלום", 4),  # Hebrew weighs 1
        ("日本語", 6),  # CJK weighs 2
        ("한국어", 6),  # Hangul weighs 2
        ("日本語 and English", 18),
        ("\u2019\u201c\u201d\u2014", 4),  # quotes and dashes in U+2010-U+201F weigh 1
        ("\u2026", 2),  # the ellipsis is outside the light ranges
        ("\u3000", 2),  # ideographic space
        (FACE, 2),
        (FAMILY, 2),  # a ZWJ sequence of seven code points is one emoji
        (FAMILY_15_1, 2),  # newer than X's own emoji table
        (FLAG_JP, 2),
        (FLAG_SCOTLAND, 2),  # tag sequence
        (KEYCAP_1, 2),
        (KEYCAP_HASH, 2),
        (THUMBS_UP_MEDIUM, 2),  # skin tone modifier
        (RAINBOW_FLAG, 2),
        ("\u2764\ufe0f", 2),  # red heart with presentation selector
        ("\u00a9", 1),  # a bare copyright sign is text ...
        ("\u00a9\ufe0f", 2),  # ... until it asks for emoji presentation
        ("1", 1),
        ("#", 1),
        (FACE * 3 + " ok", 9),
        ("H\U0001f431\u263a", 5),
    ],
)
def test_x_weights(text, expected):
    assert length(text, "x") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("e\u0301", 1),  # NFC composes e + combining acute into one code point
        ("A\u0301B", 2),
        ("cafe\u0301", 4),
        ("q\u0307", 2),  # no precomposed form: two code points, weight 1 each
        ("\u1100\u1161\u11a8", 2),  # conjoining jamo compose to one Hangul syllable
    ],
)
def test_x_normalises_to_nfc_before_counting(text, expected):
    assert length(text, "x") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://example.com", 23),
        ("http://example.com", 23),
        (LONG_URL, 23),
        ("HTTPS://WWW.EXAMPLE.COM/INDEX.HTML", 23),
        ("https://t.co", 23),
        ("http://example.com:8080/login", 23),
        ("https://例え.jp/", 23),  # internationalised domain with a scheme
        ("https://例え.jp/パス", 27),  # katakana is not a path character: 23 + 4
        ("example.com", 23),  # no scheme
        ("www.example.co.uk/path/to/page", 23),
        ("example.com/path?query=1", 23),
        ("t.co/abc", 23),
        ("readme.md", 23),  # .md is a real top-level domain: X links it
        ("Read https://example.com/a today", 34),
        ("Read example.com today", 34),
        ("two: https://a.example.com and b.example.org/x", 5 + 23 + 5 + 23),
        ("(see https://en.wikipedia.org/wiki/Foo_(bar)).", 30),  # balanced parens kept
        ("https://example.com/wiki/A_(b_(c))", 23),  # one level of nesting too
        ("https://example.com/a_(b)_c)", 24),  # an unbalanced one is not
        ("https://example.com/page.", 24),  # trailing full stop is not part of it
        ("https://t.co/abc123/def", 27),  # a t.co link ends at its slug
    ],
)
def test_x_counts_every_url_as_23(text, expected):
    assert length(text, "x") == expected


@pytest.mark.parametrize(
    "text",
    [
        "https://localhost/path",  # no top-level domain
        "http://192.168.0.1/index.html",  # an IP address is not linked
        "ftp://example.com/file",  # only http and https
        "mail me: user@example.com",  # an e-mail address is not a URL
        "$example.com",
        "#example.com",
        "file.txt",  # .txt is not a top-level domain
        "e.g. this",
        "-example.com",
        "https://" + "a" * 64 + ".com",  # a label longer than 63 characters
        "https://" + "a." * 2100 + "com",  # longer than 4,096 characters
    ],
)
def test_x_does_not_count_non_urls_as_23(text):
    assert length(text, "x") == len(text)


def test_x_280_and_281():
    assert not count_characters("a" * 280, "x").over
    assert count_characters("a" * 281, "x").over
    assert count_characters("a" * 281, "x").remaining == -1
    assert length("日" * 140, "x") == 280
    assert count_characters("日" * 141, "x").over
    assert length(FAMILY * 140, "x") == 280
    assert count_characters(FAMILY * 141, "x").over
    assert length("a" * 256 + " " + LONG_URL, "x") == 280
    assert count_characters("a" * 257 + " " + LONG_URL, "x").over
    # A URL glued to a preceding letter is not linked, so it counts in full.
    assert length("a" * 10 + LONG_URL, "x") == 10 + len(LONG_URL)
    assert count_characters("a" * 279 + FACE, "x").over  # 279 + 2


def test_x_counts_line_endings_as_given():
    assert length("a\nb", "x") == 3
    assert length("a\r\nb", "x") == 4


# ---------------------------------------------------------------------------
# Mastodon: StatusLengthValidator
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello", 5),
        ("日本語", 3),  # grapheme clusters, not weights
        (FAMILY, 1),
        (FLAG_JP, 1),
        (FLAG_SCOTLAND, 1),
        (KEYCAP_1, 1),
        (THUMBS_UP_MEDIUM, 1),
        ("e\u0301", 1),
        ("a\r\nb", 3),  # CR LF is one grapheme
        (LONG_URL, 23),
        ("See https://joinmastodon.org!", 4 + 23 + 1),
        ("gemini://example.org/capsule", 23),  # Mastodon links more schemes
        ("example.com", 11),  # without a scheme: counted as written
        ("example.com/https://example.org", 31),  # ... including a URL in its path
        ("https://localhost/x", 19),
        ("hi @alice@mastodon.social", 9),  # counts as "hi @alice"
        ("@alice@mastodon.social @bob@example.com", 11),
        ("@alice", 6),  # a local mention counts as written
        ("cc @Some.User@sub.example.co.uk ok", 3 + 10 + 3),
        ("user@example.com", 16),  # an e-mail address is not a mention
        ("https://example.com/@alice@mastodon.social", 23),
        ("   ", 0),  # Mastodon counts a blank text as empty
    ],
)
def test_mastodon_lengths(text, expected):
    assert length(text, "mastodon") == expected


def test_mastodon_default_limit_and_instance_limit():
    assert not count_characters("a" * 500, "mastodon").over
    assert count_characters("a" * 501, "mastodon").over
    assert not count_characters("a" * 501, "mastodon", max_characters=1000).over
    # A remote mention costs only its local part, so this fits in 500.
    text = "a" * 490 + " @bob@" + "x" * 40 + ".example"
    assert length(text, "mastodon") == 495
    assert not count_characters(text, "mastodon").over
    # Every URL costs 23, however long.
    text = "b" * 476 + " https://example.com/" + "p" * 300
    assert length(text, "mastodon") == 500


# ---------------------------------------------------------------------------
# Bluesky: 300 graphemes (and 3,000 UTF-8 bytes)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello", 5),
        ("日本語", 3),
        (FAMILY, 1),
        (FAMILY_15_1, 1),
        (FLAG_JP, 1),
        (FLAG_JP * 3, 3),
        (FLAG_SCOTLAND, 1),
        (KEYCAP_HASH, 1),
        (THUMBS_UP_MEDIUM, 1),
        ("e\u0301", 1),
        ("e\u0301\u0302\u0303", 1),  # stacked combining accents
        ("\u1100\u1161\u11a8", 1),
        (LONG_URL, len(LONG_URL)),  # URLs count as written
        ("example.com", 11),
    ],
)
def test_bluesky_counts_graphemes(text, expected):
    assert length(text, "bluesky") == expected


def test_bluesky_300_and_301():
    assert not count_characters("a" * 300, "bluesky").over
    assert count_characters("a" * 301, "bluesky").over
    assert not count_characters(FLAG_JP * 300, "bluesky").over
    assert count_characters(FLAG_JP * 301, "bluesky").over
    assert not count_characters("e\u0301" * 300, "bluesky").over


def test_bluesky_byte_limit():
    fits = count_characters("日" * 300, "bluesky")  # 900 bytes
    assert (fits.byte_length, fits.byte_limit, fits.over) == (900, 3000, False)
    families = count_characters(FAMILY * 300, "bluesky")  # 300 graphemes, 7,500 bytes
    assert families.length == 300
    assert families.byte_length == 7500
    assert families.over
    assert families.remaining == 0


# ---------------------------------------------------------------------------
# LinkedIn and Instagram: UTF-16 code units
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("platform", ["linkedin", "instagram"])
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello", 5),
        ("日本語", 3),
        (FACE, 2),  # an astral character is two UTF-16 code units
        (FAMILY, 11),
        (FLAG_JP, 4),
        ("e\u0301", 2),
        (LONG_URL, len(LONG_URL)),
    ],
)
def test_linkedin_and_instagram_count_utf16_code_units(platform, expected, text):
    assert length(text, platform) == expected


def test_linkedin_and_instagram_limits():
    assert not count_characters("a" * 3000, "linkedin").over
    assert count_characters("a" * 3001, "linkedin").over
    assert not count_characters("a" * 2200, "instagram").over
    assert count_characters("a" * 2201, "instagram").over
    assert count_characters(FACE * 1101, "instagram").over  # 2,202 code units


# ---------------------------------------------------------------------------
# Webhook and outbox: no limit
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("platform", ["webhook", "outbox"])
def test_webhook_and_outbox_are_unlimited(platform):
    count = count_characters("a" * 100_000, platform)
    assert count.limit is None
    assert count.remaining is None
    assert not count.over
    assert count.length == 100_000
    assert length(FAMILY + FLAG_JP, platform) == 2


# ---------------------------------------------------------------------------
# Never raises
# ---------------------------------------------------------------------------

PLATFORMS = sorted(PLATFORM_LIMITS)

AWKWARD = [
    "",
    "\x00",
    "a\x00b\x00",
    "\ud800",  # lone high surrogate
    "\udfff",  # lone low surrogate
    "\udc00\ud800",  # reversed pair
    "https://\ud800.com/\udfff",
    "@\ud800@\udfff.com",
    "\ufeff\ufffe\uffff",
    "\u202e\u2066\u2069",
    "\U0010ffff\U000e0001",
    "\u0301" * 50,  # combining marks with no base
    "\u200d" * 50,
    "\ufe0f\u20e3",
    "\U0001f3fb",  # a skin tone on its own
    "\U0001f1ef",  # half a flag
    "xn--",
    "xn--.com",
    "http://",
    "https://.com",
    "@@@",
    "#️⃣example.com",
    "é" + "example.com/path",
]


def _100k(start, repeated, end=""):
    """``start``, then ``repeated`` over and over, then ``end``: 100,000 characters."""
    middle = 100_000 - len(start) - len(end)
    return start + (repeated * (middle // len(repeated) + 1))[:middle] + end


HUGE = {
    "latin": _100k("", "a"),
    "cjk": _100k("", "日"),
    "emoji": _100k("", FAMILY),
    "flags": _100k("", "\U0001f1ef"),
    "marks": _100k("a", "\u0301"),
    "urls": _100k("", "https://example.com/x "),
    "bare domains": _100k("", "example.com "),
    "dotted": _100k("", "a."),
    "no tld": _100k("", "日", ".日"),
    "hyphens": _100k("", "a-", ".com"),
    "after cashtag": _100k("$", "日", ".com"),
    "mentions": _100k("", "@a@b.example "),
    "parens": _100k("https://example.com/", "("),
    "long path": _100k("https://example.com/", "a!"),
}


def _check(text):
    for platform in PLATFORMS:
        count = count_characters(text, platform)
        assert isinstance(count.length, int)
        assert count.length >= 0
        if count.limit is not None:
            assert count.remaining == count.limit - count.length


@pytest.mark.parametrize("text", AWKWARD)
def test_awkward_strings_never_raise(text):
    _check(text)


def test_lone_surrogates_are_counted():
    assert length("\ud800", "x") == 2
    assert length("\ud800", "bluesky") == 1
    assert length("\ud800", "linkedin") == 1
    assert count_characters("\ud800", "bluesky").byte_length == 3


def test_big_list_of_naughty_strings_never_raises():
    strings = json.loads(BLNS.read_text(encoding="utf-8"))
    assert len(strings) > 500
    for text in strings:
        _check(text)


@pytest.mark.parametrize("name", sorted(HUGE))
def test_100000_characters_never_raise_and_stay_fast(name):
    text = HUGE[name]
    assert len(text) == 100_000
    started = time.perf_counter()
    _check(text)
    # Every platform together takes well under two seconds; a quadratic
    # regression in the URL or grapheme scanning takes minutes.
    assert time.perf_counter() - started < 30


FRAGMENTS = st.sampled_from(
    [
        "a",
        "Z",
        "9",
        " ",
        "\n",
        "\r\n",
        ".",
        "/",
        "-",
        "_",
        "@",
        "#",
        "$",
        "(",
        ")",
        "?",
        "=",
        "é",
        "日",
        "\u0301",
        "\u200d",
        "\ufe0f",
        "\u20e3",
        "\U0001f1ef",
        FACE,
        FAMILY,
        THUMBS_UP_MEDIUM,
        "example.com",
        "https://",
        "http://example.com/path",
        "t.co/",
        "@bob@example.social",
        "xn--",
        ".jp",
        "\ud800",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=()), max_size=200))
def test_any_text_never_raises(text):
    _check(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(FRAGMENTS, max_size=40).map("".join))
def test_any_mix_of_urls_mentions_and_emoji_never_raises(text):
    _check(text)
    graphemes = length(text, "webhook")
    assert length(text, "bluesky") == graphemes
    assert length(text, "linkedin") >= graphemes  # code units >= graphemes
