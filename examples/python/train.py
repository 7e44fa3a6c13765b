"""scikit-learn trainer following the temporal-retrain command contract.

Inputs (environment): RETRAIN_DATA, RETRAIN_TARGET, RETRAIN_PARAMS_FILE (a JSON file; RETRAIN_PARAMS holds the
same JSON when it is small), RETRAIN_MODEL_DIR, RETRAIN_OUTPUT.
Outputs: RETRAIN_MODEL_DIR/model.pkl and RETRAIN_OUTPUT/metrics.json.
Exit 75 means "temporary failure, retry"; any other non-zero exit fails the run.
"""
import json
import os
import pickle

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

NUMERIC = ["tenure_months", "monthly_charges", "support_calls"]
CATEGORICAL = ["contract", "internet_service", "payment_method"]

if os.environ.get("RETRAIN_PARAMS_FILE"):
    with open(os.environ["RETRAIN_PARAMS_FILE"], encoding="utf-8") as f:
        params = json.load(f)
else:
    params = json.loads(os.environ["RETRAIN_PARAMS"])
target = os.environ["RETRAIN_TARGET"]
df = pd.read_csv(os.environ["RETRAIN_DATA"])
model = make_pipeline(
    ColumnTransformer([("num", StandardScaler(), NUMERIC), ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL)]),
    LogisticRegression(C=float(params.get("C", 1.0)), max_iter=1000),
)
model.fit(df[NUMERIC + CATEGORICAL], df[target])
with open(os.path.join(os.environ["RETRAIN_MODEL_DIR"], "model.pkl"), "wb") as f:
    pickle.dump(model, f)
scores = model.predict_proba(df[NUMERIC + CATEGORICAL])[:, 1]
metrics = {"auc": roc_auc_score(df[target], scores), "accuracy": accuracy_score(df[target], scores >= 0.5), "rows": len(df)}
with open(os.path.join(os.environ["RETRAIN_OUTPUT"], "metrics.json"), "w") as f:
    json.dump(metrics, f)
print(f"train auc {metrics['auc']:.4f}")
