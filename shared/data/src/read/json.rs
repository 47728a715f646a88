//! JSON readers: an array of objects, or JSON Lines (one object after another). Nested objects
//! are flattened to dotted names (`address.city`); arrays are kept as compact JSON text; numbers
//! keep their source text exactly (so integers beyond 64 bits survive); `null` is a null cell;
//! booleans are `true` / `false`. Columns are the union of keys in first-seen order.

use std::collections::HashMap;
use std::fmt;

use polars::prelude::*;
use serde::Deserialize;
use serde::de::{MapAccess, Visitor};
use serde_json::value::RawValue;

use super::names::unique_names;
use super::{InputFormat, RawTable, ReadLimits, ReadOptions, ReadReport, TextEncoding, encoding};
use crate::error::{DataError, Result};

/// Reads JSON (`format` is `Json` or `Ndjson`) into a [`RawTable`].
pub(super) fn read(
    bytes: &[u8],
    name: &str,
    format: InputFormat,
    options: &ReadOptions,
) -> Result<RawTable> {
    // RFC 8259: JSON exchanged between systems is UTF-8; a forced Windows-1252 is honoured.
    let choice = match options.encoding {
        TextEncoding::Windows1252 => TextEncoding::Windows1252,
        TextEncoding::Auto | TextEncoding::Utf8 => TextEncoding::Utf8,
    };
    let decoded = encoding::decode(bytes, name, choice)?;
    let text = std::str::from_utf8(&decoded.text).map_err(|error| DataError::InvalidEncoding {
        name: name.to_owned(),
        encoding: "utf-8".to_owned(),
        line: super::line_of(&decoded.text, error.valid_up_to()),
        offset: error.valid_up_to() as u64,
    })?;
    let mut report = ReadReport::new(format);
    report.encoding = Some(decoded.encoding.to_owned());
    let mut columns = Columns::new(options.limits, name);
    let mut record_number: u64 = 0;
    let mut add = |raw: &RawValue| -> Result<()> {
        record_number += 1;
        columns.add_record(raw, text, record_number)
    };
    if format == InputFormat::Json {
        let records: Vec<&RawValue> =
            serde_json::from_str(text).map_err(|error| json_error(name, &error))?;
        for raw in records {
            add(raw)?;
        }
    } else {
        for item in serde_json::Deserializer::from_str(text).into_iter::<&RawValue>() {
            add(item.map_err(|error| json_error(name, &error))?)?;
        }
    }
    if columns.rows == 0 {
        return Err(DataError::EmptyInput {
            name: name.to_owned(),
        });
    }
    report.rows = columns.rows as u64;
    let frame = columns.into_frame()?;
    Ok(RawTable { frame, report })
}

fn json_error(name: &str, error: &serde_json::Error) -> DataError {
    let message = error.to_string();
    let detail = message
        .split(" at line ")
        .next()
        .unwrap_or(message.as_str())
        .to_owned();
    DataError::InvalidJson {
        name: name.to_owned(),
        line: error.line() as u64,
        column: error.column() as u64,
        detail,
    }
}

/// The text columns being built, one entry per distinct flattened key.
struct Columns<'n> {
    name: &'n str,
    limits: ReadLimits,
    index: HashMap<String, usize>,
    names: Vec<String>,
    cells: Vec<Vec<Option<String>>>,
    rows: usize,
}

impl<'n> Columns<'n> {
    fn new(limits: ReadLimits, name: &'n str) -> Self {
        Columns {
            name,
            limits,
            index: HashMap::new(),
            names: Vec::new(),
            cells: Vec::new(),
            rows: 0,
        }
    }

    fn add_record(&mut self, raw: &RawValue, text: &str, record: u64) -> Result<()> {
        let source = raw.get();
        if !source.starts_with('{') {
            let offset = (source.as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
            return Err(DataError::JsonNotObject {
                name: self.name.to_owned(),
                line: super::line_of(text.as_bytes(), offset),
                record,
                found: kind_of(source).to_owned(),
            });
        }
        let mut fields = Vec::new();
        self.flatten(source, "", record, &mut fields)?;
        let row = self.rows;
        for (key, value) in fields {
            let column = match self.index.get(&key) {
                Some(&column) => column,
                None => self.new_column(key, row)?,
            };
            if let Some(cells) = self.cells.get_mut(column) {
                // A key repeated in one object: the last value wins, as in most JSON parsers.
                if cells.len() > row {
                    cells.truncate(row);
                }
                cells.push(value);
            }
        }
        self.rows += 1;
        for cells in &mut self.cells {
            cells.resize(self.rows, None);
        }
        Ok(())
    }

    fn new_column(&mut self, key: String, row: usize) -> Result<usize> {
        if self.names.len() >= self.limits.max_columns {
            return Err(DataError::TooManyColumns {
                name: self.name.to_owned(),
                found: self.names.len() + 1,
                limit: self.limits.max_columns,
            });
        }
        let column = self.names.len();
        self.index.insert(key.clone(), column);
        self.names.push(key);
        self.cells.push(vec![None; row]);
        Ok(column)
    }

    fn flatten(
        &self,
        object: &str,
        prefix: &str,
        record: u64,
        out: &mut Vec<(String, Option<String>)>,
    ) -> Result<()> {
        let entries: RawObject<'_> =
            serde_json::from_str(object).map_err(|error| json_error(self.name, &error))?;
        if entries.0.is_empty() && !prefix.is_empty() {
            out.push((
                prefix.trim_end_matches('.').to_owned(),
                Some("{}".to_owned()),
            ));
            return Ok(());
        }
        for (key, raw) in entries.0 {
            let path = format!("{prefix}{key}");
            let source = raw.get();
            let value = match source.as_bytes().first() {
                Some(b'{') => {
                    self.flatten(source, &format!("{path}."), record, out)?;
                    continue;
                }
                Some(b'[') => Some(compact(source)),
                Some(b'"') => Some(
                    serde_json::from_str::<String>(source)
                        .map_err(|error| json_error(self.name, &error))?,
                ),
                Some(b'n') => None,
                // Booleans and numbers: the source text (`true`, `-12.50`, `1e400`).
                _ => Some(source.to_owned()),
            };
            if value
                .as_ref()
                .is_some_and(|v| v.len() > self.limits.max_cell_bytes)
            {
                return Err(DataError::CellTooLarge {
                    name: self.name.to_owned(),
                    place: format!("record {record}, field {path}"),
                    limit: self.limits.max_cell_bytes,
                });
            }
            out.push((path, value));
        }
        Ok(())
    }

    fn into_frame(self) -> Result<DataFrame> {
        let names = unique_names(&self.names);
        let columns: Vec<Column> = names
            .into_iter()
            .zip(self.cells)
            .map(|(name, cells)| Column::new(name.into(), cells))
            .collect();
        Ok(DataFrame::new(self.rows, columns)?)
    }
}

fn kind_of(source: &str) -> &'static str {
    match source.as_bytes().first() {
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b'n') => "null",
        Some(b't' | b'f') => "a boolean",
        _ => "a number",
    }
}

