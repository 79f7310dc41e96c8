"""Server-rendered pages. The passenger client and the city dashboard grow here."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from operators.selectors import operator_list


def index(request: HttpRequest) -> HttpResponse:
    return render(request, "web/index.html", {"operators": operator_list()})
