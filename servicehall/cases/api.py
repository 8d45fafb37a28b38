"""Cases over the API: the same services as the window pages."""

from datetime import date
from decimal import Decimal
from typing import Literal

from django.conf import settings
from ninja import Router, Schema
from pydantic import Field

from servicehall.accounts.api_auth import permitted
from servicehall.accounts.idempotency import replay_or_run
from servicehall.api_schemas import CenterCode, Id, IdNumber, Phone, Reason, errors, hot_json, text
from servicehall.lib.errors import Invalid
from servicehall.org.models import Window
from servicehall.org.selectors import center_for_user_fast

from . import services
from .models import CaseStatus
from .selectors import case_document, case_for_user
from .services.common import PROBLEM_MAX_LENGTH

router = Router(tags=["办件"], auth=permitted("case.view"))

# Chinese names of this router's request fields, for validation messages (servicehall/api.py).
FIELD_LABELS = {"items": "办理事项", "applicant": "申请人", "materials": "已收材料", "faulty": "需补正材料",
                "fees": "收费金额", "reason": "理由", "ticket": "排队号", "credit_code": "统一社会信用代码",
                "kind": "申请人类型", "material": "材料", "problem": "问题及需要补正的内容"}


# A case names at most this many items (a joint case, 联办) and materials.
MAX_ITEMS, MAX_MATERIALS = 20, 200
Number = text(32, description="办件编号")


class ApplicantIn(Schema):
    kind: text(20, description="person 自然人 / org 法人") | None = None
    name: text(100) | None = None
    id_number: IdNumber | None = None
    credit_code: text(18) | None = None
    phone: Phone | None = None


class FaultyIn(Schema):
    material: Id
    problem: text(PROBLEM_MAX_LENGTH)


class CaseIn(Schema):
    center: CenterCode
    items: list[text(40, description="事项实施编码")] = Field(max_length=MAX_ITEMS)
    applicant: ApplicantIn
    materials: list[Id] = Field([], max_length=MAX_MATERIALS)
    faulty: list[FaultyIn] = Field([], max_length=MAX_MATERIALS)
    fees: dict[str, Decimal] = {}
    ticket: Id | None = None
    window: Id | None = None


class MissingOut(Schema):
    id: int
    name: str
    state: str
    problem: str


class CaseCreatedOut(Schema):
    number: str
    status: str
    status_label: str
    missing_materials: list[MissingOut]
    due_date: date | None
    calendar_confirmed: bool


class CaseOut(Schema):
    number: str
    center: str
    status: str
    status_label: str
    applicant: dict
    items: list[dict]
    joint: bool
    instant: bool
    promised_days: int
    received_on: date
    accepted_on: date | None
    deemed_accepted: bool
    due_date: date | None
    remaining_workdays: int | None
    light: str | None
    calendar_confirmed: bool
    suspended_days: int
    extended_days: int
    decided_on: date | None
    completed_on: date | None
    delivery_due: date | None
    delivered_on: date | None
    missing_materials: list[MissingOut]
    bill: dict | None
    steps: list[dict]
    history: list[dict]


@router.post("/cases", auth=permitted("case.handle"), response={201: CaseCreatedOut, **errors(400, 401, 403, 404, 409)},
             summary="收件受理（材料不全时出具一次性告知书）")
def case_create(request, payload: CaseIn):
    center = center_for_user_fast(request.user, payload.center)
    ticket = window = None
    if payload.ticket is not None:
        from servicehall.queueing.models import Ticket

        ticket = Ticket.objects.filter(pk=payload.ticket, center=center).first()
        if ticket is None:
            raise Invalid("排队号：本中心没有该号", field="ticket")
    if payload.window is not None:
        window = Window.objects.filter(pk=payload.window, center=center).first()
        if window is None:
            raise Invalid("窗口：本中心没有该窗口", field="window")

    def receive():
        case = services.case_submit(actor=request.user, center=center, items=payload.items,
                                    applicant=payload.applicant.dict(), materials=payload.materials,
                                    faulty=[f.dict() for f in payload.faulty], fees=payload.fees, ticket=ticket,
                                    window=window)
        # An accepted case had every required material (case_submit); only a notice lists some.
        missing = [] if case.status == CaseStatus.ACCEPTED else [
            {"id": m.material_id, "name": m.name, "state": m.state, "problem": m.problem}
            for m in services.missing_materials(case)]
        return hot_json({"number": case.number, "status": case.status, "status_label": case.get_status_display(),
                         "missing_materials": missing, "due_date": case.due_date,
                         "calendar_confirmed": case.calendar_confirmed}, status=201)

    return replay_or_run(request, "case.receive", receive)  # a retry after a lost answer: the same case


@router.get("/cases/{number}", response={200: CaseOut, **errors(401, 403, 404)}, summary="办件详情")
def case_detail(request, number: Number):
    return case_document(case_for_user(request.user, number))


class ActionIn(Schema):
    reason: Reason | None = None
    days: int | None = Field(None, ge=1, le=max(settings.SH_CASE_EXTENSION_DAYS, settings.SH_CASE_JOINT_EXTENSION_DAYS),
                             description=f"延期的工作日数：至多{settings.SH_CASE_EXTENSION_DAYS}个，"
                                         f"联办件至多{settings.SH_CASE_JOINT_EXTENSION_DAYS}个")
    materials: list[Id] = Field([], max_length=MAX_MATERIALS)
    faulty: list[FaultyIn] = Field([], max_length=MAX_MATERIALS)
    fees: dict[str, Decimal] = {}


@router.post("/cases/{number}/{action}", auth=permitted("case.act"),
             response={200: CaseOut, **errors(400, 401, 403, 404, 409)},
             summary="补正 / 受理 / 不予受理 / 再次告知 / 挂起 / 恢复 / 延期 / 审核 / 批准 / "
                     "不予许可 / 办结 / 送达 / 缴费 / 减免")
def case_action(request, number: Number, action: Literal[services.ACTIONS], payload: ActionIn | None = None):
    payload = payload or ActionIn()
    # Not in one transaction: each service is atomic and compares-and-sets the state it read,
    # and a refused action may still leave its record (a refused second notice).
    case = case_for_user(request.user, number)
    services.case_act(actor=request.user, case=case, action=action, reason=payload.reason, days=payload.days,
                      materials=payload.materials, faulty=[f.dict() for f in payload.faulty], fees=payload.fees)
    return case_document(case_for_user(request.user, number))
