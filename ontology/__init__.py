"""Locates the ontology Turtle files shipped with whytag (they are data, not code)."""

from pathlib import Path

HERE = Path(__file__).parent
FEATURES = HERE / "features.ttl"
ONTOLOGY = HERE / "whytag.ttl"  # classes and properties, the feature groups and families among them
SHAPES = HERE / "shapes.ttl"
VOCABULARIES = HERE / "vocabularies"
MODELS = HERE / "models"  # the shipped model sets: NAME.card.ttl (the model card) and NAME.rules.ttl.xz


def schema_files() -> list[Path]:
    """The Turtle files that make up the schema graph: ontology, features, other modules, vocabularies."""
    modules = sorted(p for p in HERE.glob("*.ttl") if p != SHAPES)
    return modules + sorted(VOCABULARIES.glob("*.ttl"))
