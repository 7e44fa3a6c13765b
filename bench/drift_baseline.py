"""numpy/scipy baseline for the drift benchmark: the same statistics over the same Parquet files.

    python bench/drift_baseline.py REF.parquet CUR.parquet
Prints JSON: seconds, peak RSS (MiB), columns.
"""
import json
import resource
import sys
import time

import numpy as np
import pyarrow.parquet as pq
from scipy import stats
from scipy.spatial import distance

t0 = time.perf_counter()
ref = pq.read_table(sys.argv[1])
cur = pq.read_table(sys.argv[2])


def floor_shares(c, n):
    s = c / n
    s[s == 0] = 0.0001
    return s


for name in ref.column_names:
    a = ref[name].to_numpy(zero_copy_only=False)
    b = cur[name].to_numpy(zero_copy_only=False)
    if a.dtype.kind == "f":
        a = a[np.isfinite(a)]
        b = b[np.isfinite(b)]
        stats.ks_2samp(a, b, method="asymp")
        stats.wasserstein_distance(a, b) / np.std(a)
        edges = np.histogram_bin_edges(np.concatenate([a, b]), bins=30)
        ra = floor_shares(np.histogram(a, edges)[0].astype(float), len(a))
        rb = floor_shares(np.histogram(b, edges)[0].astype(float), len(b))
        np.sum((ra - rb) * np.log(ra / rb))
        distance.jensenshannon(ra, rb)
    else:
        keys, inv = np.unique(np.concatenate([a, b]), return_inverse=True)
        ca = np.bincount(inv[: len(a)], minlength=len(keys)).astype(float)
        cb = np.bincount(inv[len(a):], minlength=len(keys)).astype(float)
        stats.chisquare(cb, ca * len(b) / len(a))
        distance.jensenshannon(floor_shares(ca, len(a)), floor_shares(cb, len(b)))
print(json.dumps({"seconds": time.perf_counter() - t0, "peakMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "columns": len(ref.column_names)}))
