"""Demo reviews: about two thirds of the demo cases completed at a window are rated by their
applicants on the day they were completed, mostly well; the bad ones have rectifications at
every stage, some of them overdue. Made by the real services with back-dated times."""

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from servicehall.accounts.models import Role, User
from servicehall.cases.models import Case, CaseStatus
from servicehall.reviews.models import BAD_LEVELS, BAD_REASONS, Channel, RectificationStatus, Review
from servicehall.reviews.services import rectification_advance, review_submit

BEIJING = ZoneInfo("Asia/Shanghai")
SEED = 6
COMMENTS = {5: ["窗口人员很耐心，一次就办好了", "办事效率高，点赞", ""], 4: ["整体不错", ""],
            3: ["还可以，等候稍久", ""], 2: ["材料说明不够清楚，跑了两趟"], 1: ["排队时间太长，窗口开得少"]}
FOLLOW_UP = [(RectificationStatus.CALLED_BACK, "已电话回访评价人，了解具体情况"),
             (RectificationStatus.VERIFIED, "调取叫号和办件记录，情况属实"),
             (RectificationStatus.RECTIFIED, "已在窗口公示材料清单并在高峰时段增开窗口"),
             (RectificationStatus.CLOSED, "已将整改情况电话告知评价人")]


def load_demo_reviews(district, now: datetime | None = None) -> int:
    """Rate the district's completed demo cases (none when it already has reviews)."""
    if Review.objects.filter(center__district=district).exists():
        return 0
    now = now or timezone.now()
    rng = random.Random(SEED)
    managers = {}
    count = 0
    cases = (Case.objects.filter(center__district=district, window__isnull=False,
                                 status__in=[CaseStatus.COMPLETED, CaseStatus.DELIVERED])
             .select_related("center").order_by("completed_on", "id"))
    for case in cases:
        when = datetime.combine(case.completed_on, time(16, 30), tzinfo=BEIJING)
        if rng.random() > 0.7 or when > now:
            continue
        level = rng.choices([5, 4, 3, 2, 1], weights=[62, 20, 10, 5, 3])[0]
        review = review_submit(
            case=case, level=level,
            channel=rng.choice([Channel.PAD, Channel.PAD, Channel.PAD, Channel.QR, Channel.SMS]),
            indicators={"efficiency": level, "competence": min(5, level + rng.choice([0, 1])), "attitude": level},
            comment=rng.choice(COMMENTS[level]), reasons=[rng.choice(BAD_REASONS[:-1])] if level in BAD_LEVELS else [],
            now=when)
        count += 1
        if level in BAD_LEVELS:
            manager = managers.setdefault(case.center_id, User.objects.filter(
                role=Role.MANAGER, memberships__center=case.center).order_by("username").first())
            # Older ones are further along; a few are left open past their deadline.
            steps = min(len(FOLLOW_UP), (now - when).days // 3) if rng.random() > 0.2 else 0
            for n, (to, text) in enumerate(FOLLOW_UP[:steps], 1):
                if manager is not None:
                    rectification_advance(actor=manager, rectification=review.rectification, to=to, text=text,
                                          now=when + timedelta(days=n), notify_rater=False)
    return count
