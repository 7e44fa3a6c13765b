"""Training command (temporal-retrain contract), scikit-learn.

Reads RETRAIN_DATA, RETRAIN_TARGET and the params (RETRAIN_PARAMS_FILE, else RETRAIN_PARAMS);
writes RETRAIN_MODEL_DIR/model.pkl and RETRAIN_OUTPUT/metrics.json.
Exit 75 asks for a retry; any other non-zero exit fails the run.
Features are chosen from the data: numeric columns (standardised) and text columns (one-hot);
set params.exclude to leave columns out, or replace this file with your own model.
"""
import json
import os
import pickle

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def read_params():
    path = os.environ.get("RETRAIN_PARAMS_FILE")
    if path:
        with open(path) as f:
            return json.load(f)
    return json.loads(os.environ.get("RETRAIN_PARAMS") or "{}")


params = read_params()
target = os.environ["RETRAIN_TARGET"]
df = pd.read_csv(os.environ["RETRAIN_DATA"])
exclude = set(params.get("exclude", [])) | {target}
columns = [c for c in df.columns if c not in exclude]
numeric = [c for c in columns if pd.api.types.is_numeric_dtype(df[c])]
categorical = [c for c in columns if not pd.api.types.is_numeric_dtype(df[c]) and df[c].nunique() <= 50]
model = make_pipeline(
    ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(), StandardScaler()), numeric),
            ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
        ]
    ),
    LogisticRegression(C=float(params.get("C", 1.0)), max_iter=1000),
)
model.fit(df[numeric + categorical], df[target])
with open(os.path.join(os.environ["RETRAIN_MODEL_DIR"], "model.pkl"), "wb") as f:
    pickle.dump({"model": model, "features": numeric + categorical}, f)
scores = model.predict_proba(df[numeric + categorical])[:, 1]
positive = model.classes_[1]
labels = (df[target] == positive).astype(int)
metrics = {"auc": roc_auc_score(labels, scores), "accuracy": accuracy_score(labels, scores >= 0.5), "rows": len(df)}
with open(os.path.join(os.environ["RETRAIN_OUTPUT"], "metrics.json"), "w") as f:
    json.dump(metrics, f)
print(f"train auc {metrics['auc']:.4f} (features: {', '.join(numeric + categorical)})")
