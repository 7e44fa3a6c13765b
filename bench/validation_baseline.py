"""pandas baseline for the validation benchmark: the same rules over the same Parquet file.

    python bench/validation_baseline.py DATA.parquet
Rules: every numeric column within [-10, 10], finite, at most 1% nulls; every categorical column
only its known categories. Prints JSON: seconds, peak RSS (MiB), violations.
"""
import json
import resource
import sys
import time

import numpy as np
import pyarrow.parquet as pq

t0 = time.perf_counter()
df = pq.read_table(sys.argv[1]).to_pandas()
violations = []
if len(df) < 1:
    violations.append(("minRows", None))
for i in range(12):
    s = df[f"n{i}"]
    if s.isna().mean() > 0.01:
        violations.append(("maxNullRatio", f"n{i}"))
    v = s.dropna().to_numpy()
    bad = (v < -10) | (v > 10) | np.isnan(v)
    if bad.any():
        violations.append(("range", f"n{i}", v[bad][:5].tolist()))
    if (~np.isfinite(v)).any():
        violations.append(("finite", f"n{i}"))
for i in range(8):
    s = df[f"c{i}"]
    allowed = {f"c{k}" for k in range(0, 5 + i * 3 + 1)}
    unknown = set(s.dropna().unique()) - allowed
    if unknown:
        violations.append(("allowed", f"c{i}", sorted(unknown)[:5]))
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peakMiB": peak, "violations": len(violations)}))
