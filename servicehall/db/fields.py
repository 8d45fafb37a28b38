"""A model field for personal data at rest (lib/personal.py): the column holds SM4-GCM
ciphertext, a sibling column the keyed SM3 hash. Code reads and writes plain text as before;
`filter(phone=x)` and `filter(holder__in=[…])` compare the hashes, so lookups keep working
and are indexable. Other lookups (contains, ordering) cannot work on ciphertext and refuse.
"""

from django.core.exceptions import FieldError
from django.db import models
from django.db.models.expressions import Col
from django.db.models.lookups import Exact, In

from servicehall.lib.personal import blind_index, decrypt, encrypt


class EncryptedField(models.TextField):
    """`index_field` names the sibling CharField(64) that holds the lookup hash; declare it
    right after this field (row writers fill fields in order)."""

    def __init__(self, *args, index_field: str, **kwargs):
        self.index_field = index_field
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["index_field"] = self.index_field
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        return decrypt(value)

    def to_python(self, value):
        return decrypt(value) if isinstance(value, str) else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value

    def pre_save(self, model_instance, add):
        value = super().pre_save(model_instance, add)
        setattr(model_instance, self.index_field, blind_index(value))
        return value

    def get_lookup(self, lookup_name):
        lookup = super().get_lookup(lookup_name)
        if lookup_name not in ("exact", "in", "isnull"):
            raise FieldError(f"{self.name} is encrypted: only exact matches can be looked up")
        return lookup


class _OnTheIndex:
    """Compare the sibling hash column instead of the ciphertext."""

    prepare_rhs = False

    def _on_index(self, value):
        return [blind_index(v) for v in value] if isinstance(value, list | tuple | set) else blind_index(value)

    def as_sql(self, compiler, connection):
        field = self.lhs.target
        index = field.model._meta.get_field(field.index_field)
        lookup = self.plain(Col(self.lhs.alias, index), self._on_index(self.rhs))
        return lookup.as_sql(compiler, connection)


@EncryptedField.register_lookup
class EncryptedExact(_OnTheIndex, Exact):
    plain = Exact


@EncryptedField.register_lookup
class EncryptedIn(_OnTheIndex, In):
    plain = In


def encrypt_existing(model, *names: str) -> None:
    """For a data migration: encrypt the plain values written before, and fill their hashes.
    A value already encrypted is left as it is (the migration may run again)."""
    from servicehall.lib.personal import is_encrypted

    columns = {name: model._meta.get_field(name).column for name in names}
    table = model._meta.db_table
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {', '.join(columns.values())} FROM {table}")
        rows = cursor.fetchall()
    for pk, *values in rows:
        changes = {}
        for name, value in zip(names, values, strict=True):
            field = model._meta.get_field(name)
            changes[field.index_field] = blind_index(decrypt(value))
            if value and not is_encrypted(value):
                changes[name] = value  # the field encrypts it on the way in
        model.objects.filter(pk=pk).update(**changes)
