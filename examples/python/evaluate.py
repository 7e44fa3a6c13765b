"""scikit-learn evaluator following the temporal-retrain command contract.

Inputs: RETRAIN_MODEL_DIR (a model trained by train.py), RETRAIN_DATA, RETRAIN_TARGET, RETRAIN_OUTPUT.
Outputs: RETRAIN_OUTPUT/metrics.json and RETRAIN_OUTPUT/predictions.csv (row, label, score, prediction).
With RETRAIN_MODE=score (label-free performance estimation) the data may lack the label column: it writes only
predictions.csv (row, score, prediction).
"""
import json
import os
import pickle

import pandas as pd
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

with open(os.path.join(os.environ["RETRAIN_MODEL_DIR"], "model.pkl"), "rb") as f:
    model = pickle.load(f)
target = os.environ["RETRAIN_TARGET"]
df = pd.read_csv(os.environ["RETRAIN_DATA"])
scores = model.predict_proba(df.drop(columns=[target], errors="ignore"))[:, 1]
out = os.environ["RETRAIN_OUTPUT"]
predictions = {"row": range(len(df)), "score": scores, "prediction": (scores >= 0.5).astype(int)}
if os.environ.get("RETRAIN_MODE") == "score":
    pd.DataFrame(predictions).to_csv(os.path.join(out, "predictions.csv"), index=False)
    raise SystemExit(0)
metrics = {
    "auc": roc_auc_score(df[target], scores),
    "accuracy": accuracy_score(df[target], scores >= 0.5),
    "logloss": log_loss(df[target], scores),
    "rows": len(df),
}
with open(os.path.join(out, "metrics.json"), "w") as f:
    json.dump(metrics, f)
pd.DataFrame({"row": predictions["row"], "label": df[target], "score": scores, "prediction": predictions["prediction"]}).to_csv(
    os.path.join(out, "predictions.csv"), index=False
)
