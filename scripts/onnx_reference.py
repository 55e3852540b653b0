#!/usr/bin/env python3
"""onnxruntime's outputs for a model, as the reference twinscape's own runtime
(tract) is checked against: reads {"model": PATH, "inputs": [[...], ...]} as
JSON on stdin and prints the outputs, one per input row, as a JSON list."""

import json
import sys

import numpy as np
import onnxruntime as ort

request = json.load(sys.stdin)
session = ort.InferenceSession(request["model"], providers=["CPUExecutionProvider"])
name = session.get_inputs()[0].name
outputs = [
    float(session.run(None, {name: np.array([row], dtype=np.float32)})[0].reshape(-1)[0])
    for row in request["inputs"]
]
json.dump(outputs, sys.stdout)
