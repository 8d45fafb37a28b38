"""Give every active window an evaluation pad and print the pads' addresses (for set-up)."""

from django.core.management.base import BaseCommand

from servicehall.org.models import Window
from servicehall.reviews.models import EvaluationPad


class Command(BaseCommand):
    help = "为每个启用的窗口生成评价器地址并列出"

    def add_arguments(self, parser):
        parser.add_argument("--base", default="", help="地址前缀，例如 http://127.0.0.1:8000")

    def handle(self, *args, base="", **options):
        for window in Window.objects.filter(is_active=True).select_related("center").order_by("center__code", "number"):
            pad, _ = EvaluationPad.objects.get_or_create(window=window)
            self.stdout.write(f"{window.center.name} {window.number}号窗口：评价器 {base}/reviews/pad/{pad.key}/")
