"""Commands for rule models: `learn` (labels → rules), `tag` (rules → tags), `explain` (tags → words), `models`
(the model sets in the store), `train`."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import click
from tqdm import tqdm

from whytag.cli.group import command_store
from whytag.kg.tables import import_features, labels_from, numeric_features, read_table, unknown_rows
from whytag.kg.tracks import find_track, label_tracks, track_names
from whytag.reasoning.explain import explain as explain_track
from whytag.reasoning.explain import nothing_to_explain
from whytag.reasoning.learners import DEFAULT_LEARNER, changed_parameters, registry
from whytag.reasoning.reasoner import BATCH, catalog_tracks, tag_batches
from whytag.reasoning.rules import model_sets
from whytag.reasoning.shipped import listed_cards, model_set_to_apply
from whytag.reasoning.training import learn as learn_rules


@click.command()
@click.option("--labels", required=True, type=click.Path(exists=True, dir_okay=False),
              help="CSV/TSV of labels: an id column (audio path, track IRI, or table row id) and tags.")
@click.option("--id-column", help="Column identifying tracks (default: the first column).")
@click.option("--label-columns", help="Comma-separated label columns (0/1 each, or one column of names or "
              "';'-separated tags). Default: every column but the id (and features when --features is the same file).")
@click.option("--features", "features_file", type=click.Path(exists=True, dir_okay=False),
              help="Import this feature table (one row per track) instead of using extracted feature values.")
@click.option("--learner", default=DEFAULT_LEARNER, show_default=True,
              help=f"Rule learner: one of {', '.join(registry())}.")
@click.option("--raw-features", is_flag=True,
              help="Also learn from raw descriptors (MFCCs, tuning frequency, the key's pitch class); by default "
                   "only perceptual features are used.")
@click.option("--name", default="default", show_default=True, help="Name of the model set to store.")
@click.option("--vocabulary", help="Tag vocabulary name (default: the labels file's stem).")
@click.option("--seed", default=0, show_default=True)
@click.option("--strict", is_flag=True, help="Stop if any label row names no track in the store (default: warn).")
@click.pass_context
def learn(ctx, labels, id_column, label_columns, features_file, learner, raw_features, name, vocabulary, seed,
          strict) -> None:
    """Learn rules per tag from labelled tracks and store them (with their levels) in the graph."""
    label_table = read_table(labels, id_column)
    columns = label_columns.split(",") if label_columns else None
    source = None
    with command_store(ctx, write=True, create=bool(features_file)) as store:
        if features_file:
            feature_source = read_table(features_file, id_column)
            source = Path(features_file).stem
            if columns is None and Path(features_file).resolve() == Path(labels).resolve():
                raise click.UsageError("--features and --labels are the same file: name its --label-columns")
            columns = columns or [c for c in label_table.columns if c not in feature_source.columns]
            X = numeric_features(feature_source, exclude=columns)
            import_features(store, X, source)
            click.echo(f"imported {len(X)} tracks × {X.shape[1]} features from {features_file}")
        Y = labels_from(label_table, columns or list(label_table.columns))
        ids = label_tracks(store, label_table.index, Path(labels).resolve().parent, source)
        stored = set(catalog_tracks(store))
        unknown = unknown_rows(label_table, {i: t for i, t in ids.items() if t in stored})
        if unknown and strict:
            raise click.ClickException(f"{unknown} (--strict)")
        if unknown:
            click.echo(f"warning: {unknown}; learning from the rest (--strict stops instead)", err=True)
        summary = learn_rules(store, Y, ids, learner, name, vocabulary or Path(labels).stem, str(Path(labels).name),
                              seed, raw_features)
    kind = "single-label" if summary.info.single_label else "multi-label"
    click.echo(f"learned model set '{name}' ({learner}, {kind}) from {summary.tracks} tracks: "
               f"{summary.rules} rules, at most {summary.max_conditions_per_tag} conditions per tag, "
               f"{summary.linear_terms} linear terms; "
               f"training {'accuracy' if summary.info.single_label else 'label agreement'} "
               f"{summary.training_score:.3f}")
    reasons: dict[str, list[str]] = {}
    for feature, why in summary.left_out.items():
        reasons.setdefault(why, []).append(feature)
    for why, features in reasons.items():
        click.echo(f"  not learned from, {why}: {', '.join(features)}")
    for skipped in summary.skipped:
        click.echo(f"  skipped (no features in the store): {skipped}", err=True)


@click.command()
@click.option("--model", "name", help="Model set to apply: one learned into the store, or a shipped one "
              "(genres, moods; see `whytag models`). Default: the store's only one.")
@click.option("--every-score", is_flag=True, help="Store every tag's score with its reasons, not only predicted tags.")
@click.option("--batch", "batch_size", type=click.IntRange(min=1),
              help="Tracks read, scored and written per transaction (default 1000; memory grows with it, "
                   "not with the catalog).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def tag(ctx, name: str | None, every_score: bool, batch_size: int | None, quiet: bool) -> None:
    """Apply a model set (learned, or shipped: --model genres) to every track with features: tags with
    justifications in the graph, and each track's music-knowledge levels (fast, minor, loud)."""
    batch_size = batch_size or BATCH
    predicted: Counter = Counter()
    scored = tracks = 0
    with command_store(ctx, write=True) as store:
        name = model_set_to_apply(store, name)  # before the progress bar, so a missing set shows no empty bar
        with tqdm(unit="track", desc="tag", disable=quiet, leave=False) as bar:
            for batch in tag_batches(store, name, every_score=every_score, batch_size=batch_size,
                                     on_start=lambda n: bar.reset(total=n)):
                predicted.update(a.notation for a in batch if a.predicted)
                scored += len(batch)
                tracks += len({a.track for a in batch})
                bar.update(min(batch_size, bar.total - bar.n))
    stored = (f"{scored} scores stored ({sum(predicted.values())} of them predicted tags)" if every_score else
              f"{sum(predicted.values())} predicted tags stored ({scored} scores computed; --every-score keeps all)")
    click.echo(f"tagged {tracks} tracks with model set '{name}': {stored}")
    for notation, n in sorted(predicted.items(), key=lambda kv: -kv[1]):
        click.echo(f"  {notation}: {n}")


