//! The sequential driver: one loop over the schedule's windows. For each window it
//! gathers the pruner's statistics from the sparse stream, prunes every linear,
//! builds targets (dense window on the sparse input — local — or on the dense
//! input — GP), trains the window's parameters under fixed masks when the
//! configuration asks for it, then advances both streams by the window's first block
//! and hands that block, finished, to the caller.

use std::collections::BTreeMap;
use std::time::Instant;

use secateurs_eval::SquaredError;
use secateurs_model::{Block, BlockCtx, Model, SplitMix64};
use secateurs_sparse::{LayerStats, Method, SparsitySpec, measure};
use tch::{Kind, Tensor};

use crate::optim::{AdamW, LossScale, linear_decay};
use crate::params::Params;
use secateurs_records::{BlockRecord, Errors, LinearRecord, Report, WindowRecord};
use crate::schedule::{Window, schedule};
use crate::stream::{Placement, Stream, micro_batches};
use crate::resume::{Resume, State};
use crate::{Error, Granularity, Propagation, ReconConfig, Selection};

/// Where and how activation streams are kept.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamOptions {
    /// Device, host or disk.
    pub placement: Placement,
    /// Storage dtype (f32 or bf16); compute is always f32 (or autocast).
    pub kind: Kind,
    /// Sequences per forward pass.
    pub micro_batch: i64,
}

/// A pruning run.
#[derive(Debug)]
pub struct Job<'a> {
    /// The dense model (its blocks are read from disk as needed).
    pub model: &'a Model,
    /// The pruner.
    pub method: &'static Method,
    /// Sparsity, pattern and comparison group.
    pub spec: SparsitySpec,
    /// LR / BR / GP / CR and the optimiser's settings.
    pub recon: ReconConfig,
    /// Stream placement and micro-batching.
    pub streams: StreamOptions,
    /// Mixed precision (fp16 autocast with loss scaling) for training on CUDA.
    pub autocast: bool,
    /// Which linears to prune (the others stay dense, and are still trained).
    pub selection: Selection,
    /// Where to keep a resumable state (after every finished block), if anywhere.
    pub resume: Option<Resume>,
}

/// Token windows `[n, T]` the run uses.
#[derive(Debug)]
pub struct Data<'a> {
    /// Calibration windows: statistics, masks, training targets.
    pub calib: &'a Tensor,
    /// Held-out windows: only measured, never trained on.
    pub heldout: Option<&'a Tensor>,
    /// Extra windows used only for reconstruction (self-generated text, PAPER.md §4):
    /// never for statistics, masks or the reported calibration error.
    pub generated: Option<&'a Tensor>,
}

/// Hears about progress.
pub trait Observer {
    /// A window starts; it will take `steps` optimiser steps.
    fn window_started(&mut self, _window: &Window, _steps: usize) {}
    /// An optimiser step finished with this mean loss.
    fn step_done(&mut self, _loss: f64) {}
    /// The calibration streams were advanced past `block`: `sparse` is the pruned
    /// model's activations after it, `dense` the dense model's (the GP targets).
    fn streams_advanced(&mut self, _block: usize, _sparse: &Stream, _dense: &Stream) {}
    /// A block is finished.
    fn block_done(&mut self, _record: &BlockRecord) {}
}

/// An observer that ignores everything.
#[derive(Debug, Default)]
pub struct Quiet;

impl Observer for Quiet {}

/// The sparse and dense streams of one set of windows.
struct Pair {
    sparse: Stream,
    dense: Stream,
}

