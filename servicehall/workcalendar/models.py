"""The holiday table behind every working-day deadline (行政许可法 Art. 82).

Only exceptions are stored: a holiday on a weekday, or a weekend day that is worked. A year
is *confirmed* once the State Council's arrangement for it has been entered; deadlines that
cross an unconfirmed year are computed on Monday–Friday and flagged.
"""

from django.db import models

FIRST_YEAR, LAST_YEAR = 2000, 2100  # the span the calendar accepts; outside it is a typing error


class CalendarYear(models.Model):
    year = models.PositiveIntegerField("年份", unique=True)
    confirmed = models.BooleanField("已确认", default=False)
    source = models.CharField("来源", max_length=60, blank=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "年度日历"
        verbose_name_plural = "年度日历"
        ordering = ["year"]

    def __str__(self):
        return f"{self.year}年"


class CalendarDay(models.Model):
    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("上班", help_text="勾选：周末调休上班；不勾选：法定节假日休息")
    name = models.CharField("名称", max_length=30, blank=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "节假日与调休"
        verbose_name_plural = "节假日与调休"
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.name} {'上班' if self.is_workday else '休息'}"


class CalendarRevision(models.Model):
    """One row counting edits, so each process rebuilds its in-memory calendar only on change."""

    revision = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"工作日历第{self.revision}版"
