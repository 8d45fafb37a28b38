from django.core.management.base import BaseCommand

from servicehall.audit.selectors import audit_chain_verify
from servicehall.audit.services import audit_seal


class Command(BaseCommand):
    help = "Walk the SM3 audit chain; name the first altered, removed or inserted row (exit 1)."

    def add_arguments(self, parser):
        parser.add_argument("--seal", action="store_true", help="seal pending rows first")

    def handle(self, *args, **options):
        if options["seal"]:
            while audit_seal():
                pass
        result = audit_chain_verify()
        if result.ok:
            self.stdout.write(f"审计链完整：已校验 {result.checked} 条，待封存 {result.unsealed} 条。")
            return
        self.stderr.write(f"审计链校验失败：{result.problem}（此前 {result.checked} 条完好）")
        raise SystemExit(1)
