"""Open311 GeoReport v2 (JSON) at /open311/v2/, so that a 311 client or a city dashboard can
file complaints and follow them.

- Services are the public kinds of complaint (投诉, 建议, 意见, 表扬) × the active centres; a
  service's code is "<centre code>-<kind>" ("21140301-complaint"). None has extra attributes
  (`metadata` false), so a service's definition lists none.
- A request's `service_request_id` is the complaint's number (TS…): it is numbered when filed,
  so POST answers the number at once; the token of /tokens/{token}.json is that number too.
- POST requests.json takes the GeoReport form fields and an `api_key` (python manage.py
  create_api_key USERNAME); it files as the public does on the web (`channel` web, no actor),
  and the key's user is recorded in the audit trail. `description` becomes the content (its
  first line the title); first_name, last_name and phone the contact (neither: anonymous).
  E-mail, location and media are not kept: the centre is the place, and replies go by phone,
  SMS, letter or in person.
- What is read (the list, one request, a token) is public, so it carries no personal data and
  no free text: no name, phone or e-mail, and no description (what a complainant writes may name
  anyone, themselves included). The status notes are the stage's Chinese label; times are
  ISO 8601 with the +08:00 offset; the expected time is the end of the due day.
- Misconduct reports (举报违规违纪) are not an Open311 service: they go to the bureau so the
  reporter is never known to the people reported, and a public list would show they exist.
  Nor is a complaint the bureau took from the start because it names the centre's manager
  listed (the manager would learn of it); one escalated to the bureau after a second
  dissatisfaction stays listed, the bureau responsible.
- Errors are GeoReport's: the status (400, 403, 404, 405) with `[{"code", "description"}]`,
  the description in Chinese naming the parameter.
"""

import operator
from datetime import datetime, time, timedelta
from functools import reduce, wraps

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.http import JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from servicehall.accounts.services import api_key_user
from servicehall.audit.services import audit_record
from servicehall.lib.errors import Invalid, ServiceError
from servicehall.org.models import District, ServiceCenter
from servicehall.web import public

from .models import OPEN_STATUSES, Channel, Complaint, Handler, Kind, Status
from .services import audit_centre, complaint_file

# The kinds an Open311 client may file and read: every kind but the misconduct report.
KINDS = [kind for kind in Kind if kind != Kind.MISCONDUCT]
MAX_ROWS = 1000  # GeoReport's default upper limit of one answer
MAX_SPAN = timedelta(days=90)  # of a search by dates, and its default: the latest 90 days
MAX_CODES = 100  # service codes in one search
TITLE_LENGTH = 50
# Where a refusal of complaint_file names a field, the GeoReport parameter it came from.
PARAMETERS = {"title": "description", "content": "description", "name": "first_name、last_name", "phone": "phone"}
# Only what a public answer shows is read from the database (the contact stays encrypted and unread).
PUBLIC_FIELDS = ("number", "kind", "status", "handler", "reopened", "received_at", "due", "extended",
                 "refusal_ground", "center__code", "center__name", "center__address", "center__district__code",
                 "center__district__name")


class Refusal(Exception):
    """A GeoReport error answer: its HTTP status and the Chinese description."""

    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status, self.description = status, description


