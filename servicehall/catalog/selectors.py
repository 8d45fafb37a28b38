"""Reads from the catalogue.

Public reads (the guide, the information desk, the public API) see only published items:
status active, a current (approved) version, and an active centre. Everything else (drafts,
returned proposals, withdrawn items, items of a closed centre) does not exist for them.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from servicehall.lib.errors import NotFound
from servicehall.org.models import ServiceCenter, Window

from .data import CASE_TYPES, LEVELS, MATERIAL_FORMS, MATERIAL_SOURCES, ONLINE_DEPTHS, ItemData, ItemType
from .models import ItemStatus, ServiceItem

QUERY_MAX_LENGTH = 50
QUERY_MAX_TERMS = 5
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_PUBLIC = Q(status=ItemStatus.ACTIVE, current_version__isnull=False, center__is_active=True)


# --- search -------------------------------------------------------------------------------

def search_terms(q: str) -> list[str]:
    """The query as terms: full-width letters and spaces (Chinese input methods) folded to
    ASCII, lower case, split on spaces and common separators, at most a few terms."""
    text = unicodedata.normalize("NFKC", q or "")[:QUERY_MAX_LENGTH].lower()
    return [t for t in re.split(r"[\s,，、;；]+", text) if t][:QUERY_MAX_TERMS]


def _term_filter(term: str) -> Q:
    match = Q(name__icontains=term) | Q(search_text__icontains=term) | Q(code__icontains=term)
    if not _CJK.search(term):
        match |= Q(initials__icontains=term) | Q(pinyin__icontains=term)  # "flyz", "lyz" or "falv" find 法律援助
    return match


def _search(items: QuerySet, q: str) -> QuerySet:
    """Every term must match the name, the search text (keywords, result, body), the code or,
    for Latin terms, the pinyin initials. Items whose name or initials start with the first
    term come first. `icontains` is case-insensitive on SQLite and PostgreSQL alike."""
    terms = search_terms(q)
    if not terms:
        return items.annotate(rank=Value(1, output_field=IntegerField()))
    for term in terms:
        items = items.filter(_term_filter(term))
    first = terms[0]
    starts = Q(name__istartswith=first) | (Q() if _CJK.search(first)
                                           else Q(initials__startswith=first) | Q(pinyin__startswith=first))
    return items.annotate(rank=Case(When(starts, then=Value(0)), default=Value(1), output_field=IntegerField()))


def public_items(center_code: str | None = None, q: str = "") -> QuerySet:
    """Published items, optionally of one centre and matching `q` (name, keyword or pinyin
    initials), best matches first, then by centre and code."""
    items = ServiceItem.objects.filter(_PUBLIC).select_related("center", "current_version")
    if center_code:
        items = items.filter(center__code=center_code)
    return _search(items, q).order_by("rank", "center__code", "code")


def public_item(code: str) -> ServiceItem:
    """A published item by its code; NotFound for anything else (draft, withdrawn…)."""
    item = (ServiceItem.objects.filter(_PUBLIC, code=code)
            .select_related("center", "center__district", "current_version").first())
    if item is None:
        raise NotFound("未找到该事项，或该事项尚未发布")
    return item


# --- centres ------------------------------------------------------------------------------

def _public_count() -> Count:
    return Count("items", filter=Q(items__status=ItemStatus.ACTIVE, items__current_version__isnull=False))


def public_centers() -> QuerySet:
    """Active centres with their number of published items (`item_count`)."""
    return (ServiceCenter.objects.filter(is_active=True).select_related("district")
            .annotate(item_count=_public_count()).order_by("district__code", "kind", "code"))


def public_center(code: str) -> ServiceCenter:
    center = public_centers().filter(code=code).first()
    if center is None:
        raise NotFound("未找到该服务中心", field="center")
    return center


def public_windows(center: ServiceCenter) -> QuerySet:
    return Window.objects.filter(center=center, is_active=True).order_by("number")


def windows_for_items(items) -> dict[int, list[Window]]:
    """The active windows (number and name) that handle each item, by item id, in two queries
    whatever the number of items. Window numbers come from the item's current version."""
    items = list(items)
    rows = Window.objects.filter(center_id__in={i.center_id for i in items}, is_active=True).order_by("number")
    by_number = {(w.center_id, w.number): w for w in rows}
    result = {}
    for item in items:
        numbers = item.current_version.data.get("windows", []) if item.current_version_id else []
        result[item.pk] = [by_number[(item.center_id, n)] for n in numbers if (item.center_id, n) in by_number]
    return result


# --- one item as a citizen reads it --------------------------------------------------------

_CASE_TYPE_LABELS = dict(CASE_TYPES)
_LEVEL_LABELS = dict(LEVELS)
_ONLINE_LABELS = dict(ONLINE_DEPTHS)
_SOURCE_LABELS = dict(MATERIAL_SOURCES)
_FORM_LABELS = dict(MATERIAL_FORMS)


def item_type_label(code: str) -> str:
    return ItemType.LABELS.get(code, code)


def case_type_label(code: str) -> str:
    return _CASE_TYPE_LABELS.get(code, code)


@dataclass
class ItemGuide:
    """A published item with its content and the labels a page or client shows."""

    item: ServiceItem
    data: ItemData
    windows: list[Window] = field(default_factory=list)

    @property
    def center(self) -> ServiceCenter:
        return self.item.center

    @property
    def version(self):
        return self.item.current_version

    @property
    def item_type_label(self) -> str:
        return item_type_label(self.data.item_type)

    @property
    def case_type_label(self) -> str:
        return case_type_label(self.data.case_type)

    @property
    def level_label(self) -> str:
        return _LEVEL_LABELS.get(self.data.level, self.data.level)

    @property
    def online_label(self) -> str:
        return _ONLINE_LABELS.get(self.data.online_depth, str(self.data.online_depth))

    @property
    def hours(self) -> str:
        center = self.item.center
        return self.data.hours or f"{center.opens_at:%H:%M}—{center.closes_at:%H:%M}（法定节假日除外）"

    @property
    def consult_phone(self) -> str:
        return self.data.consult_phone or self.item.center.phone

    @property
    def complaint_phone(self) -> str:
        return self.data.complaint_phone or self.item.center.complaint_phone

    @property
    def place(self) -> str:
        center = self.item.center
        return self.data.place or "，".join(p for p in (center.name, center.address) if p)

    @property
    def materials(self) -> list[dict]:
        return [{"m": m, "source": _SOURCE_LABELS.get(m.source, m.source), "form": _FORM_LABELS.get(m.form, m.form)}
                for m in self.data.materials]


def public_item_guide(code: str) -> ItemGuide:
    item = public_item(code)
    return ItemGuide(item=item, data=item.current_version.content, windows=windows_for_items([item])[item.pk])
