"""The case pages: receiving at the window, the case page and its documents, the lists and
their exports, the citizen's status page, and centre scope."""

import csv
import io
import unittest
from datetime import date, timedelta
from unittest.mock import patch

from django.db import connection
from django.test import TransactionTestCase
from django.utils import timezone
from openpyxl import load_workbook

from servicehall.cases.models import Case, CaseStatus
from servicehall.cases.selectors import case_list
from servicehall.cases.views import CappedPaginator

from .helpers import CITIZEN, PERSON, at, item_data, materials, publish
from .test_services import CaseTestCase


class CasePageTests(CaseTestCase):
    def receive(self, present, **extra):
        ids = materials(self.aid)
        data = {"center": self.p.center_a.code, "items": [self.aid.code], "kind": "person", "name": "王秀英",
                "id_number": CITIZEN, "phone": "13800138000", "materials": [ids[n] for n in present]} | extra
        return self.client.post("/cases/new/", data)

    def test_a_clerk_receives_notices_supplements_accepts_and_completes(self):
        self.client.force_login(self.p.staff_a)
        page = self.client.get(f"/cases/new/?items={self.aid.code}")
        self.assertContains(page, "收入状况证明")
        response = self.receive(["申请表"])
        case = Case.objects.get()
        self.assertRedirects(response, f"/cases/{case.number}/")
        self.assertEqual(case.status, CaseStatus.AWAITING_MATERIALS)
        notice = self.client.get(f"/cases/{case.number}/print/notice/")
        self.assertContains(notice, "一次性告知")
        self.assertContains(notice, "收入状况证明")
        self.assertNotContains(notice, "<td>申请表</td>")
        act = f"/cases/{case.number}/act"
        said = self.client.post(act, {"action": "supplement", "materials": [materials(self.aid)["收入状况证明"]]},
                                follow=True)
        self.assertContains(said, "已登记补正材料")
        said = self.client.post(act, {"action": "accept"}, follow=True)
        case.refresh_from_db()
        due = case.due_date
        self.assertContains(said, f"已受理，承诺办结日期{due.year}年{due.month}月{due.day}日")
        self.assertEqual(case.status, CaseStatus.ACCEPTED)
        receipt = self.client.get(f"/cases/{case.number}/print/receipt/")
        self.assertContains(receipt, f"{case.due_date:%Y年}{case.due_date.month}月{case.due_date.day}日")
        accepted = self.client.get(f"/cases/{case.number}/")
        self.assertContains(accepted, "完成“审查”环节")
        self.assertNotContains(accepted, ">批准</button>")
        self.client.post(act, {"action": "review", "reason": "经审查符合条件"})
        reviewed = self.client.get(f"/cases/{case.number}/")  # who accepted it does not decide it
        self.assertNotContains(reviewed, 'value="approve"')
        self.assertContains(reviewed, "受理人不能审批本人受理的承诺件")
        refused = self.client.post(act, {"action": "approve"}, follow=True)
        self.assertContains(refused, "受理人不能审批本人受理的承诺件")
        case.refresh_from_db()
        self.assertEqual(case.status, CaseStatus.ACCEPTED)
        self.client.force_login(self.p.manager_a)  # the head the item names as its approver
        self.assertContains(self.client.get(f"/cases/{case.number}/"), 'value="approve"')
        self.client.post(act, {"action": "approve"})
        self.client.force_login(self.p.staff_a)
        self.client.post(act, {"action": "complete"})
        detail = self.client.get(f"/cases/{case.number}/")
        steps = [(s["name"], s["state"], s["done_by"]) for s in detail.context["doc"]["steps"]]
        self.assertEqual(steps, [("受理", "done", "staff_a"), ("审查", "done", "staff_a"),
                                 ("决定", "done", "manager_a")])
        self.assertContains(detail, "经审查符合条件")
        self.assertContains(detail, "已办结")
        self.assertContains(detail, "出具一次性告知书")  # the history speaks Chinese
        self.assertNotContains(detail, CITIZEN)
        delivered = self.client.post(act, {"action": "deliver"}, follow=True)
        self.assertContains(delivered, "已登记送达，本件办理完毕")

    def test_a_clerk_asks_for_a_second_notice_and_the_bureau_issues_it(self):
        self.client.force_login(self.p.staff_a)
        self.receive(["申请表"])
        case = Case.objects.get()
        act = f"/cases/{case.number}/act"
        self.assertNotContains(self.client.get(f"/cases/{case.number}/"), "请求营商局批准再次告知")
        self.client.post(act, {"action": "supplement", "materials": [materials(self.aid)["申请表"]]})
        page = self.client.get(f"/cases/{case.number}/")
        self.assertContains(page, "请求营商局批准再次告知")
        self.assertNotContains(page, "批准再次出具一次性告知书")
        asked = self.client.post(act, {"action": "notify", "reason": "收入证明须加盖公章"}, follow=True)
        self.assertContains(asked, "须经营商局批准")
        self.assertContains(asked, "再次告知被拒（未经营商局批准）")
        self.assertEqual(case.notices.count(), 1)
        self.client.force_login(self.p.bureau)
        page = self.client.get(f"/cases/{case.number}/")
        self.assertContains(page, "收入证明须加盖公章")  # the bureau reads the clerk's reason in the history
        self.client.post(act, {"action": "notify", "reason": "首次告知遗漏盖章要求，同意再次告知"})
        self.assertEqual(case.notices.count(), 2)

    def test_the_bureau_registers_a_credit_code_exception_on_its_page(self):
        from servicehall.cases.models import CreditCodeException

        self.client.force_login(self.p.staff_a)
        self.assertEqual(self.client.get("/cases/credit-codes/").status_code, 403)
        self.client.force_login(self.p.city_bureau)
        self.assertContains(self.client.get("/cases/"), "信用代码校验例外")
        bad = self.client.post("/cases/credit-codes/", {"code": "91350100M000100Y4", "org_name": "某运输公司",
                                                        "reason": "已核实"})
        self.assertContains(bad, "统一社会信用代码应为18位")
        self.assertFalse(CreditCodeException.objects.exists())
        done = self.client.post("/cases/credit-codes/", {"code": "91350100M000100Y44", "org_name": "某运输公司",
                                                         "reason": "经登记机关核实为真实代码"}, follow=True)
        self.assertContains(done, "91350100M000100Y44")
        self.assertContains(done, "经登记机关核实为真实代码")

    def test_the_bureau_edits_the_light_rules_on_its_page(self):
        from servicehall.cases.models import LightRules
        from servicehall.db.caches import LIGHT_RULES

        self.addCleanup(LIGHT_RULES.clear)
        self.client.force_login(self.p.manager_a)
        self.assertEqual(self.client.get("/cases/rules/").status_code, 403)
        self.client.force_login(self.p.bureau)  # one district's bureau; the rule holds for every district
        self.assertContains(self.client.post("/cases/rules/", {"yellow_days": "3", "yellow_percent": "25"}),
                            "只有主管全部中心的营商局可以设置", status_code=403)
        self.assertNotContains(self.client.get("/cases/"), "/cases/rules/")  # nor is it offered on the list
        self.client.force_login(self.p.city_bureau)
        self.assertContains(self.client.get("/cases/rules/"), 'value="20"')
        wrong = self.client.post("/cases/rules/", {"yellow_days": "3", "yellow_percent": "150"})
        self.assertContains(wrong, "小于或等于100")
        self.assertEqual(LightRules.objects.get().yellow_days, 2)
        self.assertContains(self.client.post("/cases/rules/", {"yellow_days": "3", "yellow_percent": "25"},
                                             follow=True),
                            "亮灯规则已保存")
        self.assertEqual((LightRules.objects.get().yellow_days, LightRules.objects.get().yellow_percent), (3, 25))

    def test_bad_input_keeps_everything_entered_and_stores_nothing(self):
        self.client.force_login(self.p.staff_a)
        problem = f"problem_{materials(self.aid)['申请表']}"
        page = self.receive(["申请表"], id_number="110105194912310021", **{problem: "未签名"})
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "身份证号码")
        self.assertContains(page, 'value="未签名"')
        self.assertContains(page, 'value="王秀英"')
        self.assertFalse(Case.objects.exists())

    def test_lists_filters_and_exports(self):
        self.client.force_login(self.p.staff_a)
        self.receive(["申请表", "收入状况证明"])
        self.receive(["申请表"])
        mine = self.client.get("/cases/")
        self.assertContains(mine, "我的在办件")
        self.assertContains(mine, 'class="badge green"')
        self.client.force_login(self.p.manager_a)
        waiting = self.client.get("/cases/", {"status": "awaiting_materials"})
        self.assertEqual(len(waiting.context["page"].object_list), 1)
        self.assertEqual(self.client.get("/cases/", {"date_from": "2026-12-02", "date_to": "2026-12-01"})
                         .context["form"].errors["date_to"], ["结束日期不能早于开始日期"])
        rows = list(csv.reader(io.StringIO(self.client.get("/cases/", {"export": "csv"}).content.decode("utf-8-sig"))))
        self.assertEqual((rows[0][0], len(rows)), ("办件编号", 3))
        self.assertNotIn(CITIZEN, "".join(rows[1]))
        book = load_workbook(io.BytesIO(self.client.get("/cases/", {"export": "xlsx", "status": "accepted"}).content))
        sheet = book.active
        self.assertEqual([c.value for c in sheet[1]][:2], ["办件编号", "中心"])
        self.assertEqual(sheet.max_row, 2)
        self.assertEqual(sheet.cell(2, 10).value, "绿灯")

    def test_an_applicant_name_that_looks_like_a_formula_is_exported_as_text(self):
        self.client.force_login(self.p.staff_a)
        self.receive(["申请表", "收入状况证明"], name="=HYPERLINK(\"http://evil\",\"王\")")
        rows = list(csv.reader(io.StringIO(self.client.get("/cases/", {"export": "csv"}).content.decode("utf-8-sig"))))
        self.assertEqual(rows[1][3], "'=HYPERLINK(\"http://evil\",\"王\")")
        sheet = load_workbook(io.BytesIO(self.client.get("/cases/", {"export": "xlsx"}).content)).active
        self.assertEqual((sheet.cell(2, 4).value, sheet.cell(2, 4).data_type), ('=HYPERLINK("http://evil","王")', "s"))

    def test_the_filters_the_clerks_order_and_the_bureaus_view_of_every_centre(self):
        from servicehall.cases.services import case_submit

        def submit(actor, center, item, day):
            return case_submit(actor=actor, center=center, items=[item.code], applicant=PERSON,
                               materials=list(materials(item).values()), fees=fees, now=at(2026, 11, day))

        copy_fee = self.notary.current_version.fee_rows.get(name="副本费")
        fees = {copy_fee.pk: "10"}
        late = submit(self.p.staff_a, self.p.center_a, self.aid, 16)  # due 11-23
        early = submit(self.p.staff_a, self.p.center_a, self.notary, 17)  # 3 days: due 11-20
        by_manager = submit(self.p.manager_a, self.p.center_a, self.aid, 2)
        other = publish(self.p, item_data("公证咨询"), center=self.p.center_b)
        elsewhere = submit(self.p.staff_b, self.p.center_b, other, 17)

        self.client.force_login(self.p.staff_a)
        mine = self.client.get("/cases/").context["mine"]
        self.assertEqual([r.case.number for r in mine], [early.number, late.number])  # most urgent first
        with patch("servicehall.cases.views.MINE_SHOWN", 1):
            page = self.client.get("/cases/")
        self.assertEqual([r.case.number for r in page.context["mine"]], [early.number])
        self.assertContains(page, "共 2 件需要您办理，以下是最紧急的 1 件")
        self.client.force_login(self.p.manager_a)

        def listed(**params):
            return [c.number for c in self.client.get("/cases/", params).context["page"].object_list]

        self.assertEqual(listed(), [early.number, late.number, by_manager.number])  # newest first
        self.assertEqual(listed(item=self.notary.code), [early.number])
        self.assertEqual(listed(staff=str(self.p.manager_a.pk)), [by_manager.number])
        self.p.staff_a.memberships.all().delete()  # moved elsewhere: their cases still filter by them
        self.assertEqual(listed(staff=str(self.p.staff_a.pk)), [early.number, late.number])
        self.assertEqual(listed(date_from="2026-11-16", date_to="2026-11-16"), [late.number])
        self.assertEqual(listed(q=late.number[-6:]), [late.number])
        self.assertNotIn(elsewhere.number, listed())
        self.client.force_login(self.p.bureau)
        self.assertEqual(set(listed()), {early.number, late.number, by_manager.number, elsewhere.number})
        self.assertEqual(listed(center=self.p.center_b.code), [elsewhere.number])
        self.assertContains(self.client.get("/cases/"), "共 4 条")
        with patch.object(CappedPaginator, "CAP", 3):  # counting stops at the cap
            self.assertContains(self.client.get("/cases/"), "超过 3 条，请用上方条件缩小范围")

    def test_every_printable_document(self):
        from servicehall.cases.services import case_refuse, case_submit, case_suspend

        self.client.force_login(self.p.staff_a)
        copy_fee = self.notary.current_version.fee_rows.get(name="副本费")
        billed = case_submit(actor=self.p.staff_a, center=self.p.center_a, items=[self.notary.code], applicant=PERSON,
                             materials=list(materials(self.notary).values()), fees={copy_fee.pk: "20"},
                             now=at(2026, 11, 2))
        bill = self.client.get(f"/cases/{billed.number}/print/bill/")
        self.assertContains(bill, "公证费")
        self.assertContains(bill, '<th class="amount" id="bill-total">100.00</th>', html=False)
        self.assertContains(bill, "缴费方式")
        self.assertContains(bill, "收款单位：区司法局")
        case_suspend(actor=self.p.staff_a, case=billed, reason="需进行笔迹鉴定", now=at(2026, 11, 3))
        self.assertContains(self.client.get(f"/cases/{billed.number}/print/suspension/"), "需进行笔迹鉴定")
        self.receive(["申请表"])
        refused = case_refuse(actor=self.p.staff_a, case=Case.objects.get(status=CaseStatus.AWAITING_MATERIALS),
                              reason="申请事项不属于本机关职权范围", now=at(2026, 11, 3))
        refusal = self.client.get(f"/cases/{refused.number}/print/refusal/")
        self.assertContains(refusal, "决定不予受理")
        self.assertContains(refusal, "申请事项不属于本机关职权范围")
        for number, kind in ((refused.number, "receipt"), (refused.number, "bill"), (billed.number, "refusal"),
                             (billed.number, "nope")):
            with self.subTest(kind=kind):
                self.assertEqual(self.client.get(f"/cases/{number}/print/{kind}/").status_code, 404)

    def test_the_light_filter_agrees_with_each_cases_light(self):
        from servicehall.cases.services import case_submit
        from servicehall.workcalendar.selectors import get_calendar

        ids = materials(self.aid)
        for day in (2, 3, 9, 16, 20):
            case_submit(actor=self.p.staff_a, center=self.p.center_a, items=[self.aid.code], applicant=PERSON,
                        materials=[ids["申请表"], ids["收入状况证明"]], now=at(2026, 11, day))
        now = at(2026, 11, 20)
        for light in ("green", "yellow", "red"):
            shown = case_list(self.p.manager_a, {"light": light}, now)
            computed = [c for c in Case.objects.all() if c.light(date(2026, 11, 20), get_calendar()) == light]
            with self.subTest(light=light):
                self.assertEqual(sorted(c.pk for c in shown), sorted(c.pk for c in computed))
                self.assertTrue(computed)

    def test_other_centres_get_404_and_the_bureau_reads_without_buttons(self):
        self.client.force_login(self.p.staff_a)
        self.receive(["申请表", "收入状况证明"])
        number = Case.objects.get().number
        self.client.force_login(self.p.staff_b)
        self.assertEqual(self.client.get(f"/cases/{number}/").status_code, 404)
        self.assertEqual(self.client.post(f"/cases/{number}/act", {"action": "approve"}).status_code, 404)
        self.assertEqual(self.client.get(f"/cases/{number}/print/receipt/").status_code, 404)
        self.assertNotContains(self.client.get("/cases/"), number)
        self.client.force_login(self.p.bureau)
        page = self.client.get(f"/cases/{number}/")
        self.assertContains(page, number)
        self.assertNotContains(page, 'value="approve"')
        self.client.post(f"/cases/{number}/act", {"action": "approve"})
        self.assertEqual(Case.objects.get().status, CaseStatus.ACCEPTED)

    def test_home_pages_show_open_cases_and_their_lights(self):
        self.client.force_login(self.p.staff_a)
        self.receive(["申请表", "收入状况证明"])
        number = Case.objects.get().number
        self.assertContains(self.client.get("/"), number)
        self.client.force_login(self.p.manager_a)
        self.assertContains(self.client.get("/"), "绿灯 1")
        self.client.force_login(self.p.staff_b)
        self.assertNotContains(self.client.get("/"), number)

    def test_a_citizen_checks_progress_with_the_number_and_phone_tail(self):
        self.client.force_login(self.p.staff_a)
        self.receive(["申请表", "收入状况证明"])
        number = Case.objects.get().number
        self.client.logout()
        wrong = self.client.post("/cases/status/", {"number": number, "phone_tail": "0001"})
        self.assertContains(wrong, "不匹配")
        found = self.client.post("/cases/status/", {"number": number, "phone_tail": "8000"})
        self.assertContains(found, "已受理办理中")
        self.assertNotContains(found, "王秀英")
        self.assertContains(self.client.post("/cases/status/", {"number": number, "phone_tail": "80"}), "后4位数字")

    def test_wrong_tails_slow_down_instead_of_locking_the_applicant_out(self):
        import time_machine

        from servicehall.cases.services import status_failures_purge

        self.client.force_login(self.p.staff_a)
        self.receive(["申请表", "收入状况证明"])
        number = Case.objects.get().number
        self.client.logout()
        start = timezone.now()

        def look(tail, after_seconds, address="10.0.0.1", case_number=number):
            with time_machine.travel(start + timedelta(seconds=after_seconds), tick=False):
                return self.client.post("/cases/status/", {"number": case_number, "phone_tail": tail},
                                        REMOTE_ADDR=address)

        for n in range(3):  # the applicant mistypes three times
            self.assertContains(look(f"000{n}", n), "不匹配")
        self.assertContains(look("8000", 2), "请15秒后再试")  # a pause, not a 30-minute lock
        self.assertContains(look("8000", 17), "已受理办理中")
        # A guesser at one address: each wrong tail doubles the pause, up to 30 minutes.
        waited = 0
        for n in range(12):
            while "秒后再试" in (page := look(f"{n:04d}", waited, "10.9.9.9")).content.decode() or \
                    "分钟后再试" in page.content.decode():
                waited += 60
        self.assertContains(look("0013", waited, "10.9.9.9"), "请30分钟后再试")
        self.assertContains(look("8000", waited, "10.0.0.2"), "已受理办理中")  # the applicant, elsewhere: fine
        # One address walking through case numbers is slowed the same way.
        for n in range(20):
            look("8000", waited + n, "10.7.7.7", f"{number[:-4]}{9000 + n}")
        self.assertContains(look("8000", waited + 21, "10.7.7.7"), "后再试")
        self.assertGreater(status_failures_purge(now=start + timedelta(days=2)), 30)
        self.assertContains(look("8000", 2 * 86400 + 60, "10.7.7.7"), "已受理办理中")


