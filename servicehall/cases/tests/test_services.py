"""The legal rules of case handling, service by service."""

from datetime import date
from decimal import Decimal

from servicehall.audit.models import AuditEvent
from servicehall.cases.models import (
    BillStatus,
    Case,
    CaseStatus,
    CaseTransition,
    ConsolidatedBill,
    Light,
    OneTimeNotice,
    light_for,
)
from servicehall.cases.services import (
    bill_pay,
    bill_waive,
    case_accept,
    case_approve,
    case_complete,
    case_deliver,
    case_deny,
    case_extend,
    case_notify_again,
    case_refuse,
    case_resume,
    case_review,
    case_submit,
    case_supplement,
    case_suspend,
    cases_deem_accepted,
)
from servicehall.catalog.models import ServiceItem
from servicehall.lib.errors import Conflict, Forbidden, Invalid, NotFound
from servicehall.testing import PersonaTestCase
from servicehall.workcalendar.selectors import get_calendar

from .helpers import COMPANY, PERSON, at, fee_data, item_data, materials, publish


class CaseTestCase(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.aid = publish(cls.p, item_data("法律援助申请"))
        cls.notary = publish(cls.p, fee_data())
        cls.aid_materials = materials(cls.aid)
        cls.notary_materials = materials(cls.notary)

    def submit(self, when, *, items=None, present=("申请表", "收入状况证明"), faulty=None, applicant=None, fees=None):
        items = items or [self.aid]
        ids = {name: pk for item in items for name, pk in materials(item).items()}
        return case_submit(actor=self.p.staff_a, center=self.p.center_a, items=[i.code for i in items],
                           applicant=applicant or PERSON, materials=[ids[n] for n in present],
                           faulty=faulty, fees=fees, now=when)


class AcceptanceTests(CaseTestCase):
    def test_it_accepts_complete_materials_with_a_number_and_a_working_day_due_date(self):
        case = self.submit(at(2026, 9, 30))
        self.assertEqual(case.status, CaseStatus.ACCEPTED)
        self.assertEqual(case.number, f"{self.p.center_a.code}-20260930-0001")
        self.assertEqual((case.accepted_on, case.due_date, case.calendar_confirmed),
                         (date(2026, 9, 30), date(2026, 10, 13), True))
        self.assertEqual(self.submit(at(2026, 9, 30)).number, f"{self.p.center_a.code}-20260930-0002")
        self.assertEqual(list(case.transitions.values_list("action", flat=True)), ["receive", "accept"])
        self.assertTrue(AuditEvent.objects.filter(action="case.accept", object_id=str(case.pk)).exists())

    def test_an_item_that_asks_for_no_materials_is_accepted_at_once(self):
        item = publish(self.p, item_data("无犯罪记录证明开具", materials=[]))
        case = self.submit(at(2026, 9, 30), items=[item], present=())
        self.assertEqual(case.status, CaseStatus.ACCEPTED)
        self.assertFalse(case.materials.exists())
        self.assertEqual(list(case.transitions.values_list("action", flat=True)), ["receive", "accept"])

    def test_an_overlong_problem_is_refused_with_the_limit_not_cut(self):
        problem = "签名不清晰，" * 60  # 360 characters
        with self.assertRaises(Invalid) as raised:
            self.submit(at(2026, 9, 28), present=("申请表",),
                        faulty=[{"material": self.aid_materials["申请表"], "problem": problem}])
        self.assertEqual(raised.exception.field, "faulty")
        self.assertIn("不能超过300字（现为360字）", raised.exception.message)
        self.assertFalse(OneTimeNotice.objects.exists())
        self.submit(at(2026, 9, 28), present=("申请表",),
                    faulty=[{"material": self.aid_materials["申请表"], "problem": problem[:300]}])
        self.assertEqual(OneTimeNotice.objects.get().entries[0]["problem"], problem[:300])

    def test_missing_materials_get_one_notice_listing_every_one_then_supplement_and_accept(self):
        case = self.submit(at(2026, 9, 28), present=("申请表",),
                           faulty=[{"material": self.aid_materials["申请表"], "problem": "未签名，请本人签名"}])
        self.assertEqual(case.status, CaseStatus.AWAITING_MATERIALS)
        notice = OneTimeNotice.objects.get(case=case)
        self.assertEqual([(e["material"], e["state"]) for e in notice.entries],
                         [("申请表", "faulty"), ("收入状况证明", "missing")])  # the optional one is not asked for
        self.assertIsNone(case.due_date)
        with self.assertRaises(Conflict) as raised:
            case_accept(actor=self.p.staff_a, case=case, now=at(2026, 9, 28))
        self.assertEqual(raised.exception.code, "invalid_state")
        case = case_supplement(actor=self.p.staff_a, case=case, materials=[self.aid_materials["申请表"]],
                               now=at(2026, 9, 29))
        self.assertEqual(case.status, CaseStatus.RECEIVED)
        with self.assertRaises(Conflict) as raised:  # the income proof is still missing
            case_accept(actor=self.p.staff_a, case=case, now=at(2026, 9, 29))
        self.assertEqual(raised.exception.code, "materials_incomplete")
        with self.assertRaises(Forbidden):  # a second notice needs the bureau
            case_notify_again(actor=self.p.staff_a, case=case, reason="漏告", now=at(2026, 9, 29))
        refused = case.transitions.get(action="notify_refused")  # a supervision event even so
        self.assertEqual((refused.actor, refused.reason, refused.to_status),
                         (self.p.staff_a, "漏告", CaseStatus.RECEIVED))
        self.assertEqual(AuditEvent.objects.get(action="case.notify_refused", object_id=str(case.pk)).outcome,
                         "denied")  # the attempt is on record as refused, not as a success
        self.assertEqual(OneTimeNotice.objects.filter(case=case).count(), 1)
        with self.assertRaises(Forbidden):  # another centre's staff leave no trace on this case
            case_notify_again(actor=self.p.staff_b, case=case, reason="漏告", now=at(2026, 9, 29))
        self.assertEqual(case.transitions.filter(action="notify_refused").count(), 1)
        with self.assertRaises(Invalid) as raised:
            case_notify_again(actor=self.p.bureau, case=case, reason=" ", now=at(2026, 9, 29))
        self.assertEqual(raised.exception.field, "reason")
        case = case_notify_again(actor=self.p.bureau, case=case, reason="首次告知遗漏签章要求，经批准补充告知",
                                 now=at(2026, 9, 29))
        second = case.transitions.filter(action="notify").last()
        self.assertEqual((second.data["repeat"], second.actor), (True, self.p.bureau))
        case = case_supplement(actor=self.p.staff_a, case=case, materials=[self.aid_materials["收入状况证明"]],
                               now=at(2026, 10, 9))
        case = case_accept(actor=self.p.staff_a, case=case, now=at(2026, 10, 9))
        self.assertEqual((case.accepted_on, case.due_date), (date(2026, 10, 9), date(2026, 10, 15)))  # 10-10 is worked

    def test_a_received_case_without_a_decision_for_five_working_days_counts_as_accepted_on_receipt(self):
        case = self.submit(at(2026, 9, 28), present=("申请表",))
        case = case_supplement(actor=self.p.staff_a, case=case, materials=[self.aid_materials["收入状况证明"]],
                               now=at(2026, 9, 29))
        # 5 working days after 09-29: 09-30, 10-08, 10-09, 10-10 (worked Saturday), 10-12.
        self.assertEqual(cases_deem_accepted(now=at(2026, 10, 12)), 0)
        self.assertEqual(cases_deem_accepted(now=at(2026, 10, 13)), 1)
        case.refresh_from_db()
        self.assertEqual((case.status, case.accepted_on, case.deemed_accepted),
                         (CaseStatus.ACCEPTED, date(2026, 9, 29), True))
        self.assertEqual(case.due_date, get_calendar().add_workdays(date(2026, 9, 29), 5).due)
        self.assertIn("即为受理", case.transitions.get(action="accept").reason)
        self.assertEqual(cases_deem_accepted(now=at(2026, 10, 14)), 0)

    def test_a_deemed_case_is_accepted_even_when_a_fee_waits_for_its_amount(self):
        case = self.submit(at(2026, 11, 2), items=[self.notary], present=())
        case = case_supplement(actor=self.p.staff_a, case=case, materials=[self.notary_materials["身份证明"]],
                               now=at(2026, 11, 2))
        blocked = self.submit(at(2026, 11, 3), present=("申请表",))  # a later one must not wait behind it
        case_supplement(actor=self.p.staff_a, case=blocked, materials=[self.aid_materials["收入状况证明"]],
                        now=at(2026, 11, 3))
        self.assertEqual(cases_deem_accepted(now=at(2026, 11, 11)), 2)
        case.refresh_from_db()
        self.assertEqual((case.status, case.deemed_accepted), (CaseStatus.ACCEPTED, True))
        self.assertEqual([line.name for line in case.bill.lines.all()], ["公证费"])  # the fixed fee only

    def test_refusal_needs_a_written_reason(self):
        case = self.submit(at(2026, 11, 26), present=("申请表",))
        with self.assertRaises(Invalid) as raised:
            case_refuse(actor=self.p.staff_a, case=case, reason="", now=at(2026, 11, 26))
        self.assertEqual(raised.exception.field, "reason")
        case = case_refuse(actor=self.p.staff_a, case=case, reason="不属于法律援助事项范围", now=at(2026, 11, 26))
        self.assertEqual(case.status, CaseStatus.REFUSED)

    def test_bad_applicants_name_the_field_and_store_nothing(self):
        bad = [({**PERSON, "id_number": "110105194912310021"}, "applicant.id_number"),
               ({**PERSON, "phone": "12345"}, "applicant.phone"),
               ({**PERSON, "name": " "}, "applicant.name"),
               ({"kind": "org", "name": "某运输公司", "credit_code": "91350100M000100Y44", "phone": "13800138000"},
                "applicant.credit_code"),
               ({**PERSON, "kind": "alien"}, "applicant.kind")]
        for applicant, field in bad:
            with self.subTest(field=field), self.assertRaises(Invalid) as raised:
                self.submit(at(2026, 11, 26), applicant=applicant)
            self.assertEqual(raised.exception.field, field)
        with self.assertRaises(Invalid) as raised:
            case_submit(actor=self.p.staff_a, center=self.p.center_a, items=["NOPE"], applicant=PERSON, materials=[],
                        now=at(2026, 11, 26))
        self.assertEqual(raised.exception.field, "items")
        self.assertFalse(Case.objects.exists())
        org = self.submit(at(2026, 11, 26), applicant={"kind": "org", "name": "某运输公司",
                                                       "credit_code": COMPANY.lower(), "phone": "13800138000"})
        self.assertEqual(org.applicant_id, COMPANY)

    def test_the_history_is_append_only_in_the_database(self):
        from django.db import DatabaseError, connection, transaction

        row = self.submit(at(2026, 11, 26)).transitions.first()
        with self.assertRaises(DatabaseError), transaction.atomic():
            CaseTransition.objects.filter(pk=row.pk).update(reason="改写")
        if connection.vendor == "postgresql":
            with self.assertRaises(DatabaseError), transaction.atomic():
                CaseTransition.objects.filter(pk=row.pk).delete()
        self.assertEqual(CaseTransition.objects.get(pk=row.pk).reason, row.reason)

    def test_a_fee_the_catalogue_does_not_list_is_refused(self):
        copy_fee = self.notary.current_version.fee_rows.get(name="副本费")
        with self.assertRaises(Invalid) as raised:
            self.submit(at(2026, 11, 2), items=[self.notary], present=("身份证明",),
                        fees={copy_fee.pk: "10", copy_fee.pk + 1000: "50"})
        self.assertEqual(raised.exception.field, "fees")
        self.assertFalse(Case.objects.exists())

    def test_a_fee_beyond_what_the_columns_hold_or_not_a_number_is_refused_not_a_500(self):
        copy_fee = self.notary.current_version.fee_rows.get(name="副本费")  # 每份10元, plus a fixed fee
        for amount, expected in (("10000000000", "“副本费”的金额应小于10,000,000,000元"),
                                 ("9999999990", "合计应小于10,000,000,000元"),
                                 ("NaN", "应为非负数"), ("Infinity", "应为非负数"), ("-10", "应为非负数")):
            with self.subTest(amount=amount), self.assertRaises(Invalid) as raised:
                self.submit(at(2026, 11, 2), items=[self.notary], present=("身份证明",), fees={copy_fee.pk: amount})
            self.assertEqual(raised.exception.field, "fees")
            self.assertIn(expected, raised.exception.message)
        self.assertFalse(Case.objects.exists())

    def test_a_fee_by_a_standard_takes_only_what_the_standard_allows(self):
        copy_fee = self.notary.current_version.fee_rows.get(name="副本费")  # 每份10元
        with self.assertRaises(Invalid) as raised:
            self.submit(at(2026, 11, 2), items=[self.notary], present=("身份证明",), fees={copy_fee.pk: "15"})
        self.assertEqual((raised.exception.field, raised.exception.message),
                         ("fees", "收费金额：“副本费”按收费标准（每份10元）应为10元的整数倍，不能收15元"))
        self.assertFalse(Case.objects.exists())
        case = self.submit(at(2026, 11, 2), items=[self.notary], present=("身份证明",), fees={copy_fee.pk: "30"})
        self.assertEqual(case.bill.total, Decimal("110.00"))

    def test_a_receipt_takes_the_items_version_published_a_moment_ago_and_refuses_a_withdrawn_item(self):
        from servicehall.catalog.services import item_change_approve, item_propose, item_withdraw_propose

        first = self.submit(at(2026, 11, 2))  # the item is now in this process's memory
        with self.captureOnCommitCallbacks(execute=True):
            change = item_propose(actor=self.p.manager_a, center=self.p.center_a, item=self.aid,
                                  data=item_data("法律援助申请", promised_days=6, statutory_days=7))
            item_change_approve(actor=self.p.bureau, change=change)
        second = self.submit(at(2026, 11, 2), items=[ServiceItem.objects.get(pk=self.aid.pk)])
        self.assertEqual((first.promised_days, second.promised_days), (5, 6))
        self.assertNotEqual(first.items.get().version_id, second.items.get().version_id)
        with self.captureOnCommitCallbacks(execute=True):
            withdrawal = item_withdraw_propose(actor=self.p.manager_a, item=self.aid, reason="职能划转")
            item_change_approve(actor=self.p.bureau, change=withdrawal)
        with self.assertRaises(Invalid) as raised:
            self.submit(at(2026, 11, 3), items=[ServiceItem.objects.get(pk=self.aid.pk)])
        self.assertEqual(raised.exception.field, "items")

    def test_a_real_credit_code_failing_its_checksum_is_accepted_once_the_bureau_allowed_it(self):
        from servicehall.cases.services import credit_code_exception_add

        failing = "91350100M000100Y44"
        org = {"kind": "org", "name": "某运输公司", "credit_code": failing, "phone": "13800138000"}
        with self.assertRaises(Invalid) as raised:
            self.submit(at(2026, 11, 26), applicant=org)
        self.assertEqual(raised.exception.field, "applicant.credit_code")
        self.assertIn("请营商局登记校验例外", raised.exception.message)
        for user in (self.p.manager_a, self.p.bureau):  # the bureau of one district of several: not for all
            with self.subTest(user=user.username), self.assertRaises(Forbidden):
                credit_code_exception_add(actor=user, code=failing, org_name="某运输公司", reason="已核实")
        city = self.p.city_bureau
        for code, field in ((COMPANY, "code"), ("91350100M00010", "code")):  # valid already; not a code at all
            with self.subTest(code=code), self.assertRaises(Invalid) as raised:
                credit_code_exception_add(actor=city, code=code, org_name="某运输公司", reason="已核实")
            self.assertEqual(raised.exception.field, field)
        with self.assertRaises(Invalid) as raised:
            credit_code_exception_add(actor=city, code=failing, org_name="某运输公司", reason=" ")
        self.assertEqual(raised.exception.field, "reason")
        credit_code_exception_add(actor=city, code=failing.lower(), org_name="某运输公司",
                                  reason="经市场监管局登记系统核实为真实代码")
        self.assertEqual(self.submit(at(2026, 11, 26), applicant=org).applicant_id, failing)
        self.assertTrue(AuditEvent.objects.filter(action="case.credit_code_exception").exists())
        with self.assertRaises(Conflict):
            credit_code_exception_add(actor=city, code=failing, org_name="某运输公司", reason="再次")

    def test_only_operators_of_the_centre_receive_cases(self):
        # Another centre's staff are told it is not found (404), the bureau that it may not (403).
        for user, refusal in ((self.p.staff_b, NotFound), (self.p.bureau, Forbidden)):
            with self.subTest(user=user.username), self.assertRaises(refusal):
                case_submit(actor=user, center=self.p.center_a, items=[self.aid.code], applicant=PERSON,
                            materials=list(self.aid_materials.values()), now=at(2026, 11, 26))


class ClockTests(CaseTestCase):
    def test_suspension_across_national_day_moves_the_due_date_by_the_working_days_lost(self):
        case = self.submit(at(2026, 9, 28))
        self.assertEqual(case.due_date, date(2026, 10, 10))  # 09-29, 09-30, 10-08, 10-09, 10-10 (worked Saturday)
        case = case_suspend(actor=self.p.staff_a, case=case, reason="组织听证", now=at(2026, 9, 30))
        self.assertEqual(case.light(date(2026, 10, 20), get_calendar()), Light.PAUSED)
        with self.assertRaises(Conflict):
            case_approve(actor=self.p.manager_a, case=case, now=at(2026, 10, 8))
        case = case_resume(actor=self.p.staff_a, case=case, now=at(2026, 10, 9))
        # Lost: 10-08 and 10-09 (the holiday itself was never counted): due 10-10 + 2 → 10-13.
        self.assertEqual((case.suspended_days, case.due_date), (2, date(2026, 10, 13)))
        self.assertEqual(case.transitions.get(action="resume").data, {"suspended_workdays": 2})

    def test_a_suspended_case_keeps_the_working_days_it_had_left(self):
        case = self.submit(at(2026, 9, 28))  # due 10-10
        calendar = get_calendar()
        self.assertEqual(case.remaining_workdays(date(2026, 9, 30), calendar), 3)  # 10-08, 10-09, 10-10
        case = case_suspend(actor=self.p.staff_a, case=case, reason="组织听证", now=at(2026, 9, 30))
        self.assertEqual(case.remaining_workdays(date(2026, 10, 20), calendar), 3)
        case = case_resume(actor=self.p.staff_a, case=case, now=at(2026, 10, 20))
        self.assertEqual(case.remaining_workdays(date(2026, 10, 20), calendar), 3)

    def test_a_resume_computed_before_an_extension_does_not_undo_it(self):
        case = case_suspend(actor=self.p.staff_a, case=self.submit(at(2026, 11, 2)), reason="专家评审",
                            now=at(2026, 11, 3))
        stale = Case.objects.get(pk=case.pk)
        case = case_extend(actor=self.p.manager_a, case=case, days=3, reason="需现场核查", now=at(2026, 11, 4))
        with self.assertRaises(Conflict):
            case_resume(actor=self.p.staff_a, case=stale, now=at(2026, 11, 5))
        case = case_resume(actor=self.p.staff_a, case=Case.objects.get(pk=case.pk), now=at(2026, 11, 5))
        # 11-09 + 3 extended + 2 suspended (11-04, 11-05).
        self.assertEqual((case.extended_days, case.due_date), (3, date(2026, 11, 16)))

    def test_one_extension_within_the_legal_days_approved_by_the_head(self):
        case = self.submit(at(2026, 11, 2))
        with self.assertRaises(Forbidden):
            case_extend(actor=self.p.staff_a, case=case, days=5, reason="需现场核查", now=at(2026, 11, 3))
        with self.assertRaises(Invalid) as raised:
            case_extend(actor=self.p.manager_a, case=case, days=11, reason="需现场核查", now=at(2026, 11, 3))
        self.assertEqual(raised.exception.field, "days")
        case = case_extend(actor=self.p.manager_a, case=case, days=10, reason="需现场核查", now=at(2026, 11, 3))
        self.assertEqual(case.due_date, date(2026, 11, 23))  # 11-09 + 10 working days
        with self.assertRaises(Conflict) as raised:
            case_extend(actor=self.p.manager_a, case=case, days=1, reason="再次", now=at(2026, 11, 4))
        self.assertEqual(raised.exception.code, "already_extended")
        # The refused attempt stays in the history (supervision reads it); the due date does not move.
        [refused] = case.transitions.filter(action="extend_refused")
        self.assertEqual((refused.actor, refused.reason, refused.data), (self.p.manager_a, "再次", {
            "refused": True, "extended_days": 10}))
        self.assertEqual(Case.objects.get(pk=case.pk).due_date, date(2026, 11, 23))

    def test_a_joint_case_takes_the_longest_promise_and_may_extend_by_fifteen(self):
        copy_fee = self.notary.current_version.fee_rows.get(name="副本费")
        case = self.submit(at(2026, 11, 2), items=[self.aid, self.notary],
                           present=("申请表", "收入状况证明", "身份证明"), fees={copy_fee.pk: "10"})
        self.assertEqual((case.joint, case.promised_days), (True, 5))
        self.assertEqual(case.steps[0]["name"], "受理")
        case_extend(actor=self.p.bureau, case=case, days=15, reason="多部门联合审查", now=at(2026, 11, 3))

    def test_an_extension_computed_before_a_calendar_edit_does_not_undo_it(self):
        from servicehall.workcalendar.services import calendar_day_set

        case = self.submit(at(2026, 12, 28), items=[publish(self.p, item_data("公证复查", promised_days=5, steps=[
            {"name": "受理", "days": 0}]))])
        stale = Case.objects.get(pk=case.pk)
        calendar_day_set(actor=self.p.bureau, day=date(2027, 1, 1), is_workday=False, name="元旦", now=at(2026, 12, 29))
        with self.assertRaises(Conflict):
            case_extend(actor=self.p.manager_a, case=stale, days=2, reason="需现场核查", now=at(2026, 12, 29))
        case = case_extend(actor=self.p.manager_a, case=Case.objects.get(pk=case.pk), days=2, reason="需现场核查",
                           now=at(2026, 12, 29))
        self.assertEqual(case.due_date, date(2027, 1, 7))  # 01-05 with 元旦 off, + 2 working days

    def test_a_due_date_in_an_unconfirmed_year_is_flagged(self):
        case = self.submit(at(2026, 12, 28),
                           items=[publish(self.p, item_data("公证复查", statutory_days=20, promised_days=20))])
        self.assertEqual(case.due_date.year, 2027)
        self.assertFalse(case.calendar_confirmed)
        self.assertTrue(self.submit(at(2026, 12, 1)).calendar_confirmed)

    def test_the_bureaus_calendar_edit_moves_due_dates_and_confirms_the_year(self):
        from servicehall.workcalendar.services import calendar_day_set, calendar_year_confirm

        three = publish(self.p, item_data("公证复查", promised_days=3, steps=[{"name": "受理", "days": 0},
                                                                          {"name": "决定", "days": 3}]))
        case = self.submit(at(2026, 12, 30), items=[three])
        self.assertEqual((case.due_date, case.calendar_confirmed), (date(2027, 1, 4), False))
        decided = case_approve(actor=self.p.manager_a, case=self.submit(at(2026, 12, 28), items=[three]),
                               now=at(2026, 12, 28))
        self.assertEqual(decided.delivery_due, date(2027, 1, 11))  # 10 working days, 01-01 not yet a holiday
        calendar_day_set(actor=self.p.bureau, day=date(2027, 1, 1), is_workday=False, name="元旦", now=at(2026, 12, 31))
        case.refresh_from_db()
        decided.refresh_from_db()
        self.assertEqual((case.due_date, case.calendar_confirmed, decided.delivery_due),
                         (date(2027, 1, 5), False, date(2027, 1, 12)))
        moved = case.transitions.get(action="redate")
        self.assertEqual((moved.actor, moved.data["from"], moved.data["to"]),
                         (self.p.bureau, "2027-01-04", "2027-01-05"))
        calendar_year_confirm(actor=self.p.bureau, year=2027, confirmed=True, now=at(2026, 12, 31))
        case.refresh_from_db()
        self.assertEqual((case.due_date, case.calendar_confirmed), (date(2027, 1, 5), True))
        self.assertEqual(case.transitions.filter(action="redate").count(), 1)  # the date did not move again

    def test_the_lists_yellow_ranges_agree_with_light_for(self):
        from servicehall.cases.selectors import yellow_ranges

        runs = yellow_ranges(60)
        self.assertEqual(runs[:3], [(0, 14, 2), (15, 19, 3), (20, 24, 4)])
        for first, last, threshold in runs:
            for promised in range(first, last + 1):
                self.assertEqual(light_for(threshold, promised), Light.YELLOW)
                self.assertEqual(light_for(threshold + 1, promised), Light.GREEN)

    def test_lights_are_computed_from_the_due_date(self):
        self.assertEqual([light_for(r, 20) for r in (10, 5, 4, 2, 0, -1)],
                         [Light.GREEN, Light.GREEN, Light.YELLOW, Light.YELLOW, Light.YELLOW, Light.RED])
        case = self.submit(at(2026, 11, 2))  # due 11-09
        calendar = get_calendar()
        self.assertEqual([case.light(date(2026, 11, d), calendar) for d in (3, 5, 9, 10)],
                         [Light.GREEN, Light.YELLOW, Light.YELLOW, Light.RED])
        self.assertEqual(case.remaining_workdays(date(2026, 11, 10), calendar), -1)

    def test_the_bureau_sets_when_a_case_turns_yellow(self):
        from servicehall.cases.selectors import case_list
        from servicehall.cases.services import light_rules_update
        from servicehall.db.caches import LIGHT_RULES

        self.addCleanup(LIGHT_RULES.clear)  # the rolled-back rule must not outlive this test
        case = self.submit(at(2026, 11, 2))  # due 11-09: on 11-04, 3 working days are left
        calendar = get_calendar()
        self.assertEqual(case.light(date(2026, 11, 4), calendar), Light.GREEN)
        for user in (self.p.manager_a, self.p.bureau):
            with self.subTest(user=user.username), self.assertRaises(Forbidden):
                light_rules_update(actor=user, yellow_days=3, yellow_percent=20)
        with self.assertRaises(Invalid) as raised:
            light_rules_update(actor=self.p.city_bureau, yellow_days=3, yellow_percent=101)
        self.assertEqual(raised.exception.field, "yellow_percent")
        light_rules_update(actor=self.p.city_bureau, yellow_days=3, yellow_percent=20, now=at(2026, 11, 4))
        self.assertEqual(case.light(date(2026, 11, 4), calendar), Light.YELLOW)
        self.assertEqual([c.pk for c in case_list(self.p.manager_a, {"light": "yellow"}, at(2026, 11, 4))], [case.pk])
        self.assertTrue(AuditEvent.objects.filter(action="case.light_rules").exists())


class StepTests(CaseTestCase):
    def steps(self, case, day):
        from servicehall.cases.selectors import case_steps

        case.refresh_from_db()
        history = list(case.transitions.select_related("actor").order_by("at", "id"))
        return [(s["name"], s["state"], s["due"], s["on_time"], s["light"])
                for s in case_steps(case, history, day, get_calendar())]

    def test_each_step_has_its_own_limit_its_doer_and_its_time(self):
        case = self.submit(at(2026, 11, 2))  # 受理 (0) → 审查 (4 working days) → 决定 (1)
        self.assertEqual(self.steps(case, date(2026, 11, 2)), [
            ("受理", "done", date(2026, 11, 9), True, None),  # at the latest 5 working days after receipt
            ("审查", "current", date(2026, 11, 6), None, Light.GREEN),
            ("决定", "pending", None, None, None)])
        self.assertEqual(self.steps(case, date(2026, 11, 9))[1][4], Light.RED)
        case_suspend(actor=self.p.staff_a, case=case, reason="检验检测", now=at(2026, 11, 3))
        case = case_resume(actor=self.p.staff_a, case=Case.objects.get(pk=case.pk), now=at(2026, 11, 5))
        case = case_review(actor=self.p.staff_a, case=case, opinion="符合条件",
                           now=at(2026, 11, 9))
        # Suspended 11-04 and 11-05: 审查 was due 11-10 and was done in time; 决定 runs from 11-09.
        self.assertEqual(self.steps(case, date(2026, 11, 9)), [
            ("受理", "done", date(2026, 11, 9), True, None),
            ("审查", "done", date(2026, 11, 10), True, None),
            ("决定", "current", date(2026, 11, 10), None, Light.YELLOW)])
        review = case.transitions.get(action="review")
        self.assertEqual((review.step, review.actor, review.reason), ("审查", self.p.staff_a, "符合条件"))
        case = case_approve(actor=self.p.manager_a, case=case, now=at(2026, 11, 11))
        self.assertEqual(self.steps(case, date(2026, 11, 11))[2][:4], ("决定", "done", date(2026, 11, 10), False))
        self.assertEqual(case.transitions.get(action="approve").step, "决定")

    def test_approval_waits_for_the_reviews_and_a_denial_skips_them(self):
        case = self.submit(at(2026, 11, 2))
        with self.assertRaises(Conflict) as raised:
            case_approve(actor=self.p.manager_a, case=case, now=at(2026, 11, 3))
        self.assertEqual(raised.exception.code, "steps_pending")
        with self.assertRaises(NotFound):  # another centre's case: never revealed (404)
            case_review(actor=self.p.staff_b, case=case, now=at(2026, 11, 3))
        case = case_deny(actor=self.p.manager_a, case=case, reason="经审查不符合法律援助条件", now=at(2026, 11, 3))
        self.assertEqual([row[:2] for row in self.steps(case, date(2026, 11, 3))],
                         [("受理", "done"), ("审查", "skipped"), ("决定", "done")])
        with self.assertRaises(Conflict) as raised:
            case_review(actor=self.p.staff_a, case=case, now=at(2026, 11, 3))
        self.assertEqual(raised.exception.code, "invalid_state")

    def test_a_joint_case_follows_the_default_process(self):
        copy_fee = self.notary.current_version.fee_rows.get(name="副本费")
        case = self.submit(at(2026, 11, 2), items=[self.aid, self.notary],
                           present=("申请表", "收入状况证明", "身份证明"), fees={copy_fee.pk: "10"})
        self.assertEqual(case.review_steps, ["审核"])
        # 审核 has no days of its own: it runs within the case's promise, never red on its own.
        self.assertEqual(self.steps(case, date(2026, 11, 20))[1], ("审核", "current", None, None, None))
        case = case_review(actor=self.p.staff_a, case=case, now=at(2026, 11, 3))
        with self.assertRaises(Conflict) as raised:
            case_review(actor=self.p.staff_a, case=case, now=at(2026, 11, 3))
        self.assertEqual(raised.exception.code, "no_review_step")
        bill_pay(actor=self.p.staff_a, case=case, now=at(2026, 11, 3))
        case = case_approve(actor=self.p.manager_a, case=case, now=at(2026, 11, 4))
        case = case_deliver(actor=self.p.staff_a,
                            case=case_complete(actor=self.p.staff_a, case=case, now=at(2026, 11, 4)),
                            now=at(2026, 11, 5))
        self.assertEqual([row[:2] for row in self.steps(case, date(2026, 11, 5))],
                         [("受理", "done"), ("审核", "done"), ("审批", "done"), ("办结", "done"), ("送达", "done")])
        self.assertEqual(self.steps(case, date(2026, 11, 5))[4][2], case.delivery_due)


class DecisionAndBillTests(CaseTestCase):
    def test_one_bill_for_all_items_and_no_completion_while_unpaid(self):
        with self.assertRaises(Invalid) as raised:  # the fee charged by a standard needs its amount
            self.submit(at(2026, 11, 2), items=[self.aid, self.notary], present=("申请表", "收入状况证明", "身份证明"))
        self.assertEqual(raised.exception.field, "fees")
        copy_fee = self.notary.current_version.fee_rows.get(name="副本费")
        case = self.submit(at(2026, 11, 2), items=[self.aid, self.notary],
                           present=("申请表", "收入状况证明", "身份证明"), fees={str(copy_fee.pk): "20"})
        bill = ConsolidatedBill.objects.get(case=case)
        self.assertEqual((bill.total, [(line.name, line.amount) for line in bill.lines.all()]),
                         (Decimal("100.00"), [("公证费", Decimal("80.00")), ("副本费", Decimal("20.00"))]))
        case = case_review(actor=self.p.staff_a, case=case, opinion="符合条件", now=at(2026, 11, 4))
        case = case_approve(actor=self.p.manager_a, case=case, now=at(2026, 11, 5))
        self.assertEqual((case.decided_on, case.delivery_due), (date(2026, 11, 5), date(2026, 11, 19)))
        with self.assertRaises(Conflict) as raised:
            case_complete(actor=self.p.staff_a, case=case, now=at(2026, 11, 5))
        self.assertEqual(raised.exception.code, "bill_unpaid")
        self.assertEqual(bill_pay(actor=self.p.staff_a, case=case, now=at(2026, 11, 5)).status, BillStatus.PAID)
        case = case_complete(actor=self.p.staff_a, case=case, now=at(2026, 11, 5))
        case = case_deliver(actor=self.p.staff_a, case=case, now=at(2026, 11, 6))
        self.assertEqual((case.status, case.completed_on, case.delivered_on),
                         (CaseStatus.DELIVERED, date(2026, 11, 5), date(2026, 11, 6)))
        self.assertEqual(list(CaseTransition.objects.filter(case=case).values_list("action", flat=True)),
                         ["receive", "accept", "review", "approve", "pay", "complete", "deliver"])

    def test_a_second_acceptance_at_once_is_a_conflict_and_makes_no_second_bill(self):
        case = self.submit(at(2026, 11, 2), items=[self.notary], present=())
        case = case_supplement(actor=self.p.staff_a, case=case, materials=[self.notary_materials["身份证明"]],
                               now=at(2026, 11, 2))
        copy_fee = self.notary.current_version.fee_rows.get(name="副本费")
        first, second = Case.objects.get(pk=case.pk), Case.objects.get(pk=case.pk)  # two clicks, one state
        case_accept(actor=self.p.staff_a, case=first, fees={copy_fee.pk: "10"}, now=at(2026, 11, 2))
        with self.assertRaises(Conflict):
            case_accept(actor=self.p.staff_a, case=second, fees={copy_fee.pk: "10"}, now=at(2026, 11, 2))
        self.assertEqual(ConsolidatedBill.objects.filter(case=case).count(), 1)
        self.assertEqual(case.transitions.filter(action="accept").count(), 1)

    def test_a_waived_bill_allows_completion_and_a_denial_needs_a_reason(self):
        copy_fee = self.notary.current_version.fee_rows.get(name="副本费")
        case = self.submit(at(2026, 11, 2), items=[self.notary], present=("身份证明",), fees={copy_fee.pk: "0"})
        with self.assertRaises(Invalid):
            case_deny(actor=self.p.manager_a, case=case, reason="", now=at(2026, 11, 3))
        case = case_deny(actor=self.p.manager_a, case=case, reason="申请事项不属于公证范围", now=at(2026, 11, 3))
        with self.assertRaises(Invalid) as raised:
            bill_waive(actor=self.p.staff_a, case=case, reason="", now=at(2026, 11, 3))
        self.assertEqual(raised.exception.field, "reason")
        bill_waive(actor=self.p.staff_a, case=case, reason="不予许可，依规退费", now=at(2026, 11, 3))
        self.assertEqual(case_complete(actor=self.p.staff_a, case=case, now=at(2026, 11, 3)).status,
                         CaseStatus.COMPLETED)

    def test_an_instant_item_is_completed_on_the_spot(self):
        instant = publish(self.p, item_data("证明补开", case_type="instant", promised_days=0,
                                                     steps=[{"name": "受理", "days": 0}]))
        case = case_submit(actor=self.p.staff_a, center=self.p.center_a, items=[instant.code], applicant=PERSON,
                           materials=list(materials(instant).values()), now=at(2026, 11, 26))
        self.assertEqual((case.instant, case.due_date), (True, date(2026, 11, 26)))
        case = case_complete(actor=self.p.staff_a, case=case, now=at(2026, 11, 26, 11))
        self.assertEqual((case.status, case.decided_on, case.completed_on), (CaseStatus.COMPLETED, date(2026, 11, 26),
                                                                            date(2026, 11, 26)))
        promised = self.submit(at(2026, 11, 26))
        with self.assertRaises(Conflict):  # a promised case needs its decision first
            case_complete(actor=self.p.staff_a, case=promised, now=at(2026, 11, 26))


class ClerkDeskTests(CaseTestCase):
    """我的在办件: every case that still needs its clerk, with what is owed next and by when."""

    def test_the_desk_lists_every_case_the_clerk_still_owes_most_urgent_first(self):
        from servicehall.cases.selectors import clerk_desk

        clerk = self.p.staff_a
        supplemented = self.submit(at(2026, 12, 1), present=("申请表",))
        received = case_supplement(actor=clerk, case=supplemented, materials=[self.aid_materials["收入状况证明"]],
                                   now=at(2026, 12, 2))
        awaiting = self.submit(at(2026, 12, 3), present=("申请表",))
        accepted = self.submit(at(2026, 12, 4))  # due 12-11
        suspended = case_suspend(actor=clerk, case=self.submit(at(2026, 11, 25)), reason="等待鉴定",
                                 now=at(2026, 11, 27))  # due 12-02, three working days left on 11-27
        head = self.p.manager_a
        approved = case_approve(actor=head, case=case_review(actor=clerk, case=self.submit(at(2026, 11, 20)),
                                                              now=at(2026, 11, 24)), now=at(2026, 11, 24))
        completed = case_complete(actor=clerk, case=case_approve(
            actor=head, case=case_review(actor=clerk, case=self.submit(at(2026, 11, 23)), now=at(2026, 11, 23)),
            now=at(2026, 11, 23)), now=at(2026, 11, 30))
        delivered = case_deliver(actor=clerk, case=case_complete(actor=clerk, case=case_approve(
            actor=head, case=case_review(actor=clerk, case=self.submit(at(2026, 11, 23)), now=at(2026, 11, 23)),
            now=at(2026, 11, 23)), now=at(2026, 11, 23)), now=at(2026, 11, 24))
        other = case_submit(actor=self.p.manager_a, center=self.p.center_a, items=[self.aid.code], applicant=PERSON,
                            materials=list(self.aid_materials.values()), now=at(2026, 12, 4))

        rows, total = clerk_desk(clerk, date(2026, 12, 7), get_calendar())
        got = [(r.case.number, r.task, r.deadline_label, r.deadline, r.remaining, r.light) for r in rows]
        self.assertEqual(got, [
            (completed.number, "送达结果", "送达期限", date(2026, 12, 7), 0, "yellow"),
            (approved.number, "制作结果并办结", "送达期限", date(2026, 12, 8), 1, "yellow"),
            (received.number, "审查材料，决定是否受理", "受理期限", date(2026, 12, 9), 2, "yellow"),
            (accepted.number, "办理", "承诺办结日期", date(2026, 12, 11), 4, "green"),
            (suspended.number, "挂起中，时限暂停", "", None, 3, "paused"),  # its frozen days, not a past date
            (awaiting.number, "等待申请人补正材料（补齐后重新计算受理期限）", "", None, None, None),
        ])
        self.assertEqual(total, 6)
        self.assertNotIn(delivered.number, [r.case.number for r in rows])
        self.assertNotIn(other.number, [r.case.number for r in rows])
        later, later_total = clerk_desk(clerk, date(2026, 12, 10), get_calendar(), limit=3)
        self.assertEqual([(r.case.number, r.remaining, r.light, r.overdue_by) for r in later],
                         [(completed.number, -3, "red", 3), (approved.number, -2, "red", 2),
                          (received.number, -1, "red", 1)])
        self.assertEqual(later_total, 6)  # counted, though only the clocks were read
        five, five_total = clerk_desk(clerk, date(2026, 12, 7), get_calendar(), limit=5)
        self.assertEqual(([r.case.number for r in five], five_total), ([g[0] for g in got[:5]], 6))


class JointCaseTests(CaseTestCase):
    """一条龙: a material the items share is asked for, received and noticed once."""

    def test_a_shared_material_is_asked_for_once(self):
        other = publish(self.p, item_data("司法鉴定援助", materials=[
            {"name": "申请表", "originals": 1, "copies": 0},
            {"name": "其他说明材料", "originals": 1, "copies": 0},  # optional for the first item, required here
            {"name": "鉴定委托书", "originals": 1, "copies": 0}]))
        theirs = materials(other)
        joint = case_submit(actor=self.p.staff_a, center=self.p.center_a, items=[self.aid.code, other.code],
                            applicant=PERSON, materials=[theirs["申请表"], self.aid_materials["收入状况证明"],
                                                         theirs["鉴定委托书"]], now=at(2026, 11, 2))
        rows = {m.name: (m.required, m.state) for m in joint.materials.all()}
        self.assertEqual(rows, {"申请表": (True, "received"), "收入状况证明": (True, "received"),
                                "其他说明材料": (True, "missing"), "鉴定委托书": (True, "received")})
        self.assertEqual(joint.status, CaseStatus.AWAITING_MATERIALS)
        notice = joint.notices.get()
        self.assertEqual([e["material"] for e in notice.entries], ["其他说明材料"])
        self.client.force_login(self.p.staff_a)
        form = self.client.get("/cases/new/", {"items": [self.aid.code, other.code]})
        listed = [m["name"] for m in form.context["materials"]]
        self.assertEqual(listed, ["申请表", "收入状况证明", "其他说明材料", "鉴定委托书"])
        self.assertEqual(form.context["materials"][0]["items"], ("法律援助申请", "司法鉴定援助"))
        self.assertContains(form, "共用")


class SeparationOfDutiesTests(CaseTestCase):
    """行政许可 practice: whoever accepted a promised case never decides it; the item names who does."""

    def setUp(self):
        from servicehall.accounts.models import Role, User
        from servicehall.org.models import Membership

        self.colleague = User.objects.create_user(username="staff_a2", password="x", role=Role.STAFF, full_name="同事")
        Membership.objects.create(user=self.colleague, center=self.p.center_a)

    def accepted(self, item):
        ids = materials(item)
        return case_submit(actor=self.p.staff_a, center=self.p.center_a, items=[item.code], applicant=PERSON,
                           materials=[ids[n] for n in ("申请表", "收入状况证明")], now=at(2026, 11, 2))

    def test_the_head_decides_what_the_item_names_the_head_for(self):
        case = case_review(actor=self.p.staff_a, case=self.accepted(self.aid), now=at(2026, 11, 3))
        for actor, message in ((self.p.staff_a, "受理人不能审批本人受理的承诺件，请由审批人审批"),
                               (self.colleague, "该事项须由分中心负责人（首席代表）审批")):
            with self.assertRaises(Forbidden) as refused:
                case_deny(actor=actor, case=case, reason="不符合条件", now=at(2026, 11, 3))
            self.assertEqual(refused.exception.message, message)
        with self.assertRaises(NotFound):  # another centre's head does not even see it
            case_approve(actor=self.p.manager_b, case=case, now=at(2026, 11, 3))
        self.assertEqual(case_approve(actor=self.p.manager_a, case=case, now=at(2026, 11, 3)).status,
                         CaseStatus.APPROVED)

    def test_another_window_clerk_decides_an_item_that_names_the_window(self):
        item = publish(self.p, item_data("法律援助咨询", approver="window"))
        case = case_review(actor=self.p.staff_a, case=self.accepted(item), now=at(2026, 11, 3))
        with self.assertRaises(Forbidden):
            case_approve(actor=self.p.staff_a, case=case, now=at(2026, 11, 3))
        self.assertEqual(case_approve(actor=self.colleague, case=case, now=at(2026, 11, 3)).status,
                         CaseStatus.APPROVED)

    def test_a_case_received_by_the_head_is_decided_by_someone_else(self):
        ids = materials(self.aid)
        case = case_submit(actor=self.p.manager_a, center=self.p.center_a, items=[self.aid.code], applicant=PERSON,
                           materials=[ids["申请表"], ids["收入状况证明"]], now=at(2026, 11, 2))
        case = case_review(actor=self.p.manager_a, case=case, now=at(2026, 11, 3))
        with self.assertRaises(Forbidden):
            case_approve(actor=self.p.manager_a, case=case, now=at(2026, 11, 3))

    def test_an_instant_item_is_decided_by_the_window_and_the_setting_can_lift_the_rule(self):
        from django.test import override_settings

        instant = publish(self.p, item_data("法律咨询登记", case_type="instant", promised_days=0,
                                            steps=[{"name": "受理", "days": 0}, {"name": "办结", "days": 0}]))
        case = self.accepted(instant)
        self.assertEqual(case_complete(actor=self.p.staff_a, case=case, now=at(2026, 11, 2)).status,
                         CaseStatus.COMPLETED)
        with override_settings(SH_CASE_SEPARATE_APPROVAL=False):
            case = case_review(actor=self.p.staff_a, case=self.accepted(self.aid), now=at(2026, 11, 3))
            self.assertEqual(case_approve(actor=self.p.staff_a, case=case, now=at(2026, 11, 3)).status,
                             CaseStatus.APPROVED)
