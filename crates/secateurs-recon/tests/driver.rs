//! The driver end to end on the tiny random models of every family
//! (`fixtures/parity/*`): every technique, exact sparsity, finite errors, BR below
//! LR, GP's dense stream equal to the dense model's own activations, CR training
//! each block twice, streams on the host and on disk equal to device streams, and
//! early stopping keeping the best held-out epoch.

use std::path::PathBuf;

use secateurs_model::{Block, Model};
use secateurs_recon::{Data, Job, Observer, Placement, Quiet, ReconConfig, Report, Selection, Stream, StreamOptions, run};
use secateurs_sparse::{SparsitySpec, measure, method};
use tch::{Device, Kind, Tensor};

const FAMILIES: [&str; 8] = ["llama", "mistral", "qwen2", "qwen3", "gemma3", "opt", "gpt_neox", "gpt2"];
const TECHNIQUES: [&str; 4] = ["lr", "br", "br+gp", "br+gp+cr"];

fn fixture(name: &str) -> Model {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/parity").join(name);
    Model::open(&dir, Kind::Float, Device::Cpu).expect("fixture model")
}

fn ids(model: &Model, rows: i64, seqlen: i64, seed: i64) -> Tensor {
    tch::manual_seed(seed);
    Tensor::randint(model.arch.vocab, [rows, seqlen], (Kind::Int64, Device::Cpu))
}

struct Run {
    report: Report,
    blocks: Vec<Block>,
}

