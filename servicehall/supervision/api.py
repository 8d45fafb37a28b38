"""Electronic supervision over the API: the rules, the alerts (scoped like everything else),
and the centre's explanation and the bureau's closing of an alert."""

from datetime import date, datetime
from typing import Literal

from ninja import Query, Router, Schema, Status
from pydantic import Field

from servicehall.accounts.api_auth import permitted
from servicehall.api_schemas import CenterCode, Id, Moment, Reason, errors, text
from servicehall.lib.errors import NotFound
from servicehall.org.selectors import center_for_user

from . import services
from .models import Alert, AlertOutcome, SupervisionOrder, SupervisionRule

router = Router(tags=["电子监察"], auth=permitted("supervision.view"))

FIELD_LABELS = {"rule": "规则", "state": "状态", "since": "起始时间", "explanation": "情况说明", "outcome": "处理结果",
                "note": "关闭意见", "alert_id": "预警编号", "alerts": "所涉预警", "requirement": "督办事项及要求",
                "color": "督办级别", "reply": "整改情况", "evidence": "佐证材料说明", "order_id": "督办单编号"}


class RuleOut(Schema):
    code: str
    name: str
    watches: str = Field(description="监察对象：case 办件 / ticket 排队号 / rectification 差评整改 / inquiry 首问登记")
    description: str
    thresholds: dict = Field(description="阈值：minutes 分钟数、workdays 工作日数；办件临近到期随办件亮灯规则")
    level: str = Field(description="yellow 黄色预警 / red 红色预警")
    enabled: bool
    version: int


@router.get("/rules", response={200: list[RuleOut], **errors(401, 403)}, summary="监察规则")
def rules_list(request):
    services.rules_ensure()
    return list(SupervisionRule.objects.values("code", "name", "watches", "description", "thresholds", "level",
                                               "enabled", "version"))


class AlertOut(Schema):
    id: int
    rule: str
    rule_name: str
    rule_version: int = Field(description="触发时规则的版本号")
    level: str
    subject: str
    subject_id: int
    subject_label: str = Field(description="办件编号、排队号等")
    center: str
    window: int | None = Field(description="窗口号")
    staff: str | None = Field(description="责任人")
    evidence: dict = Field(description="触发依据：越过阈值的数字")
    state: str = Field(description="open 待处理 / explained 已说明 / closed 已关闭")
    outcome: str = Field(description="resolved 原因已消除 / accepted 说明已采纳 / upheld 维持预警；未关闭为空")
    raised_at: datetime
    explanation: str
    closing_note: str


def alert_out(alert: Alert) -> dict:
    return {"id": alert.pk, "rule": alert.rule.code, "rule_name": alert.rule.name,
            "rule_version": alert.rule_version.number, "level": alert.level, "subject": alert.subject,
            "subject_id": alert.subject_id, "subject_label": alert.subject_label, "center": alert.center.code,
            "window": alert.window.number if alert.window else None,
            "staff": alert.staff.full_name or alert.staff.username if alert.staff else None,
            "evidence": alert.evidence, "state": alert.state, "outcome": alert.outcome, "raised_at": alert.raised_at,
            "explanation": alert.explanation, "closing_note": alert.closing_note}


class AlertFilters(Schema):
    center: CenterCode | None = None
    rule: text(40) | None = None
    state: Literal["open", "explained", "closed"] | None = None
    since: Moment | None = Field(None, description="此时刻及以后触发的预警，须带时区，如 2026-12-01T00:00:00+08:00")
    limit: int = Field(200, ge=1, le=1000, description="条数")


@router.get("/alerts", response={200: list[AlertOut], **errors(400, 401, 403)}, summary="监察预警")
def alerts_list(request, filters: Query[AlertFilters]):
    alerts = Alert.objects.for_user(request.user).select_related("rule", "rule_version", "center", "window", "staff")
    if filters.center:
        alerts = alerts.filter(center__code=filters.center)
    if filters.rule:
        alerts = alerts.filter(rule__code=filters.rule)
    if filters.state:
        alerts = alerts.filter(state=filters.state)
    if filters.since:
        alerts = alerts.filter(raised_at__gte=filters.since)
    return [alert_out(a) for a in alerts[: filters.limit]]


