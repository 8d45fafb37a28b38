"""Writes of electronic supervision: the sweep that raises and closes alerts, the bureau's rule
edits, the centre's explanation and the bureau's closing of an alert, and supervision orders
(督办单) with their escalation and the staff's reminders and cards."""

from datetime import datetime, timedelta

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from servicehall.accounts.permissions import require
from servicehall.audit.services import audit_record
from servicehall.lib.errors import Conflict, Invalid, text_input
from servicehall.lib.sms import send_sms
from servicehall.org.models import ServiceCenter
from servicehall.workcalendar.selectors import current_revision, get_calendar

from .models import (
    ALERT_TRANSITIONS,
    NEXT_COLOR,
    ORDER_TRANSITIONS,
    Alert,
    AlertOutcome,
    AlertState,
    AlertTransition,
    Card,
    CardKind,
    OrderColor,
    OrderState,
    OrderTransition,
    RuleVersion,
    SupervisionOrder,
    SupervisionRule,
    SweepMark,
)
from .rules import BUILT_IN, BY_CODE, FINDING_COLUMNS, THRESHOLD_LABELS, Sweep

# A change is looked at again by the sweeps of the next five minutes: a transaction that
# stamped its change before a sweep began but committed after it is not missed.
OVERLAP = timedelta(minutes=5)
OPEN_STATES = (AlertState.OPEN, AlertState.EXPLAINED)


def rules_ensure(now: datetime | None = None) -> None:
    """The built-in rules as rows, each with its first version (idempotent: a rule already
    there keeps the bureau's edits)."""
    now = now or timezone.now()
    existing = set(SupervisionRule.objects.values_list("code", flat=True))
    for built in BUILT_IN:
        if built.code in existing:
            continue
        with transaction.atomic():
            rule, created = SupervisionRule.objects.get_or_create(code=built.code, defaults={
                "name": built.name, "watches": built.watches, "description": built.description,
                "thresholds": built.thresholds, "level": built.level, "updated_at": now})
            if created:
                RuleVersion.objects.create(rule=rule, number=1, thresholds=rule.thresholds, level=rule.level,
                                           enabled=True, created_at=now)


def _threshold_values(rule: SupervisionRule, thresholds: dict) -> dict:
    """The rule's own thresholds, each a whole number from 1 to 10,000."""
    cleaned = {}
    for name in rule.thresholds:
        label = THRESHOLD_LABELS.get(name, name)
        try:
            value = int(thresholds.get(name, rule.thresholds[name]))
        except (TypeError, ValueError):
            raise Invalid(f"{label}：应为整数", field=name) from None
        if not 1 <= value <= 10_000:
            raise Invalid(f"{label}：应在1至10000之间", field=name)
        cleaned[name] = value
    return cleaned


@transaction.atomic
def rule_update(*, actor, rule: SupervisionRule, thresholds: dict, level: str, enabled: bool,
                now: datetime | None = None) -> SupervisionRule:
    """The bureau edits a rule: a new version, which alerts raised from now on name."""
    now = now or timezone.now()
    require(actor, "supervision.rules")
    if level not in dict(SupervisionRule._meta.get_field("level").choices):
        raise Invalid("预警级别：取值不在允许范围内", field="level")
    values = _threshold_values(rule, thresholds)
    rule = SupervisionRule.objects.select_for_update().get(pk=rule.pk)
    before = {"thresholds": rule.thresholds, "level": rule.level, "enabled": rule.enabled, "version": rule.version}
    rule.thresholds, rule.level, rule.enabled, rule.version, rule.updated_at = values, level, enabled, \
        rule.version + 1, now
    rule.save(update_fields=["thresholds", "level", "enabled", "version", "updated_at"])
    RuleVersion.objects.create(rule=rule, number=rule.version, thresholds=values, level=level, enabled=enabled,
                               created_at=now, created_by=actor)
    audit_record(actor=actor, action="supervision.rule_update", obj=rule, before=before,
                 after={"thresholds": values, "level": level, "enabled": enabled, "version": rule.version}, now=now)
    return rule


BATCH = 2000  # findings raised, or subjects looked at again, per query


