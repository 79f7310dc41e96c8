"""`python manage.py create_user <username> --role ... [--operator slug] [--password pw]`."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from maas.accounts.models import Role, User
from maas.accounts.services import user_create
from operators.models import Operator


class Command(BaseCommand):
    help = "Create a user with a role (passenger, operator, city, admin)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--operator", help="operator slug (required for --role operator)")
        parser.add_argument(
            "--password",
            help="password; else $MAAS_USER_PASSWORD, else asked on the terminal",
        )
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        operator = None
        if options["operator"]:
            operator = Operator.objects.filter(slug=options["operator"]).first()
            if operator is None:
                raise CommandError(f"No operator {options['operator']!r}.")
        if User.objects.filter(username=options["username"]).exists():
            raise CommandError(f"User {options['username']!r} exists already.")
        password = options["password"] or os.environ.get("MAAS_USER_PASSWORD")
        if password is None and options.get("interactive", True) and os.isatty(0):
            password = getpass.getpass("Password: ")
        if not password:
            raise CommandError("A password is required (--password or MAAS_USER_PASSWORD).")
        try:
            user = user_create(
                username=options["username"],
                password=password,
                role=options["role"],
                operator=operator,
                email=options["email"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"created {user.role} {user.username}")
