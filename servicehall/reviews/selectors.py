"""Reads of reviews: the pad's pending service, rectification lists, masked displays."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from servicehall.cases.models import Case, CaseStatus
from servicehall.lib.masking import mask_name
from servicehall.queueing.models import TicketEvent

from .models import EvaluationPad, Rectification, RectificationStatus


def pad_by_key(key: str) -> EvaluationPad | None:
    return EvaluationPad.objects.select_related("window__center").filter(key=key, window__is_active=True).first() if key else None


def pending_service(pad: EvaluationPad, now: datetime) -> dict | None:
    """The service the pad offers for rating: the latest ticket finished (or case completed)
    at its window in the last SH_PAD_PENDING_MINUTES that has no review yet."""
    since = now - timedelta(minutes=settings.SH_PAD_PENDING_MINUTES)
    event = (TicketEvent.objects.filter(window=pad.window, action="finish", at__gte=since, ticket__review__isnull=True)
             .select_related("ticket__category").order_by("-at", "-id").first())
    case = (Case.objects.filter(window=pad.window, status__in=[CaseStatus.COMPLETED, CaseStatus.DELIVERED],
                                completed_on=timezone.localdate(now), review__isnull=True,
                                transitions__action="complete", transitions__at__gte=since)
            .order_by("-id").first())
    if case is not None and (event is None or case.transitions.filter(action="complete").last().at > event.at):
        names = "、".join(ci.version.name for ci in case.items.select_related("version"))
        return {"kind": "case", "case": case.number, "ticket": None, "label": f"办件 {case.number}：{names}"}
    if event is not None:
        ticket = event.ticket
        return {"kind": "ticket", "ticket": ticket.pk, "case": None, "label": f"{ticket.number} {ticket.category.name}"}
    return None


def rectifications_for(user, *, state: str = "", overdue: bool = False, center: str = "", now=None):
    today = timezone.localdate(now or timezone.now())
    rows = Rectification.objects.for_user(user).select_related("review", "center", "review__window", "review__staff")
    if center:
        rows = rows.filter(center__code=center)
    if state:
        rows = rows.filter(status=state)
    if overdue:
        rows = rows.filter(Q(~Q(status=RectificationStatus.CLOSED), deadline__lt=today)
                           | Q(status=RectificationStatus.CLOSED, closed_on__gt=F("deadline")))
    return rows.order_by("deadline", "id")


def rater_display(review) -> str:
    """Who rated, as lists show it: masked, never the phone."""
    return mask_name(review.rater_name) if review.rater_name else "匿名"