def _batches(items, size: int = BATCH):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _raise(rule: SupervisionRule, version: RuleVersion, findings, now: datetime) -> int:
    """Insert an alert per new finding, a batch at a time. One raised before is skipped; one a
    concurrent sweep raises at the same moment is refused by the unique key (ignore_conflicts).
    Findings given as a query are raised by the database itself (`_raise_selected`)."""
    if isinstance(findings, QuerySet):
        return _raise_selected(rule, version, findings, now)
    count = 0
    for batch in _batches(findings):
        raised = set(Alert.objects.filter(rule=rule, subject_id__in={f.subject_id for f in batch})
                     .values_list("subject_id", "occurrence"))
        alerts = [Alert(rule=rule, rule_version=version, subject=rule.watches, subject_id=f.subject_id,
                        occurrence=f.occurrence, subject_label=f.label[:100], center_id=f.center_id,
                        window_id=f.window_id, staff_id=f.staff_id, level=version.level, evidence=f.evidence,
                        raised_at=now)
                  for f in batch if (f.subject_id, f.occurrence) not in raised]
        Alert.objects.bulk_create(alerts, ignore_conflicts=True)
        count += len(alerts)
        if BY_CODE[rule.code].notify and alerts:
            # Only the rows this sweep wrote (its own `raised_at`): one a concurrent sweep raised
            # first was skipped here, and its heads heard of it from that sweep.
            _notify_heads(rule, list(Alert.objects.filter(
                rule=rule, raised_at=now, subject_id__in={a.subject_id for a in alerts},
                occurrence__in={a.occurrence for a in alerts})))
    return count


def _notify_heads(rule: SupervisionRule, alerts: list[Alert]) -> None:
    """The centre's heads hear of each new alert of the rule by SMS (an empty window cannot wait
    for the next look at the console)."""
    centres = {c.pk: c for c in ServiceCenter.objects.filter(pk__in={a.center_id for a in alerts})}
    for alert in alerts:
        center = centres[alert.center_id]
        text = f"【政务服务】{center.name}{alert.subject_label}：{rule.name}，请立即处理。"
        for head in _heads_of(center):
            send_sms(head.phone, text)


def _raise_selected(rule: SupervisionRule, version: RuleVersion, findings: QuerySet, now: datetime) -> int:
    """One INSERT … SELECT of the findings a query selects: the rows never leave the database,
    and the unique key skips those raised before or by a concurrent sweep."""
    table = connection.ops.quote_name(Alert._meta.db_table)
    try:
        select, params = findings.query.sql_with_params()
    except EmptyResultSet:  # a query that can select nothing (no centre yet)
        return 0
    columns = ", ".join(f"f.{connection.ops.quote_name(column)}" for column in FINDING_COLUMNS)
    raised_at = Alert._meta.get_field("raised_at").get_db_prep_value(now, connection)
    sql = (f"INSERT INTO {table} (rule_id, rule_version_id, subject, level, state, outcome, explanation, "
           f"closing_note, raised_at, subject_id, occurrence, subject_label, center_id, window_id, staff_id, "
           f"evidence) SELECT %s, %s, %s, %s, %s, '', '', '', %s, {columns} FROM ({select}) f WHERE 1 = 1 "
           f"ON CONFLICT (rule_id, subject, subject_id, occurrence) DO NOTHING")
    with connection.cursor() as cursor:
        cursor.execute(sql, (rule.pk, version.pk, rule.watches, version.level, AlertState.OPEN, raised_at, *params))
        return cursor.rowcount


def _close_resolved(rule: SupervisionRule, sweep: Sweep, thresholds: dict) -> int:
    """Open alerts of the rule whose subject no longer breaks it close themselves."""
    built = BY_CODE[rule.code]
    if built.breaking is None:  # a breach that is history: only the bureau closes it
        return 0
    alerts = Alert.objects.filter(rule=rule, state__in=OPEN_STATES)
    if built.changed is not None and sweep.narrow:
        # The changed subjects' ids first, then their alerts by batches: as one query with a
        # subquery, PostgreSQL took 0.7 s a rule over 47,000 alerts (bench/supervision.py).
        changed = sorted(set(built.changed(sweep)))
        open_alerts = [row for batch in _batches(changed)
                       for row in alerts.filter(subject_id__in=batch).values_list("pk", "subject_id")]
    else:
        open_alerts = list(alerts.values_list("pk", "subject_id"))
    still: set[int] = set()
    for batch in _batches(sorted({subject_id for _, subject_id in open_alerts})):
        still |= built.breaking(sweep, thresholds, batch)
    resolved = [pk for pk, subject_id in open_alerts if subject_id not in still]
    return sum(_close_resolved_batch(batch, sweep.now) for batch in _batches(resolved))


RESOLVED_NOTE = "监察对象已不再触发本规则（如办件已办结、排队号已叫号）"


