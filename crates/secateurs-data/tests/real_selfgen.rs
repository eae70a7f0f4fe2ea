//! Self-generated calibration text from the fetched SmolLM2 (`cargo xtask fetch`):
//! English, reproducible from the seed, different for another seed, with the
//! rejected share reported.

use std::path::PathBuf;

use secateurs_data::{SelfGenConfig, generate_texts, is_english};
use secateurs_model::Model;
use tch::{Device, Kind};

#[test]
fn smollm2_writes_english_calibration_text_reproducibly() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets/models/smollm2-135m");
    assert!(dir.join("config.json").is_file(), "real assets missing: run `cargo xtask fetch`");
    let model = Model::open(&dir, Kind::Float, Device::Cpu).expect("SmolLM2");
    let tokenizer = model.checkpoint.tokenizer.as_ref().expect("tokenizer");
    let config = SelfGenConfig { batch: 4, ..SelfGenConfig::paper(4, 24) };
    let (texts, stats) = generate_texts(&model, tokenizer, &config, &mut |_, _| {}).expect("generate");
    let (again, _) = generate_texts(&model, tokenizer, &config, &mut |_, _| {}).expect("generate");
    assert_eq!(texts, again, "same seed, same texts");
    let (other, _) = generate_texts(&model, tokenizer, &SelfGenConfig { seed: 1, ..config.clone() }, &mut |_, _| {}).expect("generate");
    assert_ne!(texts, other, "another seed, other texts");
    assert_eq!(texts.len(), 4);
    for t in &texts {
        assert!(t.ids.len() <= 24 && t.ids.len() >= 6, "{t:?}");
        let prefix = tokenizer.decode(&t.ids[..5], true).expect("decode");
        assert!(is_english(&prefix), "the kept prefix reads as English: {prefix:?}");
    }
    assert!(stats.prefixes >= 4 && (0.0..1.0).contains(&stats.rejected_share()), "{stats:?}");
    eprintln!("rejected share {:.2} of {} prefixes; first text: {:?}", stats.rejected_share(), stats.prefixes, texts[0].text);
}