def _answer(data, status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/json; charset=utf-8"
    return response


def _error(status: int, description: str) -> JsonResponse:
    return _answer([{"code": status, "description": description}], status)


def endpoint(*methods: str):
    """An Open311 view: public (a write checks its api_key itself; there is no session, so no
    CSRF), answering only `methods`, and every refusal in GeoReport's error shape. Reads may be
    fetched by a dashboard's page on another site (they are public)."""
    allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method not in allowed:
                response = _error(405, f"不支持{request.method}请求，请使用{'、'.join(methods)}")
                response["Allow"] = ", ".join(sorted(allowed))
                return response
            try:
                response = view(request, *args, **kwargs)
            except Refusal as exc:
                response = _error(exc.status, exc.description)
            except ServiceError as exc:
                response = _error(exc.status if exc.status in (403, 404) else 400, exc.message)
            if request.method in ("GET", "HEAD"):
                response["Access-Control-Allow-Origin"] = "*"
            return response

        return public(csrf_exempt(wrapped))

    return decorator


# Services ------------------------------------------------------------------------------------


def _centre_label(center: ServiceCenter) -> str:
    """"公共法律服务分中心" for "龙港区行政服务中心公共法律服务分中心"; a district centre keeps its name."""
    return center.name.removeprefix(f"{center.district.name}行政服务中心") or center.name


def service_code(center: ServiceCenter, kind: str) -> str:
    return f"{center.code}-{kind}"


def _service_name(center: ServiceCenter, kind: str) -> str:
    return f"{_centre_label(center)} · {Kind(kind).label}"


def _service_json(center: ServiceCenter, kind: Kind) -> dict:
    days = settings.SH_COMPLAINT_DAYS[kind]
    return {
        "service_code": service_code(center, kind), "service_name": _service_name(center, kind),
        "description": f"对{center.name}的{kind.label}，自收到之日起{days}个工作日内办结",
        "metadata": False, "type": "realtime",
        "keywords": ",".join([kind.label, _centre_label(center), center.district.name]),
        "group": center.name,
    }


def _jurisdiction(request) -> District | None:
    """The district asked for (`jurisdiction_id`, its code), or None for all."""
    code = (request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id") or "").strip()
    if not code:
        return None
    district = District.objects.filter(code=code).first()
    if district is None:
        raise Refusal(404, f"jurisdiction_id：未找到行政区划“{code}”")
    return district


def _service(request, code: str, *, status: int, active: bool = True) -> tuple[ServiceCenter, Kind]:
    """The centre and kind of a service code, else refused with `status` naming it."""
    code = (code or "").strip()
    centre_code, _, kind = code.rpartition("-")
    centres = ServiceCenter.objects.select_related("district").filter(code=centre_code)
    center = (centres.filter(is_active=True) if active else centres).first() if centre_code else None
    if kind == Kind.MISCONDUCT:
        where = (f"请在{request.build_absolute_uri(reverse('complaints:public_file', args=[center.code]))}提交"
                 if center is not None and center.is_active else "请在分中心的网上投诉页面提交")
        raise Refusal(status, f"service_code：举报违规违纪不经Open311受理，{where}，由营商局直接办理（{code}）")
    if center is None or kind not in KINDS:
        raise Refusal(status, f"service_code：未找到服务“{code}”" if code else "service_code：请填写服务代码")
    return center, Kind(kind)


@endpoint("GET")
def services(request):
    """GET Service List: the public kinds × the active centres (of the jurisdiction asked for)."""
    centres = ServiceCenter.objects.select_related("district").filter(is_active=True)
    district = _jurisdiction(request)
    if district is not None:
        centres = centres.filter(district=district)
    return _answer([_service_json(center, kind) for center in centres.order_by("district__code", "code")
                    for kind in KINDS])


@endpoint("GET")
def service_definition(request, code: str):
    """GET Service Definition: no service has attributes beyond the standard fields."""
    center, kind = _service(request, code, status=404)
    district = _jurisdiction(request)
    if district is not None and center.district_id != district.pk:
        raise Refusal(404, f"service_code：未找到服务“{code}”")
    return _answer({"service_code": service_code(center, kind), "attributes": []})


# Requests ------------------------------------------------------------------------------------


def public_requests():
    """The complaints an Open311 reader may see: no misconduct report, and nothing the bureau
    took from the start because it names the centre's manager. Escalation (a second
    dissatisfaction) is the only way the bureau takes a centre's complaint later, and it leaves
    `reopened` at 2; one the bureau had from the start is never reopened more than once."""
    return (Complaint.objects.exclude(kind=Kind.MISCONDUCT)
            .filter(Q(handler=Handler.CENTRE) | Q(reopened__gte=2))
            .select_related("center__district").only(*PUBLIC_FIELDS)
            .annotate(updated=Max("events__at")))


def _moment(value) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _status_notes(complaint: Complaint) -> str:
    if complaint.status == Status.REFUSED and complaint.refusal_ground:
        return f"{complaint.get_status_display()}：{complaint.get_refusal_ground_display()}"
    if complaint.extended and complaint.is_open:
        return f"{complaint.get_status_display()}（已延期）"
    return complaint.get_status_display()


def request_json(complaint: Complaint) -> dict:
    """What anyone may read of a complaint: no name, phone or e-mail, and no free text."""
    center = complaint.center
    bureau = complaint.handler == Handler.BUREAU
    expected = (datetime.combine(complaint.due, time(23, 59, 59), tzinfo=timezone.get_current_timezone())
                if complaint.is_open else None)
    return {
        "service_request_id": complaint.number,
        "status": "open" if complaint.is_open else "closed",
        "status_notes": _status_notes(complaint),
        "service_name": _service_name(center, complaint.kind),
        "service_code": service_code(center, complaint.kind),
        "description": None,
        "agency_responsible": f"{center.district.name}{Handler.BUREAU.label}" if bureau else center.name,
        "requested_datetime": _moment(complaint.received_at),
        "updated_datetime": _moment(getattr(complaint, "updated", None) or complaint.received_at),
        "expected_datetime": _moment(expected),
        "address": f"{center.name}，{center.address}" if center.address else center.name,
    }


def _when(request, name: str) -> tuple[datetime, bool] | None:
    """A date parameter (ISO 8601; a time without offset is Beijing time) and whether it was a
    bare date."""
    text = (request.GET.get(name) or "").strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
    except (ValueError, OverflowError):
        raise Refusal(400, f"{name}：日期时间格式应为ISO 8601，如2026-09-30T00:00:00+08:00") from None
    return value, len(text) == 10


def _listed(request):
    """GET Service Requests' filters: service_request_id (overrides the rest), service_code,
    status, start_date and end_date (default and at most 90 days), jurisdiction_id."""
    rows = public_requests()
    district = _jurisdiction(request)
    if district is not None:
        rows = rows.filter(center__district=district)
    numbers = [n.strip().upper() for n in (request.GET.get("service_request_id") or "").split(",") if n.strip()]
    if numbers:
        return rows.filter(number__in=numbers[:MAX_ROWS])
    codes = [c.strip() for c in (request.GET.get("service_code") or "").split(",") if c.strip()]
    if len(codes) > MAX_CODES:
        raise Refusal(400, f"service_code：一次最多查询{MAX_CODES}个服务")
    if codes:
        asked = [_service(request, code, status=400, active=False) for code in codes]
        rows = rows.filter(reduce(operator.or_, (Q(center=center, kind=kind) for center, kind in asked)))
    statuses = {s.strip().lower() for s in (request.GET.get("status") or "").split(",") if s.strip()}
    if statuses - {"open", "closed"}:
        raise Refusal(400, "status：应为open或closed（可用逗号分隔）")
    if statuses == {"open"}:
        rows = rows.filter(status__in=OPEN_STATUSES)
    elif statuses == {"closed"}:
        rows = rows.exclude(status__in=OPEN_STATUSES)
    since, until = _window(request)
    return rows.filter(received_at__gte=since, received_at__lte=until)


def _window(request) -> tuple[datetime, datetime]:
    """start_date and end_date, at most 90 days apart; either missing is 90 days from the other,
    both the latest 90 days."""
    start, end = _when(request, "start_date"), _when(request, "end_date")
    try:
        if end is None:
            until = start[0] + MAX_SPAN if start else timezone.now()
        else:  # a bare end date takes in that whole day
            until = end[0] + timedelta(days=1) - timedelta(microseconds=1) if end[1] else end[0]
        since = start[0] if start else until - MAX_SPAN
    except OverflowError:
        raise Refusal(400, "start_date、end_date：日期超出范围") from None
    if since > until:
        raise Refusal(400, "start_date：不能晚于end_date")
    if until - since > MAX_SPAN:
        raise Refusal(400, "start_date、end_date：查询范围不能超过90天")
    return since, until


def _file(request):
    """POST Service Request: files the complaint as the public does on the web."""
    user = api_key_user((request.POST.get("api_key") or "").strip())
    if user is None:
        raise Refusal(403, "api_key：接口密钥无效或已作废")
    center, kind = _service(request, request.POST.get("service_code", ""), status=400)
    district = _jurisdiction(request)
    if district is not None and center.district_id != district.pk:
        raise Refusal(400, f"service_code：服务“{service_code(center, kind)}”不属于该行政区划")
    description = (request.POST.get("description") or "").strip()
    if not description:
        raise Refusal(400, "description：请填写投诉或建议的内容")
    first_line = description.splitlines()[0].strip()
    title = first_line if len(first_line) <= TITLE_LENGTH else first_line[:TITLE_LENGTH - 1] + "…"
    first, last = (request.POST.get(n, "").strip() for n in ("first_name", "last_name"))
    name = f"{first} {last}".strip() if (first + last).isascii() else f"{last}{first}"  # 姓 then 名
    phone = (request.POST.get("phone") or "").strip()
    try:
        with transaction.atomic():
            complaint, code = complaint_file(actor=None, channel=Channel.WEB, kind=kind, center=center, title=title,
                                             content=description, name=name, phone=phone,
                                             anonymous=not name and not phone)
            audit_record(actor=user, action="complaint.open311_file", obj=complaint, center=audit_centre(complaint),
                         after={"number": complaint.number, "service_code": service_code(center, kind)})
    except Invalid as exc:
        parameter = PARAMETERS.get(exc.field or "")
        raise Refusal(400, f"{exc.message}（{parameter}）" if parameter else exc.message) from None
    status_page = request.build_absolute_uri(reverse("complaints:public_status"))
    notice = (f"已登记为{kind.label}，编号{complaint.number}，查询码{code}（只显示这一次）："
              f"凭编号和查询码可在{status_page}查询办理进度、评价答复。"
              f"{center.name}将于{complaint.due:%Y年%m月%d日}前办结。")
    return _answer([{"service_request_id": complaint.number, "service_notice": notice, "account_id": None}])


@endpoint("GET", "POST")
def request_list(request):
    """GET Service Requests (newest first, at most 1000) or POST Service Request."""
    if request.method == "POST":
        return _file(request)
    rows = _listed(request).order_by("-received_at", "-id")[:MAX_ROWS]
    return _answer([request_json(complaint) for complaint in rows])


def _one(number: str) -> Complaint:
    found = public_requests().filter(number=(number or "").strip().upper()).first()
    if found is None:  # also what is not public: whether it exists is not said
        raise Refusal(404, f"service_request_id：未找到服务请求“{number}”")
    return found


@endpoint("GET")
def request_one(request, number: str):
    """GET Service Request: one complaint, as the list shows it."""
    return _answer([request_json(_one(number))])


@endpoint("GET")
def token_lookup(request, token: str):
    """GET service_request_id from a token: a complaint is numbered at once, so the token is
    its number."""
    return _answer([{"service_request_id": _one(token).number, "token": token}])


@endpoint("GET", "POST")
def xml_refused(request, resource: str):
    """Only JSON is offered (GeoReport's format suffix)."""
    raise Refusal(400, f"仅提供JSON格式：请将“{resource}.xml”改为“{resource}.json”")
