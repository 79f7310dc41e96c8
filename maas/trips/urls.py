from __future__ import annotations

from django.urls import path

from maas.trips import apis, offer_apis

urlpatterns = [
    path("plan", apis.PlanApi.as_view(), name="plan"),
    path("offers", offer_apis.OfferCreateApi.as_view(), name="offers"),
    path("offers/<str:offer_id>", offer_apis.OfferDetailApi.as_view(), name="offer-detail"),
    path("products", offer_apis.ProductPublicListApi.as_view(), name="products"),
    path(
        "operators/<slug:slug>/products",
        offer_apis.OperatorProductListApi.as_view(),
        name="operator-products",
    ),
    path(
        "operators/<slug:slug>/products/<int:product_id>",
        offer_apis.OperatorProductDetailApi.as_view(),
        name="operator-product-detail",
    ),
    path("city/products", offer_apis.CityProductListApi.as_view(), name="city-products"),
    path(
        "city/products/<int:product_id>",
        offer_apis.CityProductDetailApi.as_view(),
        name="city-product-detail",
    ),
]
