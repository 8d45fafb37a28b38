from django.core.management.base import BaseCommand

from servicehall.ops.demo import demo_password, load_demo


class Command(BaseCommand):
    help = "Create (idempotently) the Longgang demo district, centres, windows, staff and accounts."

    def handle(self, *args, **options):
        accounts = load_demo()
        password = demo_password()
        self.stdout.write("演示数据已就绪：龙港区（211403）、区行政服务中心及分中心。")
        self.stdout.write(f"演示账号（密码均为 {password}）：")
        for a in accounts:
            self.stdout.write(f"  {a.username:<14} {a.role:<11} {a.full_name:<6} {','.join(a.centers)}")
