"""`ResultsFile`: the JSON-lines record of finished runs, written atomically."""

import json
import os


class ResultsFile:
    """`results.jsonl` in a study's output folder: one JSON object per finished run.

    Every append rewrites the file through a temporary file that is fsynced and then
    renamed over the old one, so a run killed at any moment leaves either the old file
    or the new one, never a partial row. A study therefore resumes by skipping the keys
    already in the file and redoing anything else.

    Args:
        path: path of the `.jsonl` file; it need not exist yet.
    """

    def __init__(self, path):
        self.path = os.fspath(path)

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
        """Adds `row` (a JSON-serialisable dict with a `"key"`) atomically."""
        line = json.dumps(row, sort_keys=True, allow_nan=True) + "\n"
        existing = ""
        if os.path.exists(self.path):
            with open(self.path) as handle:
                existing = handle.read()
        folder = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(folder, exist_ok=True)
        temporary = f"{self.path}.tmp-{os.getpid()}"
        with open(temporary, "w") as handle:
            handle.write(existing + line)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)
