"""Reads of first inquiries: lists scoped by centre, the overdue list for a home page."""

import unicodedata
from datetime import date, datetime, time, timedelta

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from servicehall.accounts.models import User
from servicehall.accounts.permissions import can, roles_for
from servicehall.catalog.models import ItemStatus, ServiceItem
from servicehall.lib.errors import Invalid
from servicehall.lib.workdays import WorkCalendar
from servicehall.org.models import ServiceCenter, Window
from servicehall.org.selectors import get_visible, visible_center_ids
from servicehall.workcalendar.selectors import get_calendar

from .models import DONE_STATUSES, PENDING_STATUSES, FirstInquiry


def inquiries_for(user, *, state: str = "", mine: bool = False, center: ServiceCenter | None = None) -> QuerySet:
    """The inquiries of the user's centres; `state` "open" (pending) or "closed" (done)."""
    rows = FirstInquiry.objects.for_user(user)
    if state == "open":
        rows = rows.filter(status__in=PENDING_STATUSES)
    elif state == "closed":
        rows = rows.filter(status__in=DONE_STATUSES)
    if mine:
        rows = rows.filter(owner=user)
    if center is not None:
        rows = rows.filter(center=center)
    return rows.select_related("center", "window", "owner", "item")


def get_inquiry(user, pk) -> FirstInquiry:
    """One inquiry the user may see, or NotFound (404 for another centre's inquiry)."""
    return get_visible(FirstInquiry, user, pk, label="首问记录")


def inquiry_history(inquiry: FirstInquiry) -> QuerySet:
    return inquiry.events.select_related("actor", "to_owner").order_by("at", "id")


def can_handle(user, inquiry: FirstInquiry) -> bool:
    """The owner, or a manager of the inquiry's centre (standing in for an absent owner)."""
    if not user.is_authenticated or inquiry.center_id not in visible_center_ids(user):
        return False
    if inquiry.owner_id == user.pk:
        return True
    return can(user, "inquiry.take_over", inquiry.center)


def logging_centers(user) -> QuerySet:
    if not can(user, "inquiry.log"):
        return ServiceCenter.objects.none()
    return ServiceCenter.objects.for_user(user).filter(is_active=True)


def windows_of(user, center: ServiceCenter) -> QuerySet:
    return Window.objects.for_user(user).filter(center=center, is_active=True)


def handover_candidates(user, inquiry: FirstInquiry) -> QuerySet:
    """Named people who may take the inquiry over: active staff and managers of its centre
    (members of the centre, or managers of its department), never the current owner."""
    center = inquiry.center
    members = Q(memberships__center=center)
    if center.department_id:  # a department's managers co-manage its centres
        members |= Q(memberships__department_id=center.department_id, role__in=roles_for("inquiry.take_over"))
    if center.pk not in visible_center_ids(user):
        return User.objects.none()
    return (User.objects.filter(members, is_active=True, role__in=roles_for("inquiry.log"))
            .exclude(pk=inquiry.owner_id).distinct().order_by("role", "full_name", "username"))


def items_for(user) -> QuerySet:
    """Public service items of every centre: a citizen may ask at any desk about any item
    (the information desk finds items across all centres). Own centres' items first."""
    own = Q(center__in=visible_center_ids(user))
    return (ServiceItem.objects.filter(status=ItemStatus.ACTIVE, current_version__isnull=False)
            .annotate(own=Case(When(own, then=Value(0)), default=Value(1), output_field=IntegerField()))
            .order_by("own", "name"))


def find_item(user, text: str, code: str = "") -> ServiceItem:
    """A public item by its code (from the desk), name, part of its name, pinyin initials or the
    start of its full pinyin (法律援助 → "flyz", "falv"); Invalid on the field when none or several match."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    items = items_for(user)
    if code:
        by_code = items.filter(code=code).first()
        if by_code is not None:
            return by_code
    latin = text.lower()
    for query in (Q(name=text), Q(name__icontains=text) | Q(initials__startswith=latin) | Q(pinyin__startswith=latin)):
        found = list(items.filter(query)[:20])
        own = [item for item in found if item.own == 0]  # an item of the asker's own centre wins
        for candidates in (found, own):
            if len(candidates) == 1:
                return candidates[0]
        if found:
            break
    if not found:
        raise Invalid(f"相关事项：未找到名称含“{text}”的事项", field="item_name")
    raise Invalid(f"相关事项：有多个事项与“{text}”相符，请输入完整的事项名称", field="item_name")


def last_workday_on_or_before(calendar: WorkCalendar, day: date) -> date | None:
    """The latest working day not after `day` (holidays last at most a few weeks)."""
    for back in range(366):
        candidate = day - timedelta(days=back)
        if calendar.is_workday(candidate):
            return candidate
    return None


def overdue_for(user, now: datetime | None = None) -> QuerySet:
    """Pending inquiries the user owns (taken, or handed over to them) that are older than one
    working day (`FirstInquiry.is_overdue`): the working day after the day asked has ended.

    That holds exactly when a working day lies strictly between the day asked and today, i.e.
    when the day asked is before the last working day before today; so the rule becomes one
    indexed query on `asked_at`.
    """
    now = now or timezone.now()
    calendar = get_calendar()
    last_workday = last_workday_on_or_before(calendar, timezone.localdate(now) - timedelta(days=1))
    if last_workday is None:
        return FirstInquiry.objects.none()
    cutoff = timezone.make_aware(datetime.combine(last_workday, time.min))
    return (FirstInquiry.objects.for_user(user)
            .filter(owner=user, status__in=PENDING_STATUSES, asked_at__lt=cutoff)
            .select_related("center", "window")
            .order_by("asked_at", "id"))
