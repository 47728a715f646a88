"""Reference values for the profiler's statistics, computed with numpy, pandas and scipy.

Writes, under shared/data/tests/fixtures/profile/, one Parquet input and one
`<name>.expected.json` per case: the real datasets of examples/ (typed explicitly) and
synthetic frames made from a seeded generator (nulls, ties, constant and all-null columns, a
single row, skewed data, heavy tails that hit the histogram cap, IQR = 0).

The expected values follow the profile contract, defined by the reference libraries:
mean/std/skew/kurt from pandas Series, quantiles with numpy's linear method, histograms from
numpy.histogram(bins='fd') (200 equal bins when FD asks for more), Pearson/Spearman from
pandas DataFrame.corr, Cramér's V from scipy.stats.contingency.association. Undefined values
(NaN in the libraries) are stored as null.

Made with:
    "$(scripts/bench-peers)" scripts/reference/profile_fixtures.py
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats.contingency import association

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "shared" / "data" / "tests" / "fixtures" / "profile"
EXAMPLES = ROOT / "examples"
MAX_BINS = 200
TOP = 10
CRAMERS_MAX_DISTINCT = 100


def number(value):
    """A float for JSON, or None where the libraries say NaN."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


def numeric_stats(s: pd.Series) -> dict | None:
    integer = pd.api.types.is_integer_dtype(s.dtype)
    values = s.dropna()
    if len(values) == 0:
        return None
    x = values.to_numpy(dtype="int64" if integer else "float64")
    xf = x.astype("float64")
    p25, p50, p75 = (float(np.percentile(x, q)) for q in (25, 50, 75))
    constant = xf.min() == xf.max()
    edges = np.histogram_bin_edges(x, bins="fd")
    rule = "fd"
    if len(edges) - 1 > MAX_BINS:
        rule = "fd_capped"
        counts, edges = np.histogram(x, bins=MAX_BINS)
    else:
        counts, edges = np.histogram(x, bins="fd")
    iqr = p75 - p25
    lower, upper = p25 - 1.5 * iqr, p75 + 1.5 * iqr
    median = float(np.median(xf))
    mad = float(np.median(np.abs(xf - median)))
    mad_count = int(np.sum(np.abs(0.6745 * (xf - median) / mad) > 3.5)) if mad != 0 else 0
    return {
        "mean": number(values.astype("float64").mean()),
        "std": number(values.astype("float64").std()),
        "min": float(xf.min()),
        "max": float(xf.max()),
        "p25": p25,
        "p50": p50,
        "p75": p75,
        # pandas already returns NaN for zero variance; the explicit check documents the contract.
        "skewness": None if constant else number(values.astype("float64").skew()),
        "kurtosis": None if constant else number(values.astype("float64").kurt()),
        "zeros": int(np.sum(xf == 0)),
        "negatives": int(np.sum(xf < 0)),
        "histogram": {
            "bin_rule": rule,
            "edges": [float(e) for e in edges],
            "counts": [int(c) for c in counts],
        },
        "outliers_iqr": {
            "lower_fence": lower,
            "upper_fence": upper,
            "count": int(np.sum((xf < lower) | (xf > upper))),
        },
        "outliers_mad": {"median": median, "mad": mad, "count": mad_count},
    }


def text_of(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    return str(value)


def categorical_stats(s: pd.Series) -> dict:
    counts = s.dropna().map(text_of).value_counts()
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
    result = {"top": [{"value": v, "count": int(c)} for v, c in ordered]}
    if pd.api.types.is_string_dtype(s.dtype) or s.dtype == object:
        lengths = s.dropna().map(len)
        empty = len(lengths) == 0
        result["length_min"] = None if empty else int(lengths.min())
        result["length_mean"] = None if empty else float(lengths.mean())
        result["length_max"] = None if empty else int(lengths.max())
    else:
        result.update({"length_min": None, "length_mean": None, "length_max": None})
    return result


def iso(value: pd.Timestamp, date_only: bool) -> str:
    if date_only:
        return value.strftime("%Y-%m-%d")
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}"
    return text


def temporal_stats(s: pd.Series, date_only: bool) -> dict | None:
    values = pd.to_datetime(s.dropna())
    if len(values) == 0:
        return None
    months = values.dt.strftime("%Y-%m").value_counts().sort_index()
    return {
        "min": iso(values.min(), date_only),
        "max": iso(values.max(), date_only),
        "by_month": [{"month": m, "count": int(c)} for m, c in months.items()],
    }


def matrix(frame: pd.DataFrame) -> list[list[float | None]]:
    return [[number(v) for v in row] for row in frame.to_numpy()]


def cramers_v(a: pd.Series, b: pd.Series) -> float | None:
    both = a.notna() & b.notna()
    if both.sum() < 2:
        return None
    table = pd.crosstab(a[both].map(text_of), b[both].map(text_of)).to_numpy()
    if min(table.shape) < 2:
        return None
    return number(association(table, method="cramer"))


