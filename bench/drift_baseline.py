"""numpy/scipy baseline for the drift benchmark: the same statistics over the same Parquet files.

    python bench/drift_baseline.py REF.parquet CUR.parquet
Prints JSON: seconds, peak RSS (MiB), columns.
"""
import json
import warnings
import resource
import sys
import time

import numpy as np
import pyarrow.parquet as pq
from scipy import stats
from scipy.spatial import distance

warnings.simplefilter("ignore")  # chi-squared warns on categories the reference lacks
t0 = time.perf_counter()
ref = pq.read_table(sys.argv[1])
cur = pq.read_table(sys.argv[2])


def fill_zeroes(s):
    s = s.copy()
    smallest = s[s != 0].min()
    s[s == 0] = smallest / 10**6 if smallest <= 0.0001 else 0.0001
    return s


def psi(ra, rb):
    ra, rb = fill_zeroes(ra), fill_zeroes(rb)
    return np.sum((ra - rb) * np.log(ra / rb))


def per_value(a, b):
    keys, inv = np.unique(np.concatenate([a, b]), return_inverse=True)
    ca = np.bincount(inv[: len(a)], minlength=len(keys)).astype(float)
    cb = np.bincount(inv[len(a):], minlength=len(keys)).astype(float)
    return ca, cb


for name in ref.column_names:
    a = ref[name].to_numpy(zero_copy_only=False)
    b = cur[name].to_numpy(zero_copy_only=False)
    if a.dtype.kind == "f":
        a = a[np.isfinite(a)]
        b = b[np.isfinite(b)]
        stats.ks_2samp(a, b, method="asymp")
        stats.wasserstein_distance(a, b) / np.std(a)
        # Evidently's bins: Sturges over both sides past 20 distinct reference values, else one per value.
        if len(np.unique(a)) > 20:
            edges = np.histogram_bin_edges(np.concatenate([a, b]), bins="sturges")
            ca, cb = np.histogram(a, edges)[0], np.histogram(b, edges)[0]
        else:
            ca, cb = per_value(a, b)
        psi(ca / len(a), cb / len(b))
        distance.jensenshannon(ca / len(a), cb / len(b))
    else:
        ca, cb = per_value(a, b)
        stats.chisquare(cb, ca * len(b) / len(a))
        psi(ca / len(a), cb / len(b))
        distance.jensenshannon(ca / len(a), cb / len(b))
print(json.dumps({"seconds": time.perf_counter() - t0, "peakMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "columns": len(ref.column_names)}))
