"""Demo attendance: one clock-in terminal at the door of each branch centre, registered by its
manager (`manage.py attendance_devices` lists them with their serial numbers)."""

from django.utils import timezone

from servicehall.accounts.models import Role, User
from servicehall.attendance.models import Device
from servicehall.attendance.services import device_register
from servicehall.org.models import CenterKind, ServiceCenter


def load_demo_attendance(district, now=None) -> int:
    """A device per branch centre that has none yet; returns how many were registered."""
    now = now or timezone.now()
    made = 0
    for center in ServiceCenter.objects.filter(district=district, kind=CenterKind.BRANCH).order_by("code"):
        if Device.objects.filter(center=center).exists():
            continue
        manager = User.objects.filter(role=Role.MANAGER, memberships__center=center).order_by("pk").first()
        if manager is None:
            continue
        device_register(actor=manager, center=center, serial=f"LG{center.code}", name="大厅入口考勤机", now=now)
        made += 1
    return made
