"""Side-by-side evaluation of learners on one split, each fit timed and, given a budget, first estimated.

A learner given a time budget is first fitted on one tag and skipped when that fit, times the number
of tags, would run past the budget.
"""

from __future__ import annotations

import copy
import signal
import threading
import time
from collections.abc import Callable

import pandas as pd

from whytag.evaluation.metrics import Result, is_single_label, score, tag_count


class Overrun(BaseException):
    """A fit stopped at its deadline; a BaseException so that libraries' `except Exception` let it through."""


RETRY_SECONDS = 0.1  # after a fit's limit, how soon the stop is raised again if Python dropped it


def stop_fit(signum: int, frame) -> None:
    """SIGALRM handler: stop the fit under way, and again shortly in case this stop is lost (Python prints and drops
    an exception raised inside a __del__ or a weakref callback, and the fit would then run to its end)."""
    signal.setitimer(signal.ITIMER_REAL, RETRY_SECONDS)
    raise Overrun


def timed_fit(estimator, X: pd.DataFrame, Y, limit: float | None = None) -> float | None:
    """Seconds `estimator.fit(X, Y)` took, or None when it ran past `limit` seconds.

    On Unix in the main thread a SIGALRM stops the fit at the limit, so probing a learner that is far
    too slow costs only the limit; elsewhere the fit runs to its end and is then judged.
    """
    main_thread = threading.current_thread() is threading.main_thread()
    alarm = limit is not None and hasattr(signal, "setitimer") and main_thread
    previous = signal.signal(signal.SIGALRM, stop_fit) if alarm else None
    start = time.perf_counter()
    try:
        try:
            if alarm:
                signal.setitimer(signal.ITIMER_REAL, limit)
            estimator.fit(X, Y)
        finally:
            if alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
    except Overrun:
        return None
    finally:
        if alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)  # again: a stop raised inside the cleanup above set a retry
            signal.signal(signal.SIGALRM, previous)
    seconds = time.perf_counter() - start
    return None if limit is not None and seconds > limit else seconds


def estimate_seconds(estimator, X: pd.DataFrame, Y, budget: float) -> float | None:
    """Seconds a fit on all of Y's tags (or classes) should take, timed on one tag; None when over budget.

    Learners fit one model per tag, so the probe fits a copy on every training row for the tag nearest
    half positive only (single-label: that class against the rest, so two models) and scales its time
    up; it is stopped once it alone runs past its share of the budget.
    """
    labels = pd.get_dummies(Y).astype(int) if is_single_label(Y) else Y
    tag = (labels.mean() - 0.5).abs().idxmin()
    probe = Y.where(tag == Y, f"not {tag}") if is_single_label(Y) else Y[[tag]]
    share = tag_count(probe) / tag_count(Y)
    seconds = timed_fit(copy.deepcopy(estimator), X, probe, budget * share)
    return None if seconds is None else seconds / share


Progress = Callable[[str, int, int, Result | None], None]


def evaluate(learners: dict[str, object], X_train: pd.DataFrame, Y_train, X_test: pd.DataFrame, Y_test,
             progress: Progress = lambda *_: None, budgets: dict[str, float] | None = None) -> list[Result]:
    """Fit each learner (whytag's and the baselines) on the training split and score it on the test split.

    A learner named in `budgets` is fitted only when its estimate fits that many seconds; otherwise its
    Result says why it was skipped. `progress(name, i, n, None)` is called as learner i of n starts, and
    `progress(name, i, n, result)` when it is done, so a long run says which learner it is on.
    """
    results, budgets = [], budgets or {}
    for i, (name, estimator) in enumerate(learners.items(), 1):
        progress(name, i, len(learners), None)
        estimate = estimate_seconds(estimator, X_train, Y_train, budgets[name]) if name in budgets else None
        if name in budgets and estimate is None:
            tags = tag_count(Y_train)
            result = Result(name, {}, 0.0, skipped=f"estimated over {budgets[name]:g} s: {tags} tags, and one "
                            f"alone took over {budgets[name] / tags:.2g} s")
        else:
            result = score(name, estimator, X_test, Y_test, timed_fit(estimator, X_train, Y_train))
            result.estimated_seconds = estimate
        progress(name, i, len(learners), result)
        results.append(result)
    return results
