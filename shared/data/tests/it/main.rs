//! Integration tests of the data engine's readers: fixture files for every reader behaviour,
//! bad input with its error code and place, and properties over arbitrary bytes.

mod bad_input;
mod csv;
mod dataset;
#[cfg(test)]
mod fixtures;
mod json;
mod properties;
mod workbook;
