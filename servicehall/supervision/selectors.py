"""Reads of electronic supervision: the console's figures and the filtered lists, each scoped
to the centres the user sees."""

from datetime import date, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone

from servicehall.org.models import ServiceCenter

from .models import Alert, AlertState, Card, Level, OrderColor, OrderState, SupervisionOrder, SupervisionRule
from .rules import BY_CODE

OPEN = (AlertState.OPEN, AlertState.EXPLAINED)
ALERT_FILTERS = ("center", "rule", "state", "level", "since")


def alerts_for(user, filters: dict):
    """The alerts the user may see, filtered by centre code, rule code, state (or "unclosed" for
    open and explained), level and the first day raised; newest first."""
    alerts = Alert.objects.for_user(user).select_related("rule", "rule_version", "center__district", "window",
                                                         "staff")
    if filters.get("center"):
        alerts = alerts.filter(center__code=filters["center"])
    if filters.get("rule"):
        alerts = alerts.filter(rule__code=filters["rule"])
    state = filters.get("state")
    if state == "unclosed":
        alerts = alerts.filter(state__in=OPEN)
    elif state in AlertState.values:
        alerts = alerts.filter(state=state)
    if filters.get("level") in Level.values:
        alerts = alerts.filter(level=filters["level"])
    if isinstance(filters.get("since"), date):
        alerts = alerts.filter(raised_at__date__gte=filters["since"])
    return alerts.order_by("-raised_at", "-id")


def console(user, now) -> dict:
    """Open alerts per centre × rule (with the colour of the worst), the tiles, the orders and
    30 days of alerts raised per day by level."""
    centers = list(ServiceCenter.objects.for_user(user).select_related("district").order_by("code"))
    counts = {(row["center_id"], row["rule_id"]): row for row in Alert.objects.for_user(user).filter(state__in=OPEN)
              .values("center_id", "rule_id").annotate(n=Count("id"), red=Count("id", filter=Q(level=Level.RED)))}
    # A column per rule with open alerts; the quiet ones are named below the table.
    every_rule = list(SupervisionRule.objects.filter(code__in=BY_CODE).order_by("watches", "code"))
    busy = {rule_id for _, rule_id in counts}
    rules = [rule for rule in every_rule if rule.pk in busy]
    matrix = []
    for center in centers:
        cells = []
        for rule in rules:
            row = counts.get((center.pk, rule.pk))
            n = row["n"] if row else 0
            light = "green" if not n else ("red" if row["red"] else "yellow")
            listed = f"{reverse('supervision:alerts')}?center={center.code}&rule={rule.code}&state=unclosed"
            cells.append({"n": n, "light": light, "url": listed})
        total = sum(cell["n"] for cell in cells)
        matrix.append({"center": center, "cells": cells, "total": total,
                       "url": f"{reverse('supervision:alerts')}?center={center.code}&state=unclosed"})
    today = timezone.localdate(now)
    first = today - timedelta(days=29)
    per_day = {(row["day"], row["level"]): row["n"] for row in Alert.objects.for_user(user)
               .filter(raised_at__date__gte=first).annotate(day=TruncDate("raised_at"))
               .values("day", "level").annotate(n=Count("id"))}
    days = [first + timedelta(days=i) for i in range(30)]
    orders = SupervisionOrder.objects.for_user(user)
    open_orders = orders.exclude(state=OrderState.CLOSED)
    return {
        "rules": rules, "matrix": matrix, "quiet_rules": [rule for rule in every_rule if rule.pk not in busy],
        "tiles": {
            "red": Alert.objects.for_user(user).filter(state__in=OPEN, level=Level.RED).count(),
            "yellow": Alert.objects.for_user(user).filter(state__in=OPEN, level=Level.YELLOW).count(),
            "explained": Alert.objects.for_user(user).filter(state=AlertState.EXPLAINED).count(),
            "orders": {color: open_orders.filter(color=color).count() for color in OrderColor.values},
            "overdue_orders": open_orders.filter(state=OrderState.OPEN, due_date__lt=today).count(),
        },
        "trend": {"days": [f"{d:%m-%d}" for d in days],
                  "levels": [{"name": label, "level": level, "counts": [per_day.get((d, level), 0) for d in days]}
                             for level, label in Level.choices]},
    }


def orders_for(user, state: str = ""):
    orders = SupervisionOrder.objects.for_user(user).select_related("center", "issued_by")
    if state == "unclosed":
        orders = orders.exclude(state=OrderState.CLOSED)
    elif state in OrderState.values:
        orders = orders.filter(state=state)
    return orders.order_by("-issued_at", "-id")


def cards_for(user, *, mine: bool):
    cards = Card.objects.filter(staff=user) if mine else Card.objects.for_user(user)
    return cards.select_related("staff", "center", "order", "alert").order_by("-issued_at", "-id")


def subject_url(alert: Alert) -> str | None:
    """Where the alert's subject is shown to whoever may see it."""
    if alert.subject == "case":
        return reverse("cases:detail", args=[alert.subject_label])
    if alert.subject == "rectification":
        return reverse("reviews:rectification", args=[alert.subject_id])
    if alert.subject == "inquiry":
        return reverse("inquiries:detail", args=[alert.subject_id])
    if alert.subject == "complaint":
        return reverse("complaints:detail", args=[alert.subject_id])
    return None
