"""Shared set-up for the first-inquiry tests."""

from datetime import datetime

from django.utils import timezone

from servicehall.accounts.models import Role, User
from servicehall.inquiries.services import inquiry_log
from servicehall.org.models import Membership
from servicehall.testing import PersonaTestCase


def local(*args) -> datetime:
    """An aware datetime on the wall clock of the hall (Asia/Shanghai)."""
    return timezone.make_aware(datetime(*args))


class InquiryTestCase(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.colleague = User.objects.create_user("staff_a2", role=Role.STAFF, full_name="张伟")
        Membership.objects.create(user=cls.colleague, center=cls.p.center_a)

    def log(self, actor=None, *, at: datetime | None = None, **fields):
        fields.setdefault("topic", "法律援助需要带什么材料")
        fields.setdefault("window", self.p.window_a)
        return inquiry_log(actor=actor or self.p.staff_a, center=self.p.center_a, asked_at=at, now=at, **fields)


def public_item(p, center, name: str):
    """A published item (proposed by the centre's manager, approved by the bureau)."""
    from servicehall.catalog.services import item_change_approve, item_propose
    from servicehall.catalog.tests.test_checks import good

    manager = p.manager_a if center == p.center_a else p.manager_b
    change = item_propose(actor=manager, center=center, data=good(name=name, windows=[1]))
    item_change_approve(actor=p.bureau, change=change)
    change.item.refresh_from_db()
    return change.item
