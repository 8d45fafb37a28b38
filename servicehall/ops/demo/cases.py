"""Demo cases: a few hundred applications at the Longgang branch centres over the last six weeks.

Every case is made by the real services (`case_submit` … `case_deliver`, `bill_pay`, `bill_waive`,
`case_notify_again`) with `now` set in the past, and all events of all cases run in the order
they happened, so numbers, history, one-time notices, bills and audit rows are all genuine. The
background loop's deemed acceptance (`cases_deem_accepted`) runs every working morning, as it
would have. Dates are working days of the calendar up to today, at office hours (Beijing time).
What happens to each case is planned in `case_plans`. Idempotent as the other demo steps:
nothing is done when the district already has cases.
"""

import logging
import random
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from servicehall.accounts.models import User
from servicehall.cases import services
from servicehall.cases.models import Case, CaseStatus
from servicehall.lib.errors import ServiceError
from servicehall.workcalendar.selectors import get_calendar

from .case_plans import (
    BEIJING,
    FIRST_EVENT_TODAY,
    SEED,
    WORKDAYS,
    People,
    Plan,
    Planner,
    assign_plans,
    demo_centres,
    moments,
    tokens,
)

logger = logging.getLogger(__name__)


def _run(plan: Plan, case: Case | None, action: str, args: dict, at: datetime, bureau: User) -> Case:
    clerk, S = plan.clerk, services
    if action == "submit":
        return S.case_submit(actor=clerk, center=plan.centre.center, items=[i.code for i in plan.items],
                             applicant=plan.applicant, materials=args["materials"], faulty=args["faulty"],
                             window=plan.window, fees=args.get("fees"), now=at)
    head = plan.centre.manager if not plan.instant else clerk
    calls = {
        "supplement": lambda: S.case_supplement(actor=clerk, case=case, materials=args["materials"],
                                                faulty=args["faulty"], now=at),
        "accept": lambda: S.case_accept(actor=clerk, case=case, fees=args["fees"], now=at),
        "refuse": lambda: S.case_refuse(actor=clerk, case=case, reason=args["reason"], now=at),
        "notify_again": lambda: S.case_notify_again(actor=bureau, case=case, reason=args["reason"], now=at),
        "suspend": lambda: S.case_suspend(actor=clerk, case=case, reason=args["reason"], now=at),
        "resume": lambda: S.case_resume(actor=clerk, case=case, now=at),
        "extend": lambda: S.case_extend(actor=plan.centre.manager, case=case, days=args["days"], reason=args["reason"],
                                        now=at),
        "review": lambda: _review(case, clerk, args["reason"], at),
        "approve": lambda: S.case_approve(actor=head, case=case, reason=args["reason"], now=at),
        "deny": lambda: S.case_deny(actor=head, case=case, reason=args["reason"], now=at),
        "complete": lambda: S.case_complete(actor=clerk, case=case, now=at, notify_applicant=False),  # history: no SMS
        "deliver": lambda: S.case_deliver(actor=clerk, case=case, now=at),
        "pay": lambda: S.bill_pay(actor=clerk, case=case, now=at) and case,
        "waive": lambda: S.bill_waive(actor=clerk, case=case, reason=args["reason"], now=at) and case,
    }
    return calls[action]()


def _review(case: Case, clerk: User, opinion: str, at: datetime) -> Case:
    """Every review step of the case's process, in order."""
    while case.reviews_done < len(case.review_steps):
        case = services.case_review(actor=clerk, case=case, opinion=opinion, now=at)
    return case


@transaction.atomic
def load_demo_cases(district, now: datetime | None = None) -> int:
    """Make the demo cases of `district` (none when it already has cases); returns how many."""
    if Case.objects.filter(center__district=district).exists():
        return 0
    now = now or timezone.now()
    local = timezone.localtime(now, BEIJING)
    today, calendar = local.date(), get_calendar()
    day = today if calendar.is_workday(today) and local.time() >= FIRST_EVENT_TODAY else today - timedelta(days=1)
    days = []  # the working days with events, oldest first; positions index this list
    while len(days) < WORKDAYS:
        if calendar.is_workday(day):
            days.append(day)
        day -= timedelta(days=1)
    days.reverse()
    today_position = calendar.workday_index(today) - calendar.workday_index(days[0])

    rng = random.Random(SEED)
    centres = demo_centres(district)
    bureau = User.objects.filter(username="bureau").first()
    if not centres:
        return 0
    total = int(sum(c.quota for c in centres))
    planner = Planner(rng, len(days) - 1, today_position, total / len(days))
    people = People(rng, today)
    plans = assign_plans(rng, planner, people, centres, tokens(total))

    # Every event of every case, in the order they happened; the background loop each morning.
    timeline = []
    for n, plan in enumerate(plans):
        by_day: dict[int, list] = {}
        for position, action, args in sorted(plan.events, key=lambda e: e[0]):
            by_day.setdefault(position, []).append((action, args))
        for position, events in by_day.items():
            for at, (action, args) in zip(moments(rng, days[position], len(events), now), events, strict=True):
                timeline.append((at, n, action, args))
    timeline += [(datetime.combine(day, time(8, 5), tzinfo=BEIJING), -1, "deem", {}) for day in days]
    timeline.sort(key=lambda e: (e[0], e[1]))

    cases: dict[int, Case] = {}
    broken: set[int] = set()
    for at, n, action, args in timeline:
        if action == "deem":
            if services.cases_deem_accepted(now=at):
                for key, case in cases.items():
                    if case.status == CaseStatus.RECEIVED:
                        cases[key] = Case.objects.get(pk=case.pk)
            continue
        if n in broken:
            continue
        try:
            cases[n] = _run(plans[n], cases.get(n), action, args, at, bureau)
        except ServiceError as exc:  # a plan the services refuse: keep what happened, skip the rest
            logger.warning("demo case %s: %s at %s refused: %s", plans[n].centre.center.code, action, at, exc)
            broken.add(n)
    return len(cases)
