"""Writes of electronic supervision: the sweep that raises and closes alerts, the bureau's rule
edits, and the centre's explanation and the bureau's closing of an alert."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from servicehall.accounts.permissions import require
from servicehall.audit.services import audit_record
from servicehall.lib.errors import Conflict, Invalid
from servicehall.workcalendar.selectors import get_calendar

from .models import (
    ALERT_TRANSITIONS,
    Alert,
    AlertOutcome,
    AlertState,
    AlertTransition,
    RuleVersion,
    SupervisionRule,
    SweepMark,
)
from .rules import BUILT_IN, BY_CODE, THRESHOLD_LABELS, Sweep

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


def _raise(rule: SupervisionRule, version: RuleVersion, findings, now: datetime) -> int:
    """Insert an alert per new finding. One raised before is skipped; one a concurrent sweep
    raises at the same moment is refused by the unique key (ignore_conflicts)."""
    findings = list(findings)
    if not findings:
        return 0
    raised = set(Alert.objects.filter(rule=rule, subject_id__in={f.subject_id for f in findings})
                 .values_list("subject_id", "occurrence"))
    alerts = [Alert(rule=rule, rule_version=version, subject=rule.watches, subject_id=f.subject_id,
                    occurrence=f.occurrence, subject_label=f.label[:100], center_id=f.center_id, window_id=f.window_id,
                    staff_id=f.staff_id, level=version.level, evidence=f.evidence, raised_at=now)
              for f in findings if (f.subject_id, f.occurrence) not in raised]
    Alert.objects.bulk_create(alerts, ignore_conflicts=True, batch_size=1000)
    return len(alerts)


def _close_resolved(rule: SupervisionRule, sweep: Sweep, thresholds: dict) -> int:
    """Open alerts of the rule whose subject no longer breaks it close themselves."""
    open_alerts = dict(Alert.objects.filter(rule=rule, state__in=OPEN_STATES).values_list("pk", "subject_id"))
    if not open_alerts:
        return 0
    still = BY_CODE[rule.code].breaking(sweep, thresholds, list(set(open_alerts.values())))
    resolved = [pk for pk, subject_id in open_alerts.items() if subject_id not in still]
    closed = 0
    for pk in resolved:
        closed += _transition(pk, AlertState.CLOSED, actor=None, now=sweep.now, outcome=AlertOutcome.RESOLVED,
                              note="监察对象已不再触发本规则（如办件已办结、排队号已叫号）", quiet=True)
    return closed


def supervision_sweep(*, now: datetime | None = None) -> int:
    """Evaluate every enabled rule over what changed since its last sweep and what passed a
    time threshold since then; raise new alerts, close resolved ones. Safe in any number of
    copies: an alert's unique key refuses a second raise, a close compares and sets the state.
    Returns how many alerts were raised or closed."""
    now = now or timezone.now()
    rules_ensure(now)
    calendar = get_calendar()
    done = 0
    for rule in SupervisionRule.objects.filter(enabled=True, code__in=BY_CODE).select_related("mark"):
        mark = getattr(rule, "mark", None)
        sweep = Sweep(now=now, since=mark.swept_at - OVERLAP if mark else None, calendar=calendar,
                      last=mark.swept_at if mark else None)
        version = RuleVersion.objects.get(rule=rule, number=rule.version)
        done += _raise(rule, version, BY_CODE[rule.code].find(sweep, rule.thresholds), now)
        done += _close_resolved(rule, sweep, rule.thresholds)
        marks = SweepMark.objects.filter(rule=rule).filter(Q(swept_at__lt=now))
        if not marks.update(swept_at=now) and mark is None:
            SweepMark.objects.get_or_create(rule=rule, defaults={"swept_at": now})
    return done


def _transition(pk: int, to: str, *, actor, now: datetime, outcome: str = "", note: str = "",
                quiet: bool = False) -> int:
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
        if not quiet:
            audit_record(actor=actor, action=f"alert.{'explain' if to == AlertState.EXPLAINED else 'close'}",
                         obj=alert, center=alert.center, before={"state": alert.state},
                         after=changes | {"outcome": outcome}, now=now)
    return 1


def alert_explain(*, actor, alert: Alert, explanation: str, now: datetime | None = None) -> Alert:
    """The centre explains an open alert (说明)."""
    now = now or timezone.now()
    require(actor, "supervision.explain", alert.center_id)
    text = (explanation or "").strip()
    if not text:
        raise Invalid("情况说明：请填写", field="explanation")
    if len(text) > 1000:
        raise Invalid("情况说明：不能超过1000字", field="explanation")
    if not _transition(alert.pk, AlertState.EXPLAINED, actor=actor, now=now, note=text):
        raise Conflict("该预警已说明或已关闭", code="invalid_state")
    return Alert.objects.get(pk=alert.pk)


def alert_close(*, actor, alert: Alert, outcome: str, note: str = "", now: datetime | None = None) -> Alert:
    """The bureau closes an alert: the explanation accepted, or the alert upheld."""
    now = now or timezone.now()
    require(actor, "supervision.decide", alert.center_id)
    if outcome not in (AlertOutcome.ACCEPTED, AlertOutcome.UPHELD):
        raise Invalid("处理结果：应为说明已采纳或维持预警", field="outcome")
    if len((note or "").strip()) > 1000:
        raise Invalid("关闭意见：不能超过1000字", field="note")
    if not _transition(alert.pk, AlertState.CLOSED, actor=actor, now=now, outcome=outcome, note=(note or "").strip()):
        raise Conflict("该预警已关闭", code="invalid_state")
    return Alert.objects.get(pk=alert.pk)

