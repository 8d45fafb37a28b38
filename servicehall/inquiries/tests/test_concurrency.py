"""Several people acting on one inquiry at once: exactly one change wins, the rest get 409."""

import unittest

from django.db import connection
from django.test import TransactionTestCase, override_settings

from servicehall.accounts.models import Role, User
from servicehall.inquiries.models import FirstInquiry, InquiryEvent
from servicehall.inquiries.services import inquiry_answer, inquiry_close, inquiry_hand_over, inquiry_log
from servicehall.lib.errors import Conflict
from servicehall.org.models import Membership
from servicehall.testing import FAST_HASHERS, Personas, run_together


@unittest.skipUnless(connection.vendor == "postgresql", "threads against one database are tested on PostgreSQL")
@override_settings(PASSWORD_HASHERS=FAST_HASHERS)
class ParallelTransitionTests(TransactionTestCase):
    def test_it_lets_one_of_many_parallel_actions_win(self):
        p = Personas.build()
        colleagues = []
        for n in range(3):
            user = User.objects.create_user(f"colleague{n}", role=Role.STAFF)
            Membership.objects.create(user=user, center=p.center_a)
            colleagues.append(user)
        inquiry = inquiry_log(actor=p.staff_a, center=p.center_a, topic="并发测试")
        actions = [
            lambda i: inquiry_answer(actor=p.staff_a, inquiry=i, answer="答复"),
            lambda i: inquiry_answer(actor=p.manager_a, inquiry=i, answer="负责人答复"),
            lambda i: inquiry_close(actor=p.manager_a, inquiry=i, note="来访人已离开"),
        ] + [lambda i, u=u: inquiry_hand_over(actor=p.staff_a, inquiry=i, to_user=u, note="移交") for u in colleagues]
        copies = [FirstInquiry.objects.get(pk=inquiry.pk) for _ in actions]  # all read before anyone acts
        wins, conflicts = [], []

        def act(action, copy):
            try:
                wins.append(action(copy).status)
            except Conflict:
                conflicts.append(1)

        self.assertEqual(run_together(*[lambda a=a, c=c: act(a, c) for a, c in zip(actions, copies, strict=True)]), [])
        self.assertEqual((len(wins), len(conflicts)), (1, len(actions) - 1))
        self.assertEqual(InquiryEvent.objects.filter(inquiry=inquiry).count(), 2)
        self.assertEqual(FirstInquiry.objects.get().status, wins[0])
