from __future__ import annotations

from django.contrib import admin

from operators.models import Operator


@admin.register(Operator)
class OperatorAdmin(admin.ModelAdmin[Operator]):
    list_display = ("slug", "name_ja", "name_en", "time_zone", "contact_email")
    search_fields = ("slug", "name_ja", "name_en")