@transaction.atomic
def _close_resolved_batch(pks: list[int], now: datetime) -> int:
    """Close the alerts of `pks` still open, with a history row each: the rows are locked and
    their state compared in the UPDATE; one being explained right now is skipped and looked at
    again by the next sweep."""
    rows = list(Alert.objects.filter(pk__in=pks, state__in=OPEN_STATES).select_for_update(skip_locked=True)
                .values_list("pk", "state"))
    if not rows:
        return 0
    Alert.objects.filter(pk__in=[pk for pk, _ in rows], state__in=OPEN_STATES).update(
        state=AlertState.CLOSED, outcome=AlertOutcome.RESOLVED, closed_at=now, closing_note=RESOLVED_NOTE)
    AlertTransition.objects.bulk_create([AlertTransition(alert_id=pk, from_state=state, to_state=AlertState.CLOSED,
                                                         at=now, note=RESOLVED_NOTE) for pk, state in rows])
    return len(rows)


def supervision_sweep(*, now: datetime | None = None) -> int:
    """Evaluate every enabled rule over what changed since its last sweep and what passed a
    time threshold since then; raise new alerts, close resolved ones. Safe in any number of
    copies: an alert's unique key refuses a second raise, a close compares and sets the state.
    Returns how many alerts were raised or closed."""
    now = now or timezone.now()
    rules_ensure(now)
    # The revision first: a calendar edited in between is newer than the one the marks name,
    # and the next sweep looks at everything again.
    revision = current_revision()
    calendar = get_calendar()
    done = 0
    for rule in SupervisionRule.objects.filter(enabled=True, code__in=BY_CODE).select_related("mark"):
        mark = getattr(rule, "mark", None)
        if mark is not None and (mark.rule_version, mark.calendar_revision) != (rule.version, revision):
            mark = None  # swept before an edit of the rule or the calendar: look at everything
        sweep = Sweep(now=now, since=mark.swept_at - OVERLAP if mark else None, calendar=calendar,
                      last=mark.swept_at if mark else None)
        version = RuleVersion.objects.get(rule=rule, number=rule.version)
        # Resolved ones close first: what this sweep raises it has just found breaking the rule.
        done += _close_resolved(rule, sweep, rule.thresholds)
        done += _raise(rule, version, BY_CODE[rule.code].find(sweep, rule.thresholds), now)
        swept = {"swept_at": now, "rule_version": rule.version, "calendar_revision": revision}
        if not SweepMark.objects.filter(rule=rule, swept_at__lt=now).update(**swept):
            SweepMark.objects.get_or_create(rule=rule, defaults=swept)
    return done


def _transition(pk: int, to: str, *, actor, now: datetime, outcome: str = "", note: str = "") -> int:
    """Compare and set one alert's state, with its history row; 0 if another got there first."""
    sources = [state for state, targets in ALERT_TRANSITIONS.items() if to in targets]
    changes = {"state": to}
    if to == AlertState.EXPLAINED:
        changes.update(explanation=note, explained_at=now)
    if to == AlertState.CLOSED:
        changes.update(outcome=outcome, closed_at=now, closing_note=note)
    with transaction.atomic():
        alert = Alert.objects.filter(pk=pk, state__in=sources).select_for_update().first()
        if alert is None:
            return 0
        Alert.objects.filter(pk=pk).update(**changes)
        AlertTransition.objects.create(alert_id=pk, from_state=alert.state, to_state=to, actor=actor, at=now,
                                       note=note)
        audit_record(actor=actor, action=f"alert.{'explain' if to == AlertState.EXPLAINED else 'close'}",
                     obj=alert, center=alert.center, before={"state": alert.state},
                     after=changes | {"outcome": outcome}, now=now)
    return 1


def alert_explain(*, actor, alert: Alert, explanation: str, now: datetime | None = None) -> Alert:
    """The centre explains an open alert (说明)."""
    now = now or timezone.now()
    require(actor, "supervision.explain", alert.center_id)
    text = text_input(explanation, field="explanation", label="情况说明")
    if not _transition(alert.pk, AlertState.EXPLAINED, actor=actor, now=now, note=text):
        raise Conflict("该预警已说明或已关闭", code="invalid_state")
    return Alert.objects.get(pk=alert.pk)


