"""The one set of post filters, shared by the list page, the calendar and the API.

Choices are limited to the brand's own channels, campaigns and people, so a filter value
from another brand is simply invalid (a 400 in the API, a message on the page).
"""

from __future__ import annotations

import django_filters

from accounts.models import Brand
from planner.models import Category, Post, Status
from planner.posts import selectors

MAX_QUERY_CHARS = 200


class PostFilter(django_filters.FilterSet):
    channel = django_filters.ModelChoiceFilter(queryset=None, field_name="channel")
    campaign = django_filters.ModelChoiceFilter(queryset=None, field_name="campaign")
    status = django_filters.ChoiceFilter(choices=Status.choices)
    category = django_filters.ChoiceFilter(choices=Category.choices)
    author = django_filters.ModelChoiceFilter(queryset=None, field_name="author")
    q = django_filters.CharFilter(
        field_name="text",
        lookup_expr="icontains",
        label="Text contains",
        max_length=MAX_QUERY_CHARS,
        strip=False,
    )

    class Meta:
        model = Post
        fields = ["channel", "campaign", "status", "category", "author", "q"]

    def __init__(self, data=None, *, brand: Brand, queryset=None, **kwargs):
        super().__init__(data, queryset=queryset, **kwargs)
        self.brand = brand
        self.filters["channel"].queryset = selectors.channel_choices(brand=brand)
        self.filters["campaign"].queryset = selectors.campaign_list(brand=brand)
        self.filters["author"].queryset = selectors.brand_people(brand=brand)
        for field in ("channel", "campaign", "status", "category", "author"):
            self.filters[field].extra["empty_label"] = "Any"
