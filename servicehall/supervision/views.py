"""Supervision pages: the bureau's console, alerts and orders (the centre's manager sees its
own and answers them), and each person's reminders and cards."""

from datetime import date

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from servicehall.accounts.permissions import can
from servicehall.org.models import ServiceCenter
from servicehall.web import apply_service, requires

from . import selectors, services
from .models import (
    Alert,
    AlertOutcome,
    AlertState,
    CardKind,
    Level,
    OrderColor,
    OrderState,
    SupervisionOrder,
    SupervisionRule,
)
from .rules import evidence_items

VIEWERS = requires("supervision.view")


@VIEWERS
@require_safe
def console(request):
    """监察总览: open alerts per centre and rule, orders by colour, 30 days of alerts."""
    data = selectors.console(request.user, timezone.now())
    return render(request, "supervision/console.html", data | {"chart": data["trend"]})


def _filters(request) -> dict:
    filters = {key: request.GET.get(key, "").strip() for key in selectors.ALERT_FILTERS}
    if filters["since"]:
        try:
            filters["since"] = date.fromisoformat(filters["since"])
        except ValueError:
            messages.error(request, "起始日期：格式应为YYYY-MM-DD")
            filters["since"] = ""
    return filters


@VIEWERS
@require_http_methods(["GET", "POST"])
def alerts(request):
    """The alert list with its filters; the bureau ticks alerts of one centre and turns them
    into a supervision order."""
    if request.method == "POST":
        chosen = list(Alert.objects.for_user(request.user).filter(pk__in=request.POST.getlist("alert")))
        if not chosen:
            messages.error(request, "所涉预警：请至少勾选一条预警")
            return redirect(request.get_full_path())
        outcome = apply_service(request, lambda: services.order_issue(
            actor=request.user, center=chosen[0].center, alerts=chosen,
            requirement=request.POST.get("requirement", ""), days=request.POST.get("days", ""),
            color=request.POST.get("color", OrderColor.BLUE)))
        if outcome:
            messages.success(request, f"已下发督办单第{outcome.result.pk}号。")
            return redirect("supervision:order", order_id=outcome.result.pk)
        return redirect(request.get_full_path())
    filters = _filters(request)
    rows = list(selectors.alerts_for(request.user, filters)[:300])
    for alert in rows:
        alert.items = evidence_items(alert.evidence)
        alert.url = selectors.subject_url(alert)
    return render(request, "supervision/alerts.html", {
        "rows": rows, "filters": filters, "rules": SupervisionRule.objects.order_by("watches", "code"),
        "centers": ServiceCenter.objects.for_user(request.user).order_by("code"),
        "states": [("unclosed", "未关闭"), *AlertState.choices], "levels": Level.choices,
        "can_order": can(request.user, "supervision.order"), "colors": OrderColor.choices[:2]})


@VIEWERS
@require_http_methods(["GET", "POST"])
def alert_detail(request, alert_id: int):
    alert = get_object_or_404(Alert.objects.for_user(request.user).select_related(
        "rule", "rule_version", "center", "window", "staff"), pk=alert_id)
    if request.method == "POST":
        if request.POST.get("action") == "explain":
            apply_service(request, lambda: services.alert_explain(
                actor=request.user, alert=alert, explanation=request.POST.get("explanation", "")),
                done="已提交情况说明，等待营商局审核。")
        else:
            apply_service(request, lambda: services.alert_close(
                actor=request.user, alert=alert, outcome=request.POST.get("outcome", ""),
                note=request.POST.get("note", "")), done="已关闭该预警。")
        return redirect("supervision:alert", alert_id=alert_id)
    return render(request, "supervision/alert.html", {
        "alert": alert, "items": evidence_items(alert.evidence), "subject_url": selectors.subject_url(alert),
        "history": alert.transitions.select_related("actor"), "orders": alert.orders.all(),
        "can_explain": alert.state == AlertState.OPEN and can(request.user, "supervision.explain", alert.center_id),
        "can_close": alert.state != AlertState.CLOSED and can(request.user, "supervision.decide", alert.center_id),
        # Without an explanation the likely outcome is to uphold the alert: it comes first.
        "outcomes": [(o.value, o.label) for o in ((AlertOutcome.UPHELD, AlertOutcome.ACCEPTED)
                                                   if alert.state == AlertState.OPEN
                                                   else (AlertOutcome.ACCEPTED, AlertOutcome.UPHELD))]})


@VIEWERS
@require_safe
def orders(request):
    state = request.GET.get("state", "")
    rows = list(selectors.orders_for(request.user, state)[:300])
    today = timezone.localdate()
    for order in rows:
        order.is_overdue = order.state == OrderState.OPEN and order.due_date < today
    return render(request, "supervision/orders.html", {"rows": rows, "state": state, "states": OrderState.choices})


@VIEWERS
@require_http_methods(["GET", "POST"])
def order_detail(request, order_id: int):
    order = get_object_or_404(SupervisionOrder.objects.for_user(request.user).select_related("center", "issued_by"),
                              pk=order_id)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "reply":
            apply_service(request, lambda: services.order_reply(
                actor=request.user, order=order, reply=request.POST.get("reply", ""),
                evidence=request.POST.get("evidence", "")), done="已反馈，等待营商局审核。")
        else:
            accepted = action == "close"
            apply_service(request, lambda: services.order_close(
                actor=request.user, order=order, accepted=accepted, note=request.POST.get("note", "")),
                done="督办单已办结。" if accepted else "已退回，请中心重新办理。")
        return redirect("supervision:order", order_id=order_id)
    alerts = list(order.alerts.select_related("rule", "staff"))
    for alert in alerts:
        alert.items = evidence_items(alert.evidence)
    return render(request, "supervision/order.html", {
        "order": order, "alerts": alerts, "history": order.transitions.select_related("actor"),
        "cards": order.cards.select_related("staff"),
        "is_overdue": order.state == OrderState.OPEN and order.due_date < timezone.localdate(),
        "can_reply": order.state == OrderState.OPEN and can(request.user, "supervision.reply", order.center_id),
        "can_close": order.state == OrderState.REPLIED and can(request.user, "supervision.order", order.center_id)})


@requires("supervision.mine")
@require_safe
def my_cards(request):
    """A clerk's own reminders and cards, and the alerts that name them; an alert on a case
    leads to the case (the clerk handles the centre's cases, not its rectifications)."""
    alerts = list(Alert.objects.filter(staff=request.user).select_related("rule").order_by("-raised_at")[:50])
    for alert in alerts:
        alert.url = selectors.subject_url(alert) if alert.subject == "case" else None
    return render(request, "supervision/cards.html", {
        "cards": selectors.cards_for(request.user, mine=True)[:200], "mine": True, "kinds": CardKind.choices,
        "alerts": alerts})


@VIEWERS
@require_safe
def cards(request):
    return render(request, "supervision/cards.html", {"cards": selectors.cards_for(request.user, mine=False)[:300],
                                                      "mine": False, "kinds": CardKind.choices})
