"""Evidently DataDriftPreset over the same Parquet files, for the drift benchmark's comparison.

    python bench/drift_evidently.py REF.parquet CUR.parquet
Prints JSON: seconds, peak RSS (MiB), drifted share, and per column the method and its score. Needs `pip install evidently pyarrow 'pandas<3'` (Evidently 0.7 does not import under pandas 3).
"""
import json
import resource
import sys
import time

import pyarrow.parquet as pq
from evidently import Report
from evidently.presets import DataDriftPreset

t0 = time.perf_counter()
ref = pq.read_table(sys.argv[1]).to_pandas()
cur = pq.read_table(sys.argv[2]).to_pandas()
result = Report([DataDriftPreset()]).run(cur, ref)
seconds = time.perf_counter() - t0
share = None
columns = {}
for metric in result.dict().get("metrics", []):
    config = metric.get("config", {})
    if config.get("type", "").endswith("DriftedColumnsCount"):
        share = metric["value"]["share"]
    elif config.get("type", "").endswith("ValueDrift"):
        columns[config["column"]] = {"method": config["method"], "score": metric["value"], "threshold": config["threshold"]}
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peakMiB": peak, "driftedShare": share, "columns": columns}))
