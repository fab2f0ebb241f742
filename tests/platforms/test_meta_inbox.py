"""The inbox side of Facebook Pages and Instagram against the fake Graph API: comments read
page by page from a cursor (``since``, ``after``), the usage headers read, replies sent
and found again after a lost answer, comments hidden, and the Graph error shapes."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from platforms import AuthenticationFailed, PlatformUnavailable, PublishRejected
from platforms.engagement import rate_limit_from
from platforms.errors import OutcomeUnknown, PlatformError
from platforms.facebook import OVERLAP_SECONDS, FacebookClient
from platforms.instagram import InstagramClient
from tests.fakes.graph import FakeGraph, V
from tests.fakes.guard import loopback_only

PAGE, IG = "601", "701"


@pytest.fixture(autouse=True)
def _loopback_only():
    with loopback_only():
        yield


@pytest.fixture
def fake():
    with FakeGraph() as server:
        server.page_token = server.add_page(PAGE, "Brand Co", ig={"id": IG, "username": "brandco"})
        yield server


def client(fake, cls=FacebookClient):
    made = cls(instance_url=fake.url, credential={"access_token": fake.page_token}, timeout=5)
    made._sleep = lambda seconds: None
    return made


def age(fake, comment_id: str, seconds: float) -> None:
    """Make a comment (and its post's activity) older, as if written ``seconds`` ago."""
    with fake.lock:
        fake._objects[comment_id]["created"] -= seconds


def walk(c, cursor: str = "", *, limit: int = 0, own: str = PAGE):
    """Read until the walk ends: (messages, cursor, pages)."""
    messages, pages = [], 0
    while True:
        page = c.notifications(own_remote_id=own, cursor=cursor, limit=limit)
        messages += page.messages
        cursor, pages = page.cursor, pages + 1
        assert pages < 200
        if not page.more:
            return messages, cursor, pages


def graph_error_body(code: int, message: str = "error", subcode=None) -> dict:
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "Ab1"}
    if subcode:
        error["error_subcode"] = subcode
    return {"error": error}


# --- Facebook ------------------------------------------------------------------------------


def test_facebook_comments_are_read_once_across_pages_and_posts(fake):
    fb = client(fake)
    posts = [fb.publish(text=f"Post {n}", idempotency_key=f"p{n}").remote_id for n in range(3)]
    written = []
    for n in range(70):
        written.append(
            fake.add_comment(
                on=posts[n % 3], author={"id": f"90{n % 7}", "name": f"Fan {n % 7}"}, text=f"q{n}"
            )
        )
    for n in range(10):  # replies, one level deep
        written.append(
            fake.add_comment(
                on=posts[0], reply_to=written[n * 3]["id"], author={"id": "9100"}, text=f"r{n}"
            )
        )
    # The Page's own answers are not inbox items.
    fb.reply(text="Thanks!", idempotency_key="reply-own", in_reply_to=written[0]["id"])
    messages, cursor, pages = walk(fb, limit=20)
    assert sorted(m.remote_id for m in messages) == sorted(c["id"] for c in written)
    assert pages >= 5  # paged: 80 comments, 20 a page, over three posts
    by_id = {m.remote_id: m for m in messages}
    top = by_id[written[0]["id"]]
    assert (top.kind, top.in_reply_to, top.author_remote_id) == ("reply", posts[0], "900")
    assert top.author_handle == "Fan 0" and top.url.startswith("https://www.facebook.com/")
    answer = by_id[written[70]["id"]]
    assert answer.in_reply_to == written[0]["id"] == answer.thread_root
    assert json.loads(cursor).keys() == {"hw"}
    # Every request asked for every level, oldest first.
    reads = [
        r for r in fake.requests_log() if r["path"].endswith("/comments") and r["method"] == "GET"
    ]
    assert reads and all("filter=stream" in r["query"] for r in reads)
    assert all("order=chronological" in r["query"] for r in reads)


