"""Working-day arithmetic over the API (public: kiosks and the platform need it too)."""

from datetime import date

from ninja import Query, Router, Schema

from servicehall.api_schemas import errors
from servicehall.lib.errors import Invalid

from .selectors import get_calendar

router = Router(tags=["工作日历"])

MAX_DAYS = 3650


class DueDateIn(Schema):
    start: date
    days: int


class DueDateOut(Schema):
    start: date
    days: int
    due: date
    confirmed: bool


@router.get("/due-date", auth=None, response={200: DueDateOut, **errors(400)}, summary="按工作日计算到期日")
def due_date(request, query: Query[DueDateIn]):
    if not 0 <= query.days <= MAX_DAYS:
        raise Invalid(f"days：工作日数应在0至{MAX_DAYS}之间", field="days")
    result = get_calendar().add_workdays(query.start, query.days)
    return {"start": query.start, "days": query.days, "due": result.due, "confirmed": result.confirmed}