def _alert(request, alert_id: int) -> Alert:
    alert = Alert.objects.for_user(request.user).select_related("rule", "rule_version", "center").filter(
        pk=alert_id).first()
    if alert is None:
        raise NotFound("未找到该预警")
    return alert


class ExplainIn(Schema):
    explanation: Reason


@router.post("/alerts/{alert_id}/explain", auth=permitted("supervision.explain"),
             response={200: AlertOut, **errors(400, 401, 403, 404, 409)}, summary="中心作出情况说明")
def alert_explain(request, alert_id: Id, payload: ExplainIn):
    alert = services.alert_explain(actor=request.user, alert=_alert(request, alert_id), explanation=payload.explanation)
    return alert_out(_alert(request, alert.pk))


class CloseIn(Schema):
    outcome: Literal["accepted", "upheld"] = Field(description="accepted 说明已采纳 / upheld 维持预警")
    note: Reason = ""


@router.post("/alerts/{alert_id}/close", auth=permitted("supervision.decide"),
             response={200: AlertOut, **errors(400, 401, 403, 404, 409)}, summary="营商局关闭预警")
def alert_close(request, alert_id: Id, payload: CloseIn):
    alert = services.alert_close(actor=request.user, alert=_alert(request, alert_id),
                                 outcome=AlertOutcome(payload.outcome), note=payload.note)
    return alert_out(_alert(request, alert.pk))



class OrderOut(Schema):
    id: int
    center: str
    color: str = Field(description="blue 蓝色督办 / orange 橙色督办 / red 红色督办")
    state: str = Field(description="open 待办理 / replied 已反馈 / closed 已办结")
    requirement: str
    days: int
    due_date: date
    alerts: list[int]
    issued_at: datetime
    reply: str
    evidence: str
    closing_note: str


def order_out(order: SupervisionOrder) -> dict:
    return {"id": order.pk, "center": order.center.code, "color": order.color, "state": order.state,
            "requirement": order.requirement, "days": order.days, "due_date": order.due_date,
            "alerts": sorted(a.pk for a in order.alerts.all()), "issued_at": order.issued_at, "reply": order.reply,
            "evidence": order.evidence, "closing_note": order.closing_note}


def _orders(request):
    return SupervisionOrder.objects.for_user(request.user).select_related("center").prefetch_related("alerts")


@router.get("/orders", response={200: list[OrderOut], **errors(400, 401, 403)}, summary="督办单")
def orders_list(request, state: Literal["open", "replied", "closed"] | None = None):
    orders = _orders(request)
    return [order_out(o) for o in (orders.filter(state=state) if state else orders)[:500]]


class OrderIn(Schema):
    center: CenterCode
    alerts: list[Id] = Field(min_length=1, max_length=100, description="所涉预警的编号")
    requirement: text(2000)
    days: int = Field(ge=1, le=30, description="办理时限（工作日）")
    color: Literal["blue", "orange"] = "blue"


@router.post("/orders", auth=permitted("supervision.order"),
             response={201: OrderOut, **errors(400, 401, 403, 404)}, summary="下发督办单（营商局）")
def order_create(request, payload: OrderIn):
    center = center_for_user(request.user, payload.center)
    alerts = list(Alert.objects.for_user(request.user).filter(pk__in=payload.alerts))
    if len(alerts) != len(set(payload.alerts)):
        raise NotFound("所涉预警：未找到其中的预警", field="alerts")
    order = services.order_issue(actor=request.user, center=center, alerts=alerts, requirement=payload.requirement,
                                 days=payload.days, color=payload.color)
    return Status(201, order_out(_orders(request).get(pk=order.pk)))


class ReplyIn(Schema):
    reply: text(2000)
    evidence: text(1000) = ""


@router.post("/orders/{order_id}/reply", auth=permitted("supervision.reply"),
             response={200: OrderOut, **errors(400, 401, 403, 404, 409)}, summary="反馈督办单（被督办中心）")
def order_reply(request, order_id: Id, payload: ReplyIn):
    order = _orders(request).filter(pk=order_id).first()
    if order is None:
        raise NotFound("未找到该督办单")
    services.order_reply(actor=request.user, order=order, reply=payload.reply, evidence=payload.evidence)
    return order_out(_orders(request).get(pk=order.pk))
