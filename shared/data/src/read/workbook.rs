//! Workbooks (XLSX, XLSB, XLS, ODS) through calamine: choose a sheet, read cached formula
//! values, write every cell as text (numbers in shortest round-trip form, Excel serial dates as
//! ISO dates or datetimes, error cells as nulls with a count) and find the header row.
//!
//! XLSX and XLSB cells are streamed, so a sheet whose used range is huge but sparse costs only
//! its cells; zip-based workbooks pass the archive limits before calamine sees them.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use calamine::{Data, Ods, Reader, Xls, Xlsb, Xlsx, open_workbook_from_rs};
use polars::prelude::*;

use super::names::{positional_names, unique_names};
use super::{
    HeaderMode, InputFormat, RawTable, ReadLimits, ReadOptions, ReadReport, SheetChoice, archive,
};
use crate::error::{DataError, Result};

type Source<'a> = Cursor<&'a [u8]>;

enum Book<'a> {
    Xlsx(Xlsx<Source<'a>>),
    Xlsb(Xlsb<Source<'a>>),
    Xls(Xls<Source<'a>>),
    Ods(Ods<Source<'a>>),
}

/// One non-empty cell: zero-based row and column, its text (None for an error cell) and
/// whether the workbook stored it as text.
struct SheetCell {
    row: u32,
    column: u32,
    text: Option<String>,
    is_text: bool,
}

/// Reads one sheet of a workbook into a [`RawTable`].
pub(super) fn read(
    bytes: &[u8],
    name: &str,
    format: InputFormat,
    options: &ReadOptions,
) -> Result<RawTable> {
    guarded(name, || read_unguarded(bytes, name, format, options))
}

/// Lists the sheets of a workbook.
pub(super) fn sheet_names(
    bytes: &[u8],
    name: &str,
    format: InputFormat,
    limits: &ReadLimits,
) -> Result<Vec<String>> {
    guarded(
        name,
        || Ok(open(bytes, name, format, limits)?.sheet_names()),
    )
}

/// calamine is not written for hostile input; a panic inside it becomes a corrupt-workbook error
/// instead of bringing the process down (where panics unwind, as in tests and the CLI).
fn guarded<T>(name: &str, work: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|_| {
        Err(DataError::CorruptWorkbook {
            name: name.to_owned(),
            detail: "the workbook reader failed on this file".to_owned(),
        })
    })
}

fn read_unguarded(
    bytes: &[u8],
    name: &str,
    format: InputFormat,
    options: &ReadOptions,
) -> Result<RawTable> {
    let mut book = open(bytes, name, format, &options.limits)?;
    let sheets = book.sheet_names();
    let mut report = ReadReport::new(format);
    report.sheets = sheets.clone();
    let (sheet, cells) = match &options.sheet {
        Some(choice) => {
            let sheet = find_sheet(choice, &sheets, name)?;
            let cells = book.cells(&sheet, name, &options.limits)?;
            (sheet, cells)
        }
        None => first_non_empty(&mut book, &sheets, name, &options.limits)?,
    };
    report.sheet = Some(sheet.clone());
    if cells.is_empty() {
        return Err(DataError::EmptyInput {
            name: format!("{name} (sheet {sheet})"),
        });
    }
    report.error_cells = cells.iter().filter(|cell| cell.text.is_none()).count() as u64;
    let frame = to_frame(cells, options.header, &mut report)?;
    Ok(RawTable { frame, report })
}

fn open<'a>(
    bytes: &'a [u8],
    name: &str,
    format: InputFormat,
    limits: &ReadLimits,
) -> Result<Book<'a>> {
    let corrupt = |detail: String| DataError::CorruptWorkbook {
        name: name.to_owned(),
        detail,
    };
    if format != InputFormat::Xls {
        archive::check_zip(bytes, name, limits)?;
    }
    let source = Cursor::new(bytes);
    Ok(match format {
        InputFormat::Xlsb => {
            Book::Xlsb(open_workbook_from_rs(source).map_err(|e| corrupt(format!("{e}")))?)
        }
        InputFormat::Xls => {
            Book::Xls(open_workbook_from_rs(source).map_err(|e| corrupt(format!("{e}")))?)
        }
        InputFormat::Ods => {
            Book::Ods(open_workbook_from_rs(source).map_err(|e| corrupt(format!("{e}")))?)
        }
        _ => Book::Xlsx(open_workbook_from_rs(source).map_err(|e| corrupt(format!("{e}")))?),
    })
}

