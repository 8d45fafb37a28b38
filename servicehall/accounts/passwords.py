"""Password rule from the live security policy (等保2.0: length and three character classes)."""

import string

from django.core.exceptions import ValidationError


def character_classes(password: str) -> int:
    return sum([
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(c in string.punctuation or (not c.isalnum() and not c.isspace()) for c in password),
    ])


class PolicyPasswordValidator:
    def validate(self, password, user=None):
        from .models import SecurityPolicy

        policy = SecurityPolicy.current()
        if len(password) < policy.password_min_length:
            raise ValidationError(f"密码至少需要{policy.password_min_length}个字符", code="password_too_short")
        if character_classes(password) < policy.password_min_classes:
            raise ValidationError(
                f"密码须包含大写字母、小写字母、数字、特殊符号中的至少{policy.password_min_classes}类",
                code="password_too_simple",
            )

    def get_help_text(self):
        return "密码至少8位，并包含大写字母、小写字母、数字、特殊符号中的至少3类。"
