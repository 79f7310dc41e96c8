"""The test/benchmark GTFS zip reader: BOM, loose times, interpolation, frequencies."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

from routing.gtfs_zip import read_gtfs_zip
from routing.tables import active_service_ids

FILES = {
    "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\nA,Agency,http://a,Asia/Tokyo\n",
    "stops.txt": "\ufeffstop_id,stop_name,stop_lat,stop_lon\n"
    "S1,One,35.0,138.0\nS2,Two,35.01,138.0\nS3,Three,35.02,138.0\nS4,Four,35.03,138.0\n",
    "routes.txt": "route_id,route_short_name,route_long_name,route_type\nR,1,Line,3\n",
    "trips.txt": "route_id,service_id,trip_id\nR,SV,T1\nR,SV,F\n",
    "stop_times.txt": "\ufefftrip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
    "T1,7:30:00,7:30:00,S1,1\nT1,,,S2,2\nT1,,,S3,3\nT1,07:45:00,07:46:00,S4,4\n"
    "F,00:00:00,00:00:00,S1,1\nF,00:10:00,00:10:00,S2,2\n",
    "calendar_dates.txt": "service_id,date,exception_type\nSV,20240305,1\n",
    "frequencies.txt": "trip_id,start_time,end_time,headway_secs\nF,6:00:00,7:00:00,1800\n",
}


def _zip(tmp_path: Path) -> Path:
    path = tmp_path / "feed.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in FILES.items():
            archive.writestr(name, text.encode("utf-8"))
    return path


def test_reads_loose_times_and_interpolates_blank_ones(tmp_path: Path) -> None:
    # when
    feed = read_gtfs_zip(_zip(tmp_path), "x")
    # then: 7:30 -> 7:45 over sequences 1..4, so 5 minutes per stop
    t1 = feed.stop_times[feed.stop_times.trip_id == "T1"].sort_values("stop_sequence")
    assert t1.arrival_s.tolist() == [27000, 27300, 27600, 27900]
    assert t1.departure_s.tolist() == [27000, 27300, 27600, 27960]
    assert feed.timezone == "Asia/Tokyo"
    assert feed.stops.stop_id.tolist() == ["S1", "S2", "S3", "S4"]


def test_expands_frequencies_into_trips(tmp_path: Path) -> None:
    # when
    feed = read_gtfs_zip(_zip(tmp_path), "x")
    # then
    assert sorted(feed.trips.trip_id) == ["F@06:00:00", "F@06:30:00", "T1"]
    f2 = feed.stop_times[feed.stop_times.trip_id == "F@06:30:00"]
    assert f2.departure_s.tolist() == [23400, 24000]
    assert len(feed.frequencies) == 0


def test_without_calendar_txt_calendar_dates_alone_define_service(tmp_path: Path) -> None:
    # when
    feed = read_gtfs_zip(_zip(tmp_path), "x")
    # then
    assert len(feed.calendar) == 0
    assert active_service_ids(feed, dt.date(2024, 3, 5)) == {"SV"}
    assert active_service_ids(feed, dt.date(2024, 3, 6)) == set()