def expected(df: pd.DataFrame, kinds: dict[str, str]) -> dict:
    columns = []
    for name in df.columns:
        s = df[name]
        kind = kinds[name]
        column = {
            "name": name,
            "null_count": int(s.isna().sum()),
            "null_ratio": float(s.isna().mean()) if len(s) else 0.0,
            "distinct_count": int(s.nunique(dropna=True)),
            "numeric": None,
            "categorical": None,
            "temporal": None,
        }
        if kind in ("integer", "float"):
            column["numeric"] = numeric_stats(s)
        elif kind in ("string", "boolean"):
            column["categorical"] = categorical_stats(s)
        else:
            column["temporal"] = temporal_stats(s, kind == "date")
        columns.append(column)

    numeric = [n for n in df.columns if kinds[n] in ("integer", "float")]
    as_float = df[numeric].astype("float64")
    categorical = [
        n
        for n in df.columns
        if kinds[n] in ("string", "boolean") and df[n].nunique(dropna=True) <= CRAMERS_MAX_DISTINCT
    ]
    cramer = [[cramers_v(df[a], df[b]) for b in categorical] for a in categorical]
    return {
        "row_count": len(df),
        "column_count": len(df.columns),
        "duplicate_row_count": int(len(df) - len(df.drop_duplicates())),
        "columns": columns,
        "correlations": {
            "pearson": {"columns": numeric, "matrix": matrix(as_float.corr("pearson"))},
            "spearman": {"columns": numeric, "matrix": matrix(as_float.corr("spearman"))},
            "cramers_v": {"columns": categorical, "matrix": cramer},
        },
    }


def with_nulls(rng: np.random.Generator, s: pd.Series, ratio: float) -> pd.Series:
    s = s.copy()
    s[rng.random(len(s)) < ratio] = pd.NA
    return s


def synthetic_mixed() -> tuple[pd.DataFrame, dict[str, str]]:
    rng = np.random.default_rng(7)
    n = 500
    income = rng.lognormal(10, 1, n)
    cities = np.array(["NY", "ny", "Boston", " Boston", "Chicago", "Denver", "Austin"])
    city = cities[rng.integers(0, len(cities), n)]
    segment = np.where(np.isin(city, ["NY", "ny"]), "east", rng.choice(["west", "south"], n))
    start = dt.date(2019, 1, 1)
    signup = [start + dt.timedelta(days=int(d)) for d in rng.integers(0, 6 * 365, n)]
    signup[3] = dt.date(1850, 6, 1)
    signup[4] = dt.date(2031, 2, 3)
    updated = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**12, n), unit="us")
    age = np.round(rng.normal(40, 12, n)).astype("int64")
    age[10], age[11] = -1, -3
    zeros = np.where(rng.random(n) < 0.9, 0, rng.integers(1, 50, n))
    df = pd.DataFrame(
        {
            "id": pd.Series(np.arange(1, n + 1), dtype="Int64"),
            "age": with_nulls(rng, pd.Series(age, dtype="Int64"), 0.05),
            "income": with_nulls(rng, pd.Series(income, dtype="Float64"), 0.1),
            "spend": with_nulls(rng, pd.Series(income * 0.3 + rng.normal(0, 2000, n), dtype="Float64"), 0.1),
            "rating": pd.Series(rng.integers(1, 6, n), dtype="Int64"),
            "zeros_heavy": pd.Series(zeros, dtype="Int64"),
            "constant": pd.Series(np.full(n, 3.5), dtype="Float64"),
            "empty": pd.Series([None] * n, dtype="Float64"),
            "city": with_nulls(rng, pd.Series(city, dtype="string"), 0.05),
            "segment": pd.Series(segment, dtype="string"),
            "flag": with_nulls(rng, pd.Series(rng.random(n) < 0.3, dtype="boolean"), 0.1),
            "signup": with_nulls(rng, pd.Series(signup, dtype="object"), 0.05),
            "updated_at": pd.Series(updated, dtype="datetime64[us]"),
        }
    )
    df["signup"] = pd.to_datetime(df["signup"]).astype("datetime64[s]").dt.date
    # Five exact repeats of earlier rows.
    df = pd.concat([df, df.iloc[:5]], ignore_index=True)
    kinds = {
        "id": "integer", "age": "integer", "income": "float", "spend": "float", "rating": "integer",
        "zeros_heavy": "integer", "constant": "float", "empty": "float", "city": "string",
        "segment": "string", "flag": "boolean", "signup": "date", "updated_at": "datetime",
    }
    return df, kinds


