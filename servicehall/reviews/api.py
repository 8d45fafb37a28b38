"""Reviews over the API. A review comes from the citizen only: from the window's evaluation
pad (`X-Pad-Key`, channel 4, for a service of that window) or with the ticket's own token
(the QR code on the slip and the status page, or the SMS link). Staff sessions cannot post one.
"""

from datetime import date, datetime
from typing import Annotated

from django.utils import timezone
from ninja import Router, Schema, Status
from pydantic import Field

from servicehall.accounts.api_auth import permitted
from servicehall.api_schemas import CenterCode, Id, Moment, errors, text
from servicehall.cases.models import Case
from servicehall.lib.errors import Forbidden, Invalid, NotFound
from servicehall.queueing.models import Ticket

from . import selectors, services
from .models import BAD_REASONS, Channel, Level, RectificationStatus, Review

router = Router(tags=["好差评"])

# Chinese names of this router's request fields, for validation messages (servicehall/api.py).
FIELD_LABELS = {"level": "评价", "channel": "评价渠道", "indicators": "分项评价", "comment": "评价内容",
                "verdict": "对整改的评价", "reasons": "差评原因",
                "efficiency": "服务效率", "competence": "服务水平", "attitude": "服务态度", "case": "办件编号",
                "token": "评价凭证", "state": "状态", "overdue": "是否超期", "since": "起始时间"}


Score = Annotated[int, Field(ge=min(Level.values), le=max(Level.values), description="5 非常满意 … 1 非常不满意")]
Reasons = Annotated[list[text(max(map(len, BAD_REASONS)))], Field(max_length=len(BAD_REASONS),
                                                                  description="差评原因，取自列出的原因")]


class Indicators(Schema):
    efficiency: Score | None = None
    competence: Score | None = None
    attitude: Score | None = None


class ReviewIn(Schema):
    ticket: Id | None = None
    case: text(32, description="办件编号") | None = None
    level: Score
    channel: int = Field(ge=min(Channel.values), le=max(Channel.values), description="评价渠道（交换接口的 pf 代码）")
    indicators: Indicators | None = None
    comment: text(500) | None = None
    reasons: Reasons | None = None
    token: text(24) | None = None


class ReviewOut(Schema):
    id: int
    level: int
    level_label: str
    channel: int
    bad: bool
    rectification_deadline: date | None
    created_at: datetime


def _service(request, payload: ReviewIn) -> tuple[Ticket | None, Case | None, int]:
    """The service reviewed and the channel, from the pad's key or the ticket's token."""
    pad = selectors.pad_by_key(request.headers.get("X-Pad-Key", ""))
    ticket = case = None
    if payload.ticket is not None:
        ticket = Ticket.objects.filter(pk=payload.ticket).first()
        if ticket is None:
            raise NotFound("未找到该排队号", field="ticket")
    if payload.case:
        case = Case.objects.filter(number=payload.case.strip()).first()
        if case is None:
            raise NotFound("未找到该办件", field="case")
    if pad is not None:
        service_window = (ticket or case).window_id if (ticket or case) else None
        if service_window != pad.window_id:
            raise Forbidden("评价器只能评价本窗口的服务")
        # Only the service the pad is offering right now: a pad's key cannot rate any other
        # service of its window (an earlier citizen's, yesterday's).
        # (A service already rated, or a visit rated as its case, gets the service's own 409.)
        offered = selectors.pending_service(pad, timezone.now())
        if (offered is None or (offered["ticket"], offered["case"]) != (
                ticket.pk if ticket else None, case.number if case else None)) and not _rated_elsewhere(ticket, case):
            raise Forbidden("评价器只能评价正在邀请评价的这次服务")
        return ticket, case, Channel.PAD
    if ticket is not None and payload.token and payload.token == ticket.token and payload.channel != Channel.PAD:
        return ticket, None, payload.channel
    raise Forbidden("请在窗口评价器上评价，或扫描排队凭条、短信中的评价链接")


def _rated_elsewhere(ticket, case) -> bool:
    """Already reviewed, or a ticket whose visit became a case (rated as the case)."""
    if ticket is not None:
        return Review.objects.filter(ticket=ticket).exists() or ticket.cases.exists()
    return case is not None and Review.objects.filter(case=case).exists()


