"""Working-day arithmetic over the API (public: kiosks and the platform need it too)."""

from datetime import date

from ninja import Query, Router, Schema
from pydantic import Field

from servicehall.api_schemas import IsoDate, errors

from .selectors import due_date as compute_due_date

router = Router(tags=["工作日历"])


class DueDateIn(Schema):
    start: IsoDate = Field(description="起算日，2000至2100年之间")
    days: int = Field(ge=0, le=3650, description="工作日数")


class DueDateOut(Schema):
    start: date
    days: int
    due: date
    confirmed: bool


@router.get("/due-date", auth=None, response={200: DueDateOut, **errors(400)}, summary="按工作日计算到期日")
def due_date(request, query: Query[DueDateIn]):
    result = compute_due_date(query.start, query.days)
    return {"start": query.start, "days": query.days, "due": result.due, "confirmed": result.confirmed}
