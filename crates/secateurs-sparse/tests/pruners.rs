//! The pruners end to end: hand-checked masks, exact sparsity and N:M, untouched
//! weights at sparsity 0, the error ordering on correlated inputs, SparseGPT against
//! the least-squares optimum, batching invariance, and degenerate Hessians. Every test
//! body runs on each available device (CPU, and CUDA when present).

use secateurs_sparse::{Error, Group, LayerStats, METHODS, Needs, Pattern, SparsitySpec, measure, method};
use tch::{Device, Kind, Tensor};

fn devices() -> Vec<Device> {
    let mut devices = vec![Device::Cpu];
    if tch::Cuda::is_available() {
        devices.push(Device::Cuda(0));
    }
    devices
}

fn all_needs() -> Needs {
    Needs { hessian: true, input_sq_norm: true }
}

fn stats_from(x: &Tensor) -> LayerStats {
    let mut stats = LayerStats::new(x.size()[1], all_needs(), x.device());
    stats.add_batch(x).expect("batch");
    stats
}

fn spec(sparsity: &str, pattern: &str, group: &str) -> SparsitySpec {
    SparsitySpec::parse(sparsity, pattern, group).expect("valid spec")
}

fn kept(mask: &Tensor) -> Vec<bool> {
    Vec::<bool>::try_from(mask.flatten(0, -1).to_device(Device::Cpu)).expect("bool mask")
}

/// Correlated inputs `[n, in]` with feature scales spread over two orders of
/// magnitude (so input-aware pruners have something to exploit), and a weight.
fn correlated_layer(rows: i64, cols: i64, n: i64, device: Device) -> (Tensor, Tensor) {
    tch::manual_seed(7);
    let opts = (Kind::Float, Device::Cpu);
    let mixing = Tensor::randn([cols, cols], opts) / (cols as f64).sqrt() + Tensor::eye(cols, opts);
    let scales = (Tensor::randn([cols], opts) * 1.2).exp();
    let x = Tensor::randn([n, cols], opts).matmul(&mixing) * scales.unsqueeze(0);
    let w = Tensor::randn([rows, cols], opts);
    (x.to_device(device), w.to_device(device))
}

/// ‖(W − W′) Xᵀ‖²: the layer's output error on its calibration inputs.
fn output_error(w: &Tensor, pruned: &Tensor, x: &Tensor) -> f64 {
    (w - pruned).matmul(&x.transpose(0, 1)).square().sum(Kind::Double).double_value(&[])
}

#[test]
fn hand_checked_masks_differ_by_method_and_group() {
    for device in devices() {
        // One token: ‖X_j‖² = [16, 1, 1, 1].
        let x = Tensor::from_slice(&[4.0f32, 1.0, 1.0, 1.0]).view([1, 4]).to_device(device);
        let stats = stats_from(&x);
        let w = Tensor::from_slice(&[1.0f32, 3.0, 2.0, 0.5, 0.2, 4.0, 5.0, 6.0]).view([2, 4]).to_device(device);
        let row = spec("0.5", "unstructured", "row");
        let layer = spec("0.5", "unstructured", "layer");
        let magnitude = method("magnitude").expect("registered");
        let wanda = method("wanda").expect("registered");
        // Magnitude per row: drop 0.5 and 1 in row 0, 0.2 and 4 in row 1.
        assert_eq!(kept(&magnitude.prune(&w, &stats, &row).expect("prune").mask), [false, true, true, false, false, false, true, true]);
        // Per layer: the four smallest |W| are 0.2, 0.5, 1, 2.
        assert_eq!(kept(&magnitude.prune(&w, &stats, &layer).expect("prune").mask), [false, true, false, false, false, true, true, true]);
        // Wanda scores row 0 as [4, 3, 2, 0.5] and row 1 as [0.8, 4, 5, 6].
        assert_eq!(kept(&wanda.prune(&w, &stats, &row).expect("prune").mask), [true, true, false, false, false, false, true, true]);
    }
}

