"""Careful reading: every case the importer used to accept silently is counted or refused."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_import import MAPPING, SOURCE, write

from fcsim.recorder import Recorder
from fcsim.recorder.rawfile import SourceError

ROME = MAPPING.replace('timezone = "Asia/Hong_Kong"', 'timezone = "Europe/Rome"')


@pytest.fixture
def rec(tmp_path: Path) -> Recorder:
    r = Recorder(f"sqlite:///{tmp_path / 's.sqlite'}")
    yield r
    r.close_connections()


def _mapping(tmp: Path, text: str = MAPPING, policy: str = "quarantine") -> Path:
    return write(tmp, text.format(policy=policy), "m.toml")


def test_header_only_file_is_an_error(rec: Recorder, tmp_path: Path) -> None:
    src = write(tmp_path, SOURCE.splitlines()[0] + "\n", "h.csv")
    with pytest.raises(SourceError, match=r"h\.csv: only a header, no data rows"):
        rec.import_log(src, _mapping(tmp_path))


def test_extra_trailing_fields_name_the_line(rec: Recorder, tmp_path: Path) -> None:
    src = write(tmp_path, SOURCE + "E,Start,2026-03-02 10:00:10,d1,engineering,surplus\n",
                "x.csv")
    with pytest.raises(SourceError, match=r"x\.csv, line 11 .*more fields than the header"):
        rec.import_log(src, _mapping(tmp_path))


def test_encoding_error_names_file_line_and_the_mapping_key(rec: Recorder,
                                                            tmp_path: Path) -> None:
    p = tmp_path / "enc.csv"
    p.write_bytes(SOURCE.encode() + "E,Start,2026-03-02 10:00:10,Jos\xe9,engineering\n"
                  .encode("latin-1"))
    with pytest.raises(SourceError, match=r"enc\.csv, line 11 .*E9.*not valid utf-8.*encoding"):
        rec.import_log(p, _mapping(tmp_path))


def test_dst_gap_and_fold_are_counted(rec: Recorder, tmp_path: Path) -> None:
    rows = ("G,Start,2026-03-29 02:30:00,d1,engineering\n"  # does not exist in Rome
            "G,Close,2026-03-29 04:00:00,d1,engineering\n"
            "F,Start,2026-10-25 02:30:00,d1,engineering\n"  # occurs twice in Rome
            "F,Close,2026-10-25 04:00:00,d1,engineering\n")
    report = rec.import_log(write(tmp_path, SOURCE + rows, "dst.csv"),
                            _mapping(tmp_path, ROME))
    assert report.reasons["dst_gap"]["rows"] == 1
    assert report.reasons["dst_fold"]["rows"] == 1
    ev = rec.export().events
    g = ev.loc[ev["ticket_id"].astype(str) == "G", "timestamp"].min()
    assert g == pd.Timestamp("2026-03-29T01:00:00+00:00")  # shifted forward to 03:00 CEST


def test_control_characters_and_overlong_fields_are_refused(rec: Recorder,
                                                             tmp_path: Path) -> None:
    long_mapping = MAPPING + "\n[quality]\nmax_field_chars = 50\n"
    rows = ("N,Start,2026-03-02 10:00:10,d\x011,engineering\n"
            f"L,Start,2026-03-02 10:00:10,{'x' * 60},engineering\n")
    report = rec.import_log(write(tmp_path, SOURCE + rows, "t.csv"),
                            _mapping(tmp_path, long_mapping))
    counts = report.quarantine_counts()
    assert counts.get("control_characters") == 1 and counts.get("overlong_field") == 1
    assert sorted(report.quarantined_tickets) == ["L", "N"]


def test_reused_case_id_becomes_a_new_ticket(rec: Recorder, tmp_path: Path) -> None:
    rows = ("A,Start,2027-01-10 10:00:00,d1,engineering\n"
            "A,Close,2027-01-10 11:00:00,d1,engineering\n")
    mapping = MAPPING + '\n[quality]\nlatest = "2030-01-01"\n'
    report = rec.import_log(write(tmp_path, SOURCE + rows, "r.csv"), _mapping(tmp_path, mapping))
    assert report.reasons["reused_case_id"]["tickets"] == 1
    ids = sorted(map(str, rec.export().tickets["ticket_id"]))
    assert ids == ["A", "A~2", "B"]