/// Runs the whole schedule. Each finished block (pruned, reconstructed, on the
/// compute device) goes to `finished` in order.
pub fn run(job: &Job<'_>, data: &Data<'_>, observer: &mut dyn Observer, finished: &mut dyn FnMut(Block) -> Result<(), Error>) -> Result<Report, Error> {
    let started = Instant::now();
    job.validate(data)?;
    let model = job.model;
    let mb = job.streams.micro_batch;
    let mut ctxs = Contexts::new(model, data.calib.size()[1]);
    // Real calibration windows first, then any generated ones: statistics and
    // reported errors use the first `real` rows, training uses all.
    let real = data.calib.size()[0];
    let all_ids = match data.generated {
        Some(generated) => Tensor::cat(&[data.calib, generated], 0),
        None => data.calib.shallow_clone(),
    };
    let mut calib = job.embed_pair("calib", &all_ids)?;
    let mut heldout = data.heldout.map(|ids| job.embed_pair("heldout", ids)).transpose()?;

    let windows = schedule(model.num_blocks(), job.recon.window);
    let saved = job.resume.as_ref().map(Resume::open).transpose()?.flatten();
    let mut state = saved.unwrap_or_else(|| State {
        key: job.resume.as_ref().map(|r| r.key.clone()).unwrap_or_default(),
        next_window: 0,
        report: Report::default(),
        dampings: BTreeMap::new(),
        finished: Vec::new(),
        carried: Vec::new(),
    });
    // `state` is the run's progress itself (records, dampings, finished blocks), so a
    // resumable state is written as it is.
    let mut work: Vec<Block> = Vec::new();
    if let Some(resume) = &job.resume {
        // Replay what an earlier, interrupted run finished: the streams go through the
        // saved blocks exactly as they went then.
        for (i, file) in state.finished.iter().enumerate() {
            let block = resume.load_block(model, i, file)?;
            advance_streams(&mut calib, heldout.as_mut(), &block, &model.load_block(i)?, mb, &mut ctxs)?;
            observer.streams_advanced(i, &calib.sparse, &calib.dense);
            finished(block)?;
        }
        let first = windows.get(state.next_window).map_or(0, |w| w.blocks.start);
        for (j, file) in state.carried.iter().enumerate() {
            work.push(resume.load_block(model, first + j, file)?);
        }
    }
    for (index, window) in windows.iter().enumerate().skip(state.next_window) {
        let window_started = Instant::now();
        while work.len() < window.blocks.len() {
            work.push(model.load_block(window.blocks.start + work.len())?);
        }
        let dense: Vec<Block> = window.blocks.clone().map(|i| model.load_block(i)).collect::<Result<_, _>>()?;

        let masks = job.prune_window(&mut work, &calib.sparse, real, &mut ctxs, &mut state.dampings)?;
        let forward_dense = |x: &Tensor, ctx: &BlockCtx| forward_window(&dense, x, ctx);
        let gp_target = map_stream("target", &calib.dense, job, &mut ctxs, forward_dense)?;
        let held_target = heldout.as_ref().map(|h| map_stream("heldout-target", &h.dense, job, &mut ctxs, forward_dense)).transpose()?;
        let trains = job.recon.granularity == Granularity::Block && job.recon.epochs > 0;
        let local_target = if trains && job.recon.propagation == Propagation::Local {
            Some(map_stream("local-target", &calib.sparse, job, &mut ctxs, forward_dense)?)
        } else {
            None
        };
        let measure_errors = |work: &[Block], ctxs: &mut Contexts| -> Result<Errors, Error> {
            let calib_error = window_error(work, &calib.sparse, &gp_target, real, mb, ctxs)?;
            let held_error = match (&heldout, &held_target) {
                (Some(h), Some(t)) => Some(window_error(work, &h.sparse, t, h.sparse.rows(), mb, ctxs)?.mean()),
                _ => None,
            };
            Ok(Errors { calib: calib_error.mean(), heldout: held_error })
        };
        let before = measure_errors(&work, &mut ctxs)?;

        let steps = if trains { job.recon.epochs * (calib.sparse.rows() as usize).div_ceil(job.recon.batch_size) } else { 0 };
        observer.window_started(window, steps);
        let mut record = WindowRecord {
            blocks: [window.blocks.start, window.blocks.end],
            advances: window.advances,
            before,
            epochs: Vec::new(),
            kept_epoch: 0,
            steps: 0,
            trainable: 0,
            seconds: 0.0,
        };
        if trains {
            let target = local_target.as_ref().unwrap_or(&gp_target);
            let mut params = Params::enable(&mut work, &masks);
            record.trainable = params.numel();
            let mut rng = SplitMix64::new(job.recon.seed.wrapping_add(index as u64));
            // Early stopping starts from the pruned state (epoch 0) as the best so far.
            let mut best = job.recon.early_stop.then(|| (before.heldout.unwrap_or(before.calib), params.snapshot()));
            let mut order: Vec<i64> = (0..calib.sparse.rows()).collect();
            let mut scale = if job.autocast { LossScale::dynamic() } else { LossScale::none() };
            let opt = AdamW { betas: job.recon.betas, eps: job.recon.eps, weight_decay: job.recon.weight_decay };
            let (mut taken, mut applied) = (0usize, 0u64);
            for epoch in 1..=job.recon.epochs {
                rng.shuffle(&mut order);
                for batch in order.chunks(job.recon.batch_size) {
                    let lr = linear_decay(job.recon.lr, taken, steps);
                    taken += 1;
                    params.zero_grad();
                    let loss = job.accumulate_gradients(&work, batch, &calib.sparse, target, &mut ctxs, scale.scale)?;
                    if !loss.is_finite() && !job.autocast {
                        return Err(Error::Diverged { blocks: window.blocks.clone(), step: taken, loss });
                    }
                    let used_scale = scale.scale;
                    if scale.update(params.grads_finite()) {
                        applied += 1;
                        params.step(&opt, applied, lr, used_scale);
                    }
                    observer.step_done(loss);
                }
                if !job.recon.errors_every_epoch && epoch < job.recon.epochs {
                    continue;
                }
                let errors = measure_errors(&work, &mut ctxs)?;
                record.epochs.push(errors);
                match best.as_mut() {
                    Some((best_error, snapshot)) => {
                        let held = errors.heldout.unwrap_or(errors.calib);
                        if held < *best_error {
                            *best_error = held;
                            *snapshot = params.snapshot();
                            record.kept_epoch = epoch;
                        }
                    }
                    None => record.kept_epoch = epoch,
                }
            }
            if let Some((_, snapshot)) = &best {
                params.restore(snapshot);
            }
            record.steps = taken;
            params.disable(&mut work);
        }
        drop((gp_target, held_target, local_target));

        let mut done = None;
        if let Some(advanced) = window.advances {
            let mut block = work.remove(0);
            advance_streams(&mut calib, heldout.as_mut(), &block, &dense[0], mb, &mut ctxs)?;
            observer.streams_advanced(advanced, &calib.sparse, &calib.dense);
            let error = Errors {
                calib: stream_distance(&calib, real, mb)?.mean(),
                heldout: heldout.as_ref().map(|h| stream_distance(h, h.sparse.rows(), mb).map(|e| e.mean())).transpose()?,
            };
            record.seconds = window_started.elapsed().as_secs_f64();
            let block_record = job.block_record(&block, advanced, &record, error, state.dampings.remove(&advanced).unwrap_or_default());
            observer.block_done(&block_record);
            state.report.blocks.push(block_record);
            if let Some(resume) = &job.resume {
                state.finished.push(resume.save_finished(&mut block)?);
            }
            done = Some(block);
        }
        record.seconds = window_started.elapsed().as_secs_f64();
        state.report.windows.push(record);
        if let Some(block) = done {
            if let Some(resume) = &job.resume {
                state.next_window = index + 1;
                resume.save_state(&mut state, &mut work)?;
            }
            finished(block)?;
        }
    }
    let mut report = state.report;
    report.stream_bytes = calib.sparse.bytes() * 2 + heldout.as_ref().map_or(0, |h| h.sparse.bytes() * 2);
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

impl Job<'_> {
    fn validate(&self, data: &Data<'_>) -> Result<(), Error> {
        let r = &self.recon;
        let bad = |m: String| Err(Error::Invalid(m));
        if data.calib.dim() != 2 || data.calib.size()[0] == 0 {
            return bad(format!("calibration windows must be [n, T] with n ≥ 1, got {:?}", data.calib.size()));
        }
        for (name, extra) in [("held-out", data.heldout), ("generated", data.generated)] {
            if let Some(h) = extra
                && (h.dim() != 2 || h.size()[1] != data.calib.size()[1])
            {
                return bad(format!("{name} windows {:?} must be [m, T] with T = {}", h.size(), data.calib.size()[1]));
            }
        }
        if r.window == 0 || r.window > self.model.num_blocks() {
            return bad(format!("window of {} blocks; the model has {} (allowed 1..={})", r.window, self.model.num_blocks(), self.model.num_blocks()));
        }
        if r.batch_size == 0 || self.streams.micro_batch < 1 {
            return bad(format!("batch size {} and micro-batch {} must be ≥ 1", r.batch_size, self.streams.micro_batch));
        }
        if !(r.lr.is_finite() && r.lr >= 0.0) {
            return bad(format!("learning rate {} must be a finite number ≥ 0", r.lr));
        }
        if !matches!(self.streams.kind, Kind::Float | Kind::BFloat16) {
            return bad(format!("stream dtype {:?}; expected one of: f32, bf16", self.streams.kind));
        }
        if r.early_stop && data.heldout.is_none() {
            return bad("early stopping needs held-out windows".into());
        }
        if r.early_stop && !r.errors_every_epoch {
            return bad("early stopping needs errors after every epoch".into());
        }
        Ok(())
    }

    /// Embeds ids into a sparse and a dense stream (identical at the start).
    fn embed_pair(&self, name: &str, ids: &Tensor) -> Result<Pair, Error> {
        let _guard = tch::no_grad_guard();
        let embed = |start: i64, count: i64| Ok(self.model.embed(&ids.narrow(0, start, count), None).0);
        let (placement, kind, device) = (&self.streams.placement, self.streams.kind, self.model.device());
        let rows = ids.size()[0];
        Ok(Pair {
            sparse: Stream::build(&format!("{name}-sparse"), rows, self.streams.micro_batch, kind, placement, device, embed)?,
            dense: Stream::build(&format!("{name}-dense"), rows, self.streams.micro_batch, kind, placement, device, embed)?,
        })
    }

    /// Gathers statistics from the sparse stream through the window (one pass, all
    /// linears hooked) and prunes every linear; returns the kept-masks.
    fn prune_window(&self, work: &mut [Block], x: &Stream, rows: i64, ctxs: &mut Contexts, dampings: &mut BTreeMap<usize, Vec<Option<f64>>>) -> Result<Vec<Vec<Tensor>>, Error> {
        let _guard = tch::no_grad_guard();
        let needs = self.method.needs;
        let device = self.model.device();
        let mut stats: Vec<Vec<LayerStats>> =
            work.iter().map(|b| b.linears().map(|(_, l)| LayerStats::new(l.weight.size()[1], needs, device)).collect()).collect();
        if needs.hessian || needs.input_sq_norm {
            let mut failure = None;
            for (start, count) in micro_batches(rows, self.streams.micro_batch) {
                let mut h = x.read(start, count)?;
                let ctx = ctxs.get(count);
                for (block, block_stats) in work.iter().zip(stats.iter_mut()) {
                    h = block.forward_tapped(&h, ctx, &mut |i, input| {
                        if let Err(e) = block_stats[i].add_batch(input) {
                            failure.get_or_insert((block.index, i, e));
                        }
                    });
                }
            }
            if let Some((block, i, source)) = failure {
                let linear = work.iter().find(|b| b.index == block).and_then(|b| b.linears().nth(i)).map(|(n, _)| n).unwrap_or("?");
                return Err(Error::Prune { block, linear: linear.into(), source });
            }
        }
        let mut masks = Vec::new();
        for (block, block_stats) in work.iter_mut().zip(&stats) {
            let index = block.index;
            let mut block_masks = Vec::new();
            let mut block_dampings = Vec::new();
            let prefix = self.model.arch.block_prefix(index);
            for ((name, linear), st) in block.linears_mut().zip(block_stats) {
                if !self.selection.prunes(&format!("{prefix}{name}")) {
                    block_masks.push(Tensor::ones_like(&linear.weight).to_kind(Kind::Bool));
                    block_dampings.push(None);
                    continue;
                }
                let pruned = self.method.prune(&linear.weight, st, &self.spec).map_err(|source| Error::Prune { block: index, linear: name.into(), source })?;
                linear.weight = pruned.weight;
                block_masks.push(pruned.mask);
                block_dampings.push(pruned.damping);
            }
            dampings.insert(index, block_dampings);
            masks.push(block_masks);
        }
        Ok(masks)
    }

    /// Forward and backward over one batch, micro-batch by micro-batch; returns the
    /// batch's mean squared error.
    fn accumulate_gradients(&self, work: &[Block], batch: &[i64], x: &Stream, target: &Stream, ctxs: &mut Contexts, scale: f64) -> Result<f64, Error> {
        let mut total = 0.0;
        for micro in batch.chunks(self.streams.micro_batch as usize) {
            let (xb, tb) = (x.gather(micro)?, target.gather(micro)?);
            let elements = (batch.len() as i64 * tb.size()[1] * tb.size()[2]) as f64;
            let ctx = ctxs.get(micro.len() as i64);
            let out = tch::autocast(self.autocast, || forward_window(work, &xb, ctx));
            let loss = (out.to_kind(Kind::Float) - tb).square().sum(Kind::Float) / elements;
            (&loss * scale).backward();
            total += loss.double_value(&[]);
        }
        Ok(total)
    }

    fn block_record(&self, block: &Block, index: usize, window: &WindowRecord, error: Errors, dampings: Vec<Option<f64>>) -> BlockRecord {
        let prefix = self.model.arch.block_prefix(index);
        let (mut zeros, mut total) = (0.0, 0.0);
        let linears = block
            .linears()
            .enumerate()
            .map(|(i, (name, linear))| {
                let size = linear.weight.size();
                let sparsity = measure::sparsity(&linear.weight);
                zeros += sparsity * linear.weight.numel() as f64;
                total += linear.weight.numel() as f64;
                LinearRecord { name: format!("{prefix}{name}"), shape: [size[0], size[1]], sparsity, damping: dampings.get(i).copied().flatten() }
            })
            .collect();
        BlockRecord {
            block: index,
            sparsity: zeros / total,
            error_pruned: window.before,
            error,
            kept_epoch: window.kept_epoch,
            seconds: window.seconds,
            linears,
        }
    }
}