fn prune(model: &Model, pruner: &str, technique: &str, tweak: impl FnOnce(&mut Job<'_>), calib: &Tensor, heldout: Option<&Tensor>) -> Run {
    prune_observed(model, pruner, technique, tweak, Data { calib, heldout, generated: None }, &mut Quiet)
}

fn prune_observed(
    model: &Model,
    pruner: &str,
    technique: &str,
    tweak: impl FnOnce(&mut Job<'_>),
    data: Data<'_>,
    observer: &mut dyn Observer,
) -> Run {
    let method = method(pruner).expect("method");
    let mut recon = ReconConfig::preset(technique).expect("technique");
    recon.epochs = recon.epochs.min(3);
    recon.batch_size = 2;
    let mut job = Job {
        model,
        method,
        spec: SparsitySpec::new(0.5, secateurs_sparse::Pattern::Unstructured, method.default_group()).expect("spec"),
        recon,
        streams: StreamOptions { placement: Placement::Device, kind: Kind::Float, micro_batch: 2 },
        autocast: false,
        selection: Selection::all(),
        resume: None,
    };
    tweak(&mut job);
    let mut blocks = Vec::new();
    let report = run(&job, &data, observer, &mut |b| {
        blocks.push(b);
        Ok(())
    })
    .expect("run");
    Run { report, blocks }
}

fn final_error(run: &Run) -> f64 {
    run.report.blocks.last().expect("blocks").error.calib
}

#[test]
fn every_technique_runs_on_every_family_with_exact_sparsity() {
    for family in FAMILIES {
        let model = fixture(family);
        let (calib, heldout) = (ids(&model, 4, 8, 1), ids(&model, 2, 8, 2));
        for technique in TECHNIQUES {
            let run = prune(&model, "wanda", technique, |_| {}, &calib, Some(&heldout));
            let label = format!("{family} {technique}");
            assert_eq!(run.blocks.len(), model.num_blocks(), "{label}");
            assert_eq!(run.report.blocks.len(), model.num_blocks(), "{label}");
            for (block, record) in run.blocks.iter().zip(&run.report.blocks) {
                assert!(record.error.calib.is_finite() && record.error.heldout.is_some_and(f64::is_finite), "{label}: {record:?}");
                for (name, linear) in block.linears() {
                    // Wanda compares per row: exactly half of every row is zero.
                    let rows = measure::row_sparsity(&linear.weight).expect("matrix");
                    assert!(rows.iter().all(|&s| s == 0.5), "{label} block {} {name}: {rows:?}", block.index);
                }
                assert!(record.linears.iter().all(|l| l.sparsity == 0.5), "{label}");
            }
            let trained = run.report.windows.iter().filter(|w| w.steps > 0).count();
            let expected = match technique {
                "lr" => 0,
                "br+gp+cr" => model.num_blocks() + 1,
                _ => model.num_blocks(),
            };
            assert_eq!(trained, expected, "{label}: windows trained");
        }
    }
}

#[test]
fn every_pruner_and_n_of_m_run_through_block_reconstruction() {
    let model = fixture("llama");
    let calib = ids(&model, 4, 8, 3);
    for pruner in ["magnitude", "wanda", "sparsegpt"] {
        let run = prune(&model, pruner, "br+gp", |job| {
            job.spec = SparsitySpec::new(0.5, secateurs_sparse::Pattern::NofM { n: 2, m: 4 }, job.method.default_group()).expect("2:4");
        }, &calib, None);
        for block in &run.blocks {
            for (name, linear) in block.linears() {
                assert!(measure::satisfies_n_of_m(&linear.weight, 2, 4).expect("matrix"), "{pruner} {name} after training");
            }
        }
        assert!(final_error(&run).is_finite(), "{pruner}");
    }
}

#[test]
fn block_reconstruction_lowers_the_error_of_every_pruner() {
    let model = fixture("llama");
    let calib = ids(&model, 16, 16, 4);
    for pruner in ["magnitude", "wanda", "sparsegpt"] {
        let lr = prune(&model, pruner, "lr", |_| {}, &calib, None);
        let br = prune(&model, pruner, "br", |job| job.recon.epochs = 10, &calib, None);
        let gp = prune(&model, pruner, "br+gp", |job| job.recon.epochs = 10, &calib, None);
        let (lr, br, gp) = (final_error(&lr), final_error(&br), final_error(&gp));
        assert!(br < lr && gp < lr, "{pruner}: LR {lr:.4e}, BR {br:.4e}, BR+GP {gp:.4e}");
        // Within each window, training never ends above where it started.
        let run = prune(&model, pruner, "br", |job| job.recon.epochs = 10, &calib, None);
        for w in &run.report.windows {
            assert!(w.epochs.last().expect("trained").calib < w.before.calib, "{pruner} {w:?}");
        }
    }
}

/// Collects the calibration streams after each block.
#[derive(Default)]
struct Streams(Vec<(Tensor, Tensor)>);

impl Observer for Streams {
    fn streams_advanced(&mut self, _block: usize, sparse: &Stream, dense: &Stream) {
        // Reads may share storage with the stream, which advances in place: copy.
        self.0.push((sparse.read(0, sparse.rows()).expect("read").copy(), dense.read(0, dense.rows()).expect("read").copy()));
    }
}

#[test]
fn the_dense_stream_is_the_dense_models_own_activations() {
    for family in ["llama", "opt", "gemma3"] {
        let model = fixture(family);
        let calib = ids(&model, 4, 8, 5);
        let mut streams = Streams::default();
        let run = prune_observed(&model, "sparsegpt", "br+gp", |_| {}, Data { calib: &calib, heldout: None, generated: None }, &mut streams);
        let _guard = tch::no_grad_guard();
        let (mut dense, ctx) = model.embed(&calib, None);
        let (mut sparse, _) = model.embed(&calib, None);
        for (i, (got_sparse, got_dense)) in streams.0.iter().enumerate() {
            dense = model.load_block(i).expect("block").forward(&dense, &ctx);
            sparse = run.blocks[i].forward(&sparse, &ctx);
            let diff = (got_dense - &dense).abs().max().double_value(&[]);
            assert!(diff < 1e-5, "{family} block {i}: dense stream off by {diff}");
            assert!((got_sparse - &sparse).abs().max().double_value(&[]) < 1e-5, "{family} block {i}: sparse stream");
            let error = (&sparse - &dense).square().mean(Kind::Double).double_value(&[]);
            let recorded = run.report.blocks[i].error.calib;
            assert!((error - recorded).abs() <= 1e-6 * recorded.max(1e-12), "{family} block {i}: {error} vs {recorded}");
        }
    }
}

#[test]
fn host_and_disk_streams_give_the_device_result() {
    let model = fixture("qwen3");
    let (calib, heldout) = (ids(&model, 6, 8, 6), ids(&model, 2, 8, 7));
    let temp = tempfile::tempdir().expect("temp dir");
    let scratch = temp.path().join("streams");
    let runs: Vec<Run> = [Placement::Device, Placement::Host, Placement::Disk(scratch.clone())]
        .into_iter()
        .map(|placement| prune(&model, "sparsegpt", "br+gp+cr", |job| job.streams.placement = placement, &calib, Some(&heldout)))
        .collect();
    for other in &runs[1..] {
        for (a, b) in runs[0].blocks.iter().zip(&other.blocks) {
            for ((name, x), (_, y)) in a.linears().zip(b.linears()) {
                assert!(x.weight.equal(&y.weight), "block {} {name}", a.index);
            }
        }
        assert_eq!(final_error(&runs[0]), final_error(other));
    }
    assert!(std::fs::read_dir(&scratch).expect("scratch").next().is_none(), "scratch streams removed");
    // bf16 storage runs and stays close.
    let bf16 = prune(&model, "sparsegpt", "br+gp+cr", |job| job.streams.kind = Kind::BFloat16, &calib, Some(&heldout));
    let (a, b) = (final_error(&runs[0]), final_error(&bf16));
    assert!((a - b).abs() < 0.2 * a, "f32 {a} vs bf16 {b}");
}

#[test]
fn early_stopping_keeps_the_epoch_with_the_lowest_heldout_error() {
    let model = fixture("llama");
    let (calib, heldout) = (ids(&model, 8, 8, 8), ids(&model, 4, 8, 9));
    // A large learning rate makes later epochs worse on held-out windows.
    let run = prune(&model, "magnitude", "br+gp", |job| {
        job.recon.early_stop = true;
        job.recon.epochs = 4;
        job.recon.lr = 5e-2;
    }, &calib, Some(&heldout));
    for (window, block) in run.report.windows.iter().zip(&run.report.blocks) {
        let curve: Vec<f64> = std::iter::once(window.before).chain(window.epochs.iter().copied()).map(|e| e.heldout.expect("held-out")).collect();
        let best = curve.iter().enumerate().min_by(|a, b| a.1.total_cmp(b.1)).map(|(i, _)| i).expect("epochs");
        assert_eq!(window.kept_epoch, best, "{curve:?}");
        let kept = block.error.heldout.expect("held-out");
        assert!((kept - curve[best]).abs() <= 1e-6 * curve[best], "finished block has the kept epoch's error: {kept} vs {curve:?}");
    }
    let err = std::panic::catch_unwind(|| {
        prune(&model, "magnitude", "br", |job| job.recon.early_stop = true, &calib, None);
    });
    assert!(err.is_err(), "early stopping without held-out windows is refused");
}

#[test]
fn generated_windows_train_but_never_choose_masks_or_count_in_errors() {
    let model = fixture("llama");
    let (calib, generated) = (ids(&model, 4, 8, 10), ids(&model, 4, 8, 11));
    let with = |technique: &str, generated: Option<&Tensor>| {
        prune_observed(&model, "wanda", technique, |_| {}, Data { calib: &calib, heldout: None, generated }, &mut Quiet)
    };
    // LR never trains: generated windows change nothing at all.
    let (plain, mixed) = (with("lr", None), with("lr", Some(&generated)));
    for (a, b) in plain.blocks.iter().zip(&mixed.blocks) {
        for ((name, x), (_, y)) in a.linears().zip(b.linears()) {
            assert!(x.weight.equal(&y.weight), "block {} {name}", a.index);
        }
    }
    assert_eq!(final_error(&plain), final_error(&mixed), "errors are measured on real windows only");
    // BR trains on them: same first-block masks (statistics from real windows), other weights.
    let (plain, mixed) = (with("br", None), with("br", Some(&generated)));
    let (a, b) = (&plain.blocks[0], &mixed.blocks[0]);
    let mut differ = false;
    for ((name, x), (_, y)) in a.linears().zip(b.linears()) {
        assert!(x.weight.eq(0.0).equal(&y.weight.eq(0.0)), "{name}: masks from real windows only");
        differ |= !x.weight.equal(&y.weight);
    }
    assert!(differ, "training saw the generated windows");
    assert_eq!(mixed.report.windows[0].steps, 3 * 4, "3 epochs x 8 windows / batch 2");
}

/// Every tensor of two runs' blocks, compared bit for bit.
fn assert_identical(a: &mut [Block], b: &mut [Block], label: &str) {
    assert_eq!(a.len(), b.len(), "{label}: block count");
    for (x, y) in a.iter_mut().zip(b.iter_mut()) {
        let index = x.index;
        for ((name, p), (_, q)) in x.tensors_mut().into_iter().zip(y.tensors_mut()) {
            assert!(p.equal(q), "{label}: block {index} {name} differs");
        }
    }
}

#[test]
fn a_run_stopped_after_any_block_resumes_to_a_bit_identical_result() {
    let model = fixture("llama");
    let (calib, heldout) = (ids(&model, 4, 8, 11), ids(&model, 2, 8, 12));
    let data = || Data { calib: &calib, heldout: Some(&heldout), generated: None };
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("resume");
    let key = |epochs: &str| [("config.epochs".to_string(), epochs.to_string()), ("model".to_string(), "m".to_string())].into_iter().collect();
    for technique in ["br+gp", "br+gp+cr"] {
        let mut whole = prune(&model, "sparsegpt", technique, |_| {}, &calib, Some(&heldout));
        for stop_after in [0, 1, model.num_blocks() - 1] {
            let _ = std::fs::remove_dir_all(&dir);
            let label = format!("{technique}, stopped after block {stop_after}");
            let resume = secateurs_recon::Resume { dir: dir.clone(), key: key("3"), continue_run: false };
            // The first attempt dies once block `stop_after` is handed over.
            let method = method("sparsegpt").expect("method");
            let mut recon = ReconConfig::preset(technique).expect("technique");
            recon.epochs = 3;
            recon.batch_size = 2;
            let job = |resume: secateurs_recon::Resume| Job {
                model: &model,
                method,
                spec: SparsitySpec::new(0.5, secateurs_sparse::Pattern::Unstructured, method.default_group()).expect("spec"),
                recon: recon.clone(),
                streams: StreamOptions { placement: Placement::Device, kind: Kind::Float, micro_batch: 2 },
                autocast: false,
                selection: Selection::all(),
                resume: Some(resume),
            };
            let mut handed = 0;
            let killed = run(&job(resume.clone()), &data(), &mut Quiet, &mut |_| {
                handed += 1;
                if handed > stop_after { Err(secateurs_recon::Error::Invalid("killed".into())) } else { Ok(()) }
            });
            assert!(killed.is_err(), "{label}: the first attempt stops");
            // Without --resume a leftover state is refused; a changed key is refused by name.
            let refused = run(&job(resume.clone()), &data(), &mut Quiet, &mut |_| Ok(())).expect_err("state present");
            assert!(refused.to_string().contains("pass --resume"), "{label}: {refused}");
            let other = secateurs_recon::Resume { key: key("4"), continue_run: true, ..resume.clone() };
            let refused = run(&job(other), &data(), &mut Quiet, &mut |_| Ok(())).expect_err("other config");
            assert!(refused.to_string().contains("config.epochs was 3, now 4"), "{label}: {refused}");
            // Resumed: the same blocks, bit for bit, and the same records.
            let mut blocks = Vec::new();
            let report = run(&job(secateurs_recon::Resume { continue_run: true, ..resume.clone() }), &data(), &mut Quiet, &mut |b| {
                blocks.push(b);
                Ok(())
            })
            .expect("resumed");
            assert_identical(&mut whole.blocks, &mut blocks, &label);
            // Records agree to rounding (a float sum may round differently with another
            // memory alignment; the weights above may not differ at all).
            let errors = |r: &Report| r.blocks.iter().flat_map(|b| [b.error.calib, b.error_pruned.calib]).collect::<Vec<_>>();
            for (a, b) in errors(&report).into_iter().zip(errors(&whole.report)) {
                assert!((a - b).abs() <= 1e-12 * b.abs(), "{label}: records {a} vs {b}");
            }
            assert_eq!(report.windows.len(), whole.report.windows.len(), "{label}: windows");
        }
    }
}

#[test]
fn ignored_linears_stay_dense_and_the_rest_are_pruned() {
    let model = fixture("llama");
    let calib = ids(&model, 4, 8, 13);
    let selection = Selection::new(&["re:.*mlp.*".to_string()], &["down_proj".to_string()]).expect("selection");
    let run = prune(&model, "wanda", "br", |job| job.selection = selection, &calib, None);
    for record in &run.report.blocks {
        for linear in &record.linears {
            let pruned = linear.name.contains("mlp.") && !linear.name.ends_with("down_proj");
            assert_eq!(linear.sparsity > 0.4, pruned, "{}: {}", linear.name, linear.sparsity);
        }
    }
}
