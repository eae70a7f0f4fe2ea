//! secateurs-benches: criterion benchmarks of the kernels (`cargo bench`). The
//! side-by-side comparisons with the PyTorch reference implementations live in
//! `cargo xtask bench`; this crate times our own code only.