def alert_close(*, actor, alert: Alert, outcome: str, note: str = "", now: datetime | None = None) -> Alert:
    """The bureau closes an alert: the explanation accepted, or the alert upheld."""
    now = now or timezone.now()
    require(actor, "supervision.decide", alert.center_id)
    if outcome not in (AlertOutcome.ACCEPTED, AlertOutcome.UPHELD):
        raise Invalid("处理结果：应为说明已采纳或维持预警", field="outcome")
    note = text_input(note, field="note", label="关闭意见", required=False)
    if not _transition(alert.pk, AlertState.CLOSED, actor=actor, now=now, outcome=outcome, note=note):
        raise Conflict("该预警已关闭", code="invalid_state")
    return Alert.objects.get(pk=alert.pk)



# --- supervision orders (督办单) and cards ------------------------------------------------

def _heads_of(center) -> list:
    """Who hears of an order: the centre's managers and the people of its department."""
    from servicehall.accounts.models import Role, User

    heads = Q(role=Role.MANAGER, memberships__center=center)
    if center.department_id:
        heads |= Q(memberships__department_id=center.department_id)
    return list(User.objects.filter(heads, is_active=True).exclude(phone="").distinct())


def _notify(order: SupervisionOrder, text: str) -> None:
    phones = [user.phone for user in _heads_of(order.center)]
    transaction.on_commit(lambda: [send_sms(phone, text) for phone in phones])


def _order_step(order: SupervisionOrder, action: str, to: str, *, actor, now: datetime, note: str = "",
                **changes) -> SupervisionOrder:
    """Compare and set the order's state (and what else changes with it), with its history row."""
    sources = [state for state, targets in ORDER_TRANSITIONS.items() if to in targets]
    if action == "escalate":
        sources = [OrderState.OPEN]
    updated = SupervisionOrder.objects.filter(pk=order.pk, state__in=sources, color=order.color,
                                              due_date=order.due_date).update(state=to, **changes)
    if not updated:
        raise Conflict("该督办单已被他人处理，请刷新后重试", code="invalid_state")
    fresh = SupervisionOrder.objects.select_related("center").get(pk=order.pk)
    OrderTransition.objects.create(order=fresh, action=action, from_state=order.state, to_state=to, color=fresh.color,
                                   due_date=fresh.due_date, actor=actor, at=now, note=note)
    audit_record(actor=actor, action=f"order.{action}", obj=fresh, center=fresh.center,
                 before={"state": order.state, "color": order.color, "due_date": order.due_date},
                 after={"state": to, "color": fresh.color, "due_date": fresh.due_date, "note": note}, now=now)
    return fresh


def _cards_for(order: SupervisionOrder, kind: str, *, actor, now: datetime) -> int:
    """The staff named in the order's alerts each get `kind` once for this order."""
    staff = set(order.alerts.exclude(staff=None).values_list("staff_id", flat=True))
    reason = f"督办单第{order.pk}号（{order.get_color_display()}）：{order.requirement[:100]}"
    cards = [Card(staff_id=pk, center=order.center, kind=kind, reason=reason, order=order, issued_by=actor,
                  issued_at=now) for pk in sorted(staff)]
    Card.objects.bulk_create(cards, ignore_conflicts=True)
    return len(cards)


@transaction.atomic
def order_issue(*, actor, center, alerts: list[Alert], requirement: str, days: int, color: str = OrderColor.BLUE,
                now: datetime | None = None) -> SupervisionOrder:
    """The bureau turns one or more alerts of a centre into an order with a deadline in working
    days; the staff they name get a reminder, the centre's heads an SMS."""
    now = now or timezone.now()
    require(actor, "supervision.order", center)
    requirement = text_input(requirement, field="requirement", label="督办事项及要求", limit=2000)
    if not alerts:
        raise Invalid("所涉预警：请至少选择一条预警", field="alerts")
    if any(alert.center_id != center.pk for alert in alerts):
        raise Invalid("所涉预警：只能选择被督办中心的预警", field="alerts")
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise Invalid("办理时限：应为整数", field="days") from None
    if not 1 <= days <= 30:
        raise Invalid("办理时限：应为1至30个工作日", field="days")
    if color not in (OrderColor.BLUE, OrderColor.ORANGE):
        raise Invalid("督办级别：新督办单为蓝色或橙色", field="color")
    due = get_calendar().add_workdays(timezone.localdate(now), days).due
    order = SupervisionOrder.objects.create(center=center, requirement=requirement, color=color, days=days,
                                            due_date=due, issued_by=actor, issued_at=now)
    order.alerts.set(alerts)
    OrderTransition.objects.create(order=order, action="issue", to_state=OrderState.OPEN, color=color, due_date=due,
                                   actor=actor, at=now)
    audit_record(actor=actor, action="order.issue", obj=order, center=center,
                 after={"color": color, "due_date": due, "alerts": [a.pk for a in alerts], "days": days}, now=now)
    _cards_for(order, CardKind.REMINDER if color == OrderColor.BLUE else CardKind.YELLOW, actor=actor, now=now)
    _notify(order, f"【电子监察】{center.name}：收到{order.get_color_display()}单第{order.pk}号，"
                   f"请于{due:%-m月%-d日}前办理并反馈。")
    return order