impl Book<'_> {
    fn sheet_names(&self) -> Vec<String> {
        match self {
            Book::Xlsx(book) => book.sheet_names(),
            Book::Xlsb(book) => book.sheet_names(),
            Book::Xls(book) => book.sheet_names(),
            Book::Ods(book) => book.sheet_names(),
        }
    }

    /// The non-empty cells of a sheet, row by row.
    fn cells(&mut self, sheet: &str, name: &str, limits: &ReadLimits) -> Result<Vec<SheetCell>> {
        let corrupt = |detail: String| DataError::CorruptWorkbook {
            name: name.to_owned(),
            detail: format!("sheet {sheet}: {detail}"),
        };
        let mut collector = Collector::new(name, sheet, limits);
        match self {
            Book::Xlsx(book) => {
                let mut reader = book
                    .worksheet_cells_reader(sheet)
                    .map_err(|e| corrupt(e.to_string()))?;
                while let Some(cell) = reader.next_cell().map_err(|e| corrupt(e.to_string()))? {
                    let (row, column) = cell.get_position();
                    collector.push(row, column, Data::from(cell.get_value().clone()))?;
                }
            }
            Book::Xlsb(book) => {
                let mut reader = book
                    .worksheet_cells_reader(sheet)
                    .map_err(|e| corrupt(e.to_string()))?;
                while let Some(cell) = reader.next_cell().map_err(|e| corrupt(e.to_string()))? {
                    let (row, column) = cell.get_position();
                    collector.push(row, column, Data::from(cell.get_value().clone()))?;
                }
            }
            Book::Xls(book) => {
                let range = book
                    .worksheet_range(sheet)
                    .map_err(|e| corrupt(e.to_string()))?;
                collector.push_range(&range)?;
            }
            Book::Ods(book) => {
                let range = book
                    .worksheet_range(sheet)
                    .map_err(|e| corrupt(e.to_string()))?;
                collector.push_range(&range)?;
            }
        }
        let mut cells = collector.cells;
        cells.sort_by_key(|cell| (cell.row, cell.column));
        Ok(cells)
    }
}

struct Collector<'a> {
    name: &'a str,
    sheet: &'a str,
    limits: &'a ReadLimits,
    cells: Vec<SheetCell>,
}

impl<'a> Collector<'a> {
    fn new(name: &'a str, sheet: &'a str, limits: &'a ReadLimits) -> Self {
        Collector {
            name,
            sheet,
            limits,
            cells: Vec::new(),
        }
    }

    fn push_range(&mut self, range: &calamine::Range<Data>) -> Result<()> {
        let (top, left) = range.start().unwrap_or_default();
        for (row, column, value) in range.used_cells() {
            let row = top.saturating_add(u32::try_from(row).unwrap_or(u32::MAX));
            let column = left.saturating_add(u32::try_from(column).unwrap_or(u32::MAX));
            self.push(row, column, value.clone())?;
        }
        Ok(())
    }

    fn push(&mut self, row: u32, column: u32, value: Data) -> Result<()> {
        if column as usize >= self.limits.max_columns {
            return Err(DataError::TooManyColumns {
                name: format!("{} (sheet {})", self.name, self.sheet),
                found: column as usize + 1,
                limit: self.limits.max_columns,
            });
        }
        let is_text = matches!(value, Data::String(_));
        let text = match cell_text(value) {
            CellText::Empty => return Ok(()),
            CellText::Error => None,
            CellText::Text(text) => Some(text),
        };
        if text
            .as_ref()
            .is_some_and(|t| t.len() > self.limits.max_cell_bytes)
        {
            return Err(DataError::CellTooLarge {
                name: self.name.to_owned(),
                place: format!("sheet {}, cell {}", self.sheet, cell_reference(row, column)),
                limit: self.limits.max_cell_bytes,
            });
        }
        self.cells.push(SheetCell {
            row,
            column,
            text,
            is_text,
        });
        Ok(())
    }
}

