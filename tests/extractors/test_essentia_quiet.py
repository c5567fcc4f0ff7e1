"""Essentia's standard mode as whytag imports it: classes made on first use, and per-frame calls without its checks."""

from __future__ import annotations

import numpy as np
import pytest

from whytag.extractors.essentia_quiet import es, per_frame


def test_every_algorithm_is_reachable_and_made_once() -> None:
    """A class whytag never uses is made on first use, kept, and computes; an unknown name is an AttributeError."""
    names = es.algorithmNames()
    assert "Key" in names and "MusicExtractor" in names and len(names) > 200
    centroid = es.Centroid
    assert es.Centroid is centroid  # kept as the module's attribute
    assert centroid(range=2.0)(np.array([0.0, 1.0, 0.0], np.float32)) == pytest.approx(1.0)
    assert es.FrameGenerator is not None  # essentia.standard's own Python algorithm, made by its import
    with pytest.raises(AttributeError, match="NoSuchAlgorithm"):
        _ = es.NoSuchAlgorithm


def test_per_frame_equals_the_algorithm_and_refuses_other_vectors() -> None:
    """per_frame gives SpectralPeaks' own outputs on float32 spectra, and refuses what its checks would convert."""
    finder = es.SpectralPeaks(maxPeaks=100, magnitudeThreshold=1e-5, minFrequency=20, maxFrequency=5000,
                              orderBy="magnitude", sampleRate=44100)
    spectra = np.abs(np.random.default_rng(3).standard_normal((20, 1025))).astype(np.float32)
    fast = per_frame(finder)
    for spectrum in spectra:
        for theirs, mine in zip(finder(spectrum), fast(spectrum)):
            np.testing.assert_array_equal(mine, theirs)
    with pytest.raises(TypeError, match="float32"):
        fast(spectra[0].astype(np.float64))
    with pytest.raises(TypeError, match="C-contiguous"):
        fast(spectra[:, 0])
