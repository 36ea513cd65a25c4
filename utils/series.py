"""Forecasting a time series: ridership data, split, lagged windows, baselines (chapter 01; reused in 06).

Taught in chapter 01 (sequence models); chapter 06 reuses it to add an RNN forecaster to the
same comparison. Both chapters forecast ``TARGET`` (daily **rail** boardings of the Chicago
Transit Authority, in **millions**) on the periods of ``SPLIT`` and score forecasts by their
mean absolute error on the validation period (``mae``).

* ``load_ridership()``: the daily table, one row per date, sorted, duplicates removed.
* ``split_by_date(obj)``: the train, validation and test periods of a date-indexed object.
* ``lagged_windows(values, window)``: inputs of ``window`` past values, target the next one.
* ``period_windows(series, window, period)``: the windows whose targets fall in a period;
  their inputs may reach back into the period before, as they would in real forecasting.
* ``to_dataset(X, y, ...)``: the windows as a batched ``tf.data.Dataset``.
* ``naive_forecast`` and ``seasonal_naive_forecast``: yesterday's value, last week's value.
* ``mae(series, forecast, period)``: the score of a forecast on a period.
* ``fit_forecaster(model, series, window)``: chapter 01's training recipe, reused by chapter 06.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from utils import data
from utils.metrics import mean_absolute_error

#: The series that chapters 01 and 06 forecast, and its unit.
TARGET = "rail"
UNIT = "millions of boardings"
#: The periods, first and last day inclusive (justified in chapter 01). Validation and test are
#: one whole year each, so they hold every season and holiday once; training takes all the years
#: before. 2020-2021, after the pandemic's break, belongs to none of them.
SPLIT = {
    "train": ("2001-01-01", "2017-12-31"),
    "valid": ("2018-01-01", "2018-12-31"),
    "test": ("2019-01-01", "2019-12-31"),
}
_COLUMNS = {"service_date": "date", "bus": "bus", "rail_boardings": "rail", "total_rides": "total"}


def load_ridership() -> pd.DataFrame:
    """The CTA daily boardings: a date index and columns ``day_type``, ``bus``, ``rail``, ``total``.

    ``bus``, ``rail`` and ``total`` (= bus + rail) are in millions of boardings. ``day_type``
    is ``W`` (weekday), ``A`` (Saturday) or ``U`` (Sunday or holiday). The published file
    repeats some rows; each date is kept once.
    """
    frame = pd.read_csv(data.download("ridership"))
    frame = frame.rename(columns=_COLUMNS)[list(_COLUMNS.values()) + ["day_type"]]
    frame["date"] = pd.to_datetime(frame["date"], format="%m/%d/%Y")
    frame = frame.drop_duplicates().drop_duplicates("date").set_index("date").sort_index()
    frame[["bus", "rail", "total"]] = frame[["bus", "rail", "total"]] / 1e6
    return frame[["day_type", "bus", "rail", "total"]]


def split_by_date(obj, split: dict | None = None) -> dict:
    """``{"train": ..., "valid": ..., "test": ...}``: the slices of a date-indexed Series or DataFrame."""
    return {name: obj.loc[first:last] for name, (first, last) in (split or SPLIT).items()}


def lagged_windows(values, window: int) -> tuple[np.ndarray, np.ndarray]:
    """All ``(X, y)`` pairs of a 1-D sequence: ``X[i] = values[i : i + window]``, ``y[i] = values[i + window]``.

    Returns float32 arrays of shapes ``(n, window)`` and ``(n,)``, ``n = len(values) - window``.
    """
    values = np.asarray(values, dtype=np.float32)
    if values.ndim != 1:
        raise ValueError(f"expected a 1-D sequence, got shape {values.shape}")
    if not 1 <= window < len(values):
        raise ValueError(f"window must be between 1 and {len(values) - 1}, got {window}")
    X = np.lib.stride_tricks.sliding_window_view(values[:-1], window).copy()
    return X, values[window:].copy()


def period_windows(series: pd.Series, window: int, period: str = "train",
                   split: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The windows whose targets are the days of ``period``; inputs are the ``window`` days before each.

    Only days with ``window`` days of history are targets: all of them except at the start of the data.
    """
    first, last = (split or SPLIT)[period]
    start = max(series.index.searchsorted(pd.Timestamp(first)), window)
    stop = series.index.searchsorted(pd.Timestamp(last), side="right")
    return lagged_windows(series.to_numpy()[start - window : stop], window)


def to_dataset(X, y, batch_size: int = 32, shuffle: bool = False, seed: int | None = None):
    """``(X, y)`` as a batched ``tf.data.Dataset``, reshuffled every epoch when ``shuffle``.

    Give it to ``model.fit(..., shuffle=False)``: the dataset shuffles itself, and Keras warns otherwise.
    """
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices((X, y))
    if shuffle:
        dataset = dataset.shuffle(len(X), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def naive_forecast(series: pd.Series, lag: int = 1) -> pd.Series:
    """Forecast each day by the value ``lag`` days before (the naive forecast: yesterday).

    It shifts by rows, which are days because the ridership table has no missing day.
    """
    return series.shift(lag)


def seasonal_naive_forecast(series: pd.Series, season: int = 7) -> pd.Series:
    """Forecast each day by the value one ``season`` before (for daily data: the same weekday last week)."""
    return naive_forecast(series, season)


def mae(series: pd.Series, forecast, period: str = "valid", split: dict | None = None) -> float:
    """Mean absolute error of ``forecast`` over the days of ``period``.

    ``forecast`` is a Series aligned with ``series`` by date, or an array with one value per
    day of the period (as a model predicts from ``period_windows``).
    """
    first, last = (split or SPLIT)[period]
    actual = series.loc[first:last]
    if isinstance(forecast, pd.Series):
        predicted = forecast.reindex(series.index).loc[first:last]
    else:
        predicted = pd.Series(np.asarray(forecast, dtype=float).reshape(-1), index=actual.index)
    if predicted.isna().any():
        raise ValueError(f"the forecast has no value for some days of the {period} period")
    return mean_absolute_error(actual.to_numpy(), predicted.to_numpy())


def fit_forecaster(model, series: pd.Series, window: int, epochs: int = 20, batch_size: int = 32,
                   learning_rate: float = 0.01, seed: int | None = 42, split: dict | None = None):
    """Train ``model`` on the training windows as chapter 01 does, and return its validation forecast.

    MAE loss, Adam with a cosine-decayed learning rate, shuffled batches. ``model`` receives
    inputs of shape ``(batch, window)`` or, if its input has a feature axis, ``(batch, window, 1)``.
    Returns the forecasts for the days of the validation period (score them with ``mae``).
    """
    import keras

    X_train, y_train = period_windows(series, window, "train", split)
    X_valid, _ = period_windows(series, window, "valid", split)
    if len(model.inputs[0].shape) == 3:  # a sequence model wants one feature per time step
        X_train, X_valid = X_train[..., None], X_valid[..., None]
    dataset = to_dataset(X_train, y_train, batch_size=batch_size, shuffle=True, seed=seed)
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=epochs * len(dataset))
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="mae")
    model.fit(dataset, epochs=epochs, verbose=0, shuffle=False)
    return model.predict(X_valid, verbose=0)[:, 0]
