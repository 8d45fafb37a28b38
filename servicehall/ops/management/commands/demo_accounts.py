import json

from django.core.management.base import BaseCommand

from servicehall.accounts.models import User
from servicehall.org.models import BackupPost


class Command(BaseCommand):
    help = "List the demo accounts (as JSON with --json): username, role, centres, window."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        from servicehall.ops.demo import BRANCHES

        usernames = ["bureau", "leader", "scjg_dept", "sysadmin", "secadmin", "auditadmin"]
        usernames += [f"{b[0]}_{suffix}" for b in BRANCHES for suffix in ("manager", "staff1", "staff2")]
        rows = []
        for user in (User.objects.filter(username__in=usernames)
                     .prefetch_related("memberships__center", "memberships__department__centers")):
            centers = sorted({m.center.code for m in user.memberships.all() if m.center_id}
                             | {c.code for m in user.memberships.all() if m.department_id
                                for c in m.department.centers.all()})
            post = BackupPost.objects.filter(holder__user=user).order_by("window__number").first()
            rows.append({"username": user.username, "role": user.role, "centers": centers,
                         "window": post.window_id if post else None})
        rows.sort(key=lambda r: usernames.index(r["username"]))
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False))
        else:
            for r in rows:
                self.stdout.write(f"{r['username']:<14} {r['role']:<11} {','.join(r['centers'])} {r['window'] or ''}")
