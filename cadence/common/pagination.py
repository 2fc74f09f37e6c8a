"""One pagination helper for every list."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any, cast

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

COUNT_CAP = 1000


class CappedPaginator(Paginator):
    """Counts at most ``cap`` + 1 rows: past that, the list says “more than 1,000” and asks
    for a narrower search instead of counting every match (which grows with the data)."""

    def __init__(self, object_list: Any, per_page: int, cap: int | None = None) -> None:
        super().__init__(object_list, per_page)
        self.cap = COUNT_CAP if cap is None else cap

    @cached_property
    def count(self) -> int:
        if not isinstance(self.object_list, QuerySet):
            return len(self.object_list)  # a list already computed in Python (the worklist)
        queryset = cast(QuerySet[Any], self.object_list)
        return queryset.order_by()[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap


def paginate(
    request: HttpRequest, queryset: QuerySet[Any] | Sequence[Any], per_page: int | None = None
) -> Page:
    paginator = CappedPaginator(queryset, per_page or settings.PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))
