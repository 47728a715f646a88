# The profile numbers DuckDB's SQL computes directly. Not computed: Spearman, Cramér's V and
# MAD outliers (DuckDB has no built-in for them). The profile is kept in memory, as the
# engine's stage keeps its report; `out` is unused.
import duckdb

NUMERIC = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
    "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE",
}
TEMPORAL = {"DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_NS", "TIMESTAMP_MS"}
MAX_BINS = 200


def quoted(name):
    return '"' + name.replace('"', '""') + '"'


def numeric_profile(con, c):
    (count, nulls, distinct, mean, std, lo, hi, quartiles, skew, kurt, zeros, negatives) = con.execute(
        f"SELECT count({c}), count(*) - count({c}), count(DISTINCT {c}), avg({c}), "
        f"stddev_samp({c}), min({c}), max({c}), quantile_cont({c}, [0.25, 0.5, 0.75]), "
        f"skewness({c}), kurtosis({c}), count_if({c} = 0), count_if({c} < 0) FROM t"
    ).fetchone()
    stats = dict(count=count, nulls=nulls, distinct=distinct, mean=mean, std=std, min=lo,
                 max=hi, quartiles=quartiles, skewness=skew, kurtosis=kurt, zeros=zeros,
                 negatives=negatives)
    if count == 0:
        return stats
    q1, _, q3 = quartiles
    iqr = q3 - q1
    stats["iqr_outliers"] = con.execute(
        f"SELECT count_if({c} < ? OR {c} > ?) FROM t", [q1 - 1.5 * iqr, q3 + 1.5 * iqr]
    ).fetchone()[0]
    # The engine's bin count: Freedman-Diaconis, capped at MAX_BINS equal-width bins.
    width = 2.0 * iqr * count ** (-1.0 / 3.0)
    bins = 1 if width == 0 else max(1, min(MAX_BINS, int(-(-(hi - lo) // width))))
    span = (hi - lo) or 1.0
    stats["histogram"] = con.execute(
        f"SELECT least(floor(({c} - ?) * ? / ?)::BIGINT, ? - 1) AS bin, count(*) "
        f"FROM t WHERE {c} IS NOT NULL GROUP BY bin ORDER BY bin",
        [lo, bins, span, bins],
    ).fetchall()
    return stats


def categorical_profile(con, c, text):
    lengths = f", min(length({c})), avg(length({c})), max(length({c}))" if text else ""
    stats = {"summary": con.execute(f"SELECT count(DISTINCT {c}){lengths} FROM t").fetchone()}
    stats["top"] = con.execute(
        f"SELECT {c}, count(*) AS n FROM t WHERE {c} IS NOT NULL "
        f"GROUP BY {c} ORDER BY n DESC, {c} LIMIT 10"
    ).fetchall()
    return stats


def temporal_profile(con, c):
    return {
        "range": con.execute(f"SELECT min({c}), max({c}) FROM t").fetchone(),
        "months": con.execute(
            f"SELECT date_trunc('month', {c}) AS month, count(*) FROM t "
            f"WHERE {c} IS NOT NULL GROUP BY month ORDER BY month"
        ).fetchall(),
    }


def job(source, out):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_parquet('{source}')")
    columns = [(row[0], row[1]) for row in con.execute("DESCRIBE t").fetchall()]
    profile = {}
    numeric = []
    for name, kind in columns:
        c = quoted(name)
        if kind in NUMERIC or kind.startswith("DECIMAL"):
            numeric.append(c)
            profile[name] = numeric_profile(con, c)
        elif kind in TEMPORAL:
            profile[name] = temporal_profile(con, c)
        else:
            profile[name] = categorical_profile(con, c, kind == "VARCHAR")
    profile["_duplicate_rows"] = con.execute(
        "SELECT (SELECT count(*) FROM t) - (SELECT count(*) FROM (SELECT DISTINCT * FROM t))"
    ).fetchone()[0]
    pairs = [(a, b) for i, a in enumerate(numeric) for b in numeric[i + 1:]]
    if pairs:
        profile["_pearson"] = con.execute(
            "SELECT " + ", ".join(f"corr({a}, {b})" for a, b in pairs) + " FROM t"
        ).fetchone()
    return profile
