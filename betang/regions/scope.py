"""Region scope: a code prefix that decides which rows someone may see (`62.03` = Kabupaten Kapuas)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from betang.regions import codes


@dataclass(frozen=True)
class RegionScope:
    """Everything at or below one region; the empty prefix is the whole country."""

    prefix: str = ""

    def __post_init__(self) -> None:
        if self.prefix and codes.level_of(self.prefix) is None:
            raise ValueError(f"not a region code: {self.prefix!r}")

    @property
    def is_national(self) -> bool:
        return not self.prefix

    @property
    def level(self) -> str | None:
        return codes.level_of(self.prefix) if self.prefix else None

    def contains(self, code: str) -> bool:
        # Whole segments only: 62.1 must not cover 62.10, so compare with the dot appended.
        return not self.prefix or code == self.prefix or code.startswith(self.prefix + ".")

    def q(self, field: str = "region_code") -> Q:
        """Filter for rows whose `field` holds a region code inside this scope."""
        if not self.prefix:
            return Q()
        return Q(**{field: self.prefix}) | Q(**{f"{field}__startswith": self.prefix + "."})

    def overlaps(self, code: str) -> bool:
        """True when `code` is inside this scope or is one of its ancestors (for drilling down to it)."""
        return self.contains(code) or self.prefix == code or self.prefix.startswith(code + ".")


def region_scope(prefix: str | None) -> RegionScope:
    """The scope of a code prefix as typed (`6203`, `62.03`), or the national scope for empty input."""
    if not prefix or not prefix.strip():
        return RegionScope("")
    code = codes.normalise(prefix)
    if code is None:
        raise ValueError(f"not a region code: {prefix!r}")
    return RegionScope(code)