#[test]
fn sparsity_is_exact_and_pruned_weights_are_zero() {
    for device in devices() {
        let (x, w) = correlated_layer(16, 64, 256, device);
        let stats = stats_from(&x);
        for m in &METHODS {
            for &group in m.groups {
                for (s, expected_row, expected_total) in [("0.5", 32, 512), ("0.3", 19, 307)] {
                    let spec = SparsitySpec::new(s.parse().expect("number"), Pattern::Unstructured, group).expect("spec");
                    let pruned = m.prune(&w, &stats, &spec).expect("prune");
                    let removed = pruned.mask.logical_not();
                    let zeros_where_removed = pruned.weight.masked_select(&removed).abs().max().double_value(&[]);
                    assert_eq!(zeros_where_removed, 0.0, "{} {group:?}", m.name);
                    match group {
                        Group::Row => {
                            let per_row = removed.sum_dim_intlist(1, false, Kind::Int64);
                            assert_eq!(per_row.eq(expected_row).all().int64_value(&[]), 1, "{} per row at {s}", m.name);
                        }
                        _ => assert_eq!(removed.sum(Kind::Int64).int64_value(&[]), expected_total, "{} {group:?} at {s}", m.name),
                    }
                }
                for pattern in ["2:4", "4:8"] {
                    let pruned = m.prune(&w, &stats, &spec("0.5", pattern, group.name())).expect("prune");
                    let (n, mm) = if pattern == "2:4" { (2, 4) } else { (4, 8) };
                    assert!(measure::satisfies_n_of_m(&pruned.weight, n, mm).expect("groups"), "{} {pattern}", m.name);
                    assert_eq!(pruned.mask.logical_not().sum(Kind::Int64).int64_value(&[]), 512, "{} {pattern}", m.name);
                }
            }
        }
    }
}

#[test]
fn sparsity_zero_leaves_the_weight_unchanged() {
    for device in devices() {
        let (x, w) = correlated_layer(8, 32, 128, device);
        let stats = stats_from(&x);
        for m in &METHODS {
            let pruned = m.prune(&w, &stats, &spec("0", "unstructured", m.default_group().name())).expect("prune");
            assert!(pruned.weight.equal(&w), "{} changed the weight at sparsity 0", m.name);
            assert_eq!(pruned.mask.all().int64_value(&[]), 1);
        }
    }
}

/// Row-wise least-squares refit of W on a fixed mask: for each row, the kept weights
/// minimising ‖(w − w′) X‖² solve H_KK w′_K = H_K: w with H = XᵀX.
fn least_squares_refit(w: &Tensor, mask: &Tensor, x: &Tensor) -> Tensor {
    let h = x.transpose(0, 1).matmul(x).to_kind(Kind::Double);
    let w = w.to_kind(Kind::Double);
    let refit = w.zeros_like();
    for row in 0..w.size()[0] {
        let keep = mask.get(row).nonzero().squeeze_dim(1);
        let h_kk = h.index_select(0, &keep).index_select(1, &keep);
        let rhs = h.index_select(0, &keep).matmul(&w.get(row));
        let _ = refit.get(row).index_copy_(0, &keep, &Tensor::linalg_solve(&h_kk, &rhs, true));
    }
    refit.to_kind(Kind::Float)
}

#[test]
fn on_correlated_inputs_sparsegpt_beats_wanda_beats_magnitude() {
    /// SparseGPT's sequential OBS update against the joint least-squares optimum on
    /// the same mask, for this tiny layer: measured 1.31 on CPU, bound set at 1.5.
    const SPARSEGPT_VS_OPTIMUM: f64 = 1.5;
    for device in devices() {
        let (x, w) = correlated_layer(32, 64, 2048, device);
        let stats = stats_from(&x);
        let error_of = |name: &str, group: &str| {
            let pruned = method(name).expect("registered").prune(&w, &stats, &spec("0.5", "unstructured", group)).expect("prune");
            (output_error(&w, &pruned.weight, &x), pruned)
        };
        let (magnitude, _) = error_of("magnitude", "row");
        let (wanda, _) = error_of("wanda", "row");
        let (sparsegpt, pruned) = error_of("sparsegpt", "row");
        assert!(sparsegpt < wanda && wanda < magnitude, "errors: sparsegpt {sparsegpt}, wanda {wanda}, magnitude {magnitude}");
        let optimum = output_error(&w, &least_squares_refit(&w, &pruned.mask, &x), &x);
        assert!(optimum <= sparsegpt * (1.0 + 1e-4), "the refit cannot be worse: {optimum} vs {sparsegpt}");
        let ratio = sparsegpt / optimum;
        assert!(ratio < SPARSEGPT_VS_OPTIMUM, "SparseGPT error is {ratio:.3} x the least-squares optimum");
        eprintln!("{device:?}: magnitude {magnitude:.4e}, wanda {wanda:.4e}, sparsegpt {sparsegpt:.4e}, optimum {optimum:.4e} ({ratio:.3}x)");
    }
}

