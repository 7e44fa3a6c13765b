"""Splits the Mauna Loa weekly CO2 record (statsmodels' bundled copy, public domain; Keeling & Whorf,
Scripps/CDIAC) into one CSV per year under data/by_year/, for `retrain backtest`.

Run with any Python that has statsmodels (it reads the file shipped inside the package, offline):
    python examples/backtest/prepare.py
Columns: date (ISO), week_of_year, co2_prev_week (the last reading before this week: what the team
monitors), co2 (ppm, the target). Weeks without a reading are dropped.
"""
import os

from statsmodels.datasets import co2

FIRST_YEAR, LAST_YEAR = 1980, 2001
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "by_year")
os.makedirs(out, exist_ok=True)
df = co2.load_pandas().data.dropna()
df["co2_prev_week"] = df["co2"].shift(1)
df = df.dropna()
for year in range(FIRST_YEAR, LAST_YEAR + 1):
    part = df[df.index.year == year]
    with open(os.path.join(out, f"{year}.csv"), "w", encoding="utf-8") as f:
        f.write("date,week_of_year,co2_prev_week,co2\n")
        for ts, row in part.iterrows():
            f.write(f"{ts.date().isoformat()},{ts.isocalendar().week},{row['co2_prev_week']:.1f},{row['co2']:.1f}\n")
print(f"wrote {LAST_YEAR - FIRST_YEAR + 1} partitions to {out}")
