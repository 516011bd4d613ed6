"""Reading a user's file safely: a regular file, inside the folder it belongs to, and bounded in size.

Every text file regio reads on a user's word (scenario files and what they ``extends``, instance
manifests, grid files, boundaries) goes through :func:`read_text`, so ``extends = "/dev/zero"``, a
folder, a FIFO or ``boundaries = "../../secret"`` give an input error naming the file instead of a
hang, a traceback or someone else's file in a report.  A UTF-8 byte-order mark is accepted.
"""

from __future__ import annotations

import stat
from pathlib import Path

from allocator.errors import InputError, InputIssue

TEXT_LIMIT = 64 * 2**20  # bytes: far above any instance manifest, scenario or boundary file regio ships


def read_text(path: str | Path, what: str, within: Path | None = None, limit: int = TEXT_LIMIT) -> str:
    """The text of ``path`` (UTF-8, BOM allowed); an :class:`InputError` names ``path`` when it is missing, not
    a regular file, outside ``within``, larger than ``limit`` bytes or not UTF-8."""
    path = Path(path)
    if within is not None:
        inside = path.resolve()
        root = Path(within).resolve()
        if inside != root and root not in inside.parents:
            raise InputError(InputIssue(str(path), f"{what} must lie inside {root}; refusing a file elsewhere"))
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(InputIssue(str(path), f"missing {what}")) from None
    except OSError as err:
        raise InputError(InputIssue(str(path), f"cannot read {what}: {err.strerror}")) from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise InputError(InputIssue(str(path), f"{what} is {kind}"))
    if info.st_size > limit:
        raise InputError(InputIssue(str(path), f"{what} is {info.st_size:,} bytes; at most {limit:,} are read"))
    try:
        with path.open("rb") as f:
            raw = f.read(limit + 1)
    except OSError as err:
        raise InputError(InputIssue(str(path), f"cannot read {what}: {err.strerror}")) from None
    if len(raw) > limit:
        raise InputError(InputIssue(str(path), f"{what} is larger than {limit:,} bytes"))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(InputIssue(str(path), f"{what} is not UTF-8 text (byte {err.start})")) from None
