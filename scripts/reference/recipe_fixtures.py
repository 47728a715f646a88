#!/usr/bin/env python3
"""Reference outputs for the recipe engine's fixtures, computed independently with pandas
(and DuckDB for the SQL-semantics row filter).

Run once with the peers venv and commit what it writes:
    "$(scripts/bench-peers)" scripts/reference/recipe_fixtures.py

It writes shared/data/tests/fixtures/recipe/input.parquet and, per case, NAME.recipe.json
(the recipe) and NAME.expected.parquet (what applying it must give). The Rust integration
tests apply each recipe with the engine and compare with the expected frame.
"""
import json
import pathlib

import duckdb
import numpy as np
import pandas as pd

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "shared" / "data" / "tests" / "fixtures" / "recipe"

MAD_TO_SIGMA = 1.4826


def input_frame() -> pd.DataFrame:
    n = 30
    ids = list(range(1, n + 1))
    names = [" Ada ", "bob", "CAROL ", "  dave", "Eve", "frank ", "Grace", " heidi", "IVAN", "judy"] * 3
    cities = ["Paris", None, "Lyon", "Paris", "Nice", "Lyon", None, "Paris", "Lille", "Paris"] * 3
    amounts = [12.5, 13.0, None, 11.0, 250.0, 12.0, 14.5, None, 9.5, 13.5,
               12.25, 10.0, 13.75, -80.0, 12.0, 11.5, None, 14.0, 12.5, 13.0,
               15.0, 11.0, 12.75, 13.25, 400.0, 12.0, 10.5, 11.75, None, 12.5]
    qty = [3, None, 4, 4, 2, None, 5, 3, 4, 4, 1, 2, None, 3, 3, 4, 6, 2, 3, 4,
           3, 3, None, 7, 2, 4, 4, 1, 3, 2]
    joined = ["03/01/2024", "15/02/2024", "not a date", "28/02/2024", None, "01/03/2024",
              "31/12/2023", "05/05/2024", "10/10/2024", "11/11/2024"] * 3
    active = [True, False, None, True, True, False, True, None, False, True] * 3
    score = [0.0, 1.0, 3.0, 7.0, 15.0, 31.0, 0.5, 2.5, None, 100.0] * 3
    code = ["10", "20", "x", "40", " 50 ", None, "70", "80", "9.5", "100"] * 3
    frame = pd.DataFrame({
        "id": pd.array(ids, dtype="Int64"),
        "name": pd.array(names, dtype="string"),
        "city": pd.array(cities, dtype="string"),
        "amount": pd.array(amounts, dtype="float64"),
        "qty": pd.array(qty, dtype="Int64"),
        "joined": pd.array(joined, dtype="string"),
        "active": pd.array(active, dtype="boolean"),
        "score": pd.array(score, dtype="float64"),
        "code": pd.array(code, dtype="string"),
        "source": pd.array(["survey"] * n, dtype="string"),
    })
    # Rows 21..23 repeat rows 1..3 exactly (ids included) except for their id, to deduplicate.
    for target, origin in [(20, 0), (21, 1), (22, 2)]:
        for column in frame.columns:
            if column != "id":
                frame.loc[target, column] = frame.loc[origin, column]
    return frame


def floats(series: pd.Series) -> pd.Series:
    return series.astype("float64")


def fences_iqr(s: pd.Series, k: float = 1.5):
    q1, q3 = s.quantile(0.25), s.quantile(0.75)
    return q1 - k * (q3 - q1), q3 + k * (q3 - q1)


def fences_mad(s: pd.Series, k: float = 3.5):
    median = s.median()
    mad = (s.dropna() - median).abs().median()
    return median - k * MAD_TO_SIGMA * mad, median + k * MAD_TO_SIGMA * mad


