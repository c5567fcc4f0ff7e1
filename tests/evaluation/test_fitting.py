"""`timed_fit` stops a fit at its limit, even where Python drops the first stop."""

from __future__ import annotations

import signal
import time

import pytest

from whytag.evaluation import timed_fit


class SlowToCollect:
    """An object whose collection takes half a second: a fit's limit falls inside its __del__."""

    def __del__(self) -> None:
        time.sleep(0.5)


class Fit:
    """A fit that first drops a SlowToCollect (its __del__ runs at once), then works 5 s in small steps."""

    ended = False

    def fit(self, X, Y) -> Fit:
        SlowToCollect()
        for _ in range(100):
            time.sleep(0.05)
        self.ended = True
        return self


class Quick:
    """A fit that ends at once."""

    def fit(self, X, Y) -> Quick:
        return self


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_stop_dropped_inside_a_del_is_raised_again_until_the_fit_stops():
    handler, estimator = signal.getsignal(signal.SIGALRM), Fit()
    assert timed_fit(estimator, None, None, limit=0.1) is None
    assert not estimator.ended  # stopped after the __del__ (at ~0.6 s), not run to its end at ~5.5 s
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # no retry left armed
    assert signal.getsignal(signal.SIGALRM) == handler


def test_a_fit_within_its_limit_is_timed_and_leaves_no_alarm():
    seconds = timed_fit(Quick(), None, None, limit=30)
    assert seconds is not None and 0 <= seconds < 30
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
