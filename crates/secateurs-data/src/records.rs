//! Record files — the formats datasets ship in — read as JSON objects, one per row:
//! JSON Lines (`*.jsonl`, `*.json`), gzipped JSON Lines (`*.json.gz`, `*.jsonl.gz`:
//! C4 shards), and Parquet (`*.parquet`: Hugging Face dataset files; nested lists
//! and structs become JSON arrays and objects).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde_json::Value;

use crate::Error;

/// The record formats, by file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordFormat {
    /// One JSON object per line.
    JsonLines,
    /// Gzipped JSON Lines.
    GzipJsonLines,
    /// Apache Parquet.
    Parquet,
}

impl RecordFormat {
    /// The format a file's name says it has, if it is a record file.
    pub fn of(path: &Path) -> Option<Self> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        if name.ends_with(".jsonl.gz") || name.ends_with(".json.gz") {
            Some(Self::GzipJsonLines)
        } else if name.ends_with(".jsonl") || name.ends_with(".json") {
            Some(Self::JsonLines)
        } else if name.ends_with(".parquet") {
            Some(Self::Parquet)
        } else {
            None
        }
    }
}

/// Every row of a record file, in order.
pub fn read_records(path: &Path) -> Result<Vec<Value>, Error> {
    let fail = |message: String| Error::Read { path: path.to_owned(), message };
    let format = RecordFormat::of(path).ok_or_else(|| fail("not a record file; expected *.jsonl, *.json, *.json.gz, *.jsonl.gz or *.parquet".into()))?;
    let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    match format {
        RecordFormat::JsonLines => json_lines(BufReader::new(file), path),
        RecordFormat::GzipJsonLines => json_lines(BufReader::new(flate2::read::MultiGzDecoder::new(file)), path),
        RecordFormat::Parquet => {
            let reader = parquet::file::reader::SerializedFileReader::try_from(file).map_err(|e| fail(e.to_string()))?;
            reader.into_iter().map(|row| row.map(|r| r.to_json_value()).map_err(|e| fail(e.to_string()))).collect()
        }
    }
}

fn json_lines(reader: impl BufRead, path: &Path) -> Result<Vec<Value>, Error> {
    let mut rows = Vec::new();
    for (number, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| Error::Read { path: path.to_owned(), message: e.to_string() })?;
        if line.trim().is_empty() {
            continue;
        }
        let row = serde_json::from_str(&line)
            .map_err(|e| Error::Read { path: path.to_owned(), message: format!("line {}: {e}", number + 1) })?;
        rows.push(row);
    }
    Ok(rows)
}

/// The string field `field` of every row; the error names the first row without it.
pub fn text_field(rows: &[Value], field: &str, path: &Path) -> Result<Vec<String>, Error> {
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            row.get(field).and_then(Value::as_str).map(str::to_owned).ok_or_else(|| {
                let keys: Vec<String> = row.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
                Error::Read { path: path.to_owned(), message: format!("row {i} has no text field '{field}' (fields: {})", keys.join(", ")) }
            })
        })
        .collect()
}

/// Reads a whole (small) file into a string, naming it on failure.
pub(crate) fn read_to_string(path: &Path) -> Result<String, Error> {
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_string(&mut text))
        .map_err(|e| Error::Read { path: path.to_owned(), message: e.to_string() })?;
    Ok(text)
}