def one_hot(frame: pd.DataFrame, column: str, cap: int) -> pd.DataFrame:
    source = frame[column]
    if source.dtype == "boolean":
        # The engine names boolean categories true / false, as JSON writes them.
        source = source.map({True: "true", False: "false"}, na_action="ignore")
    text = source.astype("string")
    counts = text.value_counts(dropna=True)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    kept = [value for value, _ in ranked[:cap]]
    has_other = len(ranked) > cap
    position = list(frame.columns).index(column)
    out = frame.drop(columns=[column])
    new = {}
    for value in kept:
        new[f"{column}_{value}"] = (text == value).fillna(False).astype("bool")
    if has_other:
        new[f"{column}_other"] = (text.notna() & ~text.isin(kept)).fillna(False).astype("bool")
    for offset, (name, values) in enumerate(new.items()):
        out.insert(position + offset, name, values)
    return out


def sql_filter(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    connection = duckdb.connect()
    numbered = frame.assign(_order=range(len(frame)))
    connection.register("input", numbered)
    result = connection.execute(f"SELECT * FROM input WHERE {where} ORDER BY _order").df()
    result = result.drop(columns=["_order"]).reset_index(drop=True)
    for column in frame.columns:
        result[column] = result[column].astype(frame[column].dtype)
    return result


def cases(base: pd.DataFrame):
    """(name, steps, expected) for every operation, plus multi-step recipes."""
    f = base.copy

    def step(op, **params):
        return {"op": op, **params, "rationale": f"fixture for {op}"}

    yield "drop_columns", [step("drop_columns", columns=["code", "source"])], f().drop(columns=["code", "source"])
    yield "rename", [step("rename", mapping={"city": "town", "qty": "quantity"})], f().rename(
        columns={"city": "town", "qty": "quantity"})
    d = f()
    d["qty"] = floats(d["qty"])
    yield "cast_integer_to_float", [step("cast", column="qty", to="float")], d
    d = f()
    d["code"] = pd.array(
        [int(v.strip()) if v is not None and v.strip().isdigit() else None for v in base["code"].astype(object).where(base["code"].notna(), None)],
        dtype="Int64")
    yield "cast_text_to_integer", [step("cast", column="code", to="integer")], d
    d = f()
    parsed = pd.to_datetime(d["joined"], format="%d/%m/%Y", errors="coerce")
    d["joined"] = pd.Series([None if pd.isna(v) else v.date() for v in parsed], dtype="object")
    yield "parse_dates", [step("parse_dates", column="joined", format="%d/%m/%Y")], d
    d = f()
    d["name"] = d["name"].str.strip()
    yield "trim_whitespace", [step("trim_whitespace", columns=["name"])], d
    d = f()
    d["name"] = d["name"].str.lower()
    yield "normalize_case", [step("normalize_case", columns=["name"], case="lower")], d
    d = f()
    d["city"] = d["city"].astype(object).replace({"Paris": "PAR", "Lille": None}).astype("string")
    yield "replace_values", [step("replace_values", column="city", mapping={"Paris": "PAR", "Lille": None})], d
    d = f()
    d["amount"] = d["amount"].fillna(d["amount"].mean())
    d["qty"] = floats(d["qty"]).fillna(floats(d["qty"]).mean())
    yield "impute_mean", [step("impute", columns=["amount", "qty"], strategy="mean")], d
    d = f()
    d["amount"] = d["amount"].fillna(d["amount"].median())
    yield "impute_median", [step("impute", columns=["amount"], strategy="median")], d
    d = f()
    d["city"] = d["city"].fillna(d["city"].mode().iloc[0])
    d["qty"] = d["qty"].fillna(d["qty"].mode().iloc[0])
    yield "impute_mode", [step("impute", columns=["city", "qty"], strategy="mode")], d
    d = f()
    d["city"] = d["city"].fillna("unknown")
    yield "impute_constant", [step("impute", columns=["city"], strategy="constant", value="unknown")], d
    d = f()
    d["amount"] = d["amount"].ffill()
    d["city"] = d["city"].ffill()
    yield "impute_forward_fill", [step("impute", columns=["amount", "city"], strategy="forward_fill")], d
    yield "drop_nulls_subset", [step("drop_nulls", subset=["city", "amount"])], f().dropna(
        subset=["city", "amount"]).reset_index(drop=True)
    yield "drop_nulls_threshold", [step("drop_nulls", subset=["city", "amount", "qty"], threshold=2)], f().dropna(
        subset=["city", "amount", "qty"], thresh=2).reset_index(drop=True)
    yield "deduplicate_subset", [step("deduplicate", subset=["name", "city"])], f().drop_duplicates(
        subset=["name", "city"], keep="first").reset_index(drop=True)
    yield "deduplicate_all_but_id", [step("drop_columns", columns=["id"]), step("deduplicate")], f().drop(
        columns=["id"]).drop_duplicates(keep="first").reset_index(drop=True)
    d = f()
    lo, hi = fences_iqr(d["amount"])
    d["amount"] = d["amount"].clip(lo, hi)
    yield "clip_iqr", [step("clip_outliers", columns=["amount"], method="iqr")], d
    d = f()
    lo, hi = fences_mad(d["amount"], 3.0)
    d["amount"] = d["amount"].clip(lo, hi)
    yield "clip_mad", [step("clip_outliers", columns=["amount"], method="mad", k=3.0)], d
    d = f()
    s = d["amount"]
    d["amount"] = s.clip(s.quantile(0.05), s.quantile(0.95))
    yield "clip_quantile", [step("clip_outliers", columns=["amount"], method="quantile", lower=0.05, upper=0.95)], d
    d = f()
    d["amount"] = (d["amount"] - d["amount"].mean()) / d["amount"].std(ddof=1)
    q = floats(d["qty"])
    d["qty"] = (q - q.mean()) / q.std(ddof=1)
    yield "standardize", [step("standardize", columns=["amount", "qty"])], d
    d = f()
    s = d["score"]
    d["score"] = (s - s.min()) / (s.max() - s.min())
    yield "min_max_scale", [step("min_max_scale", columns=["score"])], d
    d = f()
    d["score"] = np.log1p(d["score"])
    yield "log1p", [step("log1p", columns=["score"])], d
    yield "one_hot_capped", [step("one_hot", column="city", max_categories=2)], one_hot(f(), "city", 2)
    yield "one_hot_all", [step("one_hot", column="active", max_categories=5)], one_hot(f(), "active", 5)
    predicate = "amount >= 12 and (city = 'Paris' or not active) and qty is not null"
    yield "filter_rows", [step("filter_rows", predicate=predicate)], sql_filter(
        f(), "amount >= 12 AND (city = 'Paris' OR NOT active) AND qty IS NOT NULL")
    d = f()
    constant = [c for c in d.columns if d[c].nunique(dropna=False) <= 1]
    yield "drop_constant_columns", [step("drop_constant_columns")], d.drop(columns=constant)
    # Several steps: a later step uses a column renamed earlier; statistics are taken from the
    # data each step sees (the median after trimming and filtering, not of the input).
    d = f().rename(columns={"city": "town"})
    d["town"] = d["town"].str.strip().str.upper()
    d = sql_filter(d, "town IS NOT NULL AND amount < 100")
    d["amount"] = d["amount"].fillna(d["amount"].median())
    d = d.drop_duplicates(subset=["name", "town"], keep="first").reset_index(drop=True)
    d = one_hot(d, "town", 2)
    yield "multi_step", [
        step("rename", mapping={"city": "town"}),
        step("trim_whitespace", columns=["town"]),
        step("normalize_case", columns=["town"], case="upper"),
        step("filter_rows", predicate="town is not null and amount < 100"),
        step("impute", columns=["amount"], strategy="median"),
        step("deduplicate", subset=["name", "town"]),
        step("one_hot", column="town", max_categories=2),
    ], d


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    base = input_frame()
    base.to_parquet(OUT / "input.parquet", index=False)
    names = []
    for name, steps, expected in cases(base):
        recipe = {"recipe_version": 1, "description": f"reference case {name}", "steps": steps}
        (OUT / f"{name}.recipe.json").write_text(json.dumps(recipe, indent=2) + "\n")
        expected.reset_index(drop=True).to_parquet(OUT / f"{name}.expected.parquet", index=False)
        names.append(name)
    print(f"wrote {len(names)} cases to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
