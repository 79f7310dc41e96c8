"""Read-side queries for operators."""

from __future__ import annotations

from django.db.models import QuerySet

from operators.models import FeedStatus, FeedVersion, NetworkSnapshot, Operator, SnapshotStatus


def operator_list() -> QuerySet[Operator]:
    """All operators, ordered by slug."""
    return Operator.objects.order_by("slug")


def operator_get(*, slug: str) -> Operator:
    """The operator with `slug`; raises Operator.DoesNotExist."""
    return Operator.objects.get(slug=slug)


def feed_version_list(*, operator: Operator) -> QuerySet[FeedVersion]:
    """The operator's feed versions, newest first."""
    return FeedVersion.objects.filter(operator=operator).order_by("-id")


def feed_version_get(*, operator: Operator, feed_version_id: int) -> FeedVersion:
    """Version `feed_version_id` of `operator`; raises FeedVersion.DoesNotExist for another
    operator's version."""
    return FeedVersion.objects.get(operator=operator, pk=feed_version_id)


def active_feed_version_ids(*, operator_ids: list[int]) -> dict[int, list[int]]:
    """Active version ids per operator id."""
    result: dict[int, list[int]] = {pk: [] for pk in operator_ids}
    rows = (
        FeedVersion.objects.filter(operator_id__in=operator_ids, status=FeedStatus.ACTIVE)
        .order_by("id")
        .values_list("operator_id", "id")
    )
    for operator_id, version_id in rows:
        result[operator_id].append(version_id)
    return result


def network_snapshot_current() -> NetworkSnapshot | None:
    """The newest ready network snapshot, or None before the first build."""
    return NetworkSnapshot.objects.filter(status=SnapshotStatus.READY).order_by("-id").first()