@click.command()
@click.argument("track")
@click.option("--tag", "tag_name", help="Explain only this tag.")
@click.option("--model", help="Only assignments from this model set.")
@click.option("--top", default=5, show_default=True, type=click.IntRange(min=0),
              help="Feature reasons to list per tag (the rest are summed).")
@click.option("--detail", is_flag=True, help="Also show the rules that fired and the linear term inside each reason.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--all-tags", is_flag=True, help="Also explain tags that were not predicted (after `tag --every-score`).")
@click.pass_context
def explain(ctx, track: str, tag_name: str | None, model: str | None, top: int, detail: bool, fmt: str,
            all_tags: bool) -> None:
    """Say in plain words why TRACK (an audio path, a track IRI, a table row id, or "Artist - Title") has its tags."""
    with command_store(ctx) as store:
        iri = find_track(store, track)
        name = track_names(store, [iri])[iri]
        explanations = explain_track(store, iri, tag_name, model, detail=detail or fmt == "json")
        if not explanations:
            raise nothing_to_explain(store, track, iri, tag_name, model)
    shown = [e for e in explanations if all_tags or tag_name or e.predicted] or explanations[:1]
    if fmt == "json":
        click.echo(json.dumps({"track": str(iri), "title": name.title, "artist": name.credit,
                               "explanations": [e.as_dict(top) for e in shown]}, indent=2))
        return
    click.echo(f"{name.text()} <{iri}>" if name.title else f"{iri}")
    for explanation in shown:
        click.echo(explanation.text(top, detail))


