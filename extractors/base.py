"""The shared shape of extraction: an `Extractor` turns decoded audio into a `FeatureSet`."""

from __future__ import annotations

import ctypes
import ctypes.util
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Protocol

import numpy as np

GROUPS = ("signal", "dnn", "symbolic")


@dataclass(frozen=True)
class FeatureValue:
    """One measured feature: its name (as in the paper's tables), value, unit and group.

    `unit` is a QUDT unit local name (e.g. "HZ", "DeciB", "PER-SEC") or "UNITLESS"; None means the unit the
    ontology gives the feature (features.ttl says each feature's unit once; an extractor need not repeat it).
    """

    name: str
    value: float
    unit: str | None = None
    group: str = "signal"

    def __post_init__(self) -> None:
        if self.group not in GROUPS:
            raise ValueError(f"feature {self.name}: group must be one of {GROUPS}, not {self.group!r}")
        if not math.isfinite(self.value):
            raise ValueError(f"feature {self.name}: value {self.value!r} is not finite")


@dataclass
class FeatureSet:
    """What one extractor measured on one track, with the provenance the graph records."""

    extractor: str
    version: str
    values: list[FeatureValue] = field(default_factory=list)
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    ended: datetime | None = None
    extras: dict[str, object] = field(default_factory=dict)  # non-scalar results, e.g. chord events

    def add(self, name: str, value: float, unit: str | None = None, group: str = "signal") -> None:
        self.values.append(FeatureValue(name, float(value), unit, group))

    def as_dict(self) -> dict[str, float]:
        return {v.name: v.value for v in self.values}


@dataclass(frozen=True)
class Audio:
    """Decoded audio, mono float32 in [-1, 1], at `sample_rate` Hz.

    A file of several channels keeps them, as decoded (frames x channels, float32, at `channel_rate` Hz), for
    measures defined per channel such as EBU R128 loudness; None for a mono file.
    """

    samples: np.ndarray
    sample_rate: int
    path: str = ""
    channels: np.ndarray | None = None
    channel_rate: int = 0

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


class Extractor(Protocol):
    """Anything with a name, a version and `extract(audio) -> FeatureSet`."""

    name: str
    version: str

    def extract(self, audio: Audio) -> FeatureSet: ...


@lru_cache(maxsize=1)
def c_library() -> ctypes.CDLL | None:
    """The C library, loaded once (finding it runs ldconfig), or None where there is none to find."""
    name = ctypes.util.find_library("c")
    return ctypes.CDLL(name) if name else None
