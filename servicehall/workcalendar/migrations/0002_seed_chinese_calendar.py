"""Seed the holiday table from chinesecalendar (2004–2026) so every installation has it."""

from django.db import migrations


def seed(apps, schema_editor):
    from servicehall.lib.workdays import chinese_calendar_days

    CalendarDay = apps.get_model("workcalendar", "CalendarDay")
    CalendarYear = apps.get_model("workcalendar", "CalendarYear")
    CalendarRevision = apps.get_model("workcalendar", "CalendarRevision")
    days, years = chinese_calendar_days()
    existing = set(CalendarDay.objects.values_list("date", flat=True))
    CalendarDay.objects.bulk_create(
        [CalendarDay(date=d, is_workday=w, name=n) for d, (w, n) in sorted(days.items()) if d not in existing]
    )
    for year in years:
        CalendarYear.objects.get_or_create(year=year, defaults={"confirmed": True, "source": "国务院办公厅通知（chinesecalendar）"})
    revision, _ = CalendarRevision.objects.get_or_create(pk=1)
    CalendarRevision.objects.filter(pk=1).update(revision=revision.revision + 1)


class Migration(migrations.Migration):
    dependencies = [("workcalendar", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