def test_facebook_next_walk_reads_from_since_and_only_posts_with_activity(fake):
    fb = client(fake)
    quiet = fb.publish(text="Quiet post", idempotency_key="q").remote_id
    busy = fb.publish(text="Busy post", idempotency_key="b").remote_id
    old = [
        fake.add_comment(on=post, author={"id": "9001", "name": "Carol"}, text="old")
        for post in (quiet, busy)
    ]
    _, cursor, _ = walk(fb)
    hw = json.loads(cursor)["hw"]
    assert abs(hw - time.time()) < 30
    for comment in old:  # long ago, as far as the next walk is concerned
        age(fake, comment["id"], 3600)
    with fake.lock:
        fake._objects[quiet]["created"] -= 3600
    before = len(fake.requests_log())
    new = fake.add_comment(on=busy, author={"id": "9002", "name": "Dan"}, text="anyone?")
    messages, cursor2, _ = walk(fb, cursor)
    assert [m.remote_id for m in messages] == [new["id"]]
    reads = [r for r in fake.requests_log()[before:] if r["path"].endswith("/comments")]
    assert [r["path"] for r in reads] == [f"{V}/{busy}/comments"]  # the quiet post is skipped
    assert f"since={hw - OVERLAP_SECONDS}" in reads[0]["query"]
    assert json.loads(cursor2)["hw"] >= hw


def test_a_bad_stored_cursor_starts_a_full_walk(fake):
    fb = client(fake)
    post = fb.publish(text="Hello", idempotency_key="h").remote_id
    comment = fake.add_comment(on=post, author={"id": "9001", "name": "Carol"}, text="hi")
    for cursor in ("not json", '{"hw": "x", "src": "../me"}', "[]", '{"after": "x"}'):
        messages, _, _ = walk(fb, cursor)
        assert [m.remote_id for m in messages] == [comment["id"]]


def test_the_usage_headers_are_read_as_a_budget(fake):
    fb = client(fake)
    post = fb.publish(text="Hello", idempotency_key="h").remote_id
    fake.add_comment(on=post, author={"id": "9001", "name": "Carol"}, text="hi")
    fake.configure(usage={"X-App-Usage": {"call_count": 97, "total_time": 12, "total_cputime": 3}})
    page = fb.notifications(own_remote_id=PAGE)
    assert (page.rate_limit.limit, page.rate_limit.remaining) == (100, 3)
    assert page.rate_limit.reset_at is None
    usage = {PAGE: [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 12}]}
    fake.configure(usage={"X-Business-Use-Case-Usage": usage})
    page = fb.notifications(own_remote_id=PAGE)
    assert page.rate_limit.remaining == 0
    wait = page.rate_limit.reset_at - datetime.now(UTC)
    assert timedelta(minutes=11) < wait <= timedelta(minutes=12)
    fake.configure(usage={"X-Page-Usage": {"call_count": 40, "total_cputime": 55}})
    assert fb.notifications(own_remote_id=PAGE).rate_limit.remaining == 45


@pytest.mark.parametrize(
    "headers",
    [
        {"X-App-Usage": "not json"},
        {"X-App-Usage": "[1, 2]"},
        {"X-Business-Use-Case-Usage": '{"1": [{"call_count": "lots"}]}'},
        {"X-Page-Usage": '{"call_count": true, "estimated_time_to_regain_access": -5}'},
    ],
)
def test_unreadable_usage_headers_say_nothing(headers):
    class Answer:
        def __init__(self, headers):
            self.headers = headers

    limit = rate_limit_from(Answer(headers))
    assert (limit.limit, limit.remaining, limit.reset_at) == (None, None, None)


@pytest.mark.parametrize("code", [4, 17, 32, 613])
def test_graph_throttling_codes_are_unavailable_with_the_wait(fake, code):
    fb = client(fake)
    fb.publish(text="Hello", idempotency_key="h")
    usage = {"1": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 9}]}
    fake.add_fault(
        fail_next=1,
        status=400 if code != 613 else 403,
        body=graph_error_body(code, f"(#{code}) Application request limit reached"),
        headers={"X-Business-Use-Case-Usage": json.dumps(usage)},
        path=f"{V}/{PAGE}/feed",
        method="GET",
    )
    with pytest.raises(PlatformUnavailable) as caught:
        fb.notifications(own_remote_id=PAGE)
    assert caught.value.retry_after == 9 * 60


def test_the_fakes_own_page_limit_backs_off_too(fake):
    fb = client(fake)
    post = fb.publish(text="Hello", idempotency_key="h").remote_id
    fake.add_comment(on=post, author={"id": "9001", "name": "Carol"}, text="hi")
    fake.configure(rate_limits={"/comments": 0})
    with pytest.raises(PlatformUnavailable) as caught:
        fb.notifications(own_remote_id=PAGE)
    assert caught.value.retry_after == 7 * 60


