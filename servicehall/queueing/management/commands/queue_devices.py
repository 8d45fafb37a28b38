"""Print each centre's kiosk, hall display and booking addresses (for `make run` and set-up)."""

from django.core.management.base import BaseCommand

from servicehall.queueing.models import QueueSettings


class Command(BaseCommand):
    help = "列出各中心取号机、叫号大屏的地址"

    def add_arguments(self, parser):
        parser.add_argument("--base", default="", help="地址前缀，例如 http://127.0.0.1:8000")

    def handle(self, *args, base="", **options):
        for s in QueueSettings.objects.select_related("center").order_by("center__code"):
            self.stdout.write(f"{s.center.name}：取号机 {base}/queue/kiosk/{s.kiosk_key}/  "
                              f"叫号大屏 {base}/queue/display/{s.display_key}/")
