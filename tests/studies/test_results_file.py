"""`ResultsFile`: atomic appends, rows read back in order, corrupt files named."""

import os

import pytest

from keras_margin.studies import ResultsFile


def test_rows_come_back_in_order_and_keys_are_known(tmp_path):
    results = ResultsFile(tmp_path / "sub" / "results.jsonl")
    assert results.rows() == [] and results.finished_keys() == set()
    results.append({"key": "a", "value": 1.0})
    results.append({"key": "b", "value": float("nan")})
    rows = results.rows()
    assert [row["key"] for row in rows] == ["a", "b"]
    assert results.finished_keys() == {"a", "b"}
    assert not [name for name in os.listdir(tmp_path / "sub") if ".tmp" in name]


def test_a_failed_append_leaves_the_old_file_whole(tmp_path, monkeypatch):
    results = ResultsFile(tmp_path / "results.jsonl")
    results.append({"key": "a"})
    before = (tmp_path / "results.jsonl").read_text()

    def crash(source, destination):
        raise OSError("killed before the rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        results.append({"key": "b"})
    monkeypatch.undo()
    assert (tmp_path / "results.jsonl").read_text() == before
    assert results.finished_keys() == {"a"}


def test_a_corrupt_line_is_reported_with_its_number(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_text('{"key": "a"}\n{"key": \n')
    with pytest.raises(ValueError, match="line 2"):
        ResultsFile(path).rows()
