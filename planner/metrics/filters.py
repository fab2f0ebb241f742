"""The dashboard's filters from a query string: date range, channel, campaign."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import permissions
from accounts.models import Brand
from planner.metrics.dashboard import Filters
from planner.models import Campaign
from planner.timeutil import parse_instant

DEFAULT_DAYS = 30
MAX_DAYS = 370


def _int(raw, name: str) -> int | None:
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationError({name: f"{name} must be an id."}) from None
    if not 0 < value < 2**63:
        raise ValidationError({name: f"{name} must be an id."})
    return value


def filters_from(params, *, user, brand: Brand) -> Filters:
    """Validated filters (400 with the reason for bad input; channels and campaigns of other
    brands do not exist here). Dates are midnight in the brand's zone; ``end`` is exclusive
    of the following day when a date is given."""
    errors: dict[str, list[str]] = {}
    today = timezone.now().astimezone(brand.tz).date()
    bounds = {}
    for name, default in (("start", today - dt.timedelta(days=DEFAULT_DAYS - 1)), ("end", today)):
        raw = params.get(name) or default.isoformat()
        try:
            value = parse_instant(str(raw)[:40], tz=brand.tz, field=name)
        except ValidationError as exc:
            errors[name] = exc.message_dict.get(name, exc.messages)
            continue
        if name == "end" and len(str(raw)) <= 10:
            value += dt.timedelta(days=1)  # a date: the whole of that day
        bounds[name] = value
    if not errors and bounds["end"] <= bounds["start"]:
        errors["end"] = ["end must be after start."]
    elif not errors and (bounds["end"] - bounds["start"]).days > MAX_DAYS:
        errors["end"] = [f"The range is longer than {MAX_DAYS} days."]
    try:
        channel_id = _int(params.get("channel"), "channel")
        campaign_id = _int(params.get("campaign"), "campaign")
    except ValidationError as exc:
        errors.update(exc.message_dict)
        channel_id = campaign_id = None
    if errors:
        raise ValidationError(errors)
    channels = tuple(permissions.channels_for(user, brand, checked=True))
    if channel_id is not None:
        channels = tuple(c for c in channels if c.pk == channel_id)
        if not channels:
            raise ValidationError({"channel": ["No such channel in this brand."]})
    if (
        campaign_id is not None
        and not Campaign.objects.filter(brand=brand, pk=campaign_id).exists()
    ):
        raise ValidationError({"campaign": ["No such campaign in this brand."]})
    return Filters(
        brand=brand,
        start=bounds["start"],
        end=bounds["end"],
        channels=channels,
        campaign_id=campaign_id,
    )
