"""Essentia, imported once with its INFO/WARNING logging off (it logs on import of its standard mode), and its
standard-mode algorithm classes made when first used.

On import, essentia.standard makes a Python class for each of its 253 algorithms, instantiating each one to read its
documentation: 0.94 CPU s, half of an extraction worker's start-up (bench/extract.py's 2 workers: ~5% of whytag's
CPU time on 16 tracks), for the dozen whytag calls. So it is imported with only the class its own import uses
(FrameCutter, for its FrameGenerator), and every other class is made by its own factory on first use, then kept
as the module's attribute: `es.Key` is essentia.standard's Key either way. Should a later Essentia import differently,
it is imported whole, as before.
"""

from collections.abc import Callable

import essentia
import essentia._essentia as _core
import numpy as np

essentia.log.infoActive = False
essentia.log.warningActive = False

IMPORT_NEEDS = ("FrameCutter",)  # the classes essentia.standard's own import uses (algorithms.py's FrameGenerator)


def _import_standard():
    """essentia.standard with only IMPORT_NEEDS made; whole if that fails or it has no factory to make the rest."""
    every = _core.keys
    _core.keys = lambda: [name for name in every() if name in IMPORT_NEEDS]  # what its import iterates over
    try:
        import essentia.standard as standard
    except Exception:  # noqa: BLE001 - an Essentia that imports otherwise: import it whole below
        standard = None
    finally:
        _core.keys = every
    if standard is None or not hasattr(standard, "_create_essentia_class"):
        import sys

        sys.modules.pop("essentia.standard", None)
        import essentia.standard as standard

        return standard
    standard.algorithmNames = every  # it bound the restricted list

    def made_on_first_use(name: str) -> type:
        """The class of Essentia algorithm `name`, made by essentia.standard's factory (which keeps it)."""
        if name in every():
            return standard._create_essentia_class(name)
        raise AttributeError(f"module 'essentia.standard' has no attribute {name!r}")

    standard.__getattr__ = made_on_first_use
    return standard


es = _import_standard()


def per_frame(algorithm: object) -> Callable[[np.ndarray], tuple]:
    """`algorithm`'s computation on one float32 vector without essentia.standard's argument checks and conversions
    (which inspect the argument's type each call: 5 us, a third of SpectralPeaks' time on a 4096-point spectrum),
    for calls per frame on the rows of C-contiguous float32 spectra; anything else is refused here."""
    compute = algorithm.__compute__

    def call(vector: np.ndarray) -> tuple:
        """The algorithm's outputs for one vector."""
        if vector.dtype != np.float32 or vector.ndim != 1 or not vector.flags.c_contiguous:
            raise TypeError(f"per_frame expects a C-contiguous float32 vector, not {vector.dtype} {vector.shape}")
        return compute(vector)

    return call


__all__ = ["es", "essentia", "per_frame"]
