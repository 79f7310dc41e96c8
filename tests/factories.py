"""factory_boy factories shared by the tests."""

from __future__ import annotations

from typing import Any

import factory

from maas.accounts.models import Role, User
from operators.models import Operator

DEFAULT_PASSWORD = "correct-horse-battery-staple-42"


class OperatorFactory(factory.django.DjangoModelFactory[Operator]):
    class Meta:
        model = Operator
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"operator-{n}")
    name_ja = factory.Sequence(lambda n: f"事業者{n}")
    name_en = factory.Sequence(lambda n: f"Operator {n}")
    modes = factory.LazyFunction(lambda: ["bus"])


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.PASSENGER

    @factory.post_generation
    def password(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        obj.set_password(extracted or DEFAULT_PASSWORD)
        if create:
            obj.save()
