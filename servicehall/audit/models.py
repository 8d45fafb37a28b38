"""The append-only audit trail (等保2.0: time, user, event, object, outcome, source).

Writers only INSERT. A database trigger gives each row, in the transaction that writes it, a
sequence number, the previous row's hash and its own keyed SM3 hash (chain.py), so no row is
committed outside the chain. Actor and centre are stored as ids plus snapshots,
not foreign keys, so deleting a user or a centre can never change or remove a row.
"""

from django.db import models


class Outcome(models.TextChoices):
    SUCCESS = "success", "成功"
    DENIED = "denied", "拒绝"
    FAILURE = "failure", "失败"


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("audit rows are append-only")

    def delete(self):
        raise PermissionError("audit rows are append-only")


class AuditEvent(models.Model):
    created_at = models.DateTimeField("时间", db_index=True)
    actor_id = models.BigIntegerField("操作人ID", null=True, blank=True, db_index=True)
    actor_username = models.CharField("操作人账号", max_length=150, blank=True)
    actor_role = models.CharField("操作人角色", max_length=20, blank=True)
    center_id = models.BigIntegerField("中心ID", null=True, blank=True, db_index=True)
    center_code = models.CharField("中心编码", max_length=20, blank=True)
    action = models.CharField("操作", max_length=60, db_index=True)
    object_type = models.CharField("对象类型", max_length=60, blank=True)
    object_id = models.CharField("对象ID", max_length=64, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    before = models.JSONField("修改前", null=True, blank=True)
    after = models.JSONField("修改后", null=True, blank=True)
    outcome = models.CharField("结果", max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    source_ip = models.GenericIPAddressField("来源地址", null=True, blank=True)
    # Chain fields, written once by the chaining trigger.
    seq = models.BigIntegerField("链序号", null=True, blank=True, unique=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)
    sealed_at = models.DateTimeField(null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["center_id", "created_at"]),
            models.Index(fields=["seq"], name="audit_unsealed_idx", condition=models.Q(seq__isnull=True)),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("audit rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit rows are append-only")

    @property
    def action_label(self) -> str:
        from .actions import label_for

        return label_for(self.action)


class AuditChainHead(models.Model):
    """One row: where the chain ends. Only the chaining trigger writes it, at commit."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return "审计日志链头"
