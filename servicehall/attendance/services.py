"""Writes of attendance: devices registered by a centre's manager, and the punches devices send.

Punches are stored as they came, once: the unique key (device serial, PIN, time) refuses the
second copy of a retried upload, so a device may send the same lines any number of times.
"""

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from servicehall.accounts.models import hash_api_key
from servicehall.accounts.permissions import require
from servicehall.audit.services import audit_record
from servicehall.lib.errors import Conflict, Invalid, text_input
from servicehall.org.models import Staff

from .models import Device, Punch, PunchSource, PunchState, RefusedPunch

# A punch later than this past the server's clock is a device whose clock is wrong.
CLOCK_SLACK = timedelta(minutes=5)
BATCH = 1000  # punches written per INSERT


def device_register(*, actor, center, serial: str, name: str, now: datetime | None = None) -> tuple[Device, str]:
    """A centre's manager registers a clock-in terminal by its serial number. Returns the device
    and its JSON API key (shown once; only its hash is kept)."""
    now = now or timezone.now()
    require(actor, "attendance.devices", center.pk)
    serial = text_input(serial, field="serial", label="设备序列号", limit=40)
    if not serial.isascii() or not serial.replace("-", "").replace("_", "").isalnum():
        raise Invalid("设备序列号：只能包含字母、数字、连字符和下划线", field="serial")
    name = text_input(name, field="name", label="安装位置", limit=60)
    key = "dev_" + secrets.token_urlsafe(24)
    with transaction.atomic():
        if Device.objects.filter(serial=serial).exists():
            raise Conflict("设备序列号：该设备已登记", code="duplicate", field="serial")
        device = Device.objects.create(center=center, serial=serial, name=name, key_hash=hash_api_key(key),
                                       registered_at=now, registered_by=actor)
        audit_record(actor=actor, action="attendance.device_register", obj=device, center=center,
                     after={"serial": serial, "name": name}, now=now)
    return device, key


@dataclass(frozen=True)
class Line:
    """One punch as a device sent it, before it is checked."""
    pin: str
    at: str  # local time as the device wrote it, "YYYY-MM-DD HH:MM:SS"
    state: str = "0"
    verify: str = "0"
    raw: str = ""


@dataclass(frozen=True)
class Received:
    lines: int
    refused: int


def parse_attlog(body: str) -> list[Line]:
    """The lines of an iclock ATTLOG upload: `PIN\\ttime\\tstatus\\tverify\\tworkcode…`, one per
    punch (blank lines skipped)."""
    lines = []
    for raw in body.splitlines():
        if not raw.strip():
            continue
        fields = raw.split("\t")
        fields += [""] * (4 - len(fields))
        lines.append(Line(pin=fields[0].strip(), at=fields[1].strip(), state=fields[2].strip() or "0",
                          verify=fields[3].strip() or "0", raw=raw))
    return lines


def _punch_time(text: str) -> datetime | None:
    try:
        local = datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    return timezone.make_aware(local, timezone.get_current_timezone())


_STATES = frozenset(PunchState.values)


def _state(text: str) -> int | None:
    return int(text) if text.isdigit() and int(text) in _STATES else None


def punches_receive(*, device: Device, lines: Iterable[Line], source: str = PunchSource.DEVICE,
                    now: datetime | None = None) -> Received:
    """Store a device's punches: each line of a person of the device's centre once; a line the
    centre cannot take (a PIN of no one here, a time that is no time or still to come) logged as
    refused, once. Returns how many lines came and how many were refused."""
    now = now or timezone.now()
    lines = list(lines)
    staff = dict(Staff.objects.filter(center_id=device.center_id, employee_no__in={line.pin for line in lines})
                 .values_list("employee_no", "pk"))
    punches, refused = [], []
    for line in lines:
        at, state = _punch_time(line.at), _state(line.state)
        reason = ("工号不是本中心人员" if line.pin not in staff else "打卡时间格式不对" if at is None
                  else "打卡时间晚于服务器时间（设备时钟有误）" if at > now + CLOCK_SLACK
                  else "打卡状态不对" if state is None else None)
        if reason is not None:
            refused.append(RefusedPunch(center_id=device.center_id, serial=device.serial, pin=line.pin[:20],
                                        line=(line.raw or f"{line.pin}\t{line.at}")[:200], reason=reason,
                                        received_at=now))
            continue
        verify = int(line.verify) if line.verify.isdigit() and int(line.verify) < 1000 else 0
        punches.append(Punch(center_id=device.center_id, staff_id=staff[line.pin], serial=device.serial,
                             pin=line.pin, at=at, source=source, state=state, verify=verify, received_at=now))
    with transaction.atomic():
        Punch.objects.bulk_create(punches, batch_size=BATCH, ignore_conflicts=True)
        RefusedPunch.objects.bulk_create(refused, batch_size=BATCH, ignore_conflicts=True)
        Device.objects.filter(pk=device.pk).update(last_seen_at=now)
    return Received(lines=len(lines), refused=len(refused))


def device_seen(device: Device, now: datetime | None = None) -> None:
    """A device asked for work or shook hands: it is alive."""
    Device.objects.filter(pk=device.pk).update(last_seen_at=now or timezone.now())