/// Advances the calibration and held-out streams past one block: the sparse ones
/// through the finished `block`, the dense ones through its dense original.
fn advance_streams(calib: &mut Pair, heldout: Option<&mut Pair>, block: &Block, dense: &Block, mb: i64, ctxs: &mut Contexts) -> Result<(), Error> {
    let _guard = tch::no_grad_guard();
    for pair in std::iter::once(calib).chain(heldout) {
        pair.sparse.map_in_place(mb, |x| block.forward(x, ctxs.get(x.size()[0])))?;
        pair.dense.map_in_place(mb, |x| dense.forward(x, ctxs.get(x.size()[0])))?;
    }
    Ok(())
}

/// A window's blocks applied in order.
pub fn forward_window(blocks: &[Block], x: &Tensor, ctx: &BlockCtx) -> Tensor {
    blocks.iter().fold(x.shallow_clone(), |h, block| block.forward(&h, ctx))
}

/// A new stream: `f` applied to every micro-batch of `input` (no gradients).
fn map_stream(name: &str, input: &Stream, job: &Job<'_>, ctxs: &mut Contexts, f: impl Fn(&Tensor, &BlockCtx) -> Tensor) -> Result<Stream, Error> {
    let _guard = tch::no_grad_guard();
    let s = &job.streams;
    Stream::build(name, input.rows(), s.micro_batch, s.kind, &s.placement, job.model.device(), |start, count| {
        Ok(f(&input.read(start, count)?, ctxs.get(count)))
    })
}

