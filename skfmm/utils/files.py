"""Files written all or nothing, readable as the umask allows: one implementation for the caches."""

from __future__ import annotations

import contextlib
import os
import tempfile

__all__ = ["FolderInUseError", "atomic_write", "check_name_part", "current_umask", "folder_lock"]


def current_umask():
    """The process umask, read without changing it where the OS allows (threads share it).

    Examples
    --------
    >>> from skfmm.utils.files import current_umask
    >>> 0 <= current_umask() <= 0o777
    True
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # pragma: no cover - not Linux
    os.umask(mask)
    return mask


def check_name_part(value, argument, *, who=None, allow_empty=True):
    """Refuse a file-name part that could leave its folder: separators, ``..``, absolute.

    A prefix or an extension is joined to a folder the user named; it must stay a part of one
    file name there, so nothing is written outside that folder.

    Parameters
    ----------
    value : str
        The prefix, stem or extension.
    argument : str
        Its name in the message (``"prefix"``, ``"--prefix"``).
    who : str, optional
        The caller, to start the message with (``"interpretation_report"``).
    allow_empty : bool, default=True
        Whether ``""`` is accepted.

    Returns
    -------
    str
        ``value``.

    Examples
    --------
    >>> from skfmm.utils.files import check_name_part
    >>> check_name_part("fmm_tc_", "prefix")
    'fmm_tc_'
    >>> check_name_part("../x_", "prefix")
    Traceback (most recent call last):
    ...
    ValueError: 'prefix' must be part of a file name (no '/', no '..', not absolute), so that nothing is written outside the output folder; got '../x_'.
    """
    start = f"{who}: " if who else ""
    if not isinstance(value, str):
        raise TypeError(f"{start}'{argument}' must be a string; got {type(value).__name__} "
                        f"{value!r}.")
    separators = {os.sep, "/"} | ({os.altsep} if os.altsep else set())
    bad = (any(s in value for s in separators) or "\0" in value or value in (".", "..")
           or value.startswith("..") or os.path.isabs(value) or (not value and not allow_empty))
    if bad:
        raise ValueError(
            f"{start}'{argument}' must be part of a file name (no '/', no '..', not absolute), "
            f"so that nothing is written outside the output folder; got {value!r}.")
    return value


def atomic_write(path, write, *, prefix="."):
    """Write ``path`` all or nothing: ``write(fh)`` into a temporary file, fsync, rename.

    The temporary file sits in the same folder (so the rename is atomic), gets the mode
    the umask allows (``mkstemp`` makes 0600, which would make a shared cache unreadable to
    the lab's other users), and is removed if anything fails, interrupts included. The
    folder is fsynced after the rename where the platform allows.

    Parameters
    ----------
    path : str or path-like
        The destination; its folder must exist.
    write : callable
        ``write(fh)`` writes the content to the binary file object ``fh``.
    prefix : str, default="."
        Prefix of the temporary file's name.

    Examples
    --------
    >>> import os, tempfile
    >>> from skfmm.utils.files import atomic_write
    >>> path = os.path.join(tempfile.mkdtemp(), "x.bin")
    >>> atomic_write(path, lambda fh: fh.write(b"abc"))
    >>> open(path, "rb").read()
    b'abc'
    """
    folder = os.path.dirname(os.fspath(path)) or "."
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


class FolderInUseError(RuntimeError):
    """Another run holds the output folder (:func:`folder_lock`).

    Examples
    --------
    >>> import tempfile
    >>> from skfmm.utils.files import FolderInUseError, folder_lock
    >>> out = tempfile.mkdtemp()
    >>> with folder_lock(out, "skfmm benchmark"):
    ...     try:
    ...         with folder_lock(out, "skfmm benchmark"):
    ...             pass
    ...     except FolderInUseError as err:
    ...         print("refused")
    refused
    """


LOCK_NAME = ".skfmm.lock"


@contextlib.contextmanager
def folder_lock(folder, who, *, description=""):
    """Hold ``folder`` for one run; a second run on it is refused, naming the first.

    An advisory lock (``fcntl.flock``) on ``<folder>/.skfmm.lock``: the operating system
    releases it when the process ends, however it ends, so a killed run leaves no stale lock.
    The file records the holder's pid, host, start time and ``description`` (its command) for
    the message the next run gets. Where ``fcntl`` is missing (Windows), nothing is locked.

    Parameters
    ----------
    folder : str or path-like
        An existing folder.
    who : str
        The caller, to start the message with (``"run_benchmark"``).
    description : str, default=""
        What holds the folder (the command line), recorded in the lock file.

    Raises
    ------
    FolderInUseError
        When another process holds the folder.

    Examples
    --------
    >>> import tempfile
    >>> from skfmm.utils.files import folder_lock
    >>> with folder_lock(tempfile.mkdtemp(), "example"):
    ...     pass
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    import json
    import socket
    import time

    path = os.path.join(os.fspath(folder), LOCK_NAME)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = {}
            for _ in range(20):  # the holder writes its record just after locking
                try:
                    with open(path, encoding="utf-8") as fh:
                        holder = json.loads(fh.read() or "{}")
                except (OSError, ValueError):
                    holder = {}
                if holder:
                    break
                time.sleep(0.05)
            raise FolderInUseError(
                f"{who}: '{os.fspath(folder)}' is in use by another run (pid "
                f"{holder.get('pid', '?')} on {holder.get('host', '?')}, started "
                f"{holder.get('started', '?')}: {holder.get('command') or 'command unknown'}); "
                "wait for it to finish or choose another output folder.") from None
        record = json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                             "started": time.strftime("%Y-%m-%d %H:%M:%S"),
                             "command": description})
        os.ftruncate(fd, 0)
        os.write(fd, record.encode())
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)

