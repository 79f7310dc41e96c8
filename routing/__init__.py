"""The trip-planning engine: pure Python over numpy arrays and a NetworkX graph.

Nothing below this package imports Django, `maas` or `operators` (an import-linter
contract in CI enforces it). It takes feed tables in and gives itineraries out.
"""
