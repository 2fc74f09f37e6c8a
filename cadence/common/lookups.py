"""`in` on integer columns ignores values the column cannot hold.

Since Django 5.0 `exact`, `gt`, `lt` and friends treat an integer beyond the column's range as
"matches nothing" (or everything) instead of sending it to the database, but `in` does not:
SQLite raises OverflowError for a value above 2**63 - 1, so a form that posts
`facilitators=9223372036854775808` to a ModelMultipleChoiceField was a server error instead of
"Select a valid choice". Registered on IntegerField (and so on every auto and big integer field)
when the app loads.
"""

from __future__ import annotations

from typing import Any

from django.db.models import IntegerField
from django.db.models.lookups import In


class IntegerFieldIn(In):
    def process_rhs(self, compiler: Any, connection: Any) -> Any:
        if self.rhs_is_direct_value():
            internal_type = self.lhs.output_field.get_internal_type()
            low, high = connection.ops.integer_field_range(internal_type)
            self.rhs = [value for value in self.rhs if _fits(value, low, high)]
        return super().process_rhs(compiler, connection)


def _fits(value: Any, low: int | None, high: int | None) -> bool:
    if not isinstance(value, int) or isinstance(value, bool):
        return True  # not ours to judge (None, expressions): Django handles them
    return (low is None or value >= low) and (high is None or value <= high)


def register() -> None:
    IntegerField.register_lookup(IntegerFieldIn)
