"""The Longgang demo that `make run` loads (`manage.py load_demo`): the notice's district and
branch centres with their people, a catalogue of real-world items, the queues, six weeks of
cases and their reviews. Every step is idempotent and runs through the apps' own services, so
what the demo shows is what the services would have made. Never load it in production.

One module per app's content, in the order they build on each other: `organisation`,
`catalog`, `queue`, `cases` (planned in `case_plans`), `reviews`, `attendance`, `complaints`,
`supervision`.
"""

from django.db import transaction

from servicehall.audit.services import audit_record

from .attendance import load_demo_attendance
from .cases import load_demo_cases
from .catalog import load_demo_catalog
from .complaints import load_demo_complaints
from .organisation import BRANCHES, DemoAccount, demo_password, load_demo_organisation
from .queue import load_demo_queue
from .reviews import load_demo_reviews
from .supervision import load_demo_supervision

__all__ = ["BRANCHES", "DemoAccount", "demo_password", "load_demo"]


@transaction.atomic
def load_demo() -> list[DemoAccount]:
    """Everything, in one transaction; the demo accounts it made or found."""
    district, accounts = load_demo_organisation()
    for step in (load_demo_catalog, load_demo_queue, load_demo_cases, load_demo_reviews, load_demo_attendance,
                 load_demo_complaints, load_demo_supervision):
        step(district)
    audit_record(actor=None, action="demo.load", object_type="org.district", object_id=district.code,
                 object_repr=district.name)
    return accounts
