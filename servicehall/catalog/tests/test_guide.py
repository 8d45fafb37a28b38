"""The public guide (no login, phone / kiosk / paper) and the information desk (staff)."""

from decimal import Decimal

import segno
from django.contrib.staticfiles import finders
from django.urls import reverse

from servicehall.catalog.data import ItemData
from servicehall.catalog.models import ServiceItem
from servicehall.catalog.selectors import public_items, search_terms
from servicehall.catalog.services import item_change_approve, item_change_return, item_propose, item_withdraw_propose
from servicehall.org.models import ServiceCenter
from servicehall.testing import PersonaTestCase


def legal_aid(**changes) -> ItemData:
    """A complete item of centre A (passes every quality rule)."""
    data = {
        "name": "法律援助申请受理审查", "item_type": "10", "legal_basis": "《中华人民共和国法律援助法》第四十一条",
        "case_type": "promised", "statutory_days": 7, "promised_days": 5,
        "conditions": "经济困难且符合法律援助事项范围的公民",
        "steps": [{"name": "受理", "days": 0}, {"name": "审查", "days": 4}, {"name": "决定", "days": 1}],
        "materials": [
            {"name": "法律援助申请表", "originals": 1, "copies": 0},
            {"name": "经济困难状况说明表", "originals": 1, "copies": 2, "required": False, "form": "electronic"},
        ],
        "fees": [], "visits": 1, "visits_reason": "需当面核验身份", "online_depth": 3, "appointment": True,
        "place": "龙港区龙湾大街98号一楼大厅", "hours": "周一至周五 8:30—12:00，13:30—17:00",
        "consult_phone": "0429-3030011", "complaint_phone": "0429-3012345",
        "faqs": [{"question": "可以委托他人代为申请吗？", "answer": "可以，代理人须携带授权委托书。"}],
        "result_name": "给予法律援助决定书", "result_sample": "窗口可查阅样本", "windows": [1],
        "keywords": "维权 打官司",
    }
    data.update(changes)
    return ItemData.model_validate(data)


def transport(**changes) -> ItemData:
    """A fee-charging item of centre B."""
    data = {
        "name": "道路运输证补办", "item_type": "20", "legal_basis": "《中华人民共和国道路运输条例》",
        "case_type": "instant", "statutory_days": None, "promised_days": 0,
        "materials": [{"name": "道路运输证遗失声明", "originals": 1, "copies": 0}],
        "fees": [{"name": "证件工本费", "amount": Decimal("10.00"), "legal_basis": "辽价发〔2019〕1号"}],
        "visits": 1, "visits_reason": "需交回旧证", "online_depth": 2, "online_payment": True,
        "consult_phone": "0429-3040022", "complaint_phone": "0429-3012345", "windows": [1], "keywords": "营运证",
    }
    data.update(changes)
    return ItemData.model_validate(data)


def publish(p, center, data: ItemData) -> ServiceItem:
    """Propose as the centre's manager, approve as the bureau: the item is public."""
    manager = p.manager_a if center == p.center_a else p.manager_b
    change = item_propose(actor=manager, center=center, data=data)
    item_change_approve(actor=p.bureau, change=change)
    return ServiceItem.objects.get(pk=change.item_id)


