"""首问责任制: the first person asked owns a question until it is answered or handed over on record.

`FirstInquiry` is one question asked at the information desk, at a window or in the hall.
`owner` is the person responsible now (首问责任人): the one who took it, or the named person
it was handed over to; `taken_by` keeps who was asked first. Every status change is a
compare-and-set that appends an `InquiryEvent`, so the history shows who held it when.
Overdue (more than one working day open) is derived, never stored.
"""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from servicehall.catalog.models import ServiceItem
from servicehall.db.fields import EncryptedField
from servicehall.lib.workdays import WorkCalendar
from servicehall.org.models import CenterOwnedQuerySet, ServiceCenter, Window


class InquiryStatus(models.TextChoices):
    OPEN = "open", "待答复"
    HANDED_OVER = "handed_over", "已移交"
    ANSWERED = "answered", "已答复"
    CLOSED = "closed", "已办结"


# Still on someone's desk: the owner must answer, hand over or close.
PENDING_STATUSES = (InquiryStatus.OPEN, InquiryStatus.HANDED_OVER)
DONE_STATUSES = (InquiryStatus.ANSWERED, InquiryStatus.CLOSED)

TRANSITIONS = {
    InquiryStatus.OPEN: {InquiryStatus.ANSWERED, InquiryStatus.HANDED_OVER, InquiryStatus.CLOSED},
    # A receiver who cannot answer either may hand it on again, on record.
    InquiryStatus.HANDED_OVER: {InquiryStatus.ANSWERED, InquiryStatus.HANDED_OVER, InquiryStatus.CLOSED},
    InquiryStatus.ANSWERED: {InquiryStatus.CLOSED},
    InquiryStatus.CLOSED: set(),
}

# The verb of each target status, for messages ("不能答复").
VERBS = {
    InquiryStatus.ANSWERED: "答复",
    InquiryStatus.HANDED_OVER: "移交",
    InquiryStatus.CLOSED: "办结",
}


class FirstInquiry(models.Model):
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="inquiries", verbose_name="中心")
    window = models.ForeignKey(Window, on_delete=models.PROTECT, null=True, blank=True, related_name="inquiries",
                               verbose_name="接待窗口")
    asked_at = models.DateTimeField("咨询时间")
    asker_name = models.CharField("来访人姓名", max_length=50, blank=True)
    asker_phone = EncryptedField("联系电话", blank=True, index_field="asker_phone_index")
    asker_phone_index = models.CharField(max_length=64, blank=True, default="", editable=False)
    asker_description = models.CharField("来访人情况", max_length=100, blank=True)
    topic = models.CharField("咨询问题", max_length=200)
    detail = models.TextField("问题详情", max_length=2000, blank=True)
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, null=True, blank=True, related_name="inquiries",
                             verbose_name="相关事项")
    taken_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 verbose_name="首问人")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_inquiries",
                              verbose_name="首问责任人")
    status = models.CharField("状态", max_length=12, choices=InquiryStatus.choices, default=InquiryStatus.OPEN)
    answer = models.TextField("答复内容", max_length=2000, blank=True)
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    handed_over_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+", verbose_name="移交人")
    handed_over_at = models.DateTimeField("移交时间", null=True, blank=True)
    handover_note = models.TextField("移交说明", max_length=1000, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    close_note = models.TextField("办结说明", max_length=1000, blank=True)

    objects = CenterOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "首问登记"
        verbose_name_plural = "首问登记"
        ordering = ["-asked_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "status", "asked_at"], name="inquiry_owner_status"),
            models.Index(fields=["center", "status", "asked_at"], name="inquiry_center_status"),
        ]

    def __str__(self):
        return f"首问#{self.pk}：{self.topic[:40]}"

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING_STATUSES

    def working_days_open(self, now: datetime, calendar: WorkCalendar) -> int:
        """Working days from the day it was asked to today, on local dates (the day asked not counted)."""
        return calendar.workdays_between(timezone.localdate(self.asked_at), timezone.localdate(now))

    def is_overdue(self, now: datetime, calendar: WorkCalendar) -> bool:
        """Still pending once the working day after the day asked has ended (older than one
        working day): asked Monday → overdue from Wednesday; asked Thursday → from Saturday."""
        due = calendar.add_workdays(timezone.localdate(self.asked_at), 1).due
        return self.is_pending and due < timezone.localdate(now)


class InquiryEvent(models.Model):
    """One row per status change (append-only): who moved it, when, to whom, and why."""

    inquiry = models.ForeignKey(FirstInquiry, on_delete=models.PROTECT, related_name="events", verbose_name="首问")
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="+", verbose_name="中心")
    from_status = models.CharField("原状态", max_length=12, choices=InquiryStatus.choices, blank=True)
    to_status = models.CharField("新状态", max_length=12, choices=InquiryStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name="操作人")
    to_owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name="接收人")
    at = models.DateTimeField("时间")
    note = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "首问处理记录"
        verbose_name_plural = "首问处理记录"
        ordering = ["inquiry", "at", "id"]

    def __str__(self):
        return f"{self.inquiry_id}: {self.from_status or '—'} → {self.to_status}"
