//! `ida parse FILE`: read a file, infer its schema, print the schema as a table (or the rows as
//! JSON), and optionally write `data.parquet` and `schema.json`.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use ida_data::dataset::{TypedDataset, read_path, write_parquet_file, write_schema_json};
use ida_data::read::{
    HeaderMode, InputFormat, Quoting, RaggedRows, ReadOptions, ReadReport, SheetChoice,
    TextEncoding,
};
use ida_data::schema::{DatasetSchema, LogicalType, SemanticType};
use polars::prelude::{AnyValue, Column, DataFrame, DataType, IntoColumn};

/// Arguments of `ida parse`.
#[derive(Debug, Args)]
pub struct ParseArgs {
    /// The file to read.
    file: PathBuf,
    /// The file's format; sniffed from the bytes when not given (a mismatch is an error).
    #[arg(long, value_enum)]
    input_format: Option<FormatArg>,
    /// The worksheet to read, by name (default: the first non-empty sheet).
    #[arg(long, conflicts_with = "sheet_index")]
    sheet: Option<String>,
    /// The worksheet to read, by zero-based position.
    #[arg(long)]
    sheet_index: Option<usize>,
    /// The CSV delimiter (one character); sniffed among , ; tab | when not given.
    #[arg(long)]
    delimiter: Option<char>,
    /// Whether the first row is a header.
    #[arg(long, value_enum, default_value = "detect")]
    header: HeaderArg,
    /// Text encoding when the file has no byte order mark.
    #[arg(long, value_enum, default_value = "auto")]
    encoding: EncodingArg,
    /// Whether CSV fields may be quoted (rfc4180) or quotes are plain characters (none).
    #[arg(long, value_enum, default_value = "rfc4180")]
    quoting: QuotingArg,
    /// What to do with CSV rows that have the wrong number of fields.
    #[arg(long, value_enum, default_value = "error")]
    ragged_rows: RaggedArg,
    /// Write the typed data as Parquet to this path.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write the schema as JSON to this path.
    #[arg(long)]
    schema_out: Option<PathBuf>,
    /// Print the parsed rows to stdout instead of the schema table.
    #[arg(long, value_enum)]
    rows: Option<RowsArg>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    Csv,
    Tsv,
    Xlsx,
    Xls,
    Xlsb,
    Ods,
    Json,
    Ndjson,
    Parquet,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum HeaderArg {
    Detect,
    Yes,
    No,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum EncodingArg {
    Auto,
    Utf8,
    Windows1252,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum QuotingArg {
    Rfc4180,
    None,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RaggedArg {
    Error,
    Pad,
    Skip,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RowsArg {
    Json,
}

impl ParseArgs {
    fn read_options(&self) -> anyhow::Result<ReadOptions> {
        let delimiter = match self.delimiter {
            None => None,
            Some(ch) => Some(
                u8::try_from(ch)
                    .ok()
                    .filter(u8::is_ascii)
                    .context("--delimiter must be one ASCII character")?,
            ),
        };
        Ok(ReadOptions {
            format: self.input_format.map(|format| match format {
                FormatArg::Csv => InputFormat::Csv,
                FormatArg::Tsv => InputFormat::Tsv,
                FormatArg::Xlsx => InputFormat::Xlsx,
                FormatArg::Xls => InputFormat::Xls,
                FormatArg::Xlsb => InputFormat::Xlsb,
                FormatArg::Ods => InputFormat::Ods,
                FormatArg::Json => InputFormat::Json,
                FormatArg::Ndjson => InputFormat::Ndjson,
                FormatArg::Parquet => InputFormat::Parquet,
            }),
            delimiter,
            header: match self.header {
                HeaderArg::Detect => HeaderMode::Detect,
                HeaderArg::Yes => HeaderMode::Present,
                HeaderArg::No => HeaderMode::Absent,
            },
            encoding: match self.encoding {
                EncodingArg::Auto => TextEncoding::Auto,
                EncodingArg::Utf8 => TextEncoding::Utf8,
                EncodingArg::Windows1252 => TextEncoding::Windows1252,
            },
            ragged_rows: match self.ragged_rows {
                RaggedArg::Error => RaggedRows::Error,
                RaggedArg::Pad => RaggedRows::Pad,
                RaggedArg::Skip => RaggedRows::Skip,
            },
            quoting: match self.quoting {
                QuotingArg::Rfc4180 => Quoting::Rfc4180,
                QuotingArg::None => Quoting::None,
            },
            sheet: match (&self.sheet, self.sheet_index) {
                (Some(name), _) => Some(SheetChoice::Name(name.clone())),
                (None, Some(index)) => Some(SheetChoice::Index(index)),
                (None, None) => None,
            },
            ..ReadOptions::default()
        })
    }
}

/// Runs `ida parse`.
pub fn run(args: &ParseArgs) -> anyhow::Result<()> {
    let options = args.read_options()?;
    let dataset = read_path(&args.file, &options)?;
    if let Some(path) = &args.out {
        write_parquet_file(&dataset.frame, path)?;
    }
    if let Some(path) = &args.schema_out {
        write_schema_json(&dataset.schema, path)?;
    }
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match args.rows {
        Some(RowsArg::Json) => write_rows_json(&dataset.frame, &mut out)?,
        None => write_summary(&args.file, &dataset, &mut out)?,
    }
    out.flush()?;
    Ok(())
}

fn write_summary(
    file: &std::path::Path,
    dataset: &TypedDataset,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    writeln!(
        out,
        "{}: {}",
        file.display(),
        describe_report(&dataset.report, &dataset.schema)
    )?;
    for note in &dataset.report.notes {
        writeln!(out, "note: {note}")?;
    }
    write_schema_table(&dataset.schema, out)?;
    for column in &dataset.schema.columns {
        for note in &column.notes {
            writeln!(out, "note: {}: {note}", column.name)?;
        }
    }
    Ok(())
}

fn describe_report(report: &ReadReport, schema: &DatasetSchema) -> String {
    let mut parts = vec![report.format.name().to_owned()];
    if let Some(encoding) = &report.encoding {
        parts.push(encoding.clone());
    }
    if let Some(delimiter) = report.delimiter {
        let shown = if delimiter == '\t' {
            "tab".to_owned()
        } else {
            format!("'{delimiter}'")
        };
        parts.push(format!("delimiter {shown}"));
    }
    if let Some(sheet) = &report.sheet {
        parts.push(format!("sheet {sheet:?} of {}", report.sheets.len()));
    }
    parts.push(if report.header_detected {
        "header".to_owned()
    } else {
        "no header".to_owned()
    });
    parts.push(format!(
        "{} rows, {} columns",
        schema.row_count,
        schema.columns.len()
    ));
    for (count, what) in [
        (report.rows_padded, "rows padded"),
        (report.rows_skipped, "rows skipped"),
        (report.blank_lines_skipped, "blank lines skipped"),
        (report.error_cells, "error cells as null"),
    ] {
        if count > 0 {
            parts.push(format!("{count} {what}"));
        }
    }
    parts.join(", ")
}

fn type_name(logical_type: LogicalType) -> &'static str {
    match logical_type {
        LogicalType::Boolean => "boolean",
        LogicalType::Integer => "integer",
        LogicalType::Float => "float",
        LogicalType::Date => "date",
        LogicalType::Datetime => "datetime",
        LogicalType::DatetimeTz => "datetime_tz",
        LogicalType::String => "string",
    }
}

fn semantic_name(semantic: Option<SemanticType>) -> &'static str {
    match semantic {
        None => "-",
        Some(SemanticType::Email) => "email",
        Some(SemanticType::Url) => "url",
        Some(SemanticType::Uuid) => "uuid",
        Some(SemanticType::IpAddress) => "ip_address",
        Some(SemanticType::Currency) => "currency",
        Some(SemanticType::Percent) => "percent",
        Some(SemanticType::FormattedNumber) => "formatted_number",
    }
}

fn write_schema_table(schema: &DatasetSchema, out: &mut impl Write) -> io::Result<()> {
    let header = ["name", "type", "semantic", "nulls", "invalid"];
    let rows: Vec<[String; 5]> = schema
        .columns
        .iter()
        .map(|column| {
            [
                column.name.clone(),
                type_name(column.logical_type).to_owned(),
                semantic_name(column.semantic_type).to_owned(),
                column.null_count.to_string(),
                column.invalid_count.to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 5]| {
        let mut text = String::new();
        for (index, (cell, width)) in cells.iter().zip(widths).enumerate() {
            let numeric = index >= 3;
            let padded = if numeric {
                format!("{cell:>width$}")
            } else {
                format!("{cell:<width$}")
            };
            if index > 0 {
                text.push_str("  ");
            }
            text.push_str(&padded);
        }
        text.trim_end().to_owned()
    };
    writeln!(out, "{}", line(header))?;
    for row in &rows {
        writeln!(
            out,
            "{}",
            line([&row[0], &row[1], &row[2], &row[3], &row[4]])
        )?;
    }
    Ok(())
}

/// Writes the rows as one JSON array of objects (keys in column order); dates and datetimes as
/// ISO 8601 text, nulls as `null`, non-finite floats as `null`.
fn write_rows_json(frame: &DataFrame, out: &mut impl Write) -> anyhow::Result<()> {
    let columns: Vec<Column> = frame
        .columns()
        .iter()
        .map(iso_text_for_temporal)
        .collect::<anyhow::Result<_>>()?;
    let keys: Vec<String> = columns
        .iter()
        .map(|column| serde_json::to_string(column.name().as_str()))
        .collect::<Result<_, _>>()?;
    out.write_all(b"[")?;
    for row in 0..frame.height() {
        out.write_all(if row == 0 { b"\n  {" } else { b",\n  {" })?;
        for (index, (column, key)) in columns.iter().zip(&keys).enumerate() {
            if index > 0 {
                out.write_all(b", ")?;
            }
            write!(out, "{key}: ")?;
            write_value(&column.get(row)?, out)?;
        }
        out.write_all(b"}")?;
    }
    out.write_all(if frame.height() == 0 {
        b"]\n"
    } else {
        b"\n]\n"
    })?;
    Ok(())
}

fn iso_text_for_temporal(column: &Column) -> anyhow::Result<Column> {
    let text = match column.dtype() {
        DataType::Date => column.date()?.to_string("%Y-%m-%d")?,
        DataType::Datetime(_, None) => column.datetime()?.to_string("%Y-%m-%dT%H:%M:%S%.f")?,
        DataType::Datetime(_, Some(_)) => {
            column.datetime()?.to_string("%Y-%m-%dT%H:%M:%S%.f%:z")?
        }
        _ => return Ok(column.clone()),
    };
    Ok(text.into_column())
}

fn write_value(value: &AnyValue<'_>, out: &mut impl Write) -> anyhow::Result<()> {
    let json = match value {
        AnyValue::Null => serde_json::Value::Null,
        AnyValue::Boolean(flag) => serde_json::Value::Bool(*flag),
        AnyValue::String(text) => serde_json::Value::String((*text).to_owned()),
        AnyValue::StringOwned(text) => serde_json::Value::String(text.to_string()),
        AnyValue::Int8(n) => (*n).into(),
        AnyValue::Int16(n) => (*n).into(),
        AnyValue::Int32(n) => (*n).into(),
        AnyValue::Int64(n) => (*n).into(),
        AnyValue::UInt8(n) => (*n).into(),
        AnyValue::UInt16(n) => (*n).into(),
        AnyValue::UInt32(n) => (*n).into(),
        AnyValue::UInt64(n) => (*n).into(),
        AnyValue::Float32(n) => {
            serde_json::Number::from_f64(f64::from(*n)).map_or(serde_json::Value::Null, Into::into)
        }
        AnyValue::Float64(n) => {
            serde_json::Number::from_f64(*n).map_or(serde_json::Value::Null, Into::into)
        }
        other => serde_json::Value::String(other.to_string()),
    };
    serde_json::to_writer(&mut *out, &json)?;
    Ok(())
}
