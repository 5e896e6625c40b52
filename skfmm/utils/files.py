"""Files written all or nothing, readable as the umask allows: one implementation for the caches."""

from __future__ import annotations

import os
import tempfile

__all__ = ["atomic_write", "current_umask"]


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
