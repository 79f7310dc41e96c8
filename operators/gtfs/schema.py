"""What each GTFS file looks like: its columns, their kinds, keys, and the table it loads
into. The validator and the loader are driven by this one description."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models

from operators.gtfs import models as m

# Column kinds: how a value is checked and converted.
#   text  free text             id    an identifier (string)
#   int   integer               float decimal number        decimal  money amount
#   date  YYYYMMDD              time  H:MM:SS (hours may pass 24) -> seconds
#   url   http(s) URL           tz    IANA time zone        color    RRGGBB
#   lat   latitude              lon   longitude             bool     0/1 (calendar days)


@dataclass(frozen=True)
class Column:
    name: str  # the GTFS column
    kind: str = "text"
    required: bool = False  # a value is required on every row (and so the column)
    field: str = ""  # the model field; defaults to `name`
    choices: tuple[int, ...] = ()  # allowed values of an int enum
    min_value: float | None = None
    max_value: float | None = None

    @property
    def model_field(self) -> str:
        return self.field or self.name


@dataclass(frozen=True)
class Table:
    file: str
    model: type[models.Model]
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()  # unique per feed (duplicate_key)
    required: bool = False  # missing_required_file when absent
    flex: bool = False  # a GTFS-Flex table
    # Columns published under another name by older drafts / tools: alias -> standard name.
    aliases: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.file.rsplit(".", 1)[0]

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)


C = Column
_ENUM_0_2 = (0, 1, 2)
_ENUM_0_3 = (0, 1, 2, 3)

TABLES: tuple[Table, ...] = (
    Table(
        "agency.txt",
        m.Agency,
        (
            C("agency_id", "id"),
            C("agency_name", required=True),
            C("agency_url", "url", required=True),
            C("agency_timezone", "tz", required=True),
            C("agency_lang"),
            C("agency_phone"),
            C("agency_fare_url", "url"),
            C("agency_email"),
        ),
        key=("agency_id",),
        required=True,
    ),
    Table(
        "levels.txt",
        m.Level,
        (C("level_id", "id", True), C("level_index", "float", True), C("level_name")),
        key=("level_id",),
    ),
    Table(
        "stops.txt",
        m.Stop,
        (
            C("stop_id", "id", True),
            C("stop_code"),
            C("stop_name"),
            C("tts_stop_name"),
            C("stop_desc"),
            C("stop_lat", "lat"),
            C("stop_lon", "lon"),
            C("zone_id", "id"),
            C("stop_url", "url"),
            C("location_type", "int", choices=(0, 1, 2, 3, 4)),
            C("parent_station", "id"),
            C("stop_timezone", "tz"),
            C("wheelchair_boarding", "int", choices=_ENUM_0_2),
            C("level_id", "id"),
            C("platform_code"),
        ),
        key=("stop_id",),
        required=True,
    ),
    Table(
        "pathways.txt",
        m.Pathway,
        (
            C("pathway_id", "id", True),
            C("from_stop_id", "id", True),
            C("to_stop_id", "id", True),
            C("pathway_mode", "int", True, choices=(1, 2, 3, 4, 5, 6, 7)),
            C("is_bidirectional", "int", True, choices=(0, 1)),
            C("length", "float", min_value=0),
            C("traversal_time", "int", min_value=0),
            C("stair_count", "int"),
            C("max_slope", "float"),
            C("min_width", "float", min_value=0),
            C("signposted_as"),
            C("reversed_signposted_as"),
        ),
        key=("pathway_id",),
    ),
    Table(
        "routes.txt",
        m.Route,
        (
            C("route_id", "id", True),
            C("agency_id", "id"),
            C("route_short_name"),
            C("route_long_name"),
            C("route_desc"),
            C("route_type", "int", True, min_value=0, max_value=1702),
            C("route_url", "url"),
            C("route_color", "color"),
            C("route_text_color", "color"),
            C("route_sort_order", "int", min_value=0),
            C("continuous_pickup", "int", choices=_ENUM_0_3),
            C("continuous_drop_off", "int", choices=_ENUM_0_3),
            C("network_id", "id"),
            C("jp_parent_route_id", "id"),
        ),
        key=("route_id",),
        required=True,
    ),
    Table(
        "trips.txt",
        m.Trip,
        (
            C("route_id", "id", True),
            C("service_id", "id", True),
            C("trip_id", "id", True),
            C("trip_headsign"),
            C("trip_short_name"),
            C("direction_id", "int", choices=(0, 1)),
            C("block_id", "id"),
            C("shape_id", "id"),
            C("wheelchair_accessible", "int", choices=_ENUM_0_2),
            C("bikes_allowed", "int", choices=_ENUM_0_2),
            C("safe_duration_factor", "float"),
            C("safe_duration_offset", "float"),
            C("jp_trip_desc"),
            C("jp_trip_desc_symbol"),
            C("jp_office_id", "id"),
            C("jp_pattern_id", "id"),
        ),
        key=("trip_id",),
        required=True,
    ),
    Table(
        "stop_times.txt",
        m.StopTime,
        (
            C("trip_id", "id", True),
            C("arrival_time", "time", field="arrival_s"),
            C("departure_time", "time", field="departure_s"),
            C("stop_id", "id"),
            C("location_group_id", "id"),
            C("location_id", "id"),
            C("stop_sequence", "int", True, min_value=0),
            C("stop_headsign"),
            C("start_pickup_drop_off_window", "time", field="start_pickup_drop_off_window_s"),
            C("end_pickup_drop_off_window", "time", field="end_pickup_drop_off_window_s"),
            C("pickup_type", "int", choices=_ENUM_0_3),
            C("drop_off_type", "int", choices=_ENUM_0_3),
            C("continuous_pickup", "int", choices=_ENUM_0_3),
            C("continuous_drop_off", "int", choices=_ENUM_0_3),
            C("shape_dist_traveled", "float", min_value=0),
            C("timepoint", "int", choices=(0, 1)),
            C("pickup_booking_rule_id", "id"),
            C("drop_off_booking_rule_id", "id"),
            C("mean_duration_factor", "float"),
            C("mean_duration_offset", "float"),
            C("safe_duration_factor", "float"),
            C("safe_duration_offset", "float"),
        ),
        key=("trip_id", "stop_sequence"),
        required=True,
        aliases={
            # cobblinc_scheduled_deviated_flex.zip and other pre-adoption Flex exports
            "dropoff_booking_rule_id": "drop_off_booking_rule_id",
            "start_pickup_dropoff_window": "start_pickup_drop_off_window",
            "end_pickup_dropoff_window": "end_pickup_drop_off_window",
            # Flex v2 drafts named the window after the fixed-route columns
            "min_arrival_time": "start_pickup_drop_off_window",
            "max_departure_time": "end_pickup_drop_off_window",
        },
    ),
    Table(
        "calendar.txt",
        m.Calendar,
        (
            C("service_id", "id", True),
            C("monday", "bool", True),
            C("tuesday", "bool", True),
            C("wednesday", "bool", True),
            C("thursday", "bool", True),
            C("friday", "bool", True),
            C("saturday", "bool", True),
            C("sunday", "bool", True),
            C("start_date", "date", True),
            C("end_date", "date", True),
        ),
        key=("service_id",),
    ),
    Table(
        "calendar_dates.txt",
        m.CalendarDate,
        (
            C("service_id", "id", True),
            C("date", "date", True),
            C("exception_type", "int", True, choices=(1, 2)),
        ),
        key=("service_id", "date"),
    ),
    Table(
        "frequencies.txt",
        m.Frequency,
        (
            C("trip_id", "id", True),
            C("start_time", "time", True, field="start_time_s"),
            C("end_time", "time", True, field="end_time_s"),
            C("headway_secs", "int", True, min_value=1),
            C("exact_times", "int", choices=(0, 1)),
        ),
        key=("trip_id", "start_time"),
    ),
    Table(
        "transfers.txt",
        m.Transfer,
        (
            C("from_stop_id", "id"),
            C("to_stop_id", "id"),
            C("from_route_id", "id"),
            C("to_route_id", "id"),
            C("from_trip_id", "id"),
            C("to_trip_id", "id"),
            C("transfer_type", "int", choices=(0, 1, 2, 3, 4, 5)),
            C("min_transfer_time", "int", min_value=0),
        ),
    ),
    Table(
        "shapes.txt",
        m.ShapePoint,
        (
            C("shape_id", "id", True),
            C("shape_pt_lat", "lat", True),
            C("shape_pt_lon", "lon", True),
            C("shape_pt_sequence", "int", True, min_value=0),
            C("shape_dist_traveled", "float", min_value=0),
        ),
        key=("shape_id", "shape_pt_sequence"),
    ),
    Table(
        "feed_info.txt",
        m.FeedInfo,
        (
            C("feed_publisher_name", required=True),
            C("feed_publisher_url", "url", True),
            C("feed_lang", required=True),
            C("default_lang"),
            C("feed_start_date", "date"),
            C("feed_end_date", "date"),
            C("feed_version", field="feed_version_label"),
            C("feed_contact_email"),
            C("feed_contact_url", "url"),
            C("feed_id", "id"),
        ),
    ),
    Table(
        "fare_attributes.txt",
        m.FareAttribute,
        (
            C("fare_id", "id", True),
            C("price", "decimal", True, min_value=0),
            C("currency_type", required=True),
            C("payment_method", "int", True, choices=(0, 1)),
            C("transfers", "int", choices=(0, 1, 2)),
            C("agency_id", "id"),
            C("transfer_duration", "int", min_value=0),
        ),
        key=("fare_id",),
    ),
    Table(
        "fare_rules.txt",
        m.FareRule,
        (
            C("fare_id", "id", True),
            C("route_id", "id"),
            C("origin_id", "id"),
            C("destination_id", "id"),
            C("contains_id", "id"),
        ),
    ),
    Table(
        "fare_media.txt",
        m.FareMedia,
        (
            C("fare_media_id", "id", True),
            C("fare_media_name"),
            C("fare_media_type", "int", True, choices=(0, 1, 2, 3, 4)),
        ),
        key=("fare_media_id",),
    ),
    Table(
        "fare_products.txt",
        m.FareProduct,
        (
            C("fare_product_id", "id", True),
            C("fare_product_name"),
            C("rider_category_id", "id"),
            C("fare_media_id", "id"),
            C("amount", "decimal", True),
            C("currency", required=True),
        ),
        key=("fare_product_id", "rider_category_id", "fare_media_id"),
    ),
    Table(
        "fare_leg_rules.txt",
        m.FareLegRule,
        (
            C("leg_group_id", "id"),
            C("network_id", "id"),
            C("from_area_id", "id"),
            C("to_area_id", "id"),
            C("from_timeframe_group_id", "id"),
            C("to_timeframe_group_id", "id"),
            C("fare_product_id", "id", True),
            C("rule_priority", "int", min_value=0),
        ),
    ),
    Table(
        "fare_transfer_rules.txt",
        m.FareTransferRule,
        (
            C("from_leg_group_id", "id"),
            C("to_leg_group_id", "id"),
            C("transfer_count", "int"),
            C("duration_limit", "int", min_value=0),
            C("duration_limit_type", "int", choices=_ENUM_0_3),
            C("fare_transfer_type", "int", True, choices=_ENUM_0_2),
            C("fare_product_id", "id"),
        ),
    ),
    Table(
        "rider_categories.txt",
        m.RiderCategory,
        (
            C("rider_category_id", "id", True),
            C("rider_category_name"),
            C("is_default_fare_category", "int", choices=(0, 1)),
            C("eligibility_url", "url"),
        ),
        key=("rider_category_id",),
    ),
    Table(
        "fare_rider_categories.txt",
        m.FareRiderCategory,
        (
            C("fare_id", "id", True),
            C("rider_category_id", "id", True),
            C("price", "decimal", min_value=0),
            C("currency_type"),
        ),
        key=("fare_id", "rider_category_id"),
    ),
    # translations.txt is special-cased by the reader (two forms); this is the current one.
    Table(
        "translations.txt",
        m.Translation,
        (
            C("table_name"),
            C("field_name"),
            C("language", required=True),
            C("translation", required=True),
            C("record_id", "id"),
            C("record_sub_id", "id"),
            C("field_value"),
        ),
    ),
    Table(
        "agency_jp.txt",
        m.AgencyJp,
        (
            C("agency_id", "id", True),
            C("agency_official_name"),
            C("agency_zip_number"),
            C("agency_address"),
            C("agency_president_pos"),
            C("agency_president_name"),
        ),
        key=("agency_id",),
    ),
    Table(
        "office_jp.txt",
        m.OfficeJp,
        (
            C("office_id", "id", True),
            C("office_name", required=True),
            C("office_url", "url"),
            C("office_phone"),
        ),
        key=("office_id",),
    ),
    Table(
        "pattern_jp.txt",
        m.PatternJp,
        (
            C("jp_pattern_id", "id", True),
            C("route_update_date"),
            C("origin_stop"),
            C("via_stop"),
            C("destination_stop"),
        ),
        key=("jp_pattern_id",),
    ),
    Table(
        "routes_jp.txt",
        m.RouteJp,
        (
            C("route_id", "id", True),
            C("route_update_date"),
            C("origin_stop"),
            C("via_stop"),
            C("destination_stop"),
        ),
    ),
    Table(
        "location_groups.txt",
        m.LocationGroup,
        (C("location_group_id", "id", True), C("location_group_name")),
        key=("location_group_id",),
        flex=True,
    ),
    Table(
        "location_group_stops.txt",
        m.LocationGroupStop,
        (C("location_group_id", "id", True), C("stop_id", "id", True)),
        key=("location_group_id", "stop_id"),
        flex=True,
    ),
    Table(
        "booking_rules.txt",
        m.BookingRule,
        (
            C("booking_rule_id", "id", True),
            C("booking_type", "int", True, choices=_ENUM_0_2),
            C("prior_notice_duration_min", "int", min_value=0),
            C("prior_notice_duration_max", "int", min_value=0),
            C("prior_notice_last_day", "int", min_value=0),
            C("prior_notice_last_time", "time", field="prior_notice_last_time_s"),
            C("prior_notice_start_day", "int", min_value=0),
            C("prior_notice_start_time", "time", field="prior_notice_start_time_s"),
            C("prior_notice_service_id", "id"),
            C("message"),
            C("pickup_message"),
            C("drop_off_message"),
            C("phone_number"),
            C("info_url", "url"),
            C("booking_url", "url"),
        ),
        key=("booking_rule_id",),
        flex=True,
        aliases={"prior_duration_notice_min": "prior_notice_duration_min"},
    ),
)

TABLES_BY_FILE: dict[str, Table] = {t.file: t for t in TABLES}
LOCATIONS_FILE = "locations.geojson"
# Every table a feed version writes to (purge deletes from each).
ALL_MODELS: tuple[type[models.Model], ...] = (*(t.model for t in TABLES), m.Location)
