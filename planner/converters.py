"""Path converters of the planner's URLs, registered once in ``PlannerConfig.ready``."""

from __future__ import annotations


class IdConverter:
    """A database id: 1 to 18 digits, so an absurd number is a 404, not an overflow."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))