def test_graph_errors_expired_token_and_invalid_parameter(fake):
    fb = client(fake)
    post = fb.publish(text="Hello", idempotency_key="h").remote_id
    comment = fake.add_comment(on=post, author={"id": "9001", "name": "Carol"}, text="hi")
    fake.add_fault(
        fail_next=1,
        status=400,
        body=graph_error_body(190, "Error validating access token: Session has expired", 463),
        path=f"{V}/{PAGE}/feed",
        method="GET",
    )
    with pytest.raises(AuthenticationFailed, match="Reconnect"):
        fb.notifications(own_remote_id=PAGE)
    fake.add_fault(
        fail_next=1,
        status=400,
        body=graph_error_body(100, "(#100) Invalid parameter"),
        path=f"{V}/{post}/comments",
        method="GET",
    )
    with pytest.raises(PlatformError, match="Invalid parameter") as caught:
        fb.notifications(own_remote_id=PAGE)
    assert not isinstance(caught.value, PlatformUnavailable | AuthenticationFailed)
    # A write refused with 100 is a refusal of the reply, never retried.
    fake.add_fault(
        fail_next=1,
        status=400,
        body=graph_error_body(100, "(#100) Invalid parameter"),
        path=f"{V}/{comment['id']}/comments",
        method="POST",
    )
    with pytest.raises(PublishRejected):
        fb.reply(text="Hello", idempotency_key="reply-1", in_reply_to=comment["id"])
    # Garbage instead of JSON is an error, not a crash.
    fake.add_fault(
        fail_next=1, status=200, body="<html>", path=f"{V}/{post}/comments", method="GET"
    )
    with pytest.raises(PlatformError):
        fb.notifications(own_remote_id=PAGE)


def test_facebook_reply_goes_under_the_comment_and_a_lost_answer_is_found(fake):
    fb = client(fake)
    post = fb.publish(text="Hello", idempotency_key="h").remote_id
    top = fake.add_comment(on=post, author={"id": "9001", "name": "Carol"}, text="hi")
    result = fb.reply(text="Hi Carol!", idempotency_key="reply-a", in_reply_to=top["id"])
    [sent] = [c for c in fake.comments() if c["author"]["id"] == PAGE]
    assert (sent["id"], sent["parent"], sent["text"]) == (result.remote_id, top["id"], "Hi Carol!")
    # The answer to the next one is lost after the comment was stored.
    answer = fake.add_comment(
        on=post, reply_to=top["id"], author={"id": "9002", "name": "Dan"}, text="me too"
    )
    fake.add_fault(drop_next=1, when="after_store", path=f"{V}/{answer['id']}/comments")
    since = datetime.now(UTC)
    with pytest.raises(OutcomeUnknown):
        fb.reply(text="Hi  Dan!", idempotency_key="reply-b", in_reply_to=answer["id"])
    found = fb.lookup_reply(
        idempotency_key="reply-b",
        text="Hi Dan!",
        since=since,
        in_reply_to=answer["id"],
        root=top["id"],
    )
    mine = [c for c in fake.comments() if c["author"]["id"] == PAGE]
    assert len(mine) == 2 and found.remote_id == mine[1]["id"]
    assert mine[1]["parent"] == top["id"]  # a reply to a reply joins the top-level comment
    assert (
        fb.lookup_reply(
            idempotency_key="reply-c", text="never sent", since=since, in_reply_to=top["id"]
        )
        is None
    )
    with pytest.raises(PlatformError):
        fb.reply(text="x", idempotency_key="reply-d", in_reply_to="../me/feed")


def test_facebook_hide_a_comment(fake):
    fb = client(fake)
    post = fb.publish(text="Hello", idempotency_key="h").remote_id
    rude = fake.add_comment(on=post, author={"id": "9001", "name": "Troll"}, text="rude")
    assert fb.hide(message_id=rude["id"]) == {"id": rude["id"], "hidden": True}
    assert fb.hide(message_id=rude["id"])["hidden"] is True  # again: no error
    [stored] = [c for c in fake.comments() if c["id"] == rude["id"]]
    assert stored["hidden"] is True
    hides = [r for r in fake.requests_log() if r["path"] == f"{V}/{rude['id']}"]
    assert hides and all(r["method"] == "POST" for r in hides)
    own = fb.reply(text="ours", idempotency_key="reply-o", in_reply_to=rude["id"])
    with pytest.raises(PlatformError, match="own comment"):
        fb.hide(message_id=own.remote_id)
    with pytest.raises(PlatformError):
        fb.hide(message_id="1 OR 1")


