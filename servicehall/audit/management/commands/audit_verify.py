from django.conf import settings
from django.core.management.base import BaseCommand

from servicehall.audit.services import audit_chain_check


class Command(BaseCommand):
    help = ("Walk the SM3 audit chain; name the first altered, removed, inserted or unchained row (exit 1). "
            "Each successful run stores the chain head in SH_AUDIT_ANCHOR_FILE, outside the database; "
            "the next run checks the anchor is still in the chain (a removed tail is caught).")

    def add_arguments(self, parser):
        parser.add_argument("--anchor", default=settings.SH_AUDIT_ANCHOR_FILE,
                            help="file that keeps the last verified chain head ('' to skip)")

    def handle(self, *args, **options):
        result = audit_chain_check(anchor_file=options["anchor"])
        if not result.ok:
            self.stderr.write(f"审计链校验失败：{result.problem}（此前 {result.checked} 条完好）")
            raise SystemExit(1)
        self.stdout.write(f"审计链完整：已校验 {result.checked} 条。")