class GuideData(PersonaTestCase):
    """Published items in centres A and B, plus a draft, a returned and a withdrawn one in A."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        p = cls.p
        ServiceCenter.objects.filter(pk=p.center_a.pk).update(
            address="龙港区龙湾大街98号", phone="0429-3030011", complaint_phone="0429-3012345")
        cls.aid = publish(p, p.center_a, legal_aid())
        cls.fee_item = publish(p, p.center_b, transport())
        cls.draft = item_propose(actor=p.manager_a, center=p.center_a, data=legal_aid(name="公证申请草稿"),
                                 submit=False).item
        returned = item_propose(actor=p.manager_a, center=p.center_a, data=legal_aid(name="人民调解申请退回"))
        item_change_return(actor=p.bureau, change=returned, reason="材料清单不完整")
        cls.returned = returned.item
        cls.withdrawn = publish(p, p.center_a, legal_aid(name="法律咨询已取消"))
        withdrawal = item_withdraw_propose(actor=p.manager_a, item=cls.withdrawn, reason="职能调整")
        item_change_approve(actor=p.bureau, change=withdrawal)
        cls.hidden = [cls.draft, cls.returned, cls.withdrawn]

    def item_url(self, item, **query):
        url = reverse("guide:item", args=[item.code])
        return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


class PublicSearchTests(GuideData):
    def codes(self, **kwargs):
        return [i.code for i in public_items(**kwargs)]

    def test_it_lists_only_published_items(self):
        self.assertEqual(sorted(self.codes()), sorted([self.aid.code, self.fee_item.code]))

    def test_it_finds_an_item_by_its_chinese_name(self):
        self.assertEqual(self.codes(q="法律援助"), [self.aid.code])
        self.assertEqual(self.codes(q="运输证"), [self.fee_item.code])

    def test_it_finds_an_item_by_a_keyword(self):
        self.assertEqual(self.codes(q="打官司"), [self.aid.code])
        self.assertEqual(self.codes(q="营运证"), [self.fee_item.code])

    def test_it_finds_an_item_by_pinyin_initials_in_any_case_and_width(self):
        for q in ("flyz", "FLYZ", "Flyz", "ｆｌｙｚ", "lyz", "fl"):
            with self.subTest(q=q):
                self.assertEqual(self.codes(q=q), [self.aid.code])

    def test_it_finds_an_item_by_full_pinyin_too(self):
        for q in ("falvyuanzhu", "FaLv", "falv yuanzhu", "ｆａｌｖ", "yuanzhu"):
            with self.subTest(q=q):
                self.assertEqual(self.codes(q=q), [self.aid.code])
        self.assertEqual(self.codes(q="falvzixun"), [])  # 法律咨询 is not published

    def test_it_requires_every_term_to_match(self):
        self.assertEqual(self.codes(q="法律 打官司"), [self.aid.code])
        self.assertEqual(self.codes(q="法律 营运证"), [])

    def test_it_searches_within_one_centre(self):
        self.assertEqual(self.codes(center_code=self.p.center_b.code, q="flyz"), [])
        self.assertEqual(self.codes(center_code=self.p.center_b.code), [self.fee_item.code])

    def test_it_never_finds_unpublished_items(self):
        for q in ("公证", "gzsq", "调解", "rmtj", "法律咨询", "flzx"):
            with self.subTest(q=q):
                self.assertEqual(self.codes(q=q), [])

    def test_it_puts_prefix_matches_of_the_initials_first(self):
        other = publish(self.p, self.p.center_b, transport(name="交通法律援助转介", keywords=""))  # initials jtflyzzj
        self.assertEqual(self.codes(q="flyz"), [self.aid.code, other.code])

    def test_it_treats_like_wildcards_as_plain_text(self):
        self.assertEqual(self.codes(q="%"), [])
        self.assertEqual(self.codes(q="_"), [])

    def test_it_bounds_the_query(self):
        self.assertEqual(search_terms("a b c d e f g"), ["a", "b", "c", "d", "e"])
        self.assertEqual(len("".join(search_terms("法" * 500))), 50)


class GuideIndexTests(GuideData):
    def test_it_lists_branch_centres_with_their_published_item_counts(self):
        response = self.client.get(reverse("guide:index"))
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        self.assertIn(self.p.center_a.name, html)
        self.assertIn(self.p.center_b.name, html)
        self.assertIn(f'href="{reverse("guide:center", args=[self.p.center_a.code])}"', html)
        section = html[html.index(self.p.center_a.name):html.index(self.p.center_b.name)]
        self.assertIn("可办事项 1 项", section)  # the draft, returned and withdrawn items do not count
        self.assertIn('name="q"', html)

    def test_it_searches_across_all_centres_by_name_keyword_and_initials(self):
        for q, found, missing in (("法律援助", self.aid, self.fee_item), ("营运证", self.fee_item, self.aid),
                                  ("flyz", self.aid, self.fee_item), ("dlysz", self.fee_item, self.aid)):
            with self.subTest(q=q):
                html = self.client.get(reverse("guide:index"), {"q": q}).content.decode()
                self.assertIn(self.item_url(found), html)
                self.assertNotIn(self.item_url(missing), html)

    def test_it_says_so_when_nothing_matches(self):
        response = self.client.get(reverse("guide:index"), {"q": "gzsq"})
        self.assertContains(response, "没有找到相关事项")
        self.assertNotContains(response, self.item_url(self.draft))

    def test_it_escapes_the_query(self):
        response = self.client.get(reverse("guide:index"), {"q": "<script>x</script>"})
        self.assertNotContains(response, "<script>x")
        self.assertContains(response, "&lt;script&gt;x")


class GuideCenterTests(GuideData):
    def test_it_shows_the_centre_its_hours_phones_windows_and_items(self):
        response = self.client.get(reverse("guide:center", args=[self.p.center_a.code]))
        self.assertEqual(response.status_code, 200)
        for text in (self.p.center_a.name, "龙港区龙湾大街98号", "08:30—17:00", "0429-3030011", "0429-3012345",
                     "1号窗口", "综合受理", "法律援助申请受理审查"):
            self.assertContains(response, text)
        self.assertNotContains(response, "道路运输证补办")
        for item in self.hidden:
            self.assertNotContains(response, item.name)

    def test_it_searches_within_the_centre(self):
        url = reverse("guide:center", args=[self.p.center_b.code])
        self.assertNotContains(self.client.get(url, {"q": "flyz"}), self.item_url(self.aid))
        self.assertContains(self.client.get(url, {"q": "dlysz"}), self.item_url(self.fee_item))

    def test_it_never_shows_personal_data(self):
        for url in (reverse("guide:center", args=[self.p.center_a.code]), self.item_url(self.aid)):
            response = self.client.get(url)
            for personal in ("李娜", "王强", "13812345678", "manager_a", "staff_a"):
                self.assertNotContains(response, personal)

    def test_it_answers_404_in_chinese_for_an_unknown_or_closed_centre(self):
        ServiceCenter.objects.filter(pk=self.p.center_b.pk).update(is_active=False)
        for code in ("nope", self.p.center_b.code):
            response = self.client.get(reverse("guide:center", args=[code]))
            self.assertEqual(response.status_code, 404)
            self.assertContains(response, "未找到", status_code=404)
            self.assertContains(response, "返回办事指南首页", status_code=404)
        self.assertEqual(self.client.get(self.item_url(self.fee_item)).status_code, 404)


class GuideItemTests(GuideData):
    def test_it_needs_no_login(self):
        response = self.client.get(self.item_url(self.aid))
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "guide/item.html")

    def test_it_shows_everything_a_citizen_needs(self):
        response = self.client.get(self.item_url(self.aid))
        for text in (
            "法律援助申请受理审查", "其他行政权力", "承诺件",
            "法定办结时限", "7 个工作日", "承诺办结时限", "5 个工作日",
            "经济困难且符合法律援助事项范围的公民",                      # conditions
            "受理", "审查", "决定",                                        # process
            "法律援助申请表", "经济困难状况说明表", "原件", "复印件", "2份", "必需", "视情况提供", "电子",  # materials
            "不收费",                                                      # fees
            "最多跑 1 次", "需当面核验身份",                                # visits
            "三级：网上申报、预审", "预约办理",                              # online depth, appointment
            "龙港区龙湾大街98号一楼大厅", "周一至周五 8:30—12:00，13:30—17:00",  # place, hours
            "1号窗口", "综合受理",                                          # windows
            "0429-3030011", "0429-3012345",                                # phones
            "可以委托他人代为申请吗？", "代理人须携带授权委托书",              # FAQ
            "给予法律援助决定书",                                            # result
        ):
            self.assertContains(response, text)

    def test_it_shows_the_fee_table_of_a_charging_item(self):
        response = self.client.get(self.item_url(self.fee_item))
        for text in ("即办件", "当场办结", "证件工本费", "10.00", "辽价发〔2019〕1号", "网上支付"):
            self.assertContains(response, text)
        self.assertNotContains(response, "不收费")

    def test_it_carries_a_qr_code_of_its_own_address(self):
        response = self.client.get(self.item_url(self.aid))
        url = f"http://127.0.0.1:8000/guide/items/{self.aid.code}/"  # the public address (settings default)
        expected = segno.make(url, error="m", micro=False).svg_inline(
            scale=4, border=2, omitsize=True, svgclass="qr", lineclass="qr-line")
        html = response.content.decode()
        self.assertIn(expected, html)
        self.assertIn("<svg", expected)
        other = segno.make("http://127.0.0.1:8000/guide/", error="m", micro=False).svg_inline(
            scale=4, border=2, omitsize=True, svgclass="qr", lineclass="qr-line")
        self.assertNotIn(other, html)
        # The kiosk shows the plain address, so a phone that scans it gets the phone page.
        self.assertIn(expected, self.client.get(self.item_url(self.aid, mode="kiosk")).content.decode())

    def test_it_has_a_print_stylesheet(self):
        response = self.client.get(self.item_url(self.aid))
        self.assertContains(response, 'href="/static/css/guide.css"')
        self.assertContains(response, "打印本页")
        with open(finders.find("css/guide.css"), encoding="utf-8") as css:
            self.assertIn("@media print", css.read())

    def test_it_shows_the_approved_version_while_a_change_waits(self):
        item_propose(actor=self.p.manager_a, center=self.p.center_a, item=self.aid,
                     data=legal_aid(promised_days=3, steps=[{"name": "受理", "days": 0}, {"name": "审查", "days": 3}]))
        response = self.client.get(self.item_url(self.aid))
        self.assertContains(response, "5 个工作日")
        self.assertNotContains(response, "3 个工作日")

    def test_it_answers_404_for_unpublished_items(self):
        for item in [*self.hidden, ServiceItem(code="nope")]:
            with self.subTest(item=item.code):
                response = self.client.get(self.item_url(item))
                self.assertEqual(response.status_code, 404)
                self.assertContains(response, "未找到该事项", status_code=404)
                self.assertNotContains(response, "Not Found", status_code=404)


class GuideKioskTests(GuideData):
    def test_it_renders_large_type_with_a_letter_keyboard(self):
        for url in (reverse("guide:kiosk"), reverse("guide:index") + "?mode=kiosk"):
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertContains(response, '<body class="guide kiosk">')
                self.assertContains(response, 'class="g-key"', count=26)
                self.assertContains(response, "退格")

    def test_it_types_pinyin_initials_by_tapping_letters(self):
        response = self.client.get(reverse("guide:kiosk"), {"q": "fly"})
        self.assertContains(response, 'href="/guide/kiosk/?mode=kiosk&amp;q=flyz"')
        response = self.client.get(reverse("guide:kiosk"), {"q": "flyz"})
        self.assertContains(response, self.item_url(self.aid, mode="kiosk"))

    def test_it_keeps_kiosk_mode_on_every_page_and_returns_home_when_idle(self):
        response = self.client.get(reverse("guide:center", args=[self.p.center_a.code]), {"mode": "kiosk"})
        self.assertContains(response, '<body class="guide kiosk">')
        self.assertContains(response, self.item_url(self.aid, mode="kiosk"))
        response = self.client.get(self.item_url(self.aid, mode="kiosk"))
        self.assertContains(response, '<body class="guide kiosk">')
        self.assertContains(response, 'http-equiv="refresh" content="120;url=/guide/kiosk/"')
        self.assertNotContains(response, "打印本页")
        self.assertNotContains(self.client.get(reverse("guide:kiosk")), 'http-equiv="refresh"')

    def test_it_uses_large_type_and_big_buttons(self):
        with open(finders.find("css/guide.css"), encoding="utf-8") as css:
            text = css.read()
        self.assertIn("body.kiosk { font-size: 28px;", text)
        self.assertIn("min-height: 80px", text)

    def test_it_is_not_kiosk_mode_by_default(self):
        self.assertContains(self.client.get(reverse("guide:index")), '<body class="guide">')


class InformationDeskTests(GuideData):
    def test_it_requires_login(self):
        response = self.client.get(reverse("guide:desk"))
        self.assertEqual(response.status_code, 302)
        self.assertIn("/accounts/login/", response["Location"])

    def test_it_refuses_the_admin_roles(self):
        self.login(self.p.sysadmin)
        self.assertEqual(self.client.get(reverse("guide:desk")).status_code, 403)

    def test_it_finds_items_of_another_centre_with_the_handling_centre_and_windows(self):
        self.login(self.p.staff_a)  # staff of centre A looks up an item of centre B
        response = self.client.get(reverse("guide:desk"), {"q": "dlysz"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "道路运输证补办")
        self.assertContains(response, self.p.center_b.name)
        self.assertContains(response, "1号 综合受理")
        self.assertContains(response, "0429-3040022")

    def test_it_serves_every_business_role(self):
        for user in (self.p.bureau, self.p.city_bureau, self.p.leader, self.p.manager_b, self.p.staff_b):
            with self.subTest(role=user.role):
                self.login(user)
                response = self.client.get(reverse("guide:desk"), {"q": "flyz"})
                self.assertContains(response, "法律援助申请受理审查")

    def test_it_filters_by_centre_and_hides_unpublished_items(self):
        self.login(self.p.manager_a)
        response = self.client.get(reverse("guide:desk"), {"center": self.p.center_a.code})
        self.assertContains(response, "法律援助申请受理审查")
        self.assertNotContains(response, "道路运输证补办")
        for item in self.hidden:
            self.assertNotContains(response, item.name)


class PublicAddressTests(PersonaTestCase):
    def test_it_puts_the_configured_public_address_in_the_qr_code(self):
        from django.test import override_settings

        from servicehall.lib.qr import qr_svg

        item = publish(self.p, self.p.center_a, legal_aid())
        with override_settings(SH_PUBLIC_BASE_URL="https://zwfw.example.gov.cn/"):
            page = self.client.get(f"/guide/items/{item.code}/").content.decode()
        self.assertIn(qr_svg(f"https://zwfw.example.gov.cn/guide/items/{item.code}/"), page)
