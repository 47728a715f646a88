import polars as pl


def job(source, out):
    pl.read_csv(source).write_parquet(out, compression="zstd")
