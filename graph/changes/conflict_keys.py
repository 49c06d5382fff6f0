"""A conflict as one stored string (``eff_conflict_keys``), so that capture can tell which opened or closed.

``rule|severity|model>model>…|licence,licence`` — the path from the model towards the source, then
the licences the conflict names. A conflict's identity is its rule, severity and path: the same
finding naming other licences after a relicensing is still the same conflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ConflictKey"]

_SEP = "|"


@dataclass(frozen=True, slots=True)
class ConflictKey:
    rule: str
    severity: str
    path: tuple[str, ...]
    licenses: tuple[str, ...]

    @property
    def identity(self) -> tuple[str, str, tuple[str, ...]]:
        return (self.rule, self.severity, self.path)

    def encode(self) -> str:
        return _SEP.join((self.rule, self.severity, ">".join(self.path), ",".join(self.licenses)))

    @classmethod
    def parse(cls, text: str) -> ConflictKey:
        rule, severity, path, licenses = (text.split(_SEP, 3) + ["", "", ""])[:4]
        return cls(rule, severity, tuple(p for p in path.split(">") if p), tuple(x for x in licenses.split(",") if x))

    def details(self) -> dict[str, Any]:
        """What a conflict change record says of it."""
        return {"rule": self.rule, "severity": self.severity, "path": list(self.path), "licenses": list(self.licenses)}
