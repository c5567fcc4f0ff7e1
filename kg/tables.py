"""Feature tables (one row per track, one column per feature) ↔ the graph.

Tables such as the paper's published features have no audio; their rows become tracks derived from
the table (prov:wasDerivedFrom), with one value per cell, so learning and tagging run on them
exactly as on extracted audio.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from rdflib import Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS

from whytag.errors import WhytagError
from whytag.extractors.base import FeatureSet
from whytag.kg.features import canonical_columns, known_features
from whytag.kg.iris import DEFAULT_BASE, table_iri, table_track
from whytag.kg.mapping import declare_extractors, feature_triples
from whytag.kg.namespaces import WT
from whytag.kg.ntriples import NTriples, triples_block
from whytag.kg.store import GraphStore, Triple
from whytag.kg.write_behind import WriteBehind

BATCH = 1000  # tracks per transaction: large enough to be fast, small enough to keep memory and requests modest
DELIMITERS = ("\t", ",", ";", "|")
NAMED_ROWS = 5  # rows named in a message before "…"
CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # characters that would break a one-line message


class TableError(WhytagError, ValueError):
    """A feature or label table that cannot be used; the message names the file and the problem."""


def names(items) -> str:
    """Column names or row ids for a one-line message: comma-separated, control characters escaped."""
    return ", ".join(CONTROL.sub(lambda m: repr(m.group())[1:-1], str(item)) for item in items)


def read_table(path: str | Path, id_column: str | None = None) -> pd.DataFrame:
    """Read a CSV/TSV table indexed by its id column (default: the first column).

    The delimiter is the one of tab, comma, semicolon and bar that the header row uses most (tab
    for .tsv/.tab files); a header with none of them is a one-column table. Guessing from the data
    instead would split a one-column file at whatever letter its rows share.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise TableError(f"{path}: no such file") from None
    except OSError as err:
        raise TableError(f"{path}: cannot read the file ({err.strerror or err})") from None
    except UnicodeDecodeError as err:
        raise TableError(f"{path}: not UTF-8 text (byte {err.start} cannot be decoded)") from None
    if not text.strip():
        raise TableError(f"{path}: empty file (a table needs a header row)")
    try:
        frame = pd.read_csv(io.StringIO(text), sep=_delimiter(path, text), skip_blank_lines=True, dtype=object)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, csv.Error) as err:
        raise TableError(f"{path}: not a readable CSV/TSV table ({str(err).strip().splitlines()[0]})") from None
    frame.columns = [str(c) for c in frame.columns]
    id_column = id_column or frame.columns[0]
    if id_column not in frame.columns:
        raise TableError(f"{path}: no id column {id_column!r} (columns: {names(frame.columns[:8])})")
    ids = frame[id_column]
    if ids.isna().any():
        raise TableError(f"{path}: row {int(ids.isna().to_numpy().argmax()) + 2} has no id in column {id_column!r}")
    ids = ids.astype(str).str.strip()
    if ids.duplicated().any():
        dupes = names(ids[ids.duplicated()].unique()[:5])
        raise TableError(f"{path}: duplicate ids in column {id_column!r}: {dupes}")
    frame = frame.drop(columns=[id_column]).set_index(pd.Index(ids, name=id_column))
    frame = frame.apply(_as_numbers)
    frame = canonical_columns(frame)
    frame.attrs["source"] = str(path)
    return frame


