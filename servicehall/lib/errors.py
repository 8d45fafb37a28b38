"""Domain errors that services raise and every front end turns into one shape.

The API answers `{"error": code, "message": Chinese text, "field": name | null}` with the
status below; HTML views put the message on the named form field.
"""

from django.core.exceptions import ValidationError
from django.http import JsonResponse


def error_body(code: str, message: str, field: str | None = None) -> dict:
    """The API's one error shape; every error answer under /api/ is built here."""
    return {"error": code, "message": message, "field": field}


def error_json(status: int, code: str, message: str, field: str | None = None) -> JsonResponse:
    """An error answered outside the API's own handlers (middleware, Django's error views)."""
    return JsonResponse(error_body(code, message, field), status=status)


class ServiceError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    def as_dict(self) -> dict:
        return error_body(self.code, self.message, self.field)


class Invalid(ServiceError):
    status = 400
    code = "invalid"


def whole_number(value, low: int = 1, high: int = 10 ** 18) -> int | None:
    """`value` (a form's or URL's text) as a whole number from `low` to `high`, else None. Only
    ASCII digits: str.isdigit() also takes "²", which int() and the database then refuse."""
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        return None
    number = int(text)
    return number if low <= number <= high else None


def text_input(value, *, field: str, label: str, limit: int = 1000, required: bool = True) -> str:
    """A user's free text, trimmed; refused naming its field when missing (if `required`) or
    longer than `limit` ("理由：请填写", "理由：不能超过1000字")."""
    text = (value or "").strip()
    if required and not text:
        raise Invalid(f"{label}：请填写", field=field)
    if len(text) > limit:
        raise Invalid(f"{label}：不能超过{limit}字", field=field)
    return text


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


def invalid_from_validation_error(exc: ValidationError, labels: dict[str, str] | None = None) -> Invalid:
    """The first message of a model ValidationError as an Invalid naming its field."""
    labels = labels or {}
    if hasattr(exc, "error_dict"):
        field, errors = next(iter(exc.error_dict.items()))
        message = errors[0].messages[0] if hasattr(errors[0], "messages") else str(errors[0])
        if field == "__all__":
            return Invalid(message, field=None)
        label = labels.get(field)
        return Invalid(f"{label}：{message}" if label and label not in message else message, field=field)
    return Invalid(exc.messages[0], field=None)


def full_clean_or_invalid(instance, **kwargs) -> None:
    """`full_clean()` that raises Invalid with the field's verbose name in the message."""
    try:
        instance.full_clean(**kwargs)
    except ValidationError as exc:
        labels = {f.name: str(f.verbose_name) for f in instance._meta.fields}
        raise invalid_from_validation_error(exc, labels) from exc
