"""Demo data: brands `demo` and `acme`, their people, channels, policy and posts.

Idempotent: running it again changes nothing that is already there. Users are only ever
created (with the demo password); an existing user's password is never touched.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Brand, Channel, Platform, Role, User
from planner.engagement import services as engagement_services
from planner.models import Conversation
from platforms.engagement import RemoteMessage
from policy import services as policy_services
from policy.training import services as training_services

DEMO_USERS = {
    # username: (first name, roles in demo)
    "author": ("Alex Author", [Role.AUTHOR]),
    "approver1": ("Ada Approver", [Role.APPROVER]),
    "approver2": ("Bo Approver", [Role.APPROVER]),
    "trainer": ("Tess Trainer", [Role.TRAINER]),
    "admin": ("Ari Admin", [Role.ADMIN, Role.APPROVER]),
}


def _user(
    username: str, *, full_name: str, password: str, staff: bool = False, kept: list | None = None
) -> User:
    """The demo user, created with the demo password if missing. An existing user is left
    exactly as it is (password, names, staff flags): on a database that already has an
    ``admin``, seeding must never hand it the public demo password."""
    user = User.objects.filter(username=username).first()
    if user is not None:
        if kept is not None:
            kept.append(username)
        return user
    first, _, last = full_name.partition(" ")
    user = User(
        username=username,
        email=f"{username}@example.com",
        first_name=first,
        last_name=last,
        is_staff=staff,
        is_superuser=staff,
    )
    user.set_password(password)
    user.save()
    return user


def _brand(slug: str, *, name: str, colour: str, timezone_name: str) -> Brand:
    brand = Brand.objects.filter(slug=slug).first()
    if brand is None:
        brand = account_services.brand_create(
            slug=slug, name=name, colour=colour, timezone_name=timezone_name, created_by=None
        )
    return brand


def _outbox(brand: Brand, handle: str) -> Channel:
    channel = Channel.objects.filter(brand=brand, platform=Platform.OUTBOX).first()
    if channel is None:
        channel = account_services.channel_create_outbox(brand=brand, handle=handle, actor=None)
    return channel


@transaction.atomic
def demo_seed(*, password: str) -> dict:
    demo = _brand("demo", name="Demo Kitchen Co.", colour="#c2185b", timezone_name="Europe/London")
    acme = _brand("acme", name="Acme Motors", colour="#1565c0", timezone_name="America/Detroit")
    _outbox(demo, "@demokitchen")
    _outbox(acme, "@acmemotors")
    users = {}
    kept: list[str] = []
    for username, (full_name, roles) in DEMO_USERS.items():
        user = _user(
            username,
            full_name=full_name,
            password=password,
            staff=username == "admin",
            kept=kept,
        )
        account_services.membership_set(brand=demo, user=user, roles=roles, actor=None)
        users[username] = user
    acme_author = _user("acme_author", full_name="Casey Acme", password=password, kept=kept)
    account_services.membership_set(brand=acme, user=acme_author, roles=[Role.AUTHOR], actor=None)
    account_services.membership_set(brand=acme, user=users["admin"], roles=[Role.ADMIN], actor=None)
    for brand in (demo, acme):
        policy_services.policy_ensure(brand=brand)
    # the demo brand's own hashtags: any other hashtag in a post warns until it is vetted
    policy_services.hashtags_learn(
        brand_id=demo.pk, tags=["#DemoBakes", "#DemoKitchen", "#TestKitchen"], source="own"
    )
    _demo_quiz(demo)
    if _demo_posts(demo, author=users["author"], posts=DEMO_POSTS):
        _demo_lifecycle(demo, users=users)
    _demo_posts(acme, author=acme_author, posts=ACME_POSTS)
    _demo_conversations(demo)
    return {"brands": [demo, acme], "users": users, "kept": kept}


# (day of the month, local time, category, text) — spread over the current month.
DEMO_POSTS = [
    (2, "09:00", "news", "New season, new menu: our spring recipes are live on the blog."),
    (5, "12:30", "engagement", "What's the one gadget you could not cook without? Tell us below."),
    (8, "17:00", "promotional", "The stand mixer is 20% off this weekend only. #ad"),
    (11, "10:15", "support", "Kettle lid sticking? Our care guide has a two-minute fix."),
    (
        14,
        "08:45",
        "user_generated",
        "Look at this sourdough from @breadhead! Share yours with #DemoBakes",
    ),
    (17, "13:00", "engagement", "Sweet or savoury pancakes? Vote now."),
    (20, "18:30", "news", "We're opening a test kitchen in Leeds next month."),
    (23, "09:30", "promotional", "Bundle the toaster and kettle and save. Link in bio. #ad"),
    (26, "11:00", "support", "Our support line is open until 8pm today."),
    (28, "16:00", "engagement", "Caption this photo of our office dog in the test kitchen."),
]
ACME_POSTS = [
    (3, "10:00", "news", "The 2027 Roadster is here: first drives start this week."),
    (12, "14:00", "promotional", "Book a test drive and get a free detailing voucher. #ad"),
    (21, "09:00", "engagement", "Road trip playlists: what's on yours?"),
]


def _demo_posts(brand: Brand, *, author: User, posts: list) -> bool:
    """Drafts across the current month on the brand's outbox channel, once: a brand that
    already has posts is left alone. Returns whether it made them."""
    import calendar
    import datetime as dt

    from django.utils import timezone

    from planner.models import Post
    from planner.posts import services as planner_services
    from planner.timeutil import local_to_utc

    if Post.objects.filter(brand=brand).exists():
        return False
    channel = Channel.objects.filter(brand=brand, platform=Platform.OUTBOX).first()
    if channel is None:
        return False
    today = timezone.now().astimezone(brand.tz).date()
    last_day = calendar.monthrange(today.year, today.month)[1]
    campaign = planner_services.campaign_create(
        brand=brand, actor=author, name="This month's highlights", colour=brand.colour
    )
    for day, clock, category, text in posts:
        local = dt.datetime.combine(
            today.replace(day=min(day, last_day)), dt.time.fromisoformat(clock)
        )
        post = planner_services.post_create(
            brand=brand,
            actor=author,
            channel=channel,
            text=text,
            category=category,
            scheduled_at=local_to_utc(local, brand.tz),
            campaign=campaign if category == "promotional" else None,
        )
        if category == "user_generated":  # customer content: credited, with a permission
            from planner.strategy import services as strategy_services

            strategy_services.customer_credit_record(
                post=post,
                actor=author,
                author_handle="@breadhead",
                source_url="https://social.example/@breadhead/1",
                permission_from="@breadhead",
                permission_at=timezone.now(),
                permission_how="Replied “yes, go ahead” to our message",
            )
    return True


def _demo_lifecycle(brand: Brand, *, users: dict) -> None:
    """Show the whole lifecycle: posts awaiting approval, an approved one, and one approved
    to go out a couple of minutes after the demo starts (watch it publish to the outbox)."""
    import datetime as dt

    from django.utils import timezone

    from planner.models import Post, Status
    from planner.posts import services as planner_services
    from planner.review import services as review_services

    author, first, second = users["author"], users["approver1"], users["approver2"]
    upcoming = list(
        Post.objects.filter(brand=brand, status=Status.DRAFT, scheduled_at__gt=timezone.now())
        .order_by("scheduled_at")
        .values_list("pk", flat=True)
    )
    for index, pk in enumerate(upcoming[:3]):
        review_services.post_submit(post_id=pk, actor=author)
        if index == 0:  # fully approved; the others wait in the approvers' inbox
            for approver in (first, second):
                review_services.approval_grant(post_id=pk, actor=approver)
    channel = Channel.objects.filter(brand=brand, platform=Platform.OUTBOX).first()
    soon = planner_services.post_create(
        brand=brand,
        actor=author,
        channel=channel,
        text="Good morning from the Demo Kitchen! Fresh scones are out of the oven.",
        category="engagement",
        scheduled_at=timezone.now() + dt.timedelta(minutes=2),
    )
    review_services.post_submit(post_id=soon.pk, actor=author)
    for approver in (first, second):
        review_services.approval_grant(post_id=soon.pk, actor=approver)


DEMO_QUIZ_TITLE = "Demo Kitchen policy basics"
# (prompt, explanation, [(choice, correct), ...]) — hand-written, single answer.
DEMO_QUIZ_QUESTIONS = [
    (
        "You meant to post from your own account, but the composer shows the brand's "
        "channel. What do you do?",
        "Countersign shows who a post will go out as on every screen. If it is not the account "
        "you meant, stop: brand channels are for brand posts only.",
        [
            ("Stop and post it from my own account instead", True),
            ("Post it: it is only a small joke", False),
            ("Post it and delete it later if someone complains", False),
        ],
    ),
    (
        "A policy rule marked 'warn' finds something in your post. What happens on submit?",
        "Only 'block' findings refuse a post. A warning travels with the post so the approvers "
        "see it and decide.",
        [
            ("The post is submitted; approvers see the warning", True),
            ("The post is refused until the warning is fixed", False),
            ("The post is published at once", False),
        ],
    ),
    (
        "Why does a blocked topic written with dots or digits (B.r.e.x.1.t) not get through?",
        "The policy engine reads disguised spellings (separators, leetspeak, look-alike "
        "letters, repeated letters) as the plain word.",
        [
            ("The policy sees through disguised spellings", True),
            ("It does get through: the check only looks for exact words", False),
            ("Approvers remove the dots before publishing", False),
        ],
    ),
]
DEMO_QUIZ_RULES = [
    "sensitive-politics",
    "sensitive-elections",
    "sensitive-tragedies",
    "sensitive-religion",
]


def _demo_quiz(brand: Brand) -> None:
    """A published quiz on the demo policy: three hand-written questions and four generated
    from its sensitive-topics rules. Made once; left alone when it exists."""
    from policy.models import Quiz

    if Quiz.objects.filter(brand=brand, title=DEMO_QUIZ_TITLE).exists():
        return
    quiz = training_services.quiz_create(
        brand=brand,
        actor=None,
        title=DEMO_QUIZ_TITLE,
        description="Five minutes on what may go out on Demo Kitchen Co.'s channels.",
        pass_mark=80,
        cooldown_minutes=60,
        certifies_author=True,
        certifies_approver=True,
    )
    for prompt, explanation, choices in DEMO_QUIZ_QUESTIONS:
        training_services.question_create(
            quiz=quiz,
            actor=None,
            prompt=prompt,
            kind="single",
            explanation=explanation,
            choices=[training_services.ChoiceInput(text, correct) for text, correct in choices],
        )
    from policy import selectors as policy_selectors

    rules = {r["id"] for r in policy_selectors.policy_current(brand=brand).rules}
    training_services.quiz_generate(
        quiz=quiz,
        actor=None,
        count=4,
        rule_ids=[r for r in DEMO_QUIZ_RULES if r in rules] or None,
        seed=7,
    )
    training_services.quiz_publish(quiz=quiz, actor=None)


# (id, handle, name, hours ago, text, the id it answers): mentions of the demo brand's
# outbox channel, which stands in for a platform in the inbox as it does for publishing.
DEMO_MENTIONS = [
    (
        "1",
        "sam_bakes",
        "Sam",
        0.3,
        "@demokitchen does the stand mixer come with a dough hook? Thinking of ordering this week.",
        "",
    ),
    (
        "2",
        "priya_cooks",
        "Priya",
        52,
        "@demokitchen my kettle order still hasn't arrived and "
        "nobody answers my emails. Can someone help?",
        "",
    ),
    ("3", "priya_cooks", "Priya", 30, "@demokitchen order number is 4471, placed on the 2nd.", "2"),
    (
        "4",
        "grumpy_gus",
        "Gus",
        5,
        "@demokitchen your recipes are rubbish and so is your customer service.",
        "",
    ),
    (
        "5",
        "lee_eats",
        "Lee",
        3,
        "@demokitchen the brownie recipe was a hit at our party, thank you!",
        "",
    ),
]


def _overdue_shift(brand: Brand, now: dt.datetime) -> dt.timedelta:
    """How much further back the mentions a day old or more go so that the oldest is
    overdue by the brand's business hours whatever the day: two days before a Sunday or a
    Monday is a weekend, when the clock does not run (the mentions keep their order)."""
    clock = engagement_services.brand_clock(brand)
    oldest = now - dt.timedelta(hours=max(m[3] for m in DEMO_MENTIONS))
    shift = dt.timedelta()
    for _ in range(14):
        _, due = clock.due_times(oldest - shift)
        if due is None or due < now:
            break
        shift += dt.timedelta(days=1)
    return shift


def _demo_conversations(brand: Brand) -> None:
    """A few people writing to the demo brand: one just in, one overdue with a follow-up,
    an unfriendly one and a thank-you (once: nothing when the brand has conversations)."""
    if Conversation.objects.filter(brand=brand).exists():
        return
    channel = Channel.objects.filter(brand=brand, platform=Platform.OUTBOX).first()
    if channel is None:
        return
    now = timezone.now()
    shift = _overdue_shift(brand, now)
    messages = [
        RemoteMessage(
            remote_id=f"demo-mention-{rid}",
            kind="reply" if parent else "mention",
            text=text,
            author_remote_id=f"demo-person:{handle}",
            author_handle=f"@{handle}",
            author_display_name=name,
            created_at=now - dt.timedelta(hours=hours) - (shift if hours >= 24 else dt.timedelta()),
            in_reply_to=f"demo-mention-{parent}" if parent else "",
        )
        for rid, handle, name, hours, text, parent in sorted(DEMO_MENTIONS, key=lambda m: -m[3])
    ]
    engagement_services.inbox_ingest(channel=channel, messages=messages, now=now)
