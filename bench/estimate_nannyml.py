"""NannyML's CBPE on the estimator bench's files (bench/estimate.ts): whole-period ROC AUC and accuracy, wall time
of fit + estimate (reading the Parquet files is not counted) and peak RSS, as JSON."""
import json
import os
import resource
import sys
import time

os.environ.setdefault('NML_DISABLE_USAGE_LOGGING', '1')
import nannyml as nml  # noqa: E402
import pandas as pd  # noqa: E402

ref = pd.read_parquet(sys.argv[1])
cur = pd.read_parquet(sys.argv[2])
t = time.perf_counter()
est = nml.CBPE(y_pred_proba='proba', y_pred='pred', y_true='label', problem_type='classification_binary',
               metrics=['roc_auc', 'accuracy'], chunk_number=1)
est.fit(ref)
res = est.estimate(cur).filter(period='analysis').to_df()
seconds = time.perf_counter() - t
print(json.dumps({'seconds': seconds, 'peakMiB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  'rocAuc': float(res[('roc_auc', 'value')].iloc[0]), 'accuracy': float(res[('accuracy', 'value')].iloc[0])}))