@click.group(invoke_without_command=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--detail", is_flag=True, help="Show each learner's every parameter, not only those set otherwise "
              "than its defaults.")
@click.pass_context
def models(ctx, fmt: str, detail: bool) -> None:
    """List the model sets: those in the store and those shipped with whytag, with their cards."""
    if ctx.invoked_subcommand is not None:
        return
    with command_store(ctx) as store:
        cards = listed_cards(model_sets(store))
    if fmt == "json":
        click.echo(json.dumps({"model_sets": [card.as_dict() for card in cards]}, indent=2))
        return
    for card in cards:
        learner = card.learner if detail else brief(card.learner)
        click.echo(f"{card.name} ({card.source}{f', version {card.version}' if card.version else ''})\n"
                   f"  vocabulary: {card.vocabulary}, {card.tags} tags\n  learner: {learner}\n"
                   f"  features: {card.features}")
        if card.derived_from:
            click.echo(f"  learned from: {card.derived_from}\n  cross-validated ({card.protocol}): " + ", ".join(
                f"{metric} {value:.3f}" for metric, value in card.scores.items()))
        if card.source == "store":
            click.echo(f"  learned: {card.learned or 'unknown'}")
        click.echo(f"  tracks carrying its tags: {card.tagged_tracks}")


def brief(learner: str) -> str:
    """A card's learner as its name and the parameters not at their defaults (the card holds all of them)."""
    named = changed_parameters(learner)
    if named is None:
        return learner
    name, changed = named
    return f"{name} ({', '.join(changed)}; the rest its defaults)" if changed else f"{name} (its defaults)"


@models.command(name="build")
@click.argument("names", nargs=-1)
@click.option("--tables", type=click.Path(exists=True, file_okay=False),
              help="Folder holding the paper's tables (default: $WHYTAG_PAPER_TABLES, else ../shared/data).")
@click.option("--out", type=click.Path(file_okay=False), help="Folder to write to (default: the package's own).")
@click.option("--keep-scores", is_flag=True, help="Reuse the cross-validated scores on the current cards instead "
              "of measuring them again (a fit per split: ~7 CPU minutes for moods' 10 folds).")
def build_models(names: tuple[str, ...], tables: str | None, out: str | None, keep_scores: bool) -> None:
    """Rebuild the shipped model sets (NAMES, default all) bit for bit from the paper's feature tables."""
    from whytag.evaluation.shipped import SHIPPED, card_path, card_scores, write

    unknown = sorted(set(names) - set(SHIPPED))
    if unknown:
        raise click.UsageError(f"no shipped model set {', '.join(unknown)} (there are {', '.join(SHIPPED)})")
    for name in names or SHIPPED:
        scores = card_scores(card_path(name).read_bytes()) if keep_scores else None
        folder = Path(out) if out else None
        if folder:
            folder.mkdir(parents=True, exist_ok=True)
        written = write(name, **({"folder": folder} if folder else {}), tables=Path(tables) if tables else None,
                        scores=scores)
        click.echo(f"{name}: {', '.join(str(path) for path in written)}")


@click.group()
def train() -> None:
    """Train whytag's own networks (needs the [dnn] extra: torch)."""


@train.command(name="midlevel")
@click.argument("dataset_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--out", type=click.Path(dir_okay=False), help="Weights file (default: the one the extractor loads).")
@click.option("--epochs", default=30, show_default=True, help="Most epochs (training stops early).")
def train_midlevel_command(dataset_dir: str, out: str | None, epochs: int) -> None:
    """Train the mid-level perceptual network on the Aljanaki & Soleymani dataset in its published layout."""
    try:  # torch is the optional [dnn] extra, so the network's module is imported only here
        from whytag.extractors.midlevel import DEFAULT_WEIGHTS, train_midlevel
    except ImportError as err:
        raise click.ClickException(f"training needs torch: pip install 'whytag[dnn]' ({err})") from None
    train_midlevel(dataset_dir, out_path=out or DEFAULT_WEIGHTS, epochs=epochs)
