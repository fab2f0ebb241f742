"""The API's list pagination: DRF's ``?limit=&offset=``, both bounded."""

from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination


class Pagination(LimitOffsetPagination):
    """``limit`` is capped at ``max_limit`` (a larger one gets that many, with ``next``), and
    ``offset`` at a number every database takes: an offset past the last item is an empty
    page, never an integer overflow in the SQL."""

    max_limit = 1000
    max_offset = 2**31 - 1

    def get_offset(self, request) -> int:
        return min(super().get_offset(request), self.max_offset)
