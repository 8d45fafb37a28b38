from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from servicehall.ops.demo import demo_password, load_demo

# scripts/run goes on without the demo when it is refused for this reason (exit status 3).
REFUSED = 3


class Command(BaseCommand):
    help = ("Create (idempotently) the Longgang demo district, centres, windows, staff and accounts. "
            "Refused under SH_PRODUCTION=1, and on any database but SQLite unless --force-demo.")

    def add_arguments(self, parser):
        parser.add_argument("--force-demo", action="store_true",
                            help="load the demo into a non-SQLite database (a test or training installation)")

    def handle(self, *args, **options):
        """Demo accounts share one published password: they must never reach a real hall."""
        if settings.PRODUCTION:
            raise CommandError("生产环境（SH_PRODUCTION=1）不加载演示数据：演示账号使用公开的统一密码。"
                               "请用 create_admins 创建管理员账号。", returncode=REFUSED)
        if connection.vendor != "sqlite" and not options["force_demo"]:
            raise CommandError(f"当前数据库是 {connection.vendor}，不是演示用的 SQLite，未加载演示数据。"
                               "如确为测试或培训环境，请加 --force-demo。", returncode=REFUSED)
        accounts = load_demo()
        password = demo_password()
        self.stdout.write("演示数据已就绪：龙港区（211403）、区行政服务中心及分中心。")
        self.stdout.write(f"演示账号（密码均为 {password}）：")
        for a in accounts:
            self.stdout.write(f"  {a.username:<14} {a.role:<11} {a.full_name:<6} {','.join(a.centers)}")
