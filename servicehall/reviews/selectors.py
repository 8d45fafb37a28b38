"""Reads of reviews: the pad's pending service, rectification lists, masked displays."""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, F, Q
from django.utils import timezone

from servicehall.cases.models import Case, CaseStatus
from servicehall.lib.masking import mask_name
from servicehall.queueing.models import TicketEvent

from .models import (
    BAD_LEVELS,
    EXCHANGE_CODE,
    GBT39046_CODE,
    EvaluationPad,
    Level,
    Rectification,
    RectificationStatus,
    Review,
)


def pad_by_key(key: str) -> EvaluationPad | None:
    return (EvaluationPad.objects.select_related("window__center").filter(key=key, window__is_active=True).first()
            if key else None)


def pending_service(pad: EvaluationPad, now: datetime) -> dict | None:
    """The service the pad offers for rating: the latest ticket finished (or case completed)
    at its window in the last SH_PAD_PENDING_MINUTES, since the pad last went idle, that has no
    review yet. A ticket that led to a case is not offered: the visit is rated as its case."""
    since = now - timedelta(minutes=settings.SH_PAD_PENDING_MINUTES)
    if pad.idle_since is not None:
        since = max(since, pad.idle_since)
    event = (TicketEvent.objects.filter(window=pad.window, action="finish", at__gte=since, ticket__review__isnull=True,
                                        ticket__cases__isnull=True)
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


def pad_clerk(pad: EvaluationPad, now: datetime) -> dict | None:
    """Who serves at the pad's window today (the clerk of its latest call), for the idle
    screen: name and 工号, as a pad shows them."""
    day_start = datetime.combine(timezone.localdate(now), time.min, tzinfo=timezone.get_current_timezone())
    event = (TicketEvent.objects.filter(window=pad.window, at__gte=day_start, actor__isnull=False)
             .select_related("actor__staff_profile").order_by("-at", "-id").first())
    if event is None:
        return None
    profile = getattr(event.actor, "staff_profile", None)
    return {"name": profile.name if profile else event.actor.display_name,
            "employee_no": profile.employee_no if profile else ""}


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


def rectification_steps(rectification: Rectification) -> list[dict]:
    """The four steps (回访 → 核实 → 整改 → 反馈) with what was written, when and by whom, and
    which one is next, as the page draws them."""
    order = [(RectificationStatus.CALLED_BACK, "回访", "callback_outcome"),
             (RectificationStatus.VERIFIED, "核实", "verification"),
             (RectificationStatus.RECTIFIED, "整改", "rectification"),
             (RectificationStatus.CLOSED, "反馈", "reply")]
    done = {e.to_status: e for e in rectification.events.select_related("actor").order_by("at", "id")
            if e.from_status != e.to_status}
    steps, current = [], False
    for status, name, field in order:
        event = done.get(status)
        state = "done" if event else ("pending" if current else "current")
        current = current or state == "current"
        by = event.actor.display_name if event and event.actor else ""
        steps.append({"name": name, "state": state, "text": getattr(rectification, field),
                      "at": event.at if event else None, "by": by})
    return steps


def possible_handlers(rectification: Rectification) -> list:
    """Whom the head may assign: the centre's people who may work a rectification, but not the
    clerk whose service was rated."""
    from servicehall.accounts.models import User
    from servicehall.accounts.permissions import roles_for

    return list(User.objects.filter(memberships__center_id=rectification.center_id, is_active=True,
                                    role__in=roles_for("review.rectify"))
                .exclude(pk=rectification.review.staff_id).distinct().order_by("username"))


def rater_display(review) -> str:
    """Who rated, as lists show it: masked, never the phone."""
    return mask_name(review.rater_name) if review.rater_name else "匿名"


EXCHANGE_FIELDS = [  # (key, Chinese column title) of the national exchange layout (RULES.md)
    ("case_number", "办件编号"), ("item_code", "事项编码"), ("pf", "评价渠道"), ("rater_kind", "评价人类型"),
    ("rater", "评价人"), ("time", "评价时间"), ("count", "评价次数"), ("satisfaction", "满意度（交换接口）"),
    ("satisfaction_gbt39046", "满意度（GB/T 39046）"), ("satisfaction_label", "满意度"), ("text", "评价内容"),
    ("region", "行政区划代码"), ("department_uscc", "办理部门统一社会信用代码"), ("handler", "办理人"),
]


def reviews_since(user, since):
    """Reviews of the user's centres from `since` on, oldest first, for the exchange."""
    rows = (Review.objects.for_user(user)
            .select_related("center__district", "center__department", "staff", "ticket", "case", "item"))
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    return rows.order_by("created_at", "id")


def exchange_row(review) -> dict:
    """One review in the exchange layout; levels mapped through the two explicit tables."""
    if review.case_id:
        number = review.case.number
        kind = "2" if review.case.applicant_kind == "org" else "1"
    else:
        number = f"{review.center.code}-{review.ticket.day:%Y%m%d}-{review.ticket.number}"
        kind = "1"
    level = Level(review.level)
    return {
        "case_number": number, "item_code": review.item.code if review.item_id else "", "pf": review.channel,
        "rater_kind": kind, "rater": rater_display(review),
        "time": timezone.localtime(review.created_at).strftime("%Y%m%dT%H%M%S"), "count": 1,
        "satisfaction": EXCHANGE_CODE[level], "satisfaction_gbt39046": GBT39046_CODE[level],
        "satisfaction_label": level.label, "text": review.comment, "region": review.center.district.code,
        "department_uscc": review.center.department.credit_code if review.center.department_id else "",
        "handler": review.staff.display_name if review.staff_id else "",
    }


GROUPS = {  # figure grouping → (review field, label field, Chinese name)
    "window": ("window_id", "window__number", "窗口"),
    "staff": ("staff_id", "staff__full_name", "窗口人员"),
    "item": ("item_id", "item__name", "事项"),
    "center": ("center_id", "center__name", "分中心"),
    "district": ("center__district_id", "center__district__name", "区县"),
}


def review_figures(user, group: str, start: date, end: date, today: date) -> list[dict]:
    """Per window, staff member, item, centre or district, over [start, end]: reviews, share of
    each level, satisfaction and bad-review rates, and for bad reviews the rectification
    on-time and call-back rates. Reviews taken out by an appeal are not counted."""
    key, label, _ = GROUPS[group]
    tz = timezone.get_current_timezone()
    reviews = Review.objects.for_user(user).filter(
        excluded=False, created_at__gte=datetime.combine(start, time.min, tzinfo=tz),
        created_at__lt=datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz))
    levels = {f"l{level}": Count("id", filter=Q(level=level)) for level in Level.values}
    rows = (reviews.values(key, label).annotate(
        total=Count("id"), bad=Count("id", filter=Q(level__in=BAD_LEVELS)),
        called_back=Count("id", filter=Q(level__in=BAD_LEVELS, rectification__called_back_at__isnull=False)),
        on_time=Count("id", filter=Q(level__in=BAD_LEVELS, rectification__status=RectificationStatus.CLOSED,
                                     rectification__closed_on__lte=F("rectification__deadline"))),
        due=Count("id", filter=Q(level__in=BAD_LEVELS) & (Q(rectification__status=RectificationStatus.CLOSED)
                                                             | Q(rectification__deadline__lt=today))),
        **levels).order_by(label))
    figures = []
    for row in rows:
        total, bad = row["total"], row["bad"]
        figures.append({
            "name": str(row[label]) if row[label] is not None else "（未关联）", "total": total, "bad": bad,
            "levels": [row[f"l{level}"] for level in Level.values],  # in Level order, as Level.labels
            "shares": [_rate(row[f"l{level}"], total) for level in Level.values],
            "satisfaction_rate": _rate(total - bad, total), "bad_rate": _rate(bad, total),
            "on_time_rate": _rate(row["on_time"], row["due"]), "callback_rate": _rate(row["called_back"], bad),
        })
    return figures


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None
