from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from servicehall.accounts.models import User
from servicehall.catalog.excel import catalog_import
from servicehall.org.models import ServiceCenter


class Command(BaseCommand):
    help = ("Import the catalogue from an .xlsx workbook in the catalog_export layout, all rows or none, "
            "as USERNAME (a branch manager proposes; the bureau's import is approved at once). "
            "Prints a progress line every N rows and the report; exits 1 when the file is refused.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx workbook")
        parser.add_argument("--user", required=True, help="username of the branch manager or bureau user importing")
        parser.add_argument("--center", help="centre code of every row (rows may then leave 中心编码 blank)")
        parser.add_argument("--every", type=int, default=10, help="print a progress line every N rows (default 10)")

    def handle(self, *args, **options):
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"未找到用户“{options['user']}”，或该用户已停用")
        center = None
        if options["center"]:
            center = ServiceCenter.objects.for_user(user).filter(code=options["center"]).first()
            if center is None:
                raise CommandError(f"未找到中心编码为“{options['center']}”的中心，或该用户无权查看")
        every = max(options["every"], 1)

        def progress(done: int, total: int) -> None:
            if done % every == 0 or done == total:
                self.stdout.write(f"已处理 {done}/{total} 行")

        if not Path(options["file"]).is_file():
            raise CommandError(f"文件不存在：{options['file']}")
        report = catalog_import(actor=user, file=options["file"], center=center, progress=progress)
        if not report.ok:
            self.stderr.write(report.summary)
            for problem in report.problems:
                self.stderr.write(f"  {problem}")
            raise SystemExit(1)
        self.stdout.write(report.summary)
        for label, codes in (("新增", report.created), ("变更", report.changed)):
            if codes:
                self.stdout.write(f"{label}：{'、'.join(codes)}")
