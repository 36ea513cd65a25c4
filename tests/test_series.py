"""utils.series: windows, split, naive forecasts and MAE on synthetic series; the real loader if mirrored."""

import numpy as np
import pandas as pd
import pytest

from utils import data, series

SPLIT = {"train": ("2020-01-01", "2020-01-20"), "valid": ("2020-01-21", "2020-01-27"),
         "test": ("2020-01-28", "2020-02-03")}


@pytest.fixture
def daily():
    """34 days, value = day number, so every window and forecast can be checked by eye."""
    index = pd.date_range("2020-01-01", "2020-02-03", freq="D")
    return pd.Series(np.arange(len(index), dtype=float), index=index)


def test_lagged_windows_pairs_each_window_with_the_next_value():
    X, y = series.lagged_windows([0, 1, 2, 3, 4, 5], window=3)
    assert X.dtype == np.float32 and y.dtype == np.float32
    np.testing.assert_array_equal(X, [[0, 1, 2], [1, 2, 3], [2, 3, 4]])
    np.testing.assert_array_equal(y, [3, 4, 5])


def test_lagged_windows_rejects_bad_input():
    with pytest.raises(ValueError, match="window"):
        series.lagged_windows([1, 2, 3], window=3)
    with pytest.raises(ValueError, match="1-D"):
        series.lagged_windows(np.zeros((4, 2)), window=1)


def test_split_by_date_is_inclusive_and_disjoint(daily):
    parts = series.split_by_date(daily, SPLIT)
    assert [len(p) for p in parts.values()] == [20, 7, 7]
    assert parts["valid"].index[0] == pd.Timestamp("2020-01-21")
    assert parts["train"].index[-1] < parts["valid"].index[0] and parts["valid"].index[-1] < parts["test"].index[0]


def test_period_windows_targets_are_the_period_and_inputs_may_precede_it(daily):
    X, y = series.period_windows(daily, 5, "valid", SPLIT)
    np.testing.assert_array_equal(y, np.arange(20, 27))  # the 7 days of the period
    np.testing.assert_array_equal(X[0], [15, 16, 17, 18, 19])  # the last 5 days of training
    X, y = series.period_windows(daily, 5, "train", SPLIT)
    assert y[0] == 5 and len(y) == 15  # the first 5 days have no full window


def test_naive_forecasts_and_mae(daily):
    assert series.naive_forecast(daily).loc["2020-01-21"] == 19
    assert series.seasonal_naive_forecast(daily).loc["2020-01-21"] == 13
    assert series.mae(daily, series.naive_forecast(daily), "valid", SPLIT) == pytest.approx(1.0)
    assert series.mae(daily, series.seasonal_naive_forecast(daily), "test", SPLIT) == pytest.approx(7.0)
    assert series.mae(daily, np.arange(20, 27) + 0.5, "valid", SPLIT) == pytest.approx(0.5)  # an array, by day


def test_mae_refuses_a_forecast_with_gaps(daily):
    with pytest.raises(ValueError, match="no value"):
        series.mae(daily, series.naive_forecast(daily, lag=25), "train", SPLIT)


def test_to_dataset_batches_and_shuffles_reproducibly():
    X, y = series.lagged_windows(np.arange(20), window=4)
    batches = list(series.to_dataset(X, y, batch_size=4))
    assert len(batches) == 4 and batches[0][0].shape == (4, 4)
    np.testing.assert_array_equal(batches[0][1], [4, 5, 6, 7])

    def order(seed):
        return np.concatenate([b[1].numpy() for b in series.to_dataset(X, y, 4, shuffle=True, seed=seed)])

    assert sorted(order(1)) == list(range(4, 20))
    np.testing.assert_array_equal(order(1), order(1))


def test_the_course_split_is_ordered_and_pre_pandemic():
    bounds = [pd.Timestamp(d) for period in ("train", "valid", "test") for d in series.SPLIT[period]]
    assert bounds == sorted(bounds) and bounds[-1] < pd.Timestamp("2020-03-01")


@pytest.mark.skipif(not data.mirror_dir(), reason="needs the data mirror (RNN_COURSE_MIRROR)")
def test_load_ridership_from_the_mirror(tmp_path, monkeypatch):
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path))
    frame = series.load_ridership()
    assert list(frame.columns) == ["day_type", "bus", "rail", "total"]
    assert frame.index.is_unique and frame.index.is_monotonic_increasing and len(frame) == 7639
    np.testing.assert_allclose(frame["bus"] + frame["rail"], frame["total"])
    assert 0.4 < frame[series.TARGET].loc["2019"].mean() < 0.8  # millions of boardings


@pytest.mark.parametrize("sequence_model", [False, True])
def test_fit_forecaster_learns_a_weekly_pattern(sequence_model):
    import keras

    index = pd.date_range("2020-01-01", periods=420, freq="D")
    weekly = pd.Series(0.5 + 0.3 * np.sin(2 * np.pi * np.arange(420) / 7), index=index)
    split = {"train": ("2020-01-01", "2020-10-31"), "valid": ("2020-11-01", "2021-02-23"),
             "test": ("2021-02-24", "2021-02-24")}
    window = 14
    if sequence_model:
        model = keras.Sequential([keras.Input((window, 1)), keras.layers.SimpleRNN(8), keras.layers.Dense(1)])
    else:
        model = keras.Sequential([keras.Input((window,)), keras.layers.Dense(1)])
    forecast = series.fit_forecaster(model, weekly, window, epochs=30, split=split)
    assert forecast.shape == (len(weekly.loc["2020-11-01":"2021-02-23"]),)
    assert series.mae(weekly, forecast, "valid", split) < 0.05  # the pattern's amplitude is 0.3
