"""Whole evaluations: learners against the baselines on a feature table's split or on a dataset's official one.

`evaluate_table` splits a feature table at random (or takes a separate test table); `evaluate_on_dataset`
reads a dataset loader's official split, with features from a table or extracted from its audio into the
store, whose test tracks it then tags there so `whytag explain` works on them. Both write the report.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
from rdflib import URIRef
from sklearn.model_selection import train_test_split

from whytag.datasets import Dataset, DatasetError, open_dataset
from whytag.evaluation.baselines import baselines
from whytag.evaluation.fitting import Progress, evaluate
from whytag.evaluation.metrics import Result
from whytag.evaluation.report import write_report
from whytag.kg.extraction import extract_tracks
from whytag.kg.ingest import ingest
from whytag.kg.mapping import feature_table
from whytag.kg.store import GraphStore
from whytag.kg.tables import TableError, labels_from, names, numeric_features, read_table
from whytag.reasoning.reasoner import apply_model
from whytag.reasoning.rules import ModelInfo, write_models

Note = Callable[[str], None]  # where the lines for people go (the command line: stderr)
OpenStore = Callable[[], GraphStore]  # opens the store for writing, created if absent


def evaluate_table(features_file: str, test_file: str | None, split: float, seed: int, columns: list[str],
                   id_column: str | None, learners: dict[str, object], report_dir: str | None, progress: Progress,
                   budgets: dict[str, float], note: Note) -> list[Result]:
    """Scores of the learners and baselines on a feature table's random (or given) split."""
    try:
        train = read_table(features_file, id_column)
        X, Y = numeric_features(train, exclude=columns), labels_from(train, columns)
        if test_file:
            test = read_table(test_file, id_column)
            X_train, Y_train = X, Y
            X_test = numeric_features(test, exclude=columns)
            missing = [c for c in X.columns if c not in X_test.columns]
            if missing:
                raise TableError(f"{features_file}: its feature(s) {names(missing[:5])} are not in {test_file}")
            X_test, Y_test = X_test[X.columns], labels_from(test, columns)
        else:
            X_train, X_test, Y_train, Y_test = train_test_split(X, Y, train_size=split, random_state=seed)
    except TableError as err:
        raise TableError(str(err) if str(err).startswith(features_file) else f"{features_file}: {err}") from None
    single = Y.ndim == 1
    kind = "single-label" if single else f"multi-label, {Y.shape[1]} tags"
    note(f"{len(X_train)} training and {len(X_test)} test tracks, {X.shape[1]} features, {kind}")
    results = evaluate(learners | baselines(single), X_train, Y_train, X_test, Y_test, progress, budgets)
    if report_dir:
        first = next(iter(learners), "")
        path = write_report(report_dir, results, learners.get(first), X_test, Y_test, Path(features_file).stem,
                            model_name=first)
        note(f"report: {path}")
    return results


def evaluate_on_dataset(name: str, root: str, options: dict[str, str], features_file: str | None,
                        id_column: str | None, learners: dict[str, object], report_dir: str, progress: Progress,
                        budgets: dict[str, float], open_store: OpenStore, note: Note) -> list[Result]:
    """Scores on a dataset's official split: features from a table, or extracted from its audio into the store."""
    dataset = open_dataset(name, root, **options)
    tracks: dict[str, URIRef] = {}
    if features_file:
        table = read_table(features_file, id_column)
        X = numeric_features(table, exclude=[c for c in table.columns if c in set(dataset.vocabulary)])
    else:
        X, tracks = dataset_features(open_store, dataset, note)
    results, report = evaluate_dataset(dataset, X, learners, report_dir, progress=progress, budgets=budgets)
    note(f"report: {report}")
    if tracks:  # the audio is in the store: tag its test part there too, so `whytag explain` works on it
        tag_test_part(open_store, dataset, learners, tracks, note)
    return results