/// JSON text without the whitespace between tokens; strings and numbers are left untouched.
fn compact(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut in_string = false;
    let mut escaped = false;
    for ch in source.chars() {
        if in_string {
            out.push(ch);
            if escaped {
                escaped = false;
            } else if ch == '\\' {
                escaped = true;
            } else if ch == '"' {
                in_string = false;
            }
        } else if ch == '"' {
            in_string = true;
            out.push(ch);
        } else if !ch.is_ascii_whitespace() {
            out.push(ch);
        }
    }
    out
}

/// An object's entries in source order, values left as raw JSON text.
struct RawObject<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for RawObject<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = RawObject<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some((key, value)) = map.next_entry::<String, &'de RawValue>()? {
                    entries.push((key, value));
                }
                Ok(RawObject(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str, format: InputFormat) -> DataFrame {
        read(text.as_bytes(), "t.json", format, &ReadOptions::default())
            .unwrap()
            .frame
    }

    fn cells(frame: &DataFrame, column: &str) -> Vec<Option<String>> {
        frame
            .column(column)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.map(str::to_owned))
            .collect()
    }

    #[test]
    fn nested_objects_flatten_and_keys_union_in_order() {
        let frame = table(
            r#"[{"id": 1, "address": {"city": "Lyon", "geo": {"lat": 45.75}}},
                {"id": 2, "tags": ["a", "b"], "address": {"city": null}}]"#,
            InputFormat::Json,
        );
        let names: Vec<&str> = frame
            .get_column_names()
            .iter()
            .map(|n| n.as_str())
            .collect();
        assert_eq!(names, ["id", "address.city", "address.geo.lat", "tags"]);
        assert_eq!(
            cells(&frame, "address.city"),
            [Some("Lyon".to_owned()), None]
        );
        assert_eq!(
            cells(&frame, "tags"),
            [None, Some(r#"["a","b"]"#.to_owned())]
        );
        assert_eq!(
            cells(&frame, "address.geo.lat"),
            [Some("45.75".to_owned()), None]
        );
    }

    #[test]
    fn numbers_keep_their_source_text() {
        let frame = table(
            "{\"n\": 123456789012345678901234567890, \"f\": 1.50, \"b\": true}\n{\"n\": -1e3}\n",
            InputFormat::Ndjson,
        );
        assert_eq!(
            cells(&frame, "n"),
            [
                Some("123456789012345678901234567890".to_owned()),
                Some("-1e3".to_owned())
            ]
        );
        assert_eq!(cells(&frame, "f"), [Some("1.50".to_owned()), None]);
        assert_eq!(cells(&frame, "b"), [Some("true".to_owned()), None]);
    }

    #[test]
    fn a_record_that_is_not_an_object_names_its_line() {
        let err = read(
            b"{\"a\":1}\n\n[1,2]\n",
            "t.ndjson",
            InputFormat::Ndjson,
            &ReadOptions::default(),
        )
        .unwrap_err();
        assert_eq!(err.code(), "json_not_object");
        assert!(err.to_string().contains("line 3"), "{err}");
    }

    #[test]
    fn malformed_json_names_line_and_column() {
        let err = read(
            b"[{\"a\":1},\n{\"a\":}]",
            "t.json",
            InputFormat::Json,
            &ReadOptions::default(),
        )
        .unwrap_err();
        assert_eq!(err.code(), "invalid_json");
        assert!(err.to_string().contains("line 2, column 6"), "{err}");
    }

    #[test]
    fn compact_keeps_strings_intact() {
        assert_eq!(
            compact("[ 1, \"a b\\\" c\" , {\"k\" : 2} ]"),
            "[1,\"a b\\\" c\",{\"k\":2}]"
        );
    }
}
