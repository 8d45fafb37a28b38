"""Print every registered clock-in terminal: serial, centre, where it is, when last heard from."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from servicehall.attendance.models import Device


class Command(BaseCommand):
    help = "列出已登记的考勤机（序列号、所属中心、安装位置、最近联络时间）"

    def handle(self, *args, **options):
        devices = Device.objects.select_related("center").order_by("center__code", "serial")
        if not devices:
            self.stdout.write("尚未登记考勤机")
        for device in devices:
            seen = (timezone.localtime(device.last_seen_at).strftime("%Y-%m-%d %H:%M")
                    if device.last_seen_at else "从未联络")
            state = "" if device.is_active else "（已停用）"
            self.stdout.write(f"{device.serial}\t{device.center.code}\t{device.center.name}\t{device.name}"
                              f"\t{seen}{state}")
