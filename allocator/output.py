"""Writing results: into a temporary folder first, moved into place only when complete.

A folder that exists and is not empty is refused unless ``force``; with
``force`` the old folder is replaced only after the new one is complete, so an
interrupted run leaves either the previous output or none, never half of one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from allocator.errors import InputError, InputIssue


def check_target(folder: Path, force: bool) -> None:
    """Refuse, before any solve, an output folder that cannot be written or would overwrite without --force
    (after giving back the results of an interrupted replacement, :func:`restore_interrupted`)."""
    folder = Path(folder)
    restore_interrupted(folder)
    if folder.is_symlink():
        raise InputError(InputIssue(str(folder), "output folder is a symbolic link; give the folder itself"))
    if folder.exists() and not folder.is_dir():
        raise InputError(InputIssue(str(folder), "output path exists and is not a folder"))
    if folder.exists() and any(folder.iterdir()) and not force:
        raise InputError(InputIssue(str(folder), "output folder exists and is not empty; use --force to replace it"))
    try:  # the parent must take a new folder (the temporary sibling), or the run would fail after the solve
        folder.parent.mkdir(parents=True, exist_ok=True)
        probe = Path(tempfile.mkdtemp(prefix=f".{folder.name}.probe.", dir=folder.parent))
        probe.rmdir()
    except OSError as err:
        raise InputError(InputIssue(str(folder), f"cannot write the output folder here: {err.strerror or err}")) from None


def write_atomically(folder: Path, force: bool, write: Callable[[Path], None]) -> None:
    """Run ``write(tmp)`` on a sibling temporary folder, then move it to ``folder``."""
    folder = Path(folder)
    check_target(folder, force)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    tmp.chmod(0o777 & ~_umask())  # mkdtemp makes it private (0700); a result folder is for others to read
    try:
        write(tmp)
        if folder.exists():
            old = folder.with_name(f".{folder.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            folder.rename(old)
            tmp.rename(folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def restore_interrupted(folder: Path) -> None:
    """Undo a replacement interrupted between its two renames: the old results, moved aside to ``.NAME.old``,
    go back to ``NAME`` when ``NAME`` is missing; hidden temporary siblings of a killed run are removed."""
    folder = Path(folder)
    old = folder.with_name(f".{folder.name}.old")
    if old.is_dir() and not old.is_symlink() and not folder.exists():
        old.rename(folder)
    for stale in folder.parent.glob(f".{folder.name}.*") if folder.parent.is_dir() else ():
        if stale.is_dir() and not stale.is_symlink() and stale != old and _older_than(stale, 24 * 3600):
            shutil.rmtree(stale, ignore_errors=True)


def _older_than(path: Path, seconds: float) -> bool:
    """A temporary folder untouched for a day belongs to no run that is still going."""
    import time

    return time.time() - path.stat().st_mtime > seconds


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def run_record(command: str, data, **extra) -> str:
    """``run.json`` for a result folder: the command, the instance (so ``regio report`` can reload it), the scenario."""
    from importlib.metadata import PackageNotFoundError, version

    source = data.instance.source or data.instance.name
    if not source.startswith("gen:") and Path(source).exists():
        source = str(Path(source).resolve())
    try:
        release = version("regio")
    except PackageNotFoundError:
        release = "unknown"
    record = {"command": command, "instance": source, "instance_name": data.instance.name,
              "scenario": data.scenario.name, "regio": release, **extra}
    return json.dumps(record, indent=2, default=float)


def json_records(frame) -> list[dict]:
    """A frame's rows as dicts, missing values (NaN) as None, so the JSON stays valid."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")
