"""Who may see which centre: the one scoping rule every `for_user` goes through, and which
the permission check asks (settings.SH_CENTRE_SCOPE names this module)."""

from django.db.models import Count, Q

from servicehall.accounts.permissions import (
    AUDIT_ADMIN,
    SEES_ALL_CENTRES,
    SEES_DEPARTMENT_CENTRES,
    SEES_DISTRICT,
    SEES_OWN_CENTRES,
    WINDOW_STAFF,
    can,
)
from servicehall.db.caches import CENTRES_BY_CODE, VISIBLE_CENTRES
from servicehall.lib.errors import NotFound

from .models import Membership, ServiceCenter, Window


def visible_center_ids(user) -> tuple[int, ...]:
    """Ids of the centres `user` may see, kept on the user object for the request.

    - the city-level bureau: every centre;
    - district bureau and leadership: every centre of the districts they belong to;
    - branch managers: their centres, plus all centres of the departments they manage
      (dual management: department and bureau);
    - window staff: their centres; the three admins: none (no business data; the system
      admin works in the admin site, the audit admin reads the trail by its own rule).
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return ()
    cached = getattr(user, "_visible_center_ids", None)
    if cached is None:
        cached = user._visible_center_ids = VISIBLE_CENTRES.get((user.pk, user.role), lambda: _visible_center_ids(user))
    return cached


def _visible_center_ids(user) -> tuple[int, ...]:
    memberships = Membership.objects.filter(user=user)
    if user.role in SEES_ALL_CENTRES:
        query = ServiceCenter.objects.all()
    elif user.role in SEES_DISTRICT:
        query = ServiceCenter.objects.filter(
            district__in=memberships.filter(center__isnull=False).values("center__district")
        )
    elif user.role in SEES_DEPARTMENT_CENTRES:
        query = ServiceCenter.objects.filter(
            Q(pk__in=memberships.values("center")) | Q(department__in=memberships.values("department"))
        )
    elif user.role in SEES_OWN_CENTRES:
        query = ServiceCenter.objects.filter(pk__in=memberships.values("center"))
    else:
        query = ServiceCenter.objects.none()
    return tuple(query.values_list("pk", flat=True))


def all_center_ids() -> tuple[int, ...]:
    """Every centre of the installation (rules for every centre need a user who sees them all)."""
    return tuple(ServiceCenter.objects.values_list("pk", flat=True))


def audit_reader_filter(user) -> Q | None:
    """Which audit rows a user reads (settings.SH_AUDIT_READER_SCOPE), for one whose role may
    read the trail at all ("audit.read"): the audit admin every row; window staff their own
    actions in their centres (and their own sign-ins, which carry no centre); the others the
    rows of the centres they see and their own; anyone else none (None)."""
    if not can(user, "audit.read"):
        return None
    own = Q(actor_id=user.pk)  # one's own sign-ins and password changes carry no centre
    if user.role in AUDIT_ADMIN:
        return Q()
    if user.role in WINDOW_STAFF:
        return own & (Q(center_id__in=visible_center_ids(user)) | Q(center_id__isnull=True))
    return Q(center_id__in=visible_center_ids(user)) | own


def user_districts(user):
    """Districts a bureau user supervises (all for the city level)."""
    from .models import District

    if user.role in SEES_ALL_CENTRES:
        return District.objects.all()
    return District.objects.filter(centers__in=visible_center_ids(user)).distinct()


def centers_overview(user):
    """Centres the user sees, with counts of windows, staff and AB-post gaps, for home pages."""
    return (
        ServiceCenter.objects.for_user(user)
        .select_related("district", "department")
        .annotate(
            window_count=Count("windows", filter=Q(windows__is_active=True), distinct=True),
            staff_count=Count("staff", filter=Q(staff__is_active=True), distinct=True),
            post_count=Count("backup_posts", distinct=True),
        )
        .order_by("district__code", "kind", "code")
    )


def windows_without_post(user, center=None):
    """Active windows with no AB post: a window that may stand empty."""
    windows = Window.objects.for_user(user).filter(is_active=True, post__isnull=True)
    if center is not None:
        windows = windows.filter(center=center)
    return windows.select_related("center")


def center_for_user(user, code: str) -> ServiceCenter:
    """A centre by code, if the user may see it; NotFound otherwise (404, never 403)."""
    center = (ServiceCenter.objects.for_user(user).select_related("district", "department", "parent")
              .filter(code=code).first())
    if center is None:
        raise NotFound("未找到该中心")
    return center


def center_for_user_fast(user, code: str) -> ServiceCenter:
    """`center_for_user` without the query: the centre's own row (its relations not loaded)
    from per-process memory, shared by the process's threads: read it, never change it."""
    code = code or ""
    center = CENTRES_BY_CODE.get(code, lambda: ServiceCenter.objects.filter(code=code).first())
    if center is None or center.pk not in visible_center_ids(user):
        raise NotFound("未找到该中心")
    return center


def get_visible(model, user, pk, *, label: str, related: tuple[str, ...] = ()):
    """A centre-owned row the user may see, or NotFound (404: never reveal other centres);
    `related` names foreign keys to load in the same query."""
    try:
        return model.objects.for_user(user).select_related(*related).get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"未找到该{label}") from None
