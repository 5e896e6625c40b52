"""Files written all or nothing, readable as the umask allows: one implementation for the caches."""

from __future__ import annotations

import os
import tempfile

__all__ = ["atomic_write", "check_name_part", "current_umask"]


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
