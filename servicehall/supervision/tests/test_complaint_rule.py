"""The complaints' deadlines watched by supervision: a step past its date is a red alert; the
bureau's own complaints (misconduct reports among them) never reach a centre's console."""

from datetime import date

from servicehall.complaints.services import complaint_sign
from servicehall.complaints.tests.test_flow import ComplaintTestCase, at
from servicehall.supervision.models import Alert
from servicehall.supervision.services import rules_ensure, supervision_sweep


class SupervisionTests(ComplaintTestCase):
    def test_a_step_past_its_deadline_is_a_red_alert_and_the_bureaus_own_are_not(self):
        rules_ensure()
        complaint, _ = self.file()  # to be signed by 10-08, handled by 10-20
        self.file(kind="misconduct", title="索要好处费")
        supervision_sweep(now=at(date(2026, 10, 8), 17))
        self.assertFalse(Alert.objects.filter(rule__code="complaint_overdue").exists())
        supervision_sweep(now=at(date(2026, 10, 9), 9))
        [alert] = Alert.objects.filter(rule__code="complaint_overdue")
        self.assertEqual((alert.subject_id, alert.occurrence, alert.evidence["step"], alert.evidence["step_due"]),
                         (complaint.pk, "sign:0", "签收", "2026-10-08"))
        complaint_sign(actor=self.p.manager_a, complaint=complaint, now=at(date(2026, 10, 9), 10))
        supervision_sweep(now=at(date(2026, 10, 9), 10, 1))
        alert.refresh_from_db()
        self.assertEqual(alert.outcome, "resolved")
        supervision_sweep(now=at(date(2026, 10, 21), 9))
        self.assertEqual(list(Alert.objects.filter(rule__code="complaint_overdue").order_by("id")
                              .values_list("occurrence", flat=True)), ["sign:0", "handle:0"])
