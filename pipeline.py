"""The whole pipeline on generated audio, offline: ingest → extract → learn → tag → explain → validate → export,
and the shipped `genres` and `moods` model sets on the same clips (no labels needed).

`whytag demo` prints the lines `demo` yields, one per stage, as each stage finishes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from rdflib import URIRef

from whytag.datasets.demo import write_demo
from whytag.errors import WhytagError
from whytag.kg.export import export
from whytag.kg.extraction import extract_tracks
from whytag.kg.ingest import ingest
from whytag.kg.queries import query
from whytag.kg.store import GraphStore, open_store
from whytag.kg.tables import labels_from, read_table
from whytag.kg.tracks import label_tracks
from whytag.kg.validate import validate_store
from whytag.reasoning.explain import explain
from whytag.reasoning.reasoner import apply_model
from whytag.reasoning.shipped import model_set_to_apply
from whytag.reasoning.training import learn

MIN_CLIPS = 8  # fewer, and the learner lacks examples of some tag


class DemoError(WhytagError):
    """The demo could not finish (a clip failed, or the graph does not conform); the message says which."""


def demo(folder: Path, clips: int, learner: str) -> Iterator[str]:
    """Generate `clips` demo clips in `folder` and run every stage on them in a store there; a line per stage."""
    labels = write_demo(folder, n=clips)
    yield f"1. generated {clips} clips in {folder / 'audio'} (labels: {labels})"
    with open_store(folder / "graph") as store:
        report = ingest(store, [folder / "audio"], progress=False)
        counting = " ".join(line for line in query("track-count").splitlines() if not line.startswith("#"))
        count = store.select(counting).rows[0][0]
        yield f"2. ingested {len(report.tracks)} tracks; SPARQL: {counting} → {count}"
        extracted = extract_tracks(store, ("signal", "symbolic"), progress=False)
        yield f"3. extracted {sum(extracted.done.values())} feature values (signal + symbolic)"
        failures = report.failures + extracted.failures
        if failures:
            raise DemoError("demo failed: " + "; ".join(failures))
        table = read_table(labels)
        Y = labels_from(table, ["tags"])
        ids = label_tracks(store, table.index, labels.resolve().parent, None)
        summary = learn(store, Y, ids, learner, "demo", "demo-moods", labels.name)
        yield (f"4. learned {summary.rules} rules and {summary.linear_terms} linear terms ({learner}) for "
               f"{', '.join(Y.columns)}; training label agreement {summary.training_score:.2f}")
        assignments = apply_model(store, "demo")
        truth = {(ids[i], tag) for i, row in Y.iterrows() for tag in Y.columns if row[tag]}
        agree = sum(a.predicted == ((a.track, a.notation) in truth) for a in assignments) / len(assignments)
        yield (f"5. tagged {len({a.track for a in assignments})} tracks inside the store; "
               f"{agree:.0%} of {len(assignments)} tag decisions match the labels")
        first = sorted(ids)[0]
        yield f"6. whytag explain {folder / first}"
        for explanation in explain(store, ids[first], model="demo"):
            if explanation.predicted:
                yield "   " + explanation.text(top=3).replace("\n", "\n   ")
        yield from shipped_sets(store, ids, first)
        violations = validate_store(store)
        yield f"9. SHACL validation: {'conforms' if not violations else f'{len(violations)} violation(s)'}"
        (folder / "graph.ttl").write_bytes(export(store, "turtle"))
        yield f"10. exported the graph to {folder / 'graph.ttl'}"
    yield f"Try: whytag --store {folder / 'graph'} explain {folder / first}"
    if violations:
        raise DemoError("the demo graph does not conform to the shapes")


def shipped_sets(store: GraphStore, ids: dict[str, URIRef], first: str) -> Iterator[str]:
    """Tag the clips with the shipped `genres` and `moods` sets (no labels needed): each clip's predicted tags,
    likeliest first (three at most), then the first clip's reasons for its genre."""
    names = {track: clip for clip, track in ids.items()}
    for step, name, source in ((7, "genres", "GTZAN's"), (8, "moods", "MTG-Jamendo's")):
        tags: dict[str, list[str]] = {}
        for a in sorted(apply_model(store, model_set_to_apply(store, name)), key=lambda a: -a.score):
            if a.predicted:
                tags.setdefault(Path(names[a.track]).stem, []).append(a.notation)
        yield (f"{step}. whytag tag --model {name} (shipped, learned from {source} table; no labels needed): "
               + ", ".join(f"{clip} {' '.join(tags[clip][:3])}" for clip in sorted(tags)))
    for explanation in explain(store, ids[first], model="genres"):
        if explanation.predicted:
            yield "   " + explanation.text(top=3).replace("\n", "\n   ")