def _delimiter(path: Path, text: str) -> str:
    """The column separator: tab for .tsv/.tab, else the candidate the header row holds most of."""
    if path.suffix.lower() in (".tsv", ".tab"):
        return "\t"
    header = text.lstrip().splitlines()[0]
    counts = {sep: header.count(sep) for sep in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","  # a one-column table: a comma in a row is then an error


def _as_numbers(column: pd.Series) -> pd.Series:
    """A column of text as numbers when every non-empty cell is one; as text otherwise."""
    numbers = pd.to_numeric(column, errors="coerce")
    return numbers if numbers.notna().sum() == column.notna().sum() else column


def unknown_rows(table: pd.DataFrame, resolved: dict[str, URIRef]) -> str | None:
    """A line counting and naming (the first few) label rows with no track in `resolved`; None if all have one."""
    missing = [str(i) for i in table.index if i not in resolved]
    if not missing:
        return None
    first = names(missing[:NAMED_ROWS]) + (", …" if len(missing) > NAMED_ROWS else "")
    return (f"{_source(table)}: {len(missing)} of {len(table)} label rows name no track "
            f"in the store ({first})")


def numeric_features(frame: pd.DataFrame, exclude: list[str] = ()) -> pd.DataFrame:
    """The table's numeric feature columns (labels excluded), checked to be numbers."""
    features = frame.drop(columns=[c for c in exclude if c in frame.columns])
    bad = [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    if bad:
        raise TableError(f"{_source(frame)}: non-numeric feature column(s): {names(bad[:5])}")
    if features.shape[1] == 0:
        raise TableError(f"{_source(frame)}: no feature columns")
    return features.astype(float)


def _source(frame: pd.DataFrame) -> str:
    """The file a table was read from, for messages."""
    return frame.attrs.get("source", "table")




def import_features(store: GraphStore, features: pd.DataFrame, source: str, base: str = DEFAULT_BASE) -> list[URIRef]:
    """Write each row as a track graph with one value per finite cell; return the track IRIs."""
    tracks = [table_track(source, str(i), base) for i in features.index]
    write_tracks(store, features, tracks, table_iri(source), f"table:{source}")
    return tracks


def write_tracks(store: GraphStore, features: pd.DataFrame, tracks: list[URIRef], source_node: URIRef,
                 extractor: str, facts: Mapping[URIRef, list[Triple]] | None = None) -> None:
    """Write row i as the graph of tracks[i]: its finite values, derived from `source_node`, plus its `facts`.

    A batch of tracks is written in one atomic step (bulk-loaded by the embedded store when its graphs
    are new), and the store is compacted at the end so the queries that follow are not slowed.
    """
    declare_extractors(store, {extractor: features.columns})
    with WriteBehind(store.concurrent) as writer:  # the next batch is built while the store loads the last
        for batch in _track_batches(features, tracks, source_node, extractor, facts or {}):
            writer.submit(store.add_graphs, batch)
    store.compact()


def _track_batches(features: pd.DataFrame, tracks: list[URIRef], source_node: URIRef, extractor: str,
                   facts: Mapping[URIRef, list[Triple]]) -> Iterator[dict[URIRef, NTriples]]:
    """write_tracks' track graphs as N-Triples text, BATCH tracks at a time."""
    known = known_features()
    groups = {c: known[c].group if c in known else "signal" for c in features.columns}
    units = {c: known[c].unit if c in known else "UNITLESS" for c in features.columns}
    values = features.to_numpy(dtype=float)
    for start in range(0, len(tracks), BATCH):
        batch = {}
        for track, row_id, row in zip(tracks[start:start + BATCH], features.index[start:start + BATCH],
                                      values[start:start + BATCH]):
            observed = FeatureSet(extractor, "1")
            for column, value in zip(features.columns, row):
                if np.isfinite(value):
                    observed.add(column, value, units[column], groups[column])
            block = [(track, RDF.type, WT.Track), (track, PROV.wasDerivedFrom, source_node),
                     (track, RDFS.label, Literal(str(row_id))), *facts.get(track, ())]
            batch[track] = NTriples(triples_block(block) + feature_triples(track, observed, source_node))
        yield batch


def labels_from(frame: pd.DataFrame, label_columns: list[str]) -> pd.Series | pd.DataFrame:
    """Y from a table: a column of class names or ';'-separated tags, or several 0/1 tag columns.

    Single-label (a Series of class names) when every row has exactly one tag; otherwise a 0/1
    DataFrame with one column per tag (multi-label).
    """
    if not label_columns:
        raise TableError(f"{_source(frame)}: no label columns (the table has only its id column)")
    missing = [c for c in label_columns if c not in frame.columns]
    if missing:
        raise TableError(f"{_source(frame)}: no label column(s) {names(missing)} "
                         f"(columns: {names(frame.columns[:8])})")
    if len(label_columns) == 1 and not pd.api.types.is_numeric_dtype(frame[label_columns[0]]):
        column = frame[label_columns[0]].fillna("").astype(str)
        lists = column.map(lambda s: [t.strip() for t in s.split(";") if t.strip()])
        Y = pd.DataFrame([{t: 1 for t in tags} for tags in lists], index=frame.index).fillna(0).astype(int)
    else:
        Y = frame[label_columns]
        bad = [c for c in label_columns if not set(pd.unique(Y[c].dropna())) <= {0, 1}]
        if bad:
            raise TableError(f"{_source(frame)}: label column(s) {names(bad[:5])} are not 0/1")
        Y = Y.fillna(0).astype(int)
    if Y.shape[1] == 0 or not Y.to_numpy().any():
        raise TableError(f"{_source(frame)}: no row has a tag in {names(label_columns)}")
    Y = Y[sorted(Y.columns)]
    if (Y.sum(axis=1) == 1).all():
        return Y.idxmax(axis=1).rename("label")
    return Y
