//! Criterion benchmarks of each pruner at 50% unstructured sparsity on the layer
//! shapes `[out, in]` of SmolLM2-135M and LLaMA-7B. Statistics are prepared outside
//! the timed region. (Side-by-side ratios against PyTorch: `cargo xtask bench sparse`.)

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use secateurs_sparse::{LayerStats, METHODS, Needs, SparsitySpec};
use tch::{Device, Kind, Tensor};

const SHAPES: [[i64; 2]; 5] = [[576, 576], [1536, 576], [576, 1536], [4096, 4096], [11008, 4096]];

fn pruners(c: &mut Criterion) {
    let mut group = c.benchmark_group("prune 50%");
    group.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(5));
    for [rows, cols] in SHAPES {
        let opts = (Kind::Float, Device::Cpu);
        let w = Tensor::randn([rows, cols], opts);
        let mut stats = LayerStats::new(cols, Needs { hessian: true, input_sq_norm: true }, Device::Cpu);
        stats.add_batch(&Tensor::randn([2048, cols], opts)).expect("width matches");
        for m in &METHODS {
            let spec = SparsitySpec::new(0.5, secateurs_sparse::Pattern::Unstructured, m.default_group()).expect("valid");
            group.bench_with_input(BenchmarkId::new(m.name, format!("{rows}x{cols}")), &w, |b, w| {
                b.iter(|| m.prune(w, &stats, &spec).expect("prune"))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, pruners);
criterion_main!(benches);