def heavy_tails() -> tuple[pd.DataFrame, dict[str, str]]:
    rng = np.random.default_rng(11)
    n = 3000
    df = pd.DataFrame(
        {
            "cauchy": pd.Series(rng.standard_cauchy(n), dtype="Float64"),
            "pareto": pd.Series(rng.pareto(1.5, n), dtype="Float64"),
            "student_t": pd.Series(rng.standard_t(2, n), dtype="Float64"),
            "poisson_small": pd.Series(rng.poisson(0.5, n), dtype="Int64"),
            "mostly_zero": pd.Series(np.where(rng.random(n) < 0.8, 0.0, rng.normal(0, 1, n)), dtype="Float64"),
            "big_ints": pd.Series(rng.integers(-(10**12), 10**12, n), dtype="Int64"),
        }
    )
    return df, {name: ("integer" if name in ("poisson_small", "big_ints") else "float") for name in df.columns}


def single_row() -> tuple[pd.DataFrame, dict[str, str]]:
    df = pd.DataFrame(
        {
            "n": pd.Series([42], dtype="Int64"),
            "x": pd.Series([-1.25], dtype="Float64"),
            "label": pd.Series(["only"], dtype="string"),
            "ok": pd.Series([True], dtype="boolean"),
            "day": pd.Series([dt.date(2020, 2, 29)], dtype="object"),
        }
    )
    return df, {"n": "integer", "x": "float", "label": "string", "ok": "boolean", "day": "date"}


def seattle_weather() -> tuple[pd.DataFrame, dict[str, str]]:
    df = pd.read_csv(
        EXAMPLES / "seattle-weather.csv",
        dtype={"precipitation": "Float64", "temp_max": "Float64", "temp_min": "Float64",
               "wind": "Float64", "weather": "string"},
    )
    df["date"] = pd.to_datetime(df["date"], format="%Y/%m/%d").dt.date
    kinds = {"date": "date", "precipitation": "float", "temp_max": "float", "temp_min": "float",
             "wind": "float", "weather": "string"}
    return df, kinds


def airports() -> tuple[pd.DataFrame, dict[str, str]]:
    df = pd.read_csv(
        EXAMPLES / "airports.csv",
        dtype={"iata": "string", "name": "string", "city": "string", "state": "string",
               "country": "string", "latitude": "Float64", "longitude": "Float64"},
        keep_default_na=False,
        na_values=[""],
    )
    kinds = {c: "string" for c in df.columns}
    kinds.update({"latitude": "float", "longitude": "float"})
    return df, kinds


def cars() -> tuple[pd.DataFrame, dict[str, str]]:
    raw = pd.read_json(EXAMPLES / "cars.json")
    df = pd.DataFrame(
        {
            "Name": raw["Name"].astype("string"),
            "Miles_per_Gallon": raw["Miles_per_Gallon"].astype("Float64"),
            "Cylinders": raw["Cylinders"].astype("Int64"),
            "Displacement": raw["Displacement"].astype("Float64"),
            "Horsepower": raw["Horsepower"].astype("Float64"),
            "Weight_in_lbs": raw["Weight_in_lbs"].astype("Int64"),
            "Acceleration": raw["Acceleration"].astype("Float64"),
            "Origin": raw["Origin"].astype("string"),
        }
    )
    kinds = {"Name": "string", "Miles_per_Gallon": "float", "Cylinders": "integer",
             "Displacement": "float", "Horsepower": "float", "Weight_in_lbs": "integer",
             "Acceleration": "float", "Origin": "string"}
    return df, kinds


CASES = {
    "synthetic_mixed": synthetic_mixed,
    "heavy_tails": heavy_tails,
    "single_row": single_row,
    "seattle_weather": seattle_weather,
    "airports": airports,
    "cars": cars,
}


def write_parquet(df: pd.DataFrame, kinds: dict[str, str], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {
        "integer": pa.int64(), "float": pa.float64(), "string": pa.string(), "boolean": pa.bool_(),
        "date": pa.date32(), "datetime": pa.timestamp("us"),
    }
    arrays = []
    for name in df.columns:
        s = df[name]
        values = [None if pd.isna(v) else v for v in s.astype(object)]
        arrays.append(pa.array(values, type=types[kinds[name]]))
    pq.write_table(pa.table(arrays, names=list(df.columns)), path)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, make in CASES.items():
        df, kinds = make()
        write_parquet(df, kinds, OUT / f"{name}.parquet")
        document = {
            "source": f"scripts/reference/profile_fixtures.py ({name})",
            "libraries": {"numpy": np.__version__, "pandas": pd.__version__,
                          "scipy": __import__("scipy").__version__},
            "kinds": kinds,
            "expected": expected(df, kinds),
        }
        (OUT / f"{name}.expected.json").write_text(json.dumps(document, indent=1) + "\n")
        print(f"{name}: {len(df)} rows x {len(df.columns)} columns")


if __name__ == "__main__":
    main()
