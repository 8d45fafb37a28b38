"""The iclock (ZKTeco ADMS push) protocol that fingerprint and face terminals speak.

    GET  /iclock/cdata?SN=…&options=all        handshake: the server's options for the device
    POST /iclock/cdata?SN=…&table=ATTLOG       punches, one tab-separated line each
    GET  /iclock/getrequest?SN=…               the device asks for commands: none ("OK")

A device is known by its serial number alone (the protocol carries nothing else): only a
serial a centre's manager registered is answered, and it may punch only for its own centre's
people (services.punches_receive). Answers are plain text, as devices expect.
"""

import logging

from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from servicehall.web import public

from . import services
from .models import Device

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
    body = body.decode("utf-8", errors="replace")
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
