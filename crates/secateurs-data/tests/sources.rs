//! Every text-source type read from a small local fixture written here: corpus text,
//! WikiText raw, JSON Lines, a gzipped C4-style shard, a Parquet file, and a hub
//! dataset file found in a local directory laid out like the Hugging Face cache —
//! plus the offline error when the hub has no such file.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use secateurs_data::{HubFile, TextSource, read_records};

/// A fresh folder for one test, removed when dropped (also when the test fails).
fn temp(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new().prefix(&format!("secateurs-sources-{name}-")).tempdir().expect("temp dir")
}

const DOCS: [&str; 3] = ["Beginners BBQ Class Taking Place in Missoula!", "Discussion in 'Mac OS X Lion (10.7)' started", "Foil plaid lycra and spandex shortall"];

fn jsonl() -> String {
    DOCS.iter().map(|d| serde_json::json!({"text": d, "timestamp": "2019-04-25", "url": "https://example.com"}).to_string() + "\n").collect()
}

fn write_gzip(path: &Path, text: &str) {
    let mut gz = flate2::write::GzEncoder::new(std::fs::File::create(path).expect("create"), flate2::Compression::default());
    gz.write_all(text.as_bytes()).expect("gzip");
    gz.finish().expect("finish");
}

fn write_parquet(path: &Path) {
    let schema = Arc::new(parse_message_type("message schema { REQUIRED BYTE_ARRAY text (UTF8); REQUIRED INT64 label; }").expect("schema"));
    let props = Arc::new(WriterProperties::builder().set_compression(parquet::basic::Compression::SNAPPY).build());
    let mut writer = SerializedFileWriter::new(std::fs::File::create(path).expect("create"), schema, props).expect("writer");
    let mut group = writer.next_row_group().expect("row group");
    let mut column = group.next_column().expect("column").expect("text");
    let values: Vec<ByteArray> = DOCS.iter().map(|d| ByteArray::from(*d)).collect();
    column.typed::<ByteArrayType>().write_batch(&values, None, None).expect("write text");
    column.close().expect("close");
    let mut column = group.next_column().expect("column").expect("label");
    column.typed::<Int64Type>().write_batch(&[0, 1, 2], None, None).expect("write label");
    column.close().expect("close");
    group.close().expect("close group");
    writer.close().expect("close file");
}

#[test]
fn jsonl_gzip_and_parquet_sources_read_the_text_field() {
    let scratch = temp("records");
    let dir = scratch.path();
    std::fs::write(dir.join("docs.jsonl"), jsonl()).expect("jsonl");
    write_gzip(&dir.join("c4-train.00000-of-01024.json.gz"), &jsonl());
    write_parquet(&dir.join("train-00000-of-00001.parquet"));
    for file in ["docs.jsonl", "c4-train.00000-of-01024.json.gz", "train-00000-of-00001.parquet"] {
        let source = TextSource::open(&dir.join(file)).expect(file);
        assert_eq!(source.documents, DOCS, "{file}");
        assert_eq!(source.name, file);
    }
    let rows = read_records(&dir.join("train-00000-of-00001.parquet")).expect("parquet rows");
    assert_eq!(rows[2]["label"], 2);
    let err = TextSource::open_field(&dir.join("docs.jsonl"), "content").expect_err("no such field");
    assert!(err.to_string().contains("row 0 has no text field 'content' (fields: text, timestamp, url)"), "{err}");
    let all = TextSource::open(dir).expect("directory of record files");
    assert_eq!(all.documents.len(), 9);
}

#[test]
fn hub_files_resolve_from_a_cache_laid_out_like_the_hub() {
    let scratch = temp("hub");
    let cache = scratch.path();
    let commit = "607bd4c8450a42878aa9ddc051a65a055450ef87";
    let repo = cache.join("datasets--allenai--c4");
    std::fs::create_dir_all(repo.join("refs")).expect("refs");
    std::fs::write(repo.join("refs/main"), commit).expect("ref");
    let snapshot = repo.join("snapshots").join(commit).join("en");
    std::fs::create_dir_all(&snapshot).expect("snapshot");
    write_gzip(&snapshot.join("c4-train.00000-of-01024.json.gz"), &jsonl());

    let file = HubFile::parse("hf:allenai/c4/en/c4-train.00000-of-01024.json.gz").expect("hf:").expect("valid");
    let path = file.resolve(Some(cache), Some("http://127.0.0.1:9")).expect("cached");
    assert_eq!(TextSource::open(&path).expect("read").documents, DOCS);

    let missing = HubFile::parse("hf:allenai/c4/en/c4-validation.00000-of-00008.json.gz").expect("hf:").expect("valid");
    let err = missing.resolve(Some(cache), Some("http://127.0.0.1:9")).expect_err("offline");
    let message = err.to_string();
    assert!(message.starts_with("hub unreachable: cannot get en/c4-validation.00000-of-00008.json.gz from dataset allenai/c4"), "{message}");
    assert!(message.ends_with("download it and pass its local path"), "{message}");
}
