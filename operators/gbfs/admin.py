from __future__ import annotations

from django.contrib import admin

from operators.gbfs.models import GbfsFile, GbfsSystem, Station


class GbfsFileInline(admin.TabularInline[GbfsFile, GbfsSystem]):
    model = GbfsFile
    extra = 0
    fields = ("name", "url", "ttl_s", "last_updated", "fetched_at", "next_fetch_at", "last_error")
    readonly_fields = fields


@admin.register(GbfsSystem)
class GbfsSystemAdmin(admin.ModelAdmin[GbfsSystem]):
    list_display = ("operator", "feed_version", "name", "gbfs_version", "stale_reason")
    list_filter = ("gbfs_version",)
    readonly_fields = ("stale_reason", "stale_since")
    inlines = [GbfsFileInline]


@admin.register(Station)
class StationAdmin(admin.ModelAdmin[Station]):
    list_display = ("station_id", "name", "system", "capacity", "lat", "lon")
    search_fields = ("station_id", "name")