def evaluate_dataset(dataset: Dataset, features: pd.DataFrame, learners: dict[str, object], report_dir: str | Path,
                     train: str = "train", test: str = "test", with_baselines: bool = True,
                     progress: Progress = lambda *_: None,
                     budgets: dict[str, float] | None = None) -> tuple[list[Result], Path]:
    """Fit the learners (and the baselines) on the dataset's official training part, score them on its
    test part, and write the report of the first learner that has rules. Feature rows are matched to tracks
    by `dataset.track_id` (e.g. GTZAN also reads the paper's numeric clip codes); `progress` and `budgets`
    are `evaluate`'s (learners estimated over their budget are skipped)."""
    labels = dataset.labels()
    features = features.rename(index=dataset.track_id)
    if features.index.duplicated().any():
        twice = features.index[features.index.duplicated()][:3]
        raise DatasetError(f"several feature rows name the same track of {dataset.name}: {', '.join(twice)}")
    wanted = {part: dataset.split(part) for part in (train, test)}
    ids = {part: [i for i in wanted[part] if i in features.index] for part in wanted}
    notes = [f"{len(wanted[p]) - len(ids[p])} of the {len(wanted[p])} {p} tracks have no features and are left out"
             for p in wanted if len(ids[p]) < len(wanted[p])]
    empty = [p for p in ids if not ids[p]]
    if empty:
        raise DatasetError(f"no features for any track of the {' and '.join(empty)} part(s) of {dataset.name} "
                           f"(feature ids look like {', '.join(map(str, features.index[:3]))}; "
                           f"track ids like {', '.join(wanted[empty[0]][:3])})")
    X_train, X_test = features.loc[ids[train]], features.loc[ids[test]]
    estimators = dict(learners) | (baselines(dataset.single_label) if with_baselines else {})
    results = evaluate(estimators, X_train, labels.loc[ids[train]], X_test, labels.loc[ids[test]], progress,
                       budgets)
    featured = next((name for name in learners if getattr(estimators[name], "models_", None)), "")
    report = write_report(report_dir, results, estimators.get(featured), X_test, labels.loc[ids[test]],
                          dataset.name, model_name=featured, notes=notes)
    return results, report


def dataset_features(open_store: OpenStore, dataset: Dataset, note: Note) -> tuple[pd.DataFrame, dict[str, URIRef]]:
    """Ingest and extract the dataset's audio into the store; features by track id, and id → track IRI."""
    ids = sorted({i for part in dataset.parts for i in dataset.split(part)})
    paths = {str(dataset.audio_path(i).resolve()): i for i in ids}
    with open_store() as store:
        report = ingest(store, list(paths), progress=True)
        tracks = {str(t): paths[info.path] for t, info in report.tracks if info.path in paths}
        extracted = extract_tracks(store, tracks=[URIRef(t) for t in tracks])
        table = feature_table(store)
    for failure in report.failures + extracted.failures:
        note(f"  failed: {failure}")
    table = table.loc[[t for t in table.index if t in tracks]]
    return table.rename(index=tracks).dropna(axis=1, how="any"), {i: URIRef(t) for t, i in tracks.items()}


def tag_test_part(open_store: OpenStore, dataset: Dataset, learners: dict[str, object], tracks: dict[str, URIRef],
                  note: Note) -> None:
    """Store the first learner's rules as model set eval-DATASET and tag the test tracks with it."""
    name, learner = next(iter(learners.items()))
    info = ModelInfo(f"eval-{dataset.name}", dataset.name, name, f"{dataset.name} train part", dataset.single_label)
    test = [tracks[i] for i in dataset.split("test") if i in tracks]
    with open_store() as store:
        write_models(store, info, learner.models_.values())
        assignments = apply_model(store, info.name, tracks=test)
    note(f"tagged the {len(test)} test tracks in the store with model set '{info.name}' "
         f"({sum(a.predicted for a in assignments)} tags); try `whytag explain PATH`")
