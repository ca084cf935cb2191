"""The build's record of input warnings: per context, whatever the warning filters say."""

from __future__ import annotations

import threading
import warnings

import pytest

from aralrisk.geo.errors import InputWarning, recording_input_warnings, warn_input


def test_recording_ignores_the_filters_and_the_once_per_line_rule() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with recording_input_warnings() as told:
            for _ in range(2):
                warn_input("a.csv has no row for B")
    assert told == ["a.csv has no row for B"] * 2


def test_a_recorder_sees_its_own_thread_only() -> None:
    def elsewhere() -> None:
        with recording_input_warnings() as theirs:
            warn_input("their input")
        assert theirs == ["their input"]

    with pytest.warns(InputWarning), recording_input_warnings() as told:
        thread = threading.Thread(target=elsewhere)
        thread.start()
        thread.join()
        warn_input("my input")
    assert told == ["my input"]


def test_muted_messages_reach_neither_recorders_nor_the_warning_machinery() -> None:
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        with recording_input_warnings() as outer:
            with recording_input_warnings(mute=True) as muted:
                warn_input("old boundaries were reprojected")
            warn_input("new boundaries have an overlap")
    assert muted == []
    assert outer == ["new boundaries have an overlap"]
    assert [str(w.message) for w in shown] == ["new boundaries have an overlap"]
    assert shown[0].category is InputWarning
    assert shown[0].filename == __file__  # stacklevel 1 names the calling line
