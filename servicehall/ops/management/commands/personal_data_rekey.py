"""Rotate the key of personal data at rest (lib/personal.py): after a new key has been added to
SH_DATA_KEYS (the highest number encrypts), re-encrypt every value still under an older one.
Then the old key can be removed from SH_DATA_KEYS."""

from django.core.management.base import BaseCommand
from django.db import connection

from servicehall.cases.models import Case
from servicehall.db.fields import EncryptedField
from servicehall.inquiries.models import FirstInquiry
from servicehall.lib.personal import current_key_number, decrypt, key_number_of
from servicehall.queueing.models import Appointment, Ticket
from servicehall.reviews.models import Review

MODELS = (Ticket, Appointment, Case, FirstInquiry, Review)


def stale_rows(model, names: list[str], current: int):
    """(pk, {name: plain value}) of the rows with a value under another key than `current`,
    read as the database holds them (ciphertext), not as the fields read them."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in names)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {columns} FROM {quote(model._meta.db_table)}")
        for pk, *values in cursor.fetchall():
            if any(key_number_of(v) not in (None, current) for v in values):
                yield pk, {name: decrypt(v) for name, v in zip(names, values, strict=True)}


class Command(BaseCommand):
    help = "Re-encrypt personal data still under an older key of SH_DATA_KEYS with the current one."

    def handle(self, *args, **options):
        current = current_key_number()
        for model in MODELS:
            names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedField)]
            changed = 0
            for pk, values in list(stale_rows(model, names, current)):
                model.objects.filter(pk=pk).update(**values)  # the fields encrypt under the current key
                changed += 1
            self.stdout.write(f"{model._meta.verbose_name}：重新加密 {changed} 条")
        self.stdout.write(f"完成：个人信息均已使用第 {current} 号密钥加密。")
