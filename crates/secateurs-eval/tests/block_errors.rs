//! Per-block reconstruction errors between a dense and a pruned model, on the tiny
//! Llama fixture: zero against itself; with only block 1 altered, block 0 has no
//! error and block 1's global and local errors coincide (same input), both positive.

use std::path::PathBuf;

use secateurs_eval::block_errors;
use secateurs_model::Model;
use tch::{Device, Kind, Tensor};

#[test]
fn errors_locate_the_altered_block() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/parity/llama");
    let dense = Model::open(&dir, Kind::Float, Device::Cpu).expect("fixture");
    tch::manual_seed(0);
    let ids = Tensor::randint(dense.arch.vocab, [3, 8], (Kind::Int64, Device::Cpu));
    let same = block_errors(&dense, &dense, &ids, 2).expect("errors");
    assert!(same.iter().all(|e| e.global == 0.0 && e.local == 0.0), "{same:?}");

    let scratch = tempfile::tempdir().expect("temp dir");
    let out = scratch.path().join("pruned");
    dense
        .save(&out, Kind::Float, 1 << 30, |i| {
            let mut block = dense.load_block(i)?;
            if i == 1 {
                for (_, linear) in block.linears_mut() {
                    linear.weight = linear.weight.masked_fill(&linear.weight.abs().lt(0.02), 0.0);
                }
            }
            Ok(block)
        })
        .expect("save");
    let pruned = Model::open(&out, Kind::Float, Device::Cpu).expect("pruned copy");
    let errors = block_errors(&dense, &pruned, &ids, 2).expect("errors");
    assert_eq!((errors[0].global, errors[0].local), (0.0, 0.0));
    assert!(errors[1].global > 0.0 && (errors[1].global - errors[1].local).abs() <= 1e-12 * errors[1].global, "{errors:?}");
}
