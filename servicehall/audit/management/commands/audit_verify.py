from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from servicehall.audit.selectors import unsealed_overdue
from servicehall.audit.services import audit_chain_check, audit_seal


class Command(BaseCommand):
    help = ("Walk the SM3 audit chain; name the first altered, removed or inserted row (exit 1). "
            "Warns on stderr about rows left unsealed longer than SH_AUDIT_UNSEALED_WARN_MINUTES. "
            "Each successful run stores the chain head in SH_AUDIT_ANCHOR_FILE, outside the database; "
            "the next run checks the anchor is still in the chain (a removed tail is caught).")

    def add_arguments(self, parser):
        parser.add_argument("--seal", action="store_true", help="seal pending rows first")
        parser.add_argument("--anchor", default=settings.SH_AUDIT_ANCHOR_FILE,
                            help="file that keeps the last verified chain head ('' to skip)")

    def handle(self, *args, **options):
        if options["seal"]:
            while audit_seal():
                pass
        result = audit_chain_check(anchor_file=options["anchor"])
        if not result.ok:
            self.stderr.write(f"审计链校验失败：{result.problem}（此前 {result.checked} 条完好）")
            raise SystemExit(1)
        self.stdout.write(f"审计链完整：已校验 {result.checked} 条，待封存 {result.unsealed} 条。")
        minutes = settings.SH_AUDIT_UNSEALED_WARN_MINUTES
        overdue = unsealed_overdue(now=timezone.now(), minutes=minutes) if minutes and result.unsealed else 0
        if overdue:
            self.stderr.write(f"警告：{overdue} 条审计记录超过 {minutes} 分钟仍未封存，"
                              "请检查后台任务（run_workers）是否在运行。")
