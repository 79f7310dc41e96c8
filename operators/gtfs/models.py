"""The GTFS tables, one row per data row of a feed file, each tagged with its FeedVersion.

Ids are strings exactly as published; references between tables are by those string ids
within one feed version (not database foreign keys), so a version is loaded with COPY and
dropped with one DELETE per table. Times are integer seconds from the start of the
service day (noon minus 12 h) and may exceed 86 400. Columns a table does not model are
kept in `extra` (JSON) instead of being dropped.

Nothing here points back at these rows with a database relation, so deleting a
FeedVersion deletes its rows with one fast DELETE per table (Django's collector does not
load them into memory).
"""

from __future__ import annotations

from django.db import models

from operators.models import FeedVersion


class FeedRow(models.Model):
    feed_version = models.ForeignKey(FeedVersion, on_delete=models.CASCADE, related_name="+")
    # Columns of the file this table does not model, {column: value} (non-empty only).
    extra = models.JSONField(null=True, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{type(self).__name__} of feed version {self.feed_version_id}"


class Agency(FeedRow):
    agency_id = models.TextField(blank=True)
    agency_name = models.TextField()
    agency_url = models.TextField()
    agency_timezone = models.TextField()
    agency_lang = models.TextField(blank=True)
    agency_phone = models.TextField(blank=True)
    agency_fare_url = models.TextField(blank=True)
    agency_email = models.TextField(blank=True)

    class Meta:
        db_table = "gtfs_agency"


class Level(FeedRow):
    level_id = models.TextField()
    level_index = models.FloatField()
    level_name = models.TextField(blank=True)

    class Meta:
        db_table = "gtfs_level"


class Stop(FeedRow):
    stop_id = models.TextField()
    stop_code = models.TextField(blank=True)
    stop_name = models.TextField(blank=True)
    tts_stop_name = models.TextField(blank=True)
    stop_desc = models.TextField(blank=True)
    stop_lat = models.FloatField(null=True, blank=True)
    stop_lon = models.FloatField(null=True, blank=True)
    zone_id = models.TextField(blank=True)
    stop_url = models.TextField(blank=True)
    # 0 stop/platform, 1 station, 2 entrance/exit, 3 generic node, 4 boarding area
    location_type = models.SmallIntegerField(default=0)
    parent_station = models.TextField(blank=True)
    stop_timezone = models.TextField(blank=True)
    wheelchair_boarding = models.SmallIntegerField(null=True, blank=True)
    level_id = models.TextField(blank=True)
    platform_code = models.TextField(blank=True)

    class Meta:
        db_table = "gtfs_stop"
        indexes = [
            models.Index(fields=["feed_version", "stop_id"], name="gtfs_stop_fv_id"),
            models.Index(fields=["feed_version", "parent_station"], name="gtfs_stop_fv_parent"),
            # the bounding-box pre-filter of `near=` searches
            models.Index(fields=["stop_lat", "stop_lon"], name="gtfs_stop_latlon"),
        ]


class Pathway(FeedRow):
    pathway_id = models.TextField()
    from_stop_id = models.TextField()
    to_stop_id = models.TextField()
    pathway_mode = models.SmallIntegerField()
    is_bidirectional = models.SmallIntegerField()
    length = models.FloatField(null=True, blank=True)
    traversal_time = models.IntegerField(null=True, blank=True)
    stair_count = models.IntegerField(null=True, blank=True)
    max_slope = models.FloatField(null=True, blank=True)
    min_width = models.FloatField(null=True, blank=True)
    signposted_as = models.TextField(blank=True)
    reversed_signposted_as = models.TextField(blank=True)

    class Meta:
        db_table = "gtfs_pathway"


class Route(FeedRow):
    route_id = models.TextField()
    agency_id = models.TextField(blank=True)
    route_short_name = models.TextField(blank=True)
    route_long_name = models.TextField(blank=True)
    route_desc = models.TextField(blank=True)
    route_type = models.IntegerField()
    route_url = models.TextField(blank=True)
    route_color = models.TextField(blank=True)
    route_text_color = models.TextField(blank=True)
    route_sort_order = models.IntegerField(null=True, blank=True)
    continuous_pickup = models.SmallIntegerField(null=True, blank=True)
    continuous_drop_off = models.SmallIntegerField(null=True, blank=True)
    network_id = models.TextField(blank=True)
    # GTFS-JP
    jp_parent_route_id = models.TextField(blank=True)

    class Meta:
        db_table = "gtfs_route"
        indexes = [models.Index(fields=["feed_version", "route_id"], name="gtfs_route_fv_id")]


class Trip(FeedRow):
    trip_id = models.TextField()
    route_id = models.TextField()
    service_id = models.TextField()
    trip_headsign = models.TextField(blank=True)
    trip_short_name = models.TextField(blank=True)
    direction_id = models.SmallIntegerField(null=True, blank=True)
    block_id = models.TextField(blank=True)
    shape_id = models.TextField(blank=True)
    wheelchair_accessible = models.SmallIntegerField(null=True, blank=True)
    bikes_allowed = models.SmallIntegerField(null=True, blank=True)
    # GTFS-Flex as adopted: on-demand ride time = factor x driving time + offset (seconds)
    safe_duration_factor = models.FloatField(null=True, blank=True)
    safe_duration_offset = models.FloatField(null=True, blank=True)
    # GTFS-JP
    jp_trip_desc = models.TextField(blank=True)
    jp_trip_desc_symbol = models.TextField(blank=True)
    jp_office_id = models.TextField(blank=True)
    jp_pattern_id = models.TextField(blank=True)

    class Meta:
        db_table = "gtfs_trip"
        indexes = [models.Index(fields=["feed_version", "trip_id"], name="gtfs_trip_fv_id")]


class StopTime(FeedRow):
    # The composite indexes below lead with feed_version, so the FK needs no index of its
    # own; and no database constraint either: checking it row by row at commit costs ~2 s
    # per 400k rows, while only the loader writes here, with its just-created version's id
    # (deleting a version still deletes these rows: Django's collector, one DELETE).
    feed_version = models.ForeignKey(
        FeedVersion,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    trip_id = models.TextField()
    stop_sequence = models.IntegerField()
    stop_id = models.TextField(blank=True)
    # seconds from the start of the service day; null on GTFS-Flex window rows
    arrival_s = models.IntegerField(null=True, blank=True)
    departure_s = models.IntegerField(null=True, blank=True)
    # True when the published times were blank and were interpolated between timepoints
    interpolated = models.BooleanField(default=False)
    stop_headsign = models.TextField(blank=True)
    pickup_type = models.SmallIntegerField(null=True, blank=True)
    drop_off_type = models.SmallIntegerField(null=True, blank=True)
    continuous_pickup = models.SmallIntegerField(null=True, blank=True)
    continuous_drop_off = models.SmallIntegerField(null=True, blank=True)
    shape_dist_traveled = models.FloatField(null=True, blank=True)
    timepoint = models.SmallIntegerField(null=True, blank=True)
    # GTFS-Flex
    location_id = models.TextField(blank=True)
    location_group_id = models.TextField(blank=True)
    start_pickup_drop_off_window_s = models.IntegerField(null=True, blank=True)
    end_pickup_drop_off_window_s = models.IntegerField(null=True, blank=True)
    pickup_booking_rule_id = models.TextField(blank=True)
    drop_off_booking_rule_id = models.TextField(blank=True)
    mean_duration_factor = models.FloatField(null=True, blank=True)
    mean_duration_offset = models.FloatField(null=True, blank=True)
    safe_duration_factor = models.FloatField(null=True, blank=True)
    safe_duration_offset = models.FloatField(null=True, blank=True)

    class Meta:
        db_table = "gtfs_stop_time"
        indexes = [
            # departures board: the stop's next departures after a time
            models.Index(
                fields=["feed_version", "stop_id", "departure_s"], name="gtfs_st_fv_stop_dep"
            ),
            # a trip's stops in order
            models.Index(
                fields=["feed_version", "trip_id", "stop_sequence"], name="gtfs_st_fv_trip_seq"
            ),
        ]


class Calendar(FeedRow):
    service_id = models.TextField()
    monday = models.BooleanField()
    tuesday = models.BooleanField()
    wednesday = models.BooleanField()
    thursday = models.BooleanField()
    friday = models.BooleanField()
    saturday = models.BooleanField()
    sunday = models.BooleanField()
    start_date = models.DateField()
    end_date = models.DateField()

    class Meta:
        db_table = "gtfs_calendar"


class CalendarDate(FeedRow):
    service_id = models.TextField()
    date = models.DateField()
    # 1 service added, 2 service removed
    exception_type = models.SmallIntegerField()

    class Meta:
        db_table = "gtfs_calendar_date"
        indexes = [models.Index(fields=["feed_version", "date"], name="gtfs_cd_fv_date")]


class Frequency(FeedRow):
    trip_id = models.TextField()
    start_time_s = models.IntegerField()
    end_time_s = models.IntegerField()
    headway_secs = models.IntegerField()
    exact_times = models.SmallIntegerField(default=0)

    class Meta:
        db_table = "gtfs_frequency"


class Transfer(FeedRow):
    from_stop_id = models.TextField(blank=True)
    to_stop_id = models.TextField(blank=True)
    from_route_id = models.TextField(blank=True)
    to_route_id = models.TextField(blank=True)
    from_trip_id = models.TextField(blank=True)
    to_trip_id = models.TextField(blank=True)
    transfer_type = models.SmallIntegerField(default=0)
    min_transfer_time = models.IntegerField(null=True, blank=True)

    class Meta:
        db_table = "gtfs_transfer"


class ShapePoint(FeedRow):
    # indexed by the composite index; no constraint (see StopTime)
    feed_version = models.ForeignKey(
        FeedVersion,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    shape_id = models.TextField()
    shape_pt_lat = models.FloatField()
    shape_pt_lon = models.FloatField()
    shape_pt_sequence = models.IntegerField()
    shape_dist_traveled = models.FloatField(null=True, blank=True)

    class Meta:
        db_table = "gtfs_shape_point"
        indexes = [
            models.Index(
                fields=["feed_version", "shape_id", "shape_pt_sequence"], name="gtfs_shape_fv_seq"
            )
        ]


class FeedInfo(FeedRow):
    feed_publisher_name = models.TextField()
    feed_publisher_url = models.TextField()
    feed_lang = models.TextField()
    default_lang = models.TextField(blank=True)
    feed_start_date = models.DateField(null=True, blank=True)
    feed_end_date = models.DateField(null=True, blank=True)
    # the file's `feed_version` column (the name is taken by the foreign key)
    feed_version_label = models.TextField(blank=True)
    feed_contact_email = models.TextField(blank=True)
    feed_contact_url = models.TextField(blank=True)
    feed_id = models.TextField(blank=True)

    class Meta:
        db_table = "gtfs_feed_info"


# ------------------------------------------------------------------ fares v1


class FareAttribute(FeedRow):
    fare_id = models.TextField()
    # as published, in the currency's main unit (pricing converts to minor units)
    price = models.DecimalField(max_digits=14, decimal_places=4)
    currency_type = models.TextField()
    payment_method = models.SmallIntegerField()
    transfers = models.SmallIntegerField(null=True, blank=True)
    agency_id = models.TextField(blank=True)
    transfer_duration = models.IntegerField(null=True, blank=True)

    class Meta:
        db_table = "gtfs_fare_attribute"


class FareRule(FeedRow):
    feed_version = models.ForeignKey(
        FeedVersion, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    fare_id = models.TextField()
    route_id = models.TextField(blank=True)
    origin_id = models.TextField(blank=True)
    destination_id = models.TextField(blank=True)
    contains_id = models.TextField(blank=True)

    class Meta:
        db_table = "gtfs_fare_rule"
        indexes = [models.Index(fields=["feed_version", "fare_id"], name="gtfs_fr_fv_fare")]


# ------------------------------------------------------------------ fares v2


class FareMedia(FeedRow):
    fare_media_id = models.TextField()
    fare_media_name = models.TextField(blank=True)
    fare_media_type = models.SmallIntegerField()

    class Meta:
        db_table = "gtfs_fare_media"


class FareProduct(FeedRow):
    fare_product_id = models.TextField()
    fare_product_name = models.TextField(blank=True)
    rider_category_id = models.TextField(blank=True)
    fare_media_id = models.TextField(blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=4)
    currency = models.TextField()

    class Meta:
        db_table = "gtfs_fare_product"


class FareLegRule(FeedRow):
    leg_group_id = models.TextField(blank=True)
    network_id = models.TextField(blank=True)
    from_area_id = models.TextField(blank=True)
    to_area_id = models.TextField(blank=True)
    from_timeframe_group_id = models.TextField(blank=True)
    to_timeframe_group_id = models.TextField(blank=True)
    fare_product_id = models.TextField()
    rule_priority = models.IntegerField(null=True, blank=True)

    class Meta:
        db_table = "gtfs_fare_leg_rule"


class FareTransferRule(FeedRow):
    from_leg_group_id = models.TextField(blank=True)
    to_leg_group_id = models.TextField(blank=True)
    transfer_count = models.IntegerField(null=True, blank=True)
    duration_limit = models.IntegerField(null=True, blank=True)
    duration_limit_type = models.SmallIntegerField(null=True, blank=True)
    fare_transfer_type = models.SmallIntegerField()
    fare_product_id = models.TextField(blank=True)

    class Meta:
        db_table = "gtfs_fare_transfer_rule"


class RiderCategory(FeedRow):
    rider_category_id = models.TextField()
    rider_category_name = models.TextField(blank=True)
    is_default_fare_category = models.SmallIntegerField(null=True, blank=True)
    eligibility_url = models.TextField(blank=True)

    class Meta:
        db_table = "gtfs_rider_category"


class FareRiderCategory(FeedRow):
    """GTFS-JP (and older Fares drafts): a fare's price for one rider category."""

    fare_id = models.TextField()
    rider_category_id = models.TextField()
    price = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    currency_type = models.TextField(blank=True)

    class Meta:
        db_table = "gtfs_fare_rider_category"


# ------------------------------------------------------------------ translations


class Translation(FeedRow):
    """Both forms of translations.txt in one table.

    Current form: (table_name, field_name, language, translation, record_id,
    record_sub_id, field_value). Legacy GTFS-JP v1 form (trans_id, lang, translation):
    stored with field_value = trans_id (the original text) and empty table/field names,
    i.e. "this text, wherever it appears, reads `translation` in `language`".
    """

    table_name = models.TextField(blank=True)
    field_name = models.TextField(blank=True)
    language = models.TextField()
    translation = models.TextField()
    record_id = models.TextField(blank=True)
    record_sub_id = models.TextField(blank=True)
    field_value = models.TextField(blank=True)

    class Meta:
        db_table = "gtfs_translation"
        indexes = [
            models.Index(
                fields=["feed_version", "language", "record_id"], name="gtfs_tr_fv_lang_rec"
            ),
            models.Index(
                fields=["feed_version", "language", "field_value"], name="gtfs_tr_fv_lang_val"
            ),
        ]


# ------------------------------------------------------------------ GTFS-JP


class AgencyJp(FeedRow):
    agency_id = models.TextField()
    agency_official_name = models.TextField(blank=True)
    agency_zip_number = models.TextField(blank=True)
    agency_address = models.TextField(blank=True)
    agency_president_pos = models.TextField(blank=True)
    agency_president_name = models.TextField(blank=True)

    class Meta:
        db_table = "gtfs_agency_jp"


class OfficeJp(FeedRow):
    office_id = models.TextField()
    office_name = models.TextField()
    office_url = models.TextField(blank=True)
    office_phone = models.TextField(blank=True)

    class Meta:
        db_table = "gtfs_office_jp"


class PatternJp(FeedRow):
    jp_pattern_id = models.TextField()
    route_update_date = models.TextField(blank=True)
    origin_stop = models.TextField(blank=True)
    via_stop = models.TextField(blank=True)
    destination_stop = models.TextField(blank=True)

    class Meta:
        db_table = "gtfs_pattern_jp"


class RouteJp(FeedRow):
    """Legacy GTFS-JP v1 routes_jp.txt."""

    route_id = models.TextField()
    route_update_date = models.TextField(blank=True)
    origin_stop = models.TextField(blank=True)
    via_stop = models.TextField(blank=True)
    destination_stop = models.TextField(blank=True)

    class Meta:
        db_table = "gtfs_route_jp"


# ------------------------------------------------------------------ GTFS-Flex


class Location(FeedRow):
    """A GTFS-Flex zone from locations.geojson (Polygon or MultiPolygon)."""

    location_id = models.TextField()
    geometry_type = models.TextField()
    geometry = models.JSONField()  # the GeoJSON geometry object as published
    properties = models.JSONField(default=dict, blank=True)
    stop_name = models.TextField(blank=True)
    min_lat = models.FloatField()
    min_lon = models.FloatField()
    max_lat = models.FloatField()
    max_lon = models.FloatField()

    class Meta:
        db_table = "gtfs_location"
        indexes = [models.Index(fields=["feed_version", "location_id"], name="gtfs_loc_fv_id")]


class LocationGroup(FeedRow):
    location_group_id = models.TextField()
    location_group_name = models.TextField(blank=True)

    class Meta:
        db_table = "gtfs_location_group"


class LocationGroupStop(FeedRow):
    location_group_id = models.TextField()
    stop_id = models.TextField()

    class Meta:
        db_table = "gtfs_location_group_stop"


class BookingRule(FeedRow):
    booking_rule_id = models.TextField()
    # 0 real time, 1 same day with notice, 2 prior day(s)
    booking_type = models.SmallIntegerField()
    prior_notice_duration_min = models.IntegerField(null=True, blank=True)
    prior_notice_duration_max = models.IntegerField(null=True, blank=True)
    prior_notice_last_day = models.IntegerField(null=True, blank=True)
    prior_notice_last_time_s = models.IntegerField(null=True, blank=True)
    prior_notice_start_day = models.IntegerField(null=True, blank=True)
    prior_notice_start_time_s = models.IntegerField(null=True, blank=True)
    prior_notice_service_id = models.TextField(blank=True)
    message = models.TextField(blank=True)
    pickup_message = models.TextField(blank=True)
    drop_off_message = models.TextField(blank=True)
    phone_number = models.TextField(blank=True)
    info_url = models.TextField(blank=True)
    booking_url = models.TextField(blank=True)

    class Meta:
        db_table = "gtfs_booking_rule"
