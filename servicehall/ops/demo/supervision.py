"""Demo supervision: the rules swept over the demo's records as of now, two open supervision
orders (one issued a week ago that missed its deadline and went orange, one issued yesterday),
and a yellow card the bureau gave of its own accord. Made by the real services with back-dated
times, so every alert points at the record that raised it."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count
from django.utils import timezone

from servicehall.accounts.models import User
from servicehall.org.models import ServiceCenter
from servicehall.supervision.models import Alert, AlertState, SupervisionOrder
from servicehall.supervision.services import card_issue, order_issue, orders_escalate, supervision_sweep
from servicehall.workcalendar.selectors import get_calendar

BEIJING = ZoneInfo("Asia/Shanghai")
# The second order's requirement, by the rule of the alert it is made of (the first found).
REQUIREMENTS = {
    "review_not_called_back": "差评生成后未按时回访评价人，请立即回访，核实情况后整改并反馈。",
    "rectification_overdue": "差评整改已过整改期限，请3个工作日内完成整改并向评价人反馈。",
    "case_overdue": "该办件已超过承诺办结时限，请立即办结并说明超期原因。",
}


def _working_days_back(today: date, n: int) -> date:
    """The working day `n` working days before `today`."""
    calendar, day, left = get_calendar(), today, n
    while left:
        day -= timedelta(days=1)
        if calendar.is_workday(day):
            left -= 1
    return day


def load_demo_supervision(district, now: datetime | None = None) -> int:
    """Sweep, then the orders and the card (none when the district already has orders)."""
    if SupervisionOrder.objects.filter(center__district=district).exists():
        return 0
    now = now or timezone.now()
    today = timezone.localdate(now)
    # The sweep ran every minute over the last weeks; the demo replays a morning of each of the
    # last ten working days, so alerts carry the day they were raised, and those whose cause
    # went away since are closed by a later sweep.
    for back in range(10, 0, -1):
        supervision_sweep(now=datetime.combine(_working_days_back(today, back), time(8, 0), tzinfo=BEIJING))
    supervision_sweep(now=now)
    bureau = User.objects.filter(username="bureau").first()
    alerts = Alert.objects.filter(center__district=district)
    open_alerts = alerts.filter(state=AlertState.OPEN)
    # The late order was made four working days ago, with one day to answer, of the case alerts
    # known then; it went orange the day after its deadline and is overdue again today.
    issued = datetime.combine(_working_days_back(today, 4), time(9, 30), tzinfo=BEIJING)
    known = alerts.filter(rule__code__in=["case_overdue", "case_step_over_limit", "case_due_soon"],
                          raised_at__lte=issued)
    busiest = known.values("center").annotate(n=Count("id")).order_by("-n", "center").first()
    if bureau is None or busiest is None:
        return 0
    center = ServiceCenter.objects.get(pk=busiest["center"])
    late = order_issue(actor=bureau, center=center, days=1, now=issued,
                       alerts=list(known.filter(center=center).order_by("rule__code", "raised_at", "id")[:2]),
                       requirement="以上办件超过或即将超过办理时限，请立即办理，查明原因，落实责任人，并书面反馈整改情况。")
    # The background loop escalated it on the first working day after its deadline.
    escalated_on = get_calendar().add_workdays(late.due_date, 1).due
    orders_escalate(now=datetime.combine(escalated_on, time(8, 0), tzinfo=BEIJING))
    count = 1
    other = (open_alerts.exclude(center=center).filter(rule__code__in=list(REQUIREMENTS))
             .order_by("-rule__code", "id").first())
    if other is not None:
        yesterday = datetime.combine(_working_days_back(today, 1), time(15, 0), tzinfo=BEIJING)
        order_issue(actor=bureau, center=other.center, alerts=[other], days=3, now=yesterday,
                    requirement=REQUIREMENTS[other.rule.code])
        count += 1
    named = (open_alerts.exclude(staff=None).values("staff", "center").annotate(n=Count("id"))
             .order_by("-n", "staff").first())
    if named is not None and named["n"] >= 2:
        card_issue(actor=bureau, staff=User.objects.get(pk=named["staff"]),
                   center=ServiceCenter.objects.get(pk=named["center"]), kind="yellow",
                   reason=f"名下有{named['n']}条监察预警未处理", now=now)
        count += 1
    return count
