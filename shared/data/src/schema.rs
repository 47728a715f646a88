//! The schema of a typed dataset: what `schema.json` holds (`schema_version: 1`).

use serde::{Deserialize, Serialize};

/// Version of the `schema.json` contract written by this engine.
pub const SCHEMA_VERSION: u32 = 1;

/// The inferred schema of one dataset version, one entry per column in file order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetSchema {
    /// Always [`SCHEMA_VERSION`] when written by this engine.
    pub schema_version: u32,
    /// Number of data rows (header excluded).
    pub row_count: u64,
    /// The columns in their position order.
    pub columns: Vec<ColumnSchema>,
}

/// What inference concluded about one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnSchema {
    /// Unique column name (empty and duplicate headers are made unique).
    pub name: String,
    /// Zero-based position in the dataset.
    pub position: usize,
    /// The storage type chosen for the column.
    pub logical_type: LogicalType,
    /// A meaning recognised in the values, if any.
    pub semantic_type: Option<SemanticType>,
    /// How the source wrote the values, when a conversion happened (so it can be reversed).
    pub source_format: Option<SourceFormat>,
    /// Whether any value is null after parsing.
    pub nullable: bool,
    /// Number of null values after parsing (null tokens included).
    pub null_count: u64,
    /// Number of non-null source values that did not fit the chosen type.
    pub invalid_count: u64,
    /// Up to five source values that did not fit the chosen type.
    pub invalid_examples: Vec<String>,
    /// Sentences explaining a choice a person may question (ambiguous dates, mixed types).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The storage types a column can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogicalType {
    /// `true` / `false`.
    Boolean,
    /// 64-bit signed integers.
    Integer,
    /// 64-bit floats.
    Float,
    /// Calendar dates.
    Date,
    /// Date and time without an offset.
    Datetime,
    /// Date and time with a UTC offset, stored as UTC.
    DatetimeTz,
    /// Anything else, kept as text.
    String,
}

/// Meanings recognised in column values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SemanticType {
    /// E-mail addresses.
    Email,
    /// http(s) URLs.
    Url,
    /// UUIDs in the 8-4-4-4-12 form.
    Uuid,
    /// IPv4 or IPv6 addresses.
    IpAddress,
    /// Amounts written with a currency symbol.
    Currency,
    /// Numbers written with a `%` sign.
    Percent,
    /// Numbers written with thousands separators.
    FormattedNumber,
}

/// How the source wrote a converted column, so the conversion is documented and reversible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SourceFormat {
    /// The date/time pattern in chrono/strftime syntax, for parsed dates and datetimes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_pattern: Option<String>,
    /// The currency symbol that was stripped, such as `$` or `€`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_symbol: Option<String>,
    /// Whether a trailing `%` was stripped (the number is kept in percent units: `12.5%` -> 12.5).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub percent: bool,
    /// The thousands separator that was stripped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thousands_separator: Option<String>,
    /// The decimal separator of the source when it was not `.`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decimal_separator: Option<String>,
    /// Whether the values were numbers stored as text (XLSX) or quoted in JSON.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub numbers_as_text: bool,
}
