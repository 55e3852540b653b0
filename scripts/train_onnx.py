#!/usr/bin/env python3
"""Train a forecaster for one sensor with scikit-learn and export it to ONNX.

Usage (the shipped model, from a recording of the simulated plant):

    cargo run --release -- simulate --for 14400 --seed 7 --out target/train.csv
    target/onnx-venv/bin/python scripts/train_onnx.py target/train.csv \
        assets/models/press_temperature.onnx --twin press-1 --sensor temperature

The model takes the sensor's last LAST values, one every STEP seconds (the
latest sample at or before each time: what twinscape feeds it), as a
[1, LAST] float tensor named "values", and gives the value HORIZON seconds
after the latest. It is a ridge regression on those values, fitted
on the first 75% of the recording and scored on the rest against
persistence (the latest value as the forecast). Needs scikit-learn, skl2onnx,
onnxruntime and numpy (scripts/test.sh installs them in target/onnx-venv).
"""

import argparse
import bisect
import csv
import datetime as dt
import sys

import numpy as np
import onnxruntime as ort
from skl2onnx import to_onnx
from sklearn.linear_model import Ridge


def read(path, twin, sensor):
    times, values = [], []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["twin"] == twin and row["sensor"] == sensor:
                t = dt.datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00"))
                times.append(t.timestamp())
                values.append(float(row["value"]))
    if len(times) < 2:
        sys.exit(f"{path}: no rows for {twin}/{sensor}")
    return times, values


def at_or_before(times, values, t):
    i = bisect.bisect_right(times, t)
    return values[max(i - 1, 0)]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("recording")
    p.add_argument("out")
    p.add_argument("--twin", required=True)
    p.add_argument("--sensor", required=True)
    p.add_argument("--last", type=int, default=30)
    p.add_argument("--step", type=float, default=1.0)
    p.add_argument("--horizon", type=float, default=60.0)
    a = p.parse_args()

    times, values = read(a.recording, a.twin, a.sensor)
    ends = np.arange(times[0] + (a.last - 1) * a.step, times[-1] - a.horizon, a.step)
    x = np.array(
        [[at_or_before(times, values, e - (a.last - 1 - k) * a.step) for k in range(a.last)] for e in ends],
        dtype=np.float32,
    )
    y = np.array([at_or_before(times, values, e + a.horizon) for e in ends], dtype=np.float32)
    cut = int(len(x) * 0.75)
    # A ridge regression on the raw values (all in the sensor's unit): it
    # exports as one ai.onnx.ml LinearRegressor, which tract runs (its
    # StandardScaler would need the ML `Scaler` op, which tract lacks).
    model = Ridge(alpha=1.0).fit(x[:cut], y[:cut])
    rmse = float(np.sqrt(np.mean((model.predict(x[cut:]) - y[cut:]) ** 2)))
    persistence = float(np.sqrt(np.mean((x[cut:, -1] - y[cut:]) ** 2)))
    onx = to_onnx(model, x[:1], target_opset=17)
    with open(a.out, "wb") as f:
        f.write(onx.SerializeToString())
    session = ort.InferenceSession(a.out, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    ours = session.run(None, {name: x[cut:cut + 100]})[0].reshape(-1)
    theirs = model.predict(x[cut:cut + 100]).reshape(-1)
    worst = float(np.max(np.abs(ours - theirs)))
    print(f"{len(x)} windows ({cut} to fit); holdout RMSE {rmse:.3f} vs persistence {persistence:.3f}; "
          f"onnxruntime vs scikit-learn within {worst:.2e}")
    print(f"wrote {a.out}; in the scene:")
    print(f'  predictor: Onnx(model: "{a.out.split("assets/", 1)[-1]}", last: {a.last}, '
          f"step_s: {a.step}, horizon_s: {a.horizon}),")


if __name__ == "__main__":
    main()
