# The numbers the engine's profile computes, the way pandas, numpy and scipy compute them.
# The profile is kept in memory, as the engine's stage keeps its report; `out` is unused.
import numpy as np
import pandas as pd
from scipy.stats.contingency import association

MAX_BINS = 200
TOP_VALUES = 10
CRAMERS_V_MAX_DISTINCT = 100


def histogram(values, q1, q3):
    # numpy's bins='fd', falling back to MAX_BINS equal-width bins as the engine does
    # (numpy alone would allocate however many bins FD asks for).
    lo, hi = values.min(), values.max()
    width = 2.0 * (q3 - q1) * len(values) ** (-1.0 / 3.0)
    wanted = np.ceil((hi - lo) / width) if width > 0 else 1
    return np.histogram(values, bins="fd" if wanted <= MAX_BINS else MAX_BINS)


def numeric_profile(series):
    x = series.astype("float64")
    values = x.dropna().to_numpy()
    stats = {"count": len(values), "nulls": int(x.isna().sum()), "distinct": x.nunique()}
    if len(values) == 0:
        return stats
    q1, median, q3 = np.quantile(values, [0.25, 0.5, 0.75])
    iqr = q3 - q1
    mad = np.median(np.abs(values - median))
    stats.update(
        mean=values.mean(), std=x.std(), min=values.min(), max=values.max(),
        quartiles=(q1, median, q3), skewness=x.skew(), kurtosis=x.kurt(),
        zeros=int((values == 0).sum()), negatives=int((values < 0).sum()),
        iqr_outliers=int(((values < q1 - 1.5 * iqr) | (values > q3 + 1.5 * iqr)).sum()),
        mad=mad,
        mad_outliers=int((np.abs(0.6745 * (values - median) / mad) > 3.5).sum()) if mad else 0,
        histogram=histogram(values, q1, q3),
    )
    return stats


def categorical_profile(series, text):
    stats = {"distinct": series.nunique(), "top": series.value_counts().head(TOP_VALUES)}
    if text:
        lengths = series.str.len()
        stats.update(length_min=lengths.min(), length_mean=lengths.mean(), length_max=lengths.max())
    return stats


def temporal_profile(series):
    months = (series.dt.year * 100 + series.dt.month).value_counts().sort_index()
    return {"min": series.min(), "max": series.max(), "months": months}


def cramers_v(frame, columns):
    small = [c for c in columns if frame[c].nunique() <= CRAMERS_V_MAX_DISTINCT]
    result = {}
    for i, a in enumerate(small):
        for b in small[i + 1:]:
            table = pd.crosstab(frame[a], frame[b]).to_numpy()
            if min(table.shape) >= 2:
                result[(a, b)] = association(table, method="cramer")
    return result


def job(source, out):
    frame = pd.read_parquet(source)
    profile = {}
    numeric, categorical = [], []
    for name in frame.columns:
        series = frame[name]
        # Nullable booleans and Parquet dates arrive as Python objects.
        inferred = pd.api.types.infer_dtype(series, skipna=True) if series.dtype == object else ""
        if inferred == "date":
            series = pd.to_datetime(series)
        if inferred == "boolean" or pd.api.types.is_bool_dtype(series):
            categorical.append(name)
            profile[name] = categorical_profile(series, text=False)
        elif pd.api.types.is_numeric_dtype(series):
            numeric.append(name)
            profile[name] = numeric_profile(series)
        elif pd.api.types.is_datetime64_any_dtype(series):
            profile[name] = temporal_profile(series)
        else:
            categorical.append(name)
            profile[name] = categorical_profile(series, text=True)
    profile["_duplicate_rows"] = int(frame.duplicated().sum())
    profile["_pearson"] = frame[numeric].corr(method="pearson")
    profile["_spearman"] = frame[numeric].corr(method="spearman")
    profile["_cramers_v"] = cramers_v(frame, categorical)
    return profile
