"""A long recording measured window by window (`audio.load_windows`), its windows' feature sets made the file's.

Memory then follows the window, not the file: a 2-hour WAV took 9.2 GB measured whole (issue #29). What a
window-wise measure gives for a whole file is a summary, said here once: a value is the windows' mean
weighted by their durations (Length, their sum); a categorical result (a key and its scale, as values and
as extras) is the one of the windows that cover most of the file; timed events (chords) are put on the
file's time line. Files up to audio.WINDOW_SECONDS are one window, measured exactly as a whole.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import numpy as np

from whytag.extractors.base import FeatureSet

SUMMED = {"Length"}  # values that add up over windows rather than average
CATEGORICAL = {"Key", "Scale-Major"}  # numbers that name a class: taken from the windows covering most of the file


def combine(windows: list[tuple[float, float, FeatureSet]]) -> FeatureSet:
    """One extractor's (start s, duration s, feature set) over a file's windows, as one feature set for the file."""
    if len(windows) == 1:
        return windows[0][2]
    first = windows[0][2]
    timed = {key for key, extra in first.extras.items() if isinstance(extra, list)}

    def label(features: FeatureSet) -> tuple:
        """What a window says that cannot be averaged: its key and scale, as values and as extras."""
        return (tuple(v.value for v in features.values if v.name in CATEGORICAL),
                tuple((key, features.extras[key]) for key in sorted(features.extras) if key not in timed))

    covered: Counter = Counter()
    for _, duration, features in windows:
        covered[label(features)] += duration
    most = covered.most_common(1)[0][0]
    chosen = next(features for _, _, features in windows if label(features) == most)
    durations = np.array([duration for _, duration, _ in windows])
    combined = FeatureSet(first.extractor, first.version, started=first.started, ended=windows[-1][2].ended,
                          extras={key: extra for key, extra in chosen.extras.items() if key not in timed})
    for k, value in enumerate(first.values):
        column = np.array([features.values[k].value for _, _, features in windows])
        total = (chosen.values[k].value if value.name in CATEGORICAL else column.sum() if value.name in SUMMED
                 else column @ durations / durations.sum())
        combined.values.append(dataclasses.replace(value, value=float(total)))
    for key in sorted(timed):
        combined.extras[key] = [dataclasses.replace(event, onset=event.onset + start)
                                for start, _, features in windows for event in features.extras[key]]
    return combined
