"""GTFS (incl. GTFS-JP) and GTFS-Flex feeds: tables, reader, validator, loader, read APIs."""
