"""whytag: interpretable music auto-tagging on a knowledge graph — tags that say why."""

from whytag.errors import WhytagError

__version__ = "0.1.0"
__all__ = ["WhytagError", "__version__"]