def test_another_pages_token_cannot_read_or_hide(fake):
    fb = client(fake)
    post = fb.publish(text="Hello", idempotency_key="h").remote_id
    comment = fake.add_comment(on=post, author={"id": "9001", "name": "Carol"}, text="hi")
    other_token = fake.add_page("602", "Other Page")
    other = FacebookClient(instance_url=fake.url, credential={"access_token": other_token})
    with pytest.raises(AuthenticationFailed):
        other.hide(message_id=comment["id"])
    with pytest.raises(AuthenticationFailed):
        other.thread(comment["id"])


# --- Instagram -----------------------------------------------------------------------------


def ig_media(fake, caption: str = "A picture") -> str:
    return fake._new("ig_media", ig=IG, caption=caption, published_post=True)


def test_instagram_comments_and_their_replies_are_read_once(fake):
    ig = client(fake, InstagramClient)
    media = [ig_media(fake, f"m{n}") for n in range(2)]
    written = []
    for n in range(30):
        written.append(
            fake.add_comment(
                on=media[n % 2], author={"id": f"80{n % 4}", "username": f"fan{n % 4}"}, text=f"{n}"
            )
        )
    replies = [
        fake.add_comment(
            on=media[0], reply_to=written[0]["id"], author={"id": "8100", "username": "amy"}, text=t
        )
        for t in ("yes", "same")
    ]
    ig.reply(text="Thank you", idempotency_key="reply-own", in_reply_to=written[0]["id"])
    messages, cursor, pages = walk(ig, limit=10, own=IG)
    assert sorted(m.remote_id for m in messages) == sorted(c["id"] for c in written + replies)
    assert pages >= 3
    by_id = {m.remote_id: m for m in messages}
    first = by_id[written[0]["id"]]
    assert (first.author_handle, first.author_remote_id, first.in_reply_to) == (
        "@fan0",
        "800",
        media[0],
    )
    assert by_id[replies[1]["id"]].in_reply_to == written[0]["id"]
    # Instagram takes no ``since``: what the last walk read is dropped on our side.
    for c in written + replies:
        age(fake, c["id"], 3600)
    late = fake.add_comment(on=media[1], author={"id": "8200", "username": "zoe"}, text="late")
    again, _, _ = walk(ig, cursor, own=IG)
    assert [m.remote_id for m in again] == [late["id"]]


def test_instagram_reply_lookup_and_hide(fake):
    ig = client(fake, InstagramClient)
    media = ig_media(fake)
    top = fake.add_comment(on=media, author={"id": "8001", "username": "zed"}, text="nice")
    nested = fake.add_comment(
        on=media, reply_to=top["id"], author={"id": "8002", "username": "amy"}, text="yes"
    )
    since = datetime.now(UTC)
    fake.add_fault(drop_next=1, when="after_store", path=f"{V}/{nested['id']}/replies")
    with pytest.raises(OutcomeUnknown):
        ig.reply(text="Thanks Amy", idempotency_key="reply-i", in_reply_to=nested["id"])
    found = ig.lookup_reply(
        idempotency_key="reply-i",
        text="Thanks Amy",
        since=since,
        in_reply_to=nested["id"],
        root=top["id"],
    )
    [mine] = [c for c in fake.comments() if c["author"]["id"] == IG]
    assert found.remote_id == mine["id"] and mine["parent"] == top["id"]
    assert ig.hide(message_id=nested["id"]) == {"id": nested["id"], "hidden": True}
    hides = [r for r in fake.requests_log() if r["path"] == f"{V}/{nested['id']}"]
    assert hides[-1]["method"] == "POST"
    # Instagram refuses to answer a hidden comment: a refusal, not sent again.
    with pytest.raises(PublishRejected, match="hidden"):
        ig.reply(text="Hello?", idempotency_key="reply-j", in_reply_to=nested["id"])
