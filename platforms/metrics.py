"""Public metrics of a post and an account's follower count, as the adapters return them.

Everything here comes from outside: a count must be a non-negative whole number (not a bool,
not a string, not absurdly large), or the whole answer is refused with ``PlatformError`` so
that nothing half-read is ever stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import PlatformError

#: Larger than any real count; refuses garbage that would overflow a database column.
MAX_COUNT = 2_000_000_000


@dataclass(frozen=True)
class PublicMetrics:
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    quotes: int = 0

    @property
    def engagement(self) -> int:
        return self.likes + self.reposts + self.replies + self.quotes


def count_of(body: dict, key: str, *, platform: str, required: bool = False) -> int:
    """``body[key]`` as a count: missing is 0 (or an error when ``required``)."""
    value = body.get(key) if isinstance(body, dict) else None
    if value is None:
        if required:
            raise PlatformError(f"The answer has no {key}.", platform=platform)
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise PlatformError(f"The answer's {key} is not a count.", platform=platform)
    return value
