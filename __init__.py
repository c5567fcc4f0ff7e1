"""whytag: interpretable music auto-tagging on a knowledge graph — tags that say why."""

__version__ = "0.1.0"


class WhytagError(Exception):
    """Something wrong with what the user gave whytag (a file, a store, an IRI); the message names it and why.

    The command line shows such an error as one line; any other exception is a bug in whytag.
    """