#[test]
fn sparsegpt_does_not_depend_on_batching() {
    for device in devices() {
        let (x, w) = correlated_layer(24, 256, 1000, device);
        let sparsegpt = method("sparsegpt").expect("registered");
        let whole = stats_from(&x);
        let mut pieces = LayerStats::new(256, sparsegpt.needs, device);
        for (start, len) in [(0, 3), (3, 500), (503, 497)] {
            pieces.add_batch(&x.narrow(0, start, len)).expect("batch");
        }
        for pattern in ["unstructured", "2:4"] {
            let spec = spec("0.5", pattern, "column-block");
            let a = sparsegpt.prune(&w, &whole, &spec).expect("prune");
            let b = sparsegpt.prune(&w, &pieces, &spec).expect("prune");
            assert!(a.mask.equal(&b.mask), "{pattern}: masks differ");
            let diff = (&a.weight - &b.weight).abs().max().double_value(&[]);
            assert!(diff < 1e-4, "{pattern}: weights differ by {diff}");
        }
    }
}

#[test]
fn degenerate_hessians_are_handled_as_specified() {
    for device in devices() {
        let sparsegpt = method("sparsegpt").expect("registered");
        let spec = spec("0.5", "unstructured", "row");
        // Dead inputs (always zero) and a duplicated input: singular H, fixed by the
        // dead-input rule and the default damping.
        let (x, w) = correlated_layer(4, 8, 64, device);
        let x = x.copy();
        let _ = x.narrow(1, 2, 2).fill_(0.0);
        x.select(1, 5).copy_(&x.select(1, 4));
        let pruned = sparsegpt.prune(&w, &stats_from(&x), &spec).expect("singular but handled");
        assert_eq!(pruned.damping, Some(0.01));
        assert_eq!(pruned.weight.narrow(1, 2, 2).abs().sum(Kind::Float).double_value(&[]), 0.0, "dead inputs zeroed");

        // An indefinite "Hessian" (eigenvalues −1 and 3 in a 2×2 block): 0.01 is not
        // enough, the damping is raised and the value used is reported.
        let h = Tensor::eye(4, (Kind::Float, device));
        h.narrow(0, 0, 2).narrow(1, 0, 2).copy_(&Tensor::from_slice(&[1.0f32, 2.0, 2.0, 1.0]).view([2, 2]));
        let stats = LayerStats::from_hessian(&h, 10).expect("square");
        let w = Tensor::randn([3, 4], (Kind::Float, device));
        let pruned = sparsegpt.prune(&w, &stats, &spec).expect("raised damping succeeds");
        let damping = pruned.damping.expect("recorded");
        assert!(damping > 0.5, "damping {damping}");

        // Non-finite statistics cannot be factorised at any damping: a clear error.
        let stats = LayerStats::from_hessian(&Tensor::full([4, 4], f64::NAN, (Kind::Float, device)), 10).expect("square");
        let err = sparsegpt.prune(&w, &stats, &spec).expect_err("NaN Hessian");
        assert!(matches!(err, Error::Factorisation { attempts: 6, .. }), "{err}");
        assert!(err.to_string().contains("Cholesky factorisation of the damped Hessian failed 6 times"), "{err}");
    }
}

#[test]
fn the_registry_names_methods_groups_and_needs() {
    let names: Vec<&str> = METHODS.iter().map(|m| m.name).collect();
    assert_eq!(names, ["magnitude", "wanda", "sparsegpt"]);
    let err = method("obs").expect_err("unknown");
    assert_eq!(err.to_string(), "unknown pruning method 'obs'; expected one of: magnitude, wanda, sparsegpt");
    assert!(method("wanda").expect("wanda").needs.input_sq_norm);
    assert!(method("SparseGPT").expect("case-insensitive").needs.hessian);
    assert_eq!(method("sparsegpt").expect("sparsegpt").default_group(), Group::ColumnBlock);

    let w = Tensor::ones([2, 4], (Kind::Float, Device::Cpu));
    let stats = LayerStats::new(4, all_needs(), Device::Cpu);
    let err = method("wanda").expect("wanda").prune(&w, &stats, &spec("0.5", "unstructured", "column-block")).expect_err("group");
    assert_eq!(err.to_string(), "wanda does not compare per column-block; expected one of: row, layer");
    let err = method("magnitude").expect("magnitude").prune(&w, &stats, &spec("0.5", "4:8", "row")).expect_err("4 % 8");
    assert!(err.to_string().contains("not a multiple of M = 8"), "{err}");
}