enum CellText {
    Empty,
    Error,
    Text(String),
}

fn cell_text(value: Data) -> CellText {
    CellText::Text(match value {
        Data::Empty => return CellText::Empty,
        Data::Error(_) => return CellText::Error,
        Data::String(text) | Data::DateTimeIso(text) | Data::DurationIso(text) => text,
        Data::Int(number) => number.to_string(),
        // Rust prints the shortest text that reads back to the same f64, without an exponent.
        Data::Float(number) => number.to_string(),
        Data::Bool(flag) => flag.to_string(),
        Data::DateTime(datetime) => excel_datetime_text(&datetime),
    })
}

/// An Excel serial date as ISO text: a date when the time part is zero, a time alone when the
/// serial is below one day, a duration as `[h]:mm:ss`, else a datetime.
fn excel_datetime_text(datetime: &calamine::ExcelDateTime) -> String {
    let serial = datetime.as_f64();
    if datetime.is_duration() {
        let total_ms = (serial * 86_400_000.0).round() as i64;
        let (sign, total_ms) = if total_ms < 0 {
            ("-", -total_ms)
        } else {
            ("", total_ms)
        };
        let seconds = total_ms / 1000;
        return format!(
            "{sign}{}:{:02}:{:02}",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        );
    }
    let (year, month, day, hour, minute, second, milli) = datetime.to_ymd_hms_milli();
    let time = if milli > 0 {
        format!("{hour:02}:{minute:02}:{second:02}.{milli:03}")
    } else {
        format!("{hour:02}:{minute:02}:{second:02}")
    };
    if (0.0..1.0).contains(&serial) {
        return time;
    }
    let date = format!("{year:04}-{month:02}-{day:02}");
    if hour == 0 && minute == 0 && second == 0 && milli == 0 {
        date
    } else {
        format!("{date}T{time}")
    }
}

/// `A1`-style reference of a zero-based cell position.
fn cell_reference(row: u32, column: u32) -> String {
    let mut letters = Vec::new();
    let mut n = column as u64 + 1;
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        letters.push(char::from(b'A' + rem));
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!(
        "{}{}",
        letters.into_iter().collect::<String>(),
        row as u64 + 1
    )
}

fn find_sheet(choice: &SheetChoice, sheets: &[String], name: &str) -> Result<String> {
    let found = match choice {
        SheetChoice::Name(wanted) => sheets.iter().find(|sheet| *sheet == wanted),
        SheetChoice::Index(index) => sheets.get(*index),
    };
    found.cloned().ok_or_else(|| DataError::SheetNotFound {
        name: name.to_owned(),
        sheet: match choice {
            SheetChoice::Name(wanted) => format!("named {wanted:?}"),
            SheetChoice::Index(index) => format!("at index {index}"),
        },
        available: sheets.join(", "),
    })
}

fn first_non_empty(
    book: &mut Book<'_>,
    sheets: &[String],
    name: &str,
    limits: &ReadLimits,
) -> Result<(String, Vec<SheetCell>)> {
    for sheet in sheets {
        let cells = book.cells(sheet, name, limits)?;
        if !cells.is_empty() {
            return Ok((sheet.clone(), cells));
        }
    }
    Err(DataError::EmptyInput {
        name: format!("{name} (no sheet has data)"),
    })
}

/// Rows of cells keyed by row index; each row maps a column to its text.
type Rows = BTreeMap<u32, Vec<SheetCell>>;

/// How many leading rows are looked at to find the header row.
const HEADER_SEARCH_ROWS: usize = 20;

