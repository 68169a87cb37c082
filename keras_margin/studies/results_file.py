"""`ResultsFile`: the JSON-lines record of finished runs, shared by concurrent runners."""

import json
import os
import socket

import filelock

from keras_margin.utils.atomic_write import write_atomically


class ResultsFile:
    """`results.jsonl` in a study's output folder: one JSON object per finished run.

    Every change rewrites the file through a temporary file that is fsynced and then
    renamed over the old one, so a run killed at any moment leaves either the old file
    or the new one, never a partial row. A study therefore resumes by skipping the keys
    already in the file and redoing anything else.

    Several runners (processes, on this machine or on others sharing the folder) may
    work on one file at once. Each change happens under an OS file lock
    (`results.jsonl.lock`, released by the OS if its holder dies), and a runner
    `claim`s a key before running it: the claims (`results.jsonl.claims`, key -> the
    claimer's host, PID and process start time) tell other runners to leave that key
    alone. A claim whose process has died on this host is void, so a crashed runner's
    run is taken over; one from another host holds until that runner releases it or
    appends the row. `append` never writes a key twice. So concurrent runners share the
    work, and no row is duplicated or lost.

    Args:
        path: path of the `.jsonl` file; it need not exist yet.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        self.claims_path = f"{self.path}.claims"
        self._lock = filelock.FileLock(f"{self.path}.lock")

    def rows(self):
        """The finished runs, in the order they finished."""
        if not os.path.exists(self.path):
            return []
        rows = []
        with open(self.path) as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as error:
                    raise ValueError(f"{self.path}, line {number}: not a JSON row ({error.msg}); "
                                     "the file was edited or written by another tool") from None
        return rows

    def finished_keys(self):
        return {row["key"] for row in self.rows()}

    def append(self, row):
        """Adds `row` (a JSON-serialisable dict with a `"key"`) atomically and releases
        its claim. Returns False, writing nothing, if the key already has a row."""
        line = json.dumps(row, sort_keys=True, allow_nan=True) + "\n"
        with self._locked():
            if row["key"] in self.finished_keys():
                return False
            existing = ""
            if os.path.exists(self.path):
                with open(self.path) as handle:
                    existing = handle.read()
            write_atomically(self.path, existing + line)
            self._release(row["key"])
        return True

    def claim(self, keys):
        """Claims the first of `keys` that has no row and no live claim, for this process.

        Returns:
            `(claimed, others)`: the key claimed (None if none is free) and the keys
            without a row that live runners have claimed.
        """
        with self._locked():
            finished = self.finished_keys()
            # Claims of ended processes are void, and dropped with the next write.
            live = {key: claim for key, claim in self._claims().items() if _is_alive(claim)}
            pending = [key for key in keys if key not in finished]
            others = [key for key in pending if key in live]
            free = [key for key in pending if key not in live]
            if not free:
                return None, others
            live[free[0]] = _this_process()
            self._write_claims(live)
            return free[0], others

    def release(self, key):
        """Gives up this process's claim on `key` (after a failed run), so that another
        runner may take it."""
        with self._locked():
            self._release(key)

    def _locked(self):
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        return self._lock

    def _claims(self):
        try:
            with open(self.claims_path) as handle:
                claims = json.load(handle)
        except (OSError, ValueError):
            return {}  # no claims, or a damaged file: the rows are the record, not the claims
        return claims if isinstance(claims, dict) else {}

    def _write_claims(self, claims):
        if claims:
            write_atomically(self.claims_path, json.dumps(claims, sort_keys=True))
        elif os.path.exists(self.claims_path):
            os.remove(self.claims_path)

    def _release(self, key):
        claims = self._claims()
        if isinstance(claims.get(key), dict) and claims[key].get("pid") == os.getpid():
            del claims[key]
            self._write_claims(claims)


def _this_process():
    return {"host": socket.gethostname(), "pid": os.getpid(), "started": _start_time(os.getpid())}


def _start_time(pid):
    """The process's start time in clock ticks since boot (Linux), with the PID a name
    that survives PID reuse; "ended" for a zombie; None where /proc cannot tell."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            # The command name (field 2) may hold spaces; the fields after it do not.
            fields = handle.read().rsplit(")", 1)[1].split()
        return "ended" if fields[0] in ("Z", "X") else int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def _is_alive(claim):
    """False only for a claim whose process has certainly ended: on this host, with no
    process of that PID, a zombie, or one started at another time (a reused PID). A
    claim from another host is taken as alive."""
    if not isinstance(claim, dict) or not isinstance(claim.get("pid"), int) or claim["pid"] <= 0:
        return False  # (os.kill(0 or -n) would signal a process group)
    if claim.get("host") != socket.gethostname():
        return True
    try:
        os.kill(claim["pid"], 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's live process
    started = _start_time(claim["pid"])
    return started != "ended" and (started is None or claim.get("started") in (None, started))
