"""`ResultsFile`: atomic appends, rows read back in order, corrupt files named, claims
that concurrent runners share."""

import json
import os
import socket
import subprocess

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


def test_a_key_is_never_written_twice(tmp_path):
    results = ResultsFile(tmp_path / "results.jsonl")
    assert results.append({"key": "a", "value": 1})
    assert not results.append({"key": "a", "value": 2})
    assert results.rows() == [{"key": "a", "value": 1}]


def test_claims_hand_out_each_free_key_once_and_append_releases_them(tmp_path):
    results = ResultsFile(tmp_path / "results.jsonl")
    results.append({"key": "done"})
    assert results.claim(["done", "a", "b"]) == ("a", [])
    # The claim is this process's, which is alive: the next free key is "b".
    assert results.claim(["done", "a", "b"]) == ("b", ["a"])
    assert results.claim(["done", "a", "b"]) == (None, ["a", "b"])
    results.append({"key": "a"})
    results.release("b")
    assert results.claim(["done", "a", "b"]) == ("b", [])
    results.append({"key": "b"})
    assert results.claim(["done", "a", "b"]) == (None, [])
    assert not os.path.exists(results.claims_path)  # nothing claimed, nothing left behind


def _claim_as(results, key, pid, host=None):
    claim = {"host": host or socket.gethostname(), "pid": pid, "started": None}
    with open(results.claims_path, "w") as handle:
        json.dump({key: claim}, handle)


def test_a_dead_runners_claim_is_void_and_a_live_or_remote_one_holds(tmp_path):
    results = ResultsFile(tmp_path / "results.jsonl")
    ended = subprocess.Popen(["true"])
    ended.wait()
    _claim_as(results, "a", ended.pid)
    assert results.claim(["a"]) == ("a", [])  # taken over from the crashed runner

    alive = subprocess.Popen(["sleep", "30"])
    try:
        _claim_as(results, "b", alive.pid)
        assert results.claim(["b"]) == (None, ["b"])
    finally:
        alive.kill()
        alive.wait()
    _claim_as(results, "c", ended.pid, host="another-host")
    assert results.claim(["c"]) == (None, ["c"])
