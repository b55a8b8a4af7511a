"""``benchmarks/track_speed.py``: each tracker's time per update at several frame sizes, against KCF's."""

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks"))
import track_speed  # noqa: E402


def test_sizes_are_height_by_width_and_a_bad_one_is_named():
    assert track_speed._sizes("240x320, 1080×1920") == [(240, 320), (1080, 1920)]
    for bad in ("240", "20x320", "axb"):
        with pytest.raises(Exception, match=f"expected sizes as HEIGHTxWIDTH.*got '{bad}'"):
            track_speed._sizes(bad)


def test_the_table_gives_each_trackers_ratio_to_kcf():
    text = track_speed.table(["siamese", "kcf"], [(48, 64)], {"48x64": {"siamese": 30.0, "kcf": 1.5}})
    assert text.splitlines()[-1].split() == ["48×64", "30.0", "(20.0×)", "1.5"]


def test_the_script_times_each_tracker_it_can_build_and_writes_its_figures(tmp_path, capsys):
    """A tiny run: siamese (ours) and kcf where OpenCV is there; a name it does not know is skipped, not fatal."""
    track_speed.main(["--trackers", "siamese,kcf,nope", "--sizes", "48x64", "--frames", "5", "--out", str(tmp_path)])
    record = json.loads((tmp_path / "track_speed.json").read_text())
    timed = record["ms_per_update"]["48x64"]
    assert "siamese" in timed and all(ms > 0 for ms in timed.values())
    assert "nope" in record["skipped"] and record["options"]["untimed_updates"] == 2
    assert "ms per update (median; lower is faster)" in capsys.readouterr().out