class SuspendedCasePageTests(CaseTestCase):
    def test_a_suspended_case_shows_its_frozen_days_not_a_past_date(self):
        from servicehall.cases.services import case_suspend

        case = case_suspend(actor=self.p.staff_a, case=self.submit(at(2026, 11, 2)), reason="等待鉴定",
                            now=at(2026, 11, 4))  # due 11-09: three working days left on 11-04
        self.client.force_login(self.p.staff_a)
        page = self.client.get(f"/cases/{case.number}/")
        self.assertContains(page, "挂起中，时限暂停：剩余3个工作日，恢复办理后顺延")
        self.assertNotContains(page, f"{case.due_date:%Y-%m-%d}（")
        self.assertContains(self.client.get("/cases/", {"q": case.number[-6:]}), "挂起（时限暂停）")


@unittest.skipUnless(connection.vendor == "postgresql", "threads against one database are tested on PostgreSQL")
class ParallelStatusGuessTests(TransactionTestCase):
    def test_parallel_guesses_of_one_case_are_counted_one_at_a_time(self):
        from servicehall.cases.models import StatusLookupFailure
        from servicehall.cases.services import STATUS_AFTER, case_status_lookup, case_submit
        from servicehall.lib.errors import ServiceError
        from servicehall.testing import Personas, run_together

        p = Personas.build()
        item = publish(p, item_data("法律援助申请"))
        case = case_submit(actor=p.staff_a, center=p.center_a, items=[item.code], applicant=PERSON,
                           materials=list(materials(item).values()))
        outcomes = []

        def guess(tail):
            def work():
                try:
                    case_status_lookup(number=case.number, phone_tail=tail, ip="10.3.3.3")
                except ServiceError as exc:
                    outcomes.append(type(exc).__name__)
            return work

        self.assertEqual(run_together(*[guess(f"{n:04d}") for n in range(12)]), [])
        self.assertEqual(StatusLookupFailure.objects.filter(case=case).count(), STATUS_AFTER["here"])
        self.assertEqual(sorted(outcomes), ["Forbidden"] * 9 + ["Invalid"] * 3)
