"""The demo cases: a few hundred, in every status and light, made by the services, loaded once."""

import logging
from io import StringIO

from django.core.management import call_command
from django.test import TestCase, override_settings
from django.utils import timezone

from servicehall.audit.models import AuditEvent
from servicehall.cases.models import (
    OPEN_STATUSES,
    BillStatus,
    Case,
    CaseStatus,
    CaseTransition,
    ConsolidatedBill,
    Light,
    OneTimeNotice,
)
from servicehall.catalog.models import ItemStatus, ServiceItem
from servicehall.lib.identity import validate_citizen_id, validate_credit_code, validate_mobile
from servicehall.lib.sms import LoggingBackend
from servicehall.testing import FAST_HASHERS
from servicehall.workcalendar.selectors import get_calendar


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@override_settings(PASSWORD_HASHERS=FAST_HASHERS)
class DemoCaseTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        collect, logger = _Collect(), logging.getLogger("servicehall.ops.demo.cases")
        logger.addHandler(collect)
        sms_before = list(LoggingBackend.sent)
        try:
            with cls.captureOnCommitCallbacks(execute=True):  # what would follow the demo's commit
                call_command("load_demo", "--force-demo", stdout=StringIO())
        finally:
            logger.removeHandler(collect)
        cls.refused = collect.messages  # plans the services refused (logged and skipped by the demo)
        cls.sms = list(LoggingBackend.sent) != sms_before

    def test_a_few_hundred_cases_in_every_status_every_plan_accepted_by_the_services(self):
        self.assertEqual(self.refused, [])
        self.assertTrue(300 <= Case.objects.count() <= 400, Case.objects.count())
        self.assertEqual(set(Case.objects.values_list("status", flat=True)), set(CaseStatus.values))
        now = timezone.now()
        self.assertFalse(CaseTransition.objects.filter(at__gt=now).exists())
        self.assertFalse(Case.objects.filter(created_at__lt=now - timezone.timedelta(days=60)).exists())

    def test_every_demo_centre_with_active_items_has_cases(self):
        centres = set(ServiceItem.objects.filter(status=ItemStatus.ACTIVE, current_version__isnull=False)
                      .values_list("center__code", flat=True))
        self.assertGreaterEqual(len(centres), 8)
        self.assertEqual(set(Case.objects.values_list("center__code", flat=True)), centres)

    def test_accepted_cases_have_due_dates_and_every_light_shows_today(self):
        accepted = Case.objects.filter(accepted_on__isnull=False)
        self.assertFalse(accepted.filter(due_date__isnull=True).exists())
        self.assertFalse(Case.objects.filter(status__in=OPEN_STATUSES, due_date__isnull=True).exists())
        today, calendar = timezone.localdate(), get_calendar()
        lights = {case.light(today, calendar) for case in Case.objects.filter(status__in=OPEN_STATUSES)}
        self.assertEqual(lights, {Light.GREEN, Light.YELLOW, Light.RED, Light.PAUSED})

    def test_the_mix_shows_notices_reasons_bills_joint_and_extended_cases(self):
        for case in Case.objects.filter(status=CaseStatus.AWAITING_MATERIALS):
            self.assertTrue(case.notices.exists(), case.number)
        self.assertTrue(OneTimeNotice.objects.exclude(override_reason="").exists())
        for action in ("refuse", "deny", "suspend", "extend", "waive"):
            rows = CaseTransition.objects.filter(action=action)
            self.assertTrue(rows.exists(), action)
            self.assertFalse(rows.filter(reason="").exists(), action)
        self.assertEqual(set(ConsolidatedBill.objects.values_list("status", flat=True)), set(BillStatus.values))
        self.assertTrue(Case.objects.filter(joint=True, items__position=2).exists())
        self.assertTrue(Case.objects.filter(extended_days__gt=0).exists())
        self.assertTrue(Case.objects.filter(deemed_accepted=True).exists())
        # One audit row per service call (receipt, notice, transitions, bills).
        self.assertGreaterEqual(AuditEvent.objects.filter(action__startswith="case.").count(),
                                CaseTransition.objects.count())

    def test_made_up_applicants_get_no_sms(self):
        self.assertFalse(self.sms)

    def test_applicants_have_valid_numbers(self):
        for kind, identity, phone, received in Case.objects.values_list("applicant_kind", "applicant_id",
                                                                        "applicant_phone", "received_on"):
            if kind == "person":
                validate_citizen_id(identity, today=received)
            else:
                validate_credit_code(identity)
            validate_mobile(phone)

    def test_reloading_adds_nothing(self):
        counts = (Case.objects.count(), CaseTransition.objects.count(), OneTimeNotice.objects.count(),
                  ConsolidatedBill.objects.count(), AuditEvent.objects.filter(action__startswith="case.").count())
        call_command("load_demo", "--force-demo", stdout=StringIO())
        self.assertEqual(counts, (Case.objects.count(), CaseTransition.objects.count(), OneTimeNotice.objects.count(),
                                  ConsolidatedBill.objects.count(),
                                  AuditEvent.objects.filter(action__startswith="case.").count()))

    def test_no_demo_account_is_shown_a_dead_end(self):
        """Every demo account walks what it can reach from its home page over the demo's data (one
        page of each kind): no link it is shown answers 403 or 404, and no form it is offered is
        refused by the permission check."""
        from servicehall.accounts.models import User
        from servicehall.testing import crawl

        for username in ("bureau", "leader", "gf_manager", "gf_staff1", "scjg_dept", "sysadmin", "secadmin",
                         "auditadmin"):
            user = User.objects.get(username=username)
            self.client.force_login(user)
            walked = crawl(self.client, user, max_pages=120)
            with self.subTest(account=username):
                self.assertEqual(walked.dead_ends, [])
                self.assertGreater(walked.pages, 1)