@transaction.atomic
def order_reply(*, actor, order: SupervisionOrder, reply: str, evidence: str = "",
                now: datetime | None = None) -> SupervisionOrder:
    """The centre says what it did, with its evidence."""
    now = now or timezone.now()
    require(actor, "supervision.reply", order.center_id)
    reply = text_input(reply, field="reply", label="整改情况", limit=2000)
    evidence = text_input(evidence, field="evidence", label="佐证材料说明", limit=1000, required=False)
    if order.state != OrderState.OPEN:
        raise Conflict("该督办单当前不能反馈", code="invalid_state")
    return _order_step(order, "reply", OrderState.REPLIED, actor=actor, now=now, note=reply, reply=reply,
                       evidence=evidence, replied_by=actor, replied_at=now)


@transaction.atomic
def order_close(*, actor, order: SupervisionOrder, accepted: bool, note: str = "",
                now: datetime | None = None) -> SupervisionOrder:
    """The bureau closes a replied order, or sends an insufficient reply back (the deadline
    stands)."""
    now = now or timezone.now()
    require(actor, "supervision.order", order.center_id)
    note = text_input(note, field="note", label="办结意见", limit=1000, required=not accepted)
    if order.state != OrderState.REPLIED:
        raise Conflict("督办单须在中心反馈后办结", code="invalid_state")
    if accepted:
        return _order_step(order, "close", OrderState.CLOSED, actor=actor, now=now, note=note, closed_at=now,
                           closing_note=note)
    return _order_step(order, "return", OrderState.OPEN, actor=actor, now=now, note=note)


def orders_escalate(now: datetime | None = None) -> int:
    """Open orders past their deadline go up one colour with a new deadline of their working
    days, on working days only (an order due before a holiday escalates on the first working
    day after it). The staff they name get the card of the new colour, the heads an SMS. Safe
    in copies: each step compares the colour and deadline it read."""
    now = now or timezone.now()
    calendar, today = get_calendar(), timezone.localdate(now)
    if not calendar.is_workday(today):
        return 0
    done = 0
    for order in SupervisionOrder.objects.filter(state=OrderState.OPEN, due_date__lt=today,
                                                 color__in=list(NEXT_COLOR)).select_related("center"):
        color = NEXT_COLOR[order.color]
        due = calendar.add_workdays(today, order.days).due
        try:
            with transaction.atomic():
                fresh = _order_step(order, "escalate", OrderState.OPEN, actor=None, now=now, color=color, due_date=due,
                                    note=f"逾期未办理，升级为{OrderColor(color).label}")
                _cards_for(fresh, CardKind.YELLOW if color == OrderColor.ORANGE else CardKind.RED, actor=None, now=now)
                _notify(fresh, f"【电子监察】{fresh.center.name}：督办单第{fresh.pk}号逾期未办理，已升级为"
                               f"{fresh.get_color_display()}，请于{due:%-m月%-d日}前办理并反馈。")
        except Conflict:
            continue  # another copy escalated it a moment ago
        done += 1
    return done


@transaction.atomic
def card_issue(*, actor, staff, center, kind: str, reason: str, alert: Alert | None = None,
               now: datetime | None = None) -> Card:
    """The bureau gives a staff member a reminder or a card of its own accord."""
    now = now or timezone.now()
    require(actor, "supervision.card", center)
    if kind not in CardKind.values:
        raise Invalid("类别：应为提醒、黄牌或红牌", field="kind")
    reason = text_input(reason, field="reason", label="事由", limit=1000)
    if not staff.memberships.filter(center=center).exists():
        raise Invalid("人员：不是该中心的人员", field="staff")
    card = Card.objects.create(staff=staff, center=center, kind=kind, reason=reason, alert=alert, issued_by=actor,
                               issued_at=now)
    audit_record(actor=actor, action="card.issue", obj=card, center=center,
                 after={"staff": staff.username, "kind": kind, "reason": reason}, now=now)
    return card
