"""whytag's user errors, and how any error is shown in one line."""


class WhytagError(Exception):
    """Something wrong with what the user gave whytag (a file, a store, an IRI); the message names it and why.

    The command line shows such an error as one line; any other exception is a bug in whytag.
    """


class DatasetError(WhytagError, ValueError):
    """A dataset that cannot be read; the message has one line per problem, each naming its path.

    Defined here, not in `datasets`, because the extractors' network training reads datasets too and
    `datasets` already depends on `extractors` (through `kg`). `whytag.datasets` re-exports it.
    """


class StoreError(WhytagError):
    """The store cannot be opened or a request to it failed; the message says which and why.

    Defined here so that the store (`kg.store`) and its SPARQL protocol client (`kg.endpoint`) raise the same
    type; `whytag.kg.store` re-exports it.
    """


def first_line(err: BaseException) -> str:
    """An exception's message in one line (its type's name when it has none)."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
