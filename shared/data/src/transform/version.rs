//! Writing a dataset version as deterministic Parquet with its provenance, and applying a
//! recipe from Parquet bytes to Parquet bytes.
//!
//! Fixed compression, row-group and page sizes, one writer path and no wall-clock values: the
//! same frame gives the same bytes on any machine and thread count. The key-value metadata
//! names the input (SHA-256 of the parent's `data.parquet` bytes), the recipe (SHA-256 of its
//! canonical JSON) and the engine version.

use std::io::{Cursor, Write};

use polars::prelude::*;
use sha2::{Digest, Sha256};

use super::{Applied, apply};
use crate::error::Result;
use crate::recipe::Recipe;

/// The engine version recorded in every output.
pub const ENGINE_VERSION: &str = concat!("ida-data ", env!("CARGO_PKG_VERSION"));

/// Rows per Parquet row group in every version the engine writes.
pub const ROW_GROUP_ROWS: usize = 131_072;

const KEY_INPUT: &str = "ida.input_sha256";
const KEY_RECIPE: &str = "ida.recipe_sha256";
const KEY_ENGINE: &str = "ida.engine_version";

/// Where a version came from, as recorded in its Parquet key-value metadata.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Provenance {
    /// SHA-256 (hex) of the parent version's `data.parquet` bytes.
    pub input_sha256: String,
    /// SHA-256 (hex) of the canonical recipe JSON.
    pub recipe_sha256: String,
    /// The engine that wrote the version.
    pub engine_version: String,
}

/// SHA-256 (hex) of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Writes a frame as Parquet with the engine's fixed settings and the provenance metadata.
pub fn write_version<W: Write>(
    frame: &mut DataFrame,
    provenance: &Provenance,
    writer: W,
) -> Result<u64> {
    frame.rechunk_mut();
    let metadata = KeyValueMetadata::from_static(vec![
        (KEY_ENGINE.to_owned(), provenance.engine_version.clone()),
        (KEY_INPUT.to_owned(), provenance.input_sha256.clone()),
        (KEY_RECIPE.to_owned(), provenance.recipe_sha256.clone()),
    ]);
    let size = ParquetWriter::new(writer)
        .with_compression(ParquetCompression::Zstd(None))
        .with_row_group_size(Some(ROW_GROUP_ROWS))
        .with_data_page_size(Some(1 << 20))
        .with_statistics(StatisticsOptions::default())
        .with_key_value_metadata(Some(metadata))
        .finish(frame)?;
    Ok(size)
}

/// Reads the provenance of a version written by [`write_version`], if it has one.
pub fn read_provenance(bytes: &[u8]) -> Result<Option<Provenance>> {
    let mut reader = ParquetReader::new(Cursor::new(bytes));
    let metadata = reader.get_metadata()?;
    let Some(pairs) = metadata.key_value_metadata() else {
        return Ok(None);
    };
    let find = |key: &str| {
        pairs
            .iter()
            .find(|kv| kv.key == key)
            .and_then(|kv| kv.value.clone())
    };
    Ok(
        match (find(KEY_INPUT), find(KEY_RECIPE), find(KEY_ENGINE)) {
            (Some(input_sha256), Some(recipe_sha256), Some(engine_version)) => Some(Provenance {
                input_sha256,
                recipe_sha256,
                engine_version,
            }),
            _ => None,
        },
    )
}

/// Reads Parquet bytes into a frame.
pub fn read_parquet_bytes(bytes: &[u8]) -> Result<DataFrame> {
    Ok(ParquetReader::new(Cursor::new(bytes)).finish()?)
}

/// Applies a recipe to version N's `data.parquet` bytes and returns version N+1's bytes with
/// the applied recipe (impacts filled) and the diff.
pub fn apply_parquet_bytes(input: &[u8], recipe: &Recipe) -> Result<(Vec<u8>, Applied)> {
    let frame = read_parquet_bytes(input)?;
    let mut applied = apply(&frame, recipe)?;
    let provenance = Provenance {
        input_sha256: sha256_hex(input),
        recipe_sha256: recipe.hash()?,
        engine_version: ENGINE_VERSION.to_owned(),
    };
    let mut bytes = Vec::new();
    write_version(&mut applied.frame, &provenance, &mut bytes)?;
    Ok((bytes, applied))
}
