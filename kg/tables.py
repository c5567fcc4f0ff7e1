"""Feature tables (one row per track, one column per feature) ↔ the graph.

Tables such as the paper's published features have no audio; their rows become tracks derived from
the table (prov:wasDerivedFrom), with one observation per cell, so learning and tagging run on them
exactly as on extracted audio.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from rdflib import Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS

from whytag.extractors.base import FeatureSet
from whytag.kg.mapping import canonical_columns, feature_triples, known_features
from whytag.kg.namespaces import DEFAULT_BASE, WT, slug
from whytag.kg.store import GraphStore, Triple

BATCH = 200  # tracks per update: large enough to be fast, small enough to keep requests modest


class TableError(ValueError):
    """A feature or label table that cannot be used; the message names the file and the problem."""


def read_table(path: str | Path, id_column: str | None = None) -> pd.DataFrame:
    """Read a CSV/TSV feature table indexed by its id column (default: the first column)."""
    path = Path(path)
    if not path.exists():
        raise TableError(f"{path}: no such file")
    try:
        frame = pd.read_csv(path, sep=None, engine="python")
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise TableError(f"{path}: not a readable CSV/TSV table ({str(err).splitlines()[0]})") from None
    id_column = id_column or frame.columns[0]
    if id_column not in frame.columns:
        raise TableError(f"{path}: no id column {id_column!r} (columns: {', '.join(map(str, frame.columns[:8]))}…)")
    if frame[id_column].duplicated().any():
        dupes = frame[id_column][frame[id_column].duplicated()].astype(str).unique()[:5]
        raise TableError(f"{path}: duplicate ids in column {id_column!r}: {', '.join(dupes)}")
    frame = frame.set_index(frame[id_column].astype(str)).drop(columns=[id_column])
    frame.index.name = id_column
    return canonical_columns(frame)


def numeric_features(frame: pd.DataFrame, exclude: list[str] = ()) -> pd.DataFrame:
    """The table's numeric feature columns (labels excluded), checked to be numbers."""
    features = frame.drop(columns=[c for c in exclude if c in frame.columns])
    bad = [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    if bad:
        raise TableError(f"non-numeric feature column(s): {', '.join(map(str, bad[:5]))}")
    return features.astype(float)


def table_track(source: str, row_id: str, base: str = DEFAULT_BASE) -> URIRef:
    """IRI of a track known only as a row of a table."""
    return URIRef(f"{base}track/{slug(source)}/{slug(row_id)}")


def import_features(store: GraphStore, features: pd.DataFrame, source: str, base: str = DEFAULT_BASE) -> list[URIRef]:
    """Write each row as a track graph with one observation per finite cell; return the track IRIs."""
    known = known_features()
    groups = {c: known[c].group if c in known else "signal" for c in features.columns}
    units = {c: known[c].unit if c in known else "UNITLESS" for c in features.columns}
    source_node = URIRef(f"urn:whytag:table/{slug(source)}")
    tracks = [table_track(source, str(i), base) for i in features.index]
    values = features.to_numpy(dtype=float)
    for start in range(0, len(tracks), BATCH):
        batch = {}
        for track, row_id, row in zip(tracks[start:start + BATCH], features.index[start:start + BATCH],
                                      values[start:start + BATCH]):
            observed = FeatureSet(f"table:{source}", "1")
            for column, value in zip(features.columns, row):
                if np.isfinite(value):
                    observed.add(column, value, units[column], groups[column])
            triples: list[Triple] = [(track, RDF.type, WT.Track), (track, PROV.wasDerivedFrom, source_node),
                                     (track, RDFS.label, Literal(str(row_id)))]
            triples += feature_triples(track, observed, source_node)
            batch[track] = triples
        store.replace_graphs(batch)
    return tracks


def labels_from(frame: pd.DataFrame, label_columns: list[str]) -> pd.Series | pd.DataFrame:
    """Y from a table: a column of class names or ';'-separated tags, or several 0/1 tag columns.

    Single-label (a Series of class names) when every row has exactly one tag; otherwise a 0/1
    DataFrame with one column per tag (multi-label).
    """
    missing = [c for c in label_columns if c not in frame.columns]
    if missing:
        raise TableError(f"no label column(s) {', '.join(missing)} in the table")
    if len(label_columns) == 1 and not pd.api.types.is_numeric_dtype(frame[label_columns[0]]):
        column = frame[label_columns[0]].fillna("").astype(str)
        lists = column.map(lambda s: [t.strip() for t in s.split(";") if t.strip()])
        Y = pd.DataFrame([{t: 1 for t in tags} for tags in lists], index=frame.index).fillna(0).astype(int)
    else:
        Y = frame[label_columns]
        bad = [c for c in label_columns if not set(pd.unique(Y[c].dropna())) <= {0, 1}]
        if bad:
            raise TableError(f"label column(s) {', '.join(bad[:5])} are not 0/1")
        Y = Y.fillna(0).astype(int)
    Y = Y[sorted(Y.columns)]
    if (Y.sum(axis=1) == 1).all():
        return Y.idxmax(axis=1).rename("label")
    return Y
