"""`python manage.py create_api_key <operator-slug> [--name ...]` prints the key once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from maas.accounts.services import api_key_create
from operators.models import Operator


class Command(BaseCommand):
    help = "Issue an API key for an operator's machines. The key is printed once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("operator")
        parser.add_argument("--name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        operator = Operator.objects.filter(slug=options["operator"]).first()
        if operator is None:
            raise CommandError(f"No operator {options['operator']!r}.")
        issued = api_key_create(operator=operator, name=options["name"])
        self.stdout.write(issued.key)
