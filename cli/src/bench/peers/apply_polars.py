# The ten steps of the committed benchmark recipe (recipe.json), in order, with Python polars.
import polars as pl


def iqr_fences(frame, name, k):
    q1 = frame[name].quantile(0.25, interpolation="linear")
    q3 = frame[name].quantile(0.75, interpolation="linear")
    return q1 - k * (q3 - q1), q3 + k * (q3 - q1)


def one_hot(frame, name, max_categories):
    # Most frequent first, ties by value; the rest go to `<name>_other`, as the engine does.
    counts = frame[name].drop_nulls().value_counts().sort(["count", name], descending=[True, False])
    kept = counts[name].head(max_categories).to_list()
    text = pl.col(name).cast(pl.String)
    indicators = [(text == value).fill_null(False).alias(f"{name}_{value}") for value in kept]
    if counts.height > max_categories:
        indicators.append(
            (text.is_not_null() & ~text.is_in(kept)).fill_null(False).alias(f"{name}_other")
        )
    position = frame.columns.index(name)
    encoded = frame.with_columns(indicators).drop(name)
    names = [i.meta.output_name() for i in indicators]
    rest = [c for c in encoded.columns if c not in names]
    return encoded.select(rest[:position] + names + rest[position:])


def job(source, out):
    frame = pl.read_parquet(source)
    frame = frame.with_columns(pl.col("comment").str.strip_chars())
    frame = frame.with_columns(pl.col("country").str.to_lowercase())
    frame = frame.with_columns(pl.col("amount").fill_null(pl.col("amount").median()))
    frame = frame.with_columns(pl.col("score").fill_null(pl.col("score").median()))
    frame = frame.unique(maintain_order=True)
    low, high = iqr_fences(frame, "amount", 1.5)
    frame = frame.with_columns(pl.col("amount").clip(low, high))
    frame = frame.with_columns(
        ((pl.col(c) - pl.col(c).mean()) / pl.col(c).std(ddof=1)) for c in ["score", "latitude"]
    )
    frame = one_hot(frame, "category", 5)
    frame = frame.filter(pl.col("age").is_not_null() & (pl.col("rating") >= 2))
    frame = frame.with_columns(pl.col("rating").cast(pl.Float64))
    frame.write_parquet(out, compression="zstd")
