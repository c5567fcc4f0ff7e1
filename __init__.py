"""whytag: interpretable music auto-tagging on a knowledge graph — tags that say why."""

__version__ = "0.1.0"