/// Σ(window(x) − target)² over the first `rows` rows.
fn window_error(blocks: &[Block], x: &Stream, target: &Stream, rows: i64, mb: i64, ctxs: &mut Contexts) -> Result<SquaredError, Error> {
    let _guard = tch::no_grad_guard();
    let mut total = SquaredError::default();
    for (start, count) in micro_batches(rows, mb) {
        let out = forward_window(blocks, &x.read(start, count)?, ctxs.get(count));
        total = total + SquaredError::between(&out, &target.read(start, count)?);
    }
    Ok(total)
}

/// Σ(sparse − dense)² over the first `rows` rows of a pair of streams.
fn stream_distance(pair: &Pair, rows: i64, mb: i64) -> Result<SquaredError, Error> {
    let mut total = SquaredError::default();
    for (start, count) in micro_batches(rows, mb) {
        total = total + SquaredError::between(&pair.sparse.read(start, count)?, &pair.dense.read(start, count)?);
    }
    Ok(total)
}

/// Block contexts (masks, rotary tables) by batch size: every window starts at
/// position 0 without padding, so one context per batch size serves all.
struct Contexts<'m> {
    model: &'m Model,
    seqlen: i64,
    by_rows: Vec<(i64, BlockCtx)>,
}

impl<'m> Contexts<'m> {
    fn new(model: &'m Model, seqlen: i64) -> Self {
        Self { model, seqlen, by_rows: Vec::new() }
    }

    fn get(&mut self, rows: i64) -> &BlockCtx {
        let at = match self.by_rows.iter().position(|(r, _)| *r == rows) {
            Some(at) => at,
            None => {
                let ctx = BlockCtx::new(&self.model.arch, (rows, self.seqlen), None, self.model.device());
                self.by_rows.push((rows, ctx));
                self.by_rows.len() - 1
            }
        };
        &self.by_rows[at].1
    }
}
