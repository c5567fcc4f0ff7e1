"""Essentia, imported once with its INFO/WARNING logging off (it logs on import of its standard mode)."""

import essentia

essentia.log.infoActive = False
essentia.log.warningActive = False

import essentia.standard as es  # noqa: E402 - must follow the logging switch

__all__ = ["essentia", "es"]
