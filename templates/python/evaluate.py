"""Evaluation command (temporal-retrain contract), scikit-learn.

Scores RETRAIN_MODEL_DIR/model.pkl (written by train.py) on RETRAIN_DATA; writes
RETRAIN_OUTPUT/metrics.json and RETRAIN_OUTPUT/predictions.csv (row, label, score, prediction).
"""
import json
import os
import pickle

import pandas as pd
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

with open(os.path.join(os.environ["RETRAIN_MODEL_DIR"], "model.pkl"), "rb") as f:
    saved = pickle.load(f)
model, features = saved["model"], saved["features"]
target = os.environ["RETRAIN_TARGET"]
df = pd.read_csv(os.environ["RETRAIN_DATA"])
scores = model.predict_proba(df[features])[:, 1]
labels = (df[target] == model.classes_[1]).astype(int)
out = os.environ["RETRAIN_OUTPUT"]
metrics = {
    "auc": roc_auc_score(labels, scores),
    "accuracy": accuracy_score(labels, scores >= 0.5),
    "logloss": log_loss(labels, scores, labels=[0, 1]),
    "rows": len(df),
}
with open(os.path.join(out, "metrics.json"), "w") as f:
    json.dump(metrics, f)
pd.DataFrame({"row": range(len(df)), "label": labels, "score": scores, "prediction": (scores >= 0.5).astype(int)}).to_csv(
    os.path.join(out, "predictions.csv"), index=False
)
