//! Criterion benchmarks: perplexity's next-token NLL at SmolLM2's vocabulary, and
//! sparsity measurement at SmolLM2's and LLaMA-7B's layer shapes.

use criterion::{Criterion, criterion_group, criterion_main};
use tch::{Device, Kind, Tensor};

fn next_token_nll(c: &mut Criterion) {
    let logits = Tensor::randn([1, 512, 49152], (Kind::Float, Device::Cpu));
    let ids = Tensor::randint(49152, [1, 512], (Kind::Int64, Device::Cpu));
    c.bench_function("next_token_nll [1, 512, 49152]", |b| {
        b.iter(|| secateurs_eval::next_token_nll(&logits, &ids, None))
    });
}

fn sparsity(c: &mut Criterion) {
    for shape in [[576i64, 1536], [4096, 4096]] {
        let w = Tensor::randn(shape, (Kind::Float, Device::Cpu)).relu();
        c.bench_function(&format!("sparsity {shape:?}"), |b| b.iter(|| secateurs_sparse::measure::sparsity(&w)));
    }
}

criterion_group!(benches, next_token_nll, sparsity);
criterion_main!(benches);
