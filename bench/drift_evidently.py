"""Evidently DataDriftPreset over the same Parquet files, for the drift benchmark's comparison.

    python bench/drift_evidently.py REF.parquet CUR.parquet
Prints JSON: seconds, peak RSS (MiB), drifted share. Needs `pip install evidently pyarrow 'pandas<3'` (Evidently 0.7 does not import under pandas 3).
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
share = None
for metric in result.dict().get("metrics", []):
    if "DriftedColumnsCount" in str(metric.get("metric_id", "")):
        share = metric.get("value", {}).get("share")
print(json.dumps({"seconds": time.perf_counter() - t0, "peakMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "driftedShare": share}))