fn to_frame(
    cells: Vec<SheetCell>,
    header: HeaderMode,
    report: &mut ReadReport,
) -> Result<DataFrame> {
    let left = cells.iter().map(|cell| cell.column).min().unwrap_or(0);
    let right = cells.iter().map(|cell| cell.column).max().unwrap_or(0);
    let width = (right - left) as usize + 1;
    let mut rows: Rows = BTreeMap::new();
    for cell in cells {
        rows.entry(cell.row).or_default().push(cell);
    }
    let first_row = rows.keys().next().copied().unwrap_or(0);
    let last_row = rows.keys().next_back().copied().unwrap_or(0);
    report.blank_lines_skipped = u64::from(last_row - first_row + 1) - rows.len() as u64;
    let mut rows: Vec<Vec<SheetCell>> = rows.into_values().collect();

    // Title rows: a lone text cell above a table of several columns.
    let widest = rows
        .iter()
        .take(HEADER_SEARCH_ROWS)
        .map(Vec::len)
        .max()
        .unwrap_or(0);
    let titles = if header == HeaderMode::Absent || widest < 2 {
        0
    } else {
        rows.iter()
            .take_while(|row| row.len() == 1 && row.iter().all(|cell| cell.is_text))
            .count()
            .min(rows.len().saturating_sub(1))
    };
    if titles > 0 {
        rows.drain(..titles);
        report.notes.push(format!(
            "{titles} title row(s) above the table were skipped"
        ));
    }
    let has_header = match header {
        HeaderMode::Present => true,
        HeaderMode::Absent => false,
        HeaderMode::Detect => rows
            .first()
            .is_some_and(|row| row.iter().all(|cell| cell.is_text)),
    };
    report.header_detected = has_header;
    let names = if has_header && !rows.is_empty() {
        let header_row = rows.remove(0);
        let mut raw = vec![String::new(); width];
        for cell in header_row {
            if let Some(slot) = raw.get_mut((cell.column - left) as usize) {
                *slot = cell.text.unwrap_or_default();
            }
        }
        unique_names(&raw)
    } else {
        positional_names(width)
    };
    let height = rows.len();
    let mut columns: Vec<Vec<Option<String>>> = vec![vec![None; height]; width];
    for (index, row) in rows.into_iter().enumerate() {
        for cell in row {
            if let Some(slot) = columns
                .get_mut((cell.column - left) as usize)
                .and_then(|column| column.get_mut(index))
            {
                *slot = cell.text;
            }
        }
    }
    report.rows = height as u64;
    let columns: Vec<Column> = names
        .into_iter()
        .zip(columns)
        .map(|(name, cells)| Column::new(name.into(), cells))
        .collect();
    Ok(DataFrame::new(height, columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{ExcelDateTime, ExcelDateTimeType};

    fn excel(serial: f64) -> String {
        excel_datetime_text(&ExcelDateTime::new(
            serial,
            ExcelDateTimeType::DateTime,
            false,
        ))
    }

    #[test]
    fn serial_dates_become_iso_text() {
        assert_eq!(excel(45943.0), "2025-10-13");
        assert_eq!(excel(45943.5), "2025-10-13T12:00:00");
        assert_eq!(excel(45943.541), "2025-10-13T12:59:02.400");
        assert_eq!(excel(0.75), "18:00:00");
        let duration = ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, false);
        assert_eq!(excel_datetime_text(&duration), "36:00:00");
    }

    #[test]
    fn numbers_are_shortest_round_trip_text() {
        let text = |value| match cell_text(value) {
            CellText::Text(text) => text,
            _ => String::new(),
        };
        assert_eq!(text(Data::Float(0.1 + 0.2)), "0.30000000000000004");
        assert_eq!(text(Data::Float(100.0)), "100");
        assert_eq!(text(Data::Float(-2.5)), "-2.5");
        assert_eq!(text(Data::Int(7)), "7");
    }

    #[test]
    fn cell_references_are_a1_style() {
        assert_eq!(cell_reference(0, 0), "A1");
        assert_eq!(cell_reference(11, 27), "AB12");
        assert_eq!(cell_reference(0, 16383), "XFD1");
    }
}
