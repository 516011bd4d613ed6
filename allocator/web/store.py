"""Job folders: one folder per job under the results folder, so a restarted server loses nothing.

``<results>/<job id>/`` holds ``job.json`` (kind, request, status, times, error, the result's
summary), ``progress.json`` (the worker's last progress event), ``cancel`` (present once a cancel
was asked for) and ``result/`` (the tables, written atomically by the engine's result writers).
Files are replaced atomically (write a temporary sibling, then rename), so a reader never sees half
a file; the server writes ``job.json`` only while no worker holds the job.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
import time
from pathlib import Path

import orjson

JOB_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$")
STATUSES = ("queued", "running", "done", "failed", "cancelled")
FINAL = ("done", "failed", "cancelled")


def new_job_id() -> str:
    """A sortable, unguessable id: UTC time of creation and six hex digits."""
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


def now() -> str:
    """UTC time, ISO 8601 to the second."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def job_folder(results: Path, job_id: str) -> Path | None:
    """The folder of ``job_id`` inside ``results``, or None for anything that is not a job id (no path tricks)."""
    if not JOB_ID.match(job_id or ""):
        return None
    return results / job_id


def write_json(path: Path, value: dict) -> None:
    """Replace ``path`` by ``value`` as JSON in one step."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "wb") as f:
        f.write(to_json(value))
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def update_job(folder: Path, **fields) -> dict:
    """Merge ``fields`` into ``job.json`` and return the record."""
    record = {**(read_json(folder / "job.json") or {}), **fields}
    write_json(folder / "job.json", record)
    return record


def cancel_requested(folder: Path) -> bool:
    return (folder / "cancel").exists()


def to_json(value) -> bytes:
    """Strict JSON in UTF-8 (a browser's ``JSON.parse`` refuses NaN): non-finite numbers become null.

    orjson writes NaN and infinities as null and numpy's numbers and arrays as they are, in one pass in C: a
    result view of nl (800 KB) 0.04 s → 0.002 s, against encoding, decoding, replacing and encoding again.
    """
    return orjson.dumps(value, default=_plain, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)


def _plain(o):
    """What orjson does not write itself: a value's ``item()`` or ``value`` (an enum's), else its text."""
    if hasattr(o, "item"):
        return o.item()
    if hasattr(o, "value"):
        return o.value
    return str(o)
