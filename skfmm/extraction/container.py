"""Deprecated old home of the multimodal container: it moved to :mod:`skfmm.container`.

Importing a name from here still works (so do pickles that name this module) but emits a
:class:`FutureWarning` naming the new home; this module will be removed in a future release.
"""

from .._deprecated import moved_names

__getattr__, _names = moved_names(__name__, {
    name: "skfmm.container"
    for name in ("KNOWN_KEYS", "ContainerInputMixin", "MultimodalData", "check_multimodal",
                 "_rebuild")})
__all__ = [name for name in _names if not name.startswith("_")]
