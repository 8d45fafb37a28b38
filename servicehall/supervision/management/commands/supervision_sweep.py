from django.core.management.base import BaseCommand

from servicehall.supervision.services import supervision_sweep


class Command(BaseCommand):
    help = ("Evaluate the supervision rules over what changed since the last sweep and what passed a "
            "time threshold since then: raise new alerts, close those whose cause is gone. run_workers "
            "runs it every minute; any number of copies may run at once.")

    def handle(self, *args, **options):
        self.stdout.write(f"监察扫描完成：新增或关闭预警 {supervision_sweep()} 条。")
