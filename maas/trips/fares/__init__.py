"""Fare engine: GTFS Fares v1 (incl. the GTFS-JP zone/distance tables), Fares v2, rider
categories, and the exact pass optimisation. `tables` and `engine` are pure (no Django, no
database); `loading` reads an operator's active fare tables once per feed version."""
