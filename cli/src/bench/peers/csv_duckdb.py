import duckdb


def job(source, out):
    duckdb.sql(
        f"COPY (SELECT * FROM read_csv('{source}')) TO '{out}' (FORMAT parquet, COMPRESSION zstd)"
    )
