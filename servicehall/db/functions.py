"""Database functions the ORM lacks, with their SQL for each database the project runs on."""

from django.db.models import CharField, Func
from django.utils import timezone


class LocalMinute(Func):
    """A moment as the hall's local time to the minute with its offset, as text
    ("2026-10-12T12:00+08:00"): what `timezone.localtime(at).isoformat(timespec="minutes")`
    writes, so evidence built in SQL reads as evidence built in Python. The offset is the
    zone's now; the project's zone (Asia/Shanghai) has had one offset all year since 1991."""

    arity = 1
    output_field = CharField()

    @staticmethod
    def _offset() -> tuple[str, int]:
        offset = timezone.localtime(timezone.now()).utcoffset()
        minutes = int(offset.total_seconds() // 60)
        sign, whole = ("-", -minutes) if minutes < 0 else ("+", minutes)
        return f"{sign}{whole // 60:02d}:{whole % 60:02d}", minutes

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        text, _ = self._offset()
        zone = str(timezone.get_current_timezone())
        return f"(to_char(({sql}) AT TIME ZONE %s, 'YYYY-MM-DD\"T\"HH24:MI') || %s)", (*params, zone, text)

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        text, minutes = self._offset()
        return f"(strftime('%%Y-%%m-%%dT%%H:%%M', {sql}, %s) || %s)", (*params, f"{minutes:+d} minutes", text)
