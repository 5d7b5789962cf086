"""Where coach keeps things per user: platformdirs' folders, or an override for each."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

_CAUSES = {
    errno.ENOSPC: "no space left",
    errno.EDQUOT: "over the disk quota",
    errno.EROFS: "on a read-only file system",
    errno.EACCES: "not writable (permission denied)",
    errno.EPERM: "not writable (not permitted)",
    errno.ENOTDIR: "is a file, not a folder",
    errno.EEXIST: "is a file, not a folder",
    errno.EISDIR: "is a folder, not a file",
    errno.ENOENT: "does not exist",
}


def user_folder(kind: str, override_variable: str) -> Path:
    """platformdirs' user cache or data folder for coach, unless $override_variable names one."""
    override = os.environ.get(override_variable)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("coach") if kind == "cache" else platformdirs.user_data_dir("coach"))


def describe_os_error(error: OSError, where: Path | None = None) -> str:
    """The cause in words a user can act on: 'no space left on /home', 'is a file, not a folder'."""
    cause = _CAUSES.get(error.errno or 0) or (error.strerror or str(error)).lower()
    if error.errno in (errno.ENOSPC, errno.EDQUOT) and where is not None:
        cause += f" on {mount_point(where)}"
    return cause


def mount_point(path: Path) -> Path:
    """The file system a path lives on, as the user knows it: `df` shows the same folder."""
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    device = path.stat().st_dev
    while path != path.parent and path.parent.stat().st_dev == device:
        path = path.parent
    return path


def out_of_space(folder: Path, needed: int = 1 << 20) -> bool:
    """Whether a folder's file system is (nearly) full: for libraries that only say 'System error'."""
    try:
        return shutil.disk_usage(folder).free < needed
    except OSError:
        return False


def usable_folder(path: Path, what: str, variable: str) -> Path:
    """Make sure a folder coach writes to exists and takes files; one clear line when not."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        if not os.access(path, os.W_OK | os.X_OK):
            raise PermissionError(13, "Permission denied", str(path))
    except OSError as error:
        from coach.common.errors import StorageError

        cause = describe_os_error(error)
        blocking = next((p for p in (path, *path.parents) if _is_file(p)), None)
        closed = next((p for p in reversed(path.parents) if _is_closed(p)), None)
        if blocking is not None and blocking != path:
            cause = f"{blocking} is a file, not a folder"
        elif closed is not None:
            cause = f"the folder {closed} cannot be entered (permission denied)"
        raise StorageError(f"{what} {path}: {cause}; fix it, or point ${variable} at a writable folder") from None
    return path


def _is_file(path: Path) -> bool:
    """A file where a folder should be; False where it cannot be looked at (a closed folder above)."""
    try:
        return path.exists() and not path.is_dir()
    except OSError:
        return False


def _is_closed(path: Path) -> bool:
    """A folder this user may not enter: without its execute bit, nothing under it can be reached."""
    try:
        return path.is_dir() and not os.access(path, os.X_OK)
    except OSError:
        return False


def write_atomically(path: Path, data: bytes) -> None:
    """Write a file whole or not at all: a failure leaves neither a part nor a changed file."""
    from coach.common.errors import StorageError

    temporary = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        temporary.write_bytes(data)
        temporary.replace(path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        cause = describe_os_error(error, path.parent)
        raise StorageError(f"{path}: could not be written ({cause}); nothing was left behind") from None