@router.post("/reviews", auth=None, response={201: ReviewOut, **errors(400, 403, 404, 409)}, summary="提交好差评")
def review_create(request, payload: ReviewIn):
    ticket, case, channel = _service(request, payload)
    review = services.review_submit(
        ticket=ticket, case=case, level=payload.level, channel=channel,
        indicators=payload.indicators.dict() if payload.indicators else None, comment=payload.comment or "",
        reasons=payload.reasons)
    return Status(201, _review_out(review))


def _review_out(review) -> dict:
    rectification = getattr(review, "rectification", None)
    return {"id": review.pk, "level": review.level, "level_label": review.get_level_display(),
            "channel": review.channel, "bad": review.is_bad, "created_at": review.created_at,
            "rectification_deadline": rectification.deadline if rectification else None}


class ReviewAmendIn(Schema):
    reasons: Reasons | None = None
    comment: text(500) | None = None


def _pad(request):
    pad = selectors.pad_by_key(request.headers.get("X-Pad-Key", ""))
    if pad is None:
        raise Forbidden("请在窗口评价器上操作")
    return pad


@router.patch("/reviews/{int:review_id}", auth=None, response={200: ReviewOut, **errors(400, 403, 404, 409)},
              summary="补充差评原因或意见（评价器，点选等级后数分钟内）")
def review_amend(request, review_id: Id, payload: ReviewAmendIn):
    """The pad stores the level at the tap (`POST /reviews`); the reasons and comment the
    citizen adds on the next screen come here, from the same pad, within minutes."""
    pad = _pad(request)
    review = Review.objects.filter(pk=review_id, window_id=pad.window_id, channel=Channel.PAD).first()
    if review is None:
        raise NotFound("未找到本评价器的这条评价")
    return _review_out(services.review_amend(review=review, reasons=payload.reasons, comment=payload.comment or ""))


@router.post("/pads/idle", auth=None, response={204: None, **errors(403)}, summary="评价器回到待机")
def pad_idle(request):
    """The pad timed out without a rating: it will not offer the same service again."""
    services.pad_idle(pad=_pad(request))
    return Status(204, None)


class RectificationOut(Schema):
    id: int
    center: str
    status: str
    status_label: str
    deadline: date
    overdue: bool
    level_label: str
    reasons: list[str]
    window: int | None
    created_at: datetime


@router.get("/rectifications", auth=permitted("review.view"),
            response={200: list[RectificationOut], **errors(400, 401, 403)}, summary="差评整改列表")
def rectification_list(request, center: CenterCode = "", state: text(20) = "", overdue: bool = False):
    if state and state not in RectificationStatus.values:
        raise Invalid("状态：不支持的整改状态", field="state")
    today = timezone.localdate()
    return [{"id": r.pk, "center": r.center.code, "status": r.status, "status_label": r.get_status_display(),
             "deadline": r.deadline, "overdue": r.overdue(today), "level_label": r.review.get_level_display(),
             "reasons": r.review.reasons, "window": r.review.window.number if r.review.window_id else None,
             "created_at": r.created_at}
            for r in selectors.rectifications_for(request.user, state=state, overdue=overdue, center=center)[:500]]



class ExchangeOut(Schema):
    case_number: str
    item_code: str
    pf: int
    rater_kind: str
    rater: str
    time: str
    count: int
    satisfaction: int
    satisfaction_gbt39046: int
    satisfaction_label: str
    text: str
    region: str
    department_uscc: str
    handler: str


@router.get("/reviews/export", auth=permitted("review.export"),
            response={200: list[ExchangeOut], **errors(400, 401, 403)}, summary="好差评数据交换（国家交换格式）")
def review_export(request, since: Moment | None = None):
    """Reviews in the national exchange layout: `satisfaction` 5 = 非常满意 (the exchange's
    coding) and `satisfaction_gbt39046` 1 = 非常满意, both from explicit tables."""
    return [selectors.exchange_row(r) for r in selectors.reviews_since(request.user, since)[:10000]]
