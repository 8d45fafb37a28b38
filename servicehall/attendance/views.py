"""Attendance pages: the centre's board (考勤看板) with its leave approvals; and the iclock
(ZKTeco ADMS push) protocol that fingerprint and face terminals speak.

    GET  /iclock/cdata?SN=…&options=all        handshake: the server's options for the device
    POST /iclock/cdata?SN=…&table=ATTLOG       punches, one tab-separated line each
    GET  /iclock/getrequest?SN=…               the device asks for commands: none ("OK")

A device is known by its serial number alone (the protocol carries nothing else): only a
serial a centre's manager registered is answered, and it may punch only for its own centre's
people (services.punches_receive). Answers are plain text, as devices expect.
"""

import logging

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from servicehall.accounts.permissions import can
from servicehall.org.models import ServiceCenter
from servicehall.org.selectors import get_visible
from servicehall.web import apply_service, public, requires

from . import selectors, services
from .models import Device, Half, Leave

logger = logging.getLogger(__name__)

# The device keeps these: its clock's zone (UTC+8), how often to retry and to push, and that it
# should push each punch at once (Realtime) rather than at set times.
HANDSHAKE = ("GET OPTION FROM: {serial}\r\nATTLOGStamp=None\r\nOPERLOGStamp=9999\r\nATTPHOTOStamp=None\r\n"
             "ErrorDelay=30\r\nDelay=10\r\nTransTimes=00:00;14:05\r\nTransInterval=1\r\nTransFlag=TransData AttLog\r\n"
             "TimeZone=8\r\nRealtime=1\r\nEncrypt=None\r\n")


def _text(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


def _device(request) -> Device | None:
    serial = request.GET.get("SN", "")[:40]
    device = Device.objects.filter(serial=serial, is_active=True).first() if serial else None
    if device is None:
        logger.warning("iclock: refused a device not registered: SN=%r from %s", serial,
                       request.META.get("REMOTE_ADDR"))
    return device


@public
@csrf_exempt
@require_http_methods(["GET", "POST"])
def cdata(request):
    device = _device(request)
    if device is None:
        return _text("ERROR: 设备未登记", status=403)
    if request.method == "GET":
        services.device_seen(device)
        return _text(HANDSHAKE.format(serial=device.serial))
    if request.GET.get("table") != "ATTLOG":
        # Operation logs, user lists and photos are not kept: taken and dropped, so the
        # device does not send them again.
        services.device_seen(device)
        return _text("OK")
    body = request.body
    length = request.META.get("CONTENT_LENGTH", "")
    if length.isdigit() and len(body) != int(length):
        # The connection dropped mid-upload: nothing is kept, and the device sends it all again.
        return _text("ERROR: 上传不完整", status=400)
    body = body.decode("utf-8", errors="replace").replace("\x00", "")
    received = services.punches_receive(device=device, lines=services.parse_attlog(body), now=timezone.now())
    return _text(f"OK: {received.lines}")


@public
@require_GET
def getrequest(request):
    device = _device(request)
    if device is None:
        return _text("ERROR: 设备未登记", status=403)
    services.device_seen(device)
    return _text("OK")


# --- pages ------------------------------------------------------------------------------------

@requires("attendance.board")
@require_safe
def board(request):
    """The centre's attendance today (考勤看板): who is at which window, who is missing, who is
    on leave, and the leaves waiting for the manager."""
    centres = list(ServiceCenter.objects.for_user(request.user).order_by("code"))
    code = request.GET.get("center", "")
    center = next((c for c in centres if c.code == code), None) if code else (centres[0] if centres else None)
    if center is None:
        raise Http404("未找到该中心")
    found = selectors.day_board(center, timezone.now())
    empty = sum(w.state == "empty" for w in found.windows)
    return render(request, "attendance/board.html", {
        "centres": centres, "center": center, "board": found, "empty": empty,
        "half_label": Half(found.half).label if found.half else "",
        "can_decide": can(request.user, "attendance.leave_approve", center.pk)})


@requires("attendance.leave_approve")
@require_POST
def leave_decide(request, leave_id: int):
    """The manager approves or rejects a leave from the board; a refusal (no cover) is shown
    there."""
    leave = get_visible(Leave, request.user, leave_id, label="请假", related=("staff__center", "center"))
    note = request.POST.get("note", "")
    if request.POST.get("decision") == "reject":
        apply_service(request, lambda: services.leave_reject(actor=request.user, leave=leave, note=note),
                      done=f"已驳回{leave.staff.name}的请假")
    else:
        apply_service(request, lambda: services.leave_approve(actor=request.user, leave=leave, note=note),
                      done=f"已批准{leave.staff.name}的请假")
    return redirect(f"{reverse('attendance:board')}?center={leave.center.code}")
