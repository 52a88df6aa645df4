//! One worker: pops tasks, claims jobs, runs detection or recognition, persists, acknowledges.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use ocr_core::plugin::JobTimings;
use ocr_core::{
    DetectPage, DetectResult, ErrorCode, JobError, JobNotes, JobOptions, JobStatus, OcrPage, OcrResult, Readers,
    TaskKind,
};
use ocr_inference::{DecodeLimits, Engine, InferenceConfig};
use ocr_store::objects::keys;
use ocr_store::{Delivery, JobRow, Task, now_ms};
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, info, info_span, warn};

use crate::{Backends, Plugins, WorkerSettings};

/// The OCR the worker runs: the interface between the job pipeline and the models.
/// Synchronous and CPU-bound; called from `spawn_blocking`.
pub trait Ocr: Send + Sync + 'static {
    /// Text boxes (lines) of every page of the document.
    fn detect(&self, document: &[u8], options: &JobOptions) -> Result<DetectResult, JobError>;
    /// Text of the given boxes.
    /// Reads the text under the boxes with the tenant's choice of line readers.
    fn recognize(
        &self,
        document: &[u8],
        boxes: &DetectResult,
        options: &JobOptions,
        readers: Readers,
    ) -> Result<OcrResult, JobError>;
    /// Whether the models are loaded (or loadable); the reason when not.
    fn ready(&self) -> Result<(), JobError>;
}

/// CRAFT + the line recognizer through ONNX Runtime. Models load once per process; when they
/// are missing, jobs fail with `models_missing` and loading is tried again on the next job, so
/// fetching the models fixes a running server without a restart.
pub struct NativeOcr {
    config: InferenceConfig,
    limits: DecodeLimits,
    engine: Mutex<Option<Arc<Engine>>>,
}

impl NativeOcr {
    pub fn new(config: InferenceConfig, limits: DecodeLimits) -> Self {
        let ocr = Self { config, limits, engine: Mutex::new(None) };
        if let Err(e) = ocr.engine() {
            warn!(error = %e.message, "OCR models are not loaded; jobs will fail with models_missing until they are");
        }
        ocr
    }

    pub fn limits(&self) -> &DecodeLimits {
        &self.limits
    }

    fn engine(&self) -> Result<Arc<Engine>, JobError> {
        let mut slot = self.engine.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(engine) = slot.as_ref() {
            return Ok(engine.clone());
        }
        let engine = Arc::new(Engine::load(&self.config).map_err(inference_error)?);
        *slot = Some(engine.clone());
        Ok(engine)
    }
}

fn inference_error(e: ocr_inference::Error) -> JobError {
    JobError::new(e.code(), e.to_string())
}

impl Ocr for NativeOcr {
    fn detect(&self, document: &[u8], options: &JobOptions) -> Result<DetectResult, JobError> {
        let engine = self.engine()?;
        let pages = ocr_inference::decode_pages(document, &self.limits).map_err(inference_error)?;
        let mut out = Vec::with_capacity(pages.len());
        for (index, page) in pages.iter().enumerate() {
            let detection = engine.detect(page, &options.detect).map_err(inference_error)?;
            metrics::histogram!("ocr_model_seconds", "stage" => "detect").record(detection.timing.model.as_secs_f64());
            metrics::histogram!("ocr_preprocessing_seconds", "stage" => "detect")
                .record(detection.timing.other.as_secs_f64());
            if detection.rotation != 0 {
                tracing::info!(
                    page = index,
                    degrees = detection.rotation,
                    "the page was turned; its boxes read it upright"
                );
            }
            out.push(DetectPage {
                page_index: index as u32,
                width: page.width(),
                height: page.height(),
                boxes: detection.boxes,
            });
        }
        Ok(DetectResult { pages: out })
    }

    fn recognize(
        &self,
        document: &[u8],
        boxes: &DetectResult,
        options: &JobOptions,
        readers: Readers,
    ) -> Result<OcrResult, JobError> {
        let engine = self.engine()?;
        let pages = ocr_inference::decode_pages(document, &self.limits).map_err(inference_error)?;
        let mut out = Vec::with_capacity(boxes.pages.len());
        for detected in &boxes.pages {
            let page = pages.get(detected.page_index as usize).ok_or_else(|| {
                JobError::new(ErrorCode::InvalidBoxes, format!("page {} is not in the document", detected.page_index))
            })?;
            let recognition =
                engine.recognize_with(page, &detected.boxes, options.lang, readers).map_err(inference_error)?;
            metrics::histogram!("ocr_model_seconds", "stage" => "recognize")
                .record(recognition.timing.model.as_secs_f64());
            metrics::histogram!("ocr_preprocessing_seconds", "stage" => "recognize")
                .record(recognition.timing.other.as_secs_f64());
            let lines = recognition.lines;
            let text = lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n");
            out.push(OcrPage {
                page_index: detected.page_index,
                width: detected.width,
                height: detected.height,
                lines,
                text,
                ..Default::default()
            });
        }
        Ok(OcrResult::new(out, engine.model_name_with(options.lang, readers)))
    }

    fn ready(&self) -> Result<(), JobError> {
        self.engine().map(|_| ())
    }
}

/// What became of one delivery.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The job was not waiting for this task (a duplicate or stale message): nothing done.
    Skipped,
    Completed(JobStatus),
    /// Failed, will be retried after a backoff.
    Retrying,
    Failed(ErrorCode),
    /// Lost the lease while working (another worker took over); the result was discarded.
    LostLease,
}

/// A worker bound to its backends and OCR.
pub struct Worker {
    backends: Backends,
    ocr: Arc<dyn Ocr>,
    settings: WorkerSettings,
    /// Tenant plugins; `None` runs no plugins.
    plugins: Option<Arc<Plugins>>,
    /// The task this worker has claimed, if any.
    running: Mutex<Option<Task>>,
}

impl Worker {
    pub fn new(backends: Backends, ocr: Arc<dyn Ocr>, plugins: Option<Arc<Plugins>>, settings: WorkerSettings) -> Self {
        Self { backends, ocr, settings, plugins, running: Mutex::new(None) }
    }

    /// Pops and processes tasks until `shutdown` fires. A task running then gets
    /// `shutdown_grace` to finish; after that its lease is released for another worker.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        info!(worker = %self.settings.id, queue = %self.backends.queue.describe(), "worker started");
        while !shutdown.is_cancelled() {
            let popped = tokio::select! {
                _ = shutdown.cancelled() => break,
                popped = self.backends.queue.pop(&self.settings.id, self.settings.poll_wait) => popped,
            };
            let delivery = match popped {
                Ok(Some(d)) => d,
                Ok(None) => continue,
                Err(e) => {
                    warn!(error = %e, "queue read failed; retrying in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let this = self.clone();
            let mut handle = tokio::spawn(async move { this.process(&delivery).await });
            tokio::select! {
                res = &mut handle => { if let Err(e) = res { warn!(error = %e, "task panicked"); } }
                _ = shutdown.cancelled() => {
                    if tokio::time::timeout(self.settings.shutdown_grace, &mut handle).await.is_err() {
                        warn!("shutdown grace ran out; releasing the running task");
                        handle.abort();
                        self.release_all().await;
                    }
                    break;
                }
            }
        }
        info!(worker = %self.settings.id, "worker stopped");
    }

    /// Gives back the task this worker holds (at shutdown) and re-sends it for another worker.
    async fn release_all(&self) {
        let running = self.running.lock().unwrap_or_else(|e| e.into_inner()).take();
        let Some(task) = running else { return };
        match self.backends.db.release(task.job_id, task.kind, &self.settings.id).await {
            Ok(true) => {
                if let Err(e) = self.backends.queue.push(task.clone()).await {
                    warn!(error = %e, "could not re-send the released task; the sweeper will");
                }
                info!(job_id = %task.job_id, "released the running task");
            }
            Ok(false) => {}
            Err(e) => warn!(error = %e, "could not release the running task; its lease will expire"),
        }
    }

    /// Processes one delivery end to end and acknowledges it. Errors of the backends leave
    /// the message unacknowledged: it is delivered again, or the sweeper re-sends the job.
    pub async fn process(&self, delivery: &Delivery) -> Outcome {
        let task = &delivery.task;
        let span =
            info_span!("job", job_id = %task.job_id, task = task.kind.as_str(), tenant_id = tracing::field::Empty);
        async move {
            let outcome = match self.try_process(task).await {
                Ok(o) => o,
                Err(e) => {
                    warn!(error = %e, "backend error while processing; the job will be retried");
                    return Outcome::Retrying;
                }
            };
            if let Err(e) = self.backends.queue.ack(delivery).await {
                warn!(error = %e, "could not acknowledge the message; a duplicate delivery will be skipped");
            }
            info!(?outcome, "task processed");
            outcome
        }
        .instrument(span)
        .await
    }

    async fn try_process(&self, task: &Task) -> ocr_store::Result<Outcome> {
        let s = &self.settings;
        let (kind, job_id) = (task.kind, task.job_id);
        let Some(job) = self.backends.db.claim(task, &s.id, s.lease).await? else {
            return Ok(Outcome::Skipped);
        };
        tracing::Span::current().record("tenant_id", job.tenant_id.as_str());
        *self.running.lock().unwrap_or_else(|e| e.into_inner()) = Some(task.clone());
        let claimed = now_ms();
        if let Some(sent) = job.enqueued_at {
            // Time from the (last) send of the task to a worker taking it.
            metrics::histogram!("ocr_queue_wait_seconds", "task" => kind.as_str())
                .record((claimed - sent).max(0) as f64 / 1000.0);
        }
        // For the job's timings: since the job became ready for this task (its upload, or the
        // end of detection), so time lost to crashed attempts and backoff counts too.
        let ready = match kind {
            TaskKind::Detect => job.uploaded_at,
            TaskKind::Recognize => job.detect_done_at.max(job.enqueued_at),
        };
        let queue_wait = Duration::from_millis(ready.map_or(0, |r| (claimed - r).max(0) as u64));

        let heartbeat = CancellationToken::new();
        let hb = tokio::spawn(heartbeat_loop(
            self.backends.db.clone(),
            job_id,
            kind,
            s.id.clone(),
            s.lease,
            s.heartbeat,
            heartbeat.clone(),
        ));
        let started = std::time::Instant::now();
        let result = self.execute(kind, &job, queue_wait).await;
        metrics::histogram!("ocr_task_seconds", "task" => kind.as_str(), "outcome" => if result.is_ok() { "ok" } else { "error" })
            .record(started.elapsed().as_secs_f64());
        heartbeat.cancel();
        let _ = hb.await;
        self.running.lock().unwrap_or_else(|e| e.into_inner()).take();

        let db = &self.backends.db;
        match result {
            Ok(Stored::Detect(result, notes, version)) => {
                let then_recognize = job.options.auto_ocr;
                if !db.complete_detection(job_id, &s.id, &result, &notes, then_recognize, version).await? {
                    return Ok(Outcome::LostLease);
                }
                if then_recognize {
                    self.backends
                        .queue
                        .push(Task { kind: TaskKind::Recognize, job_id, tenant: job.tenant_id.clone() })
                        .await?;
                    return Ok(Outcome::Completed(JobStatus::OcrQueued));
                }
                Ok(Outcome::Completed(JobStatus::DetectDone))
            }
            Ok(Stored::Recognize(result, notes, version)) => {
                if !db.complete_recognition(job_id, &s.id, &result, &notes, version).await? {
                    return Ok(Outcome::LostLease);
                }
                if job.reviewed_at.is_some() {
                    // Reviewed boxes were read again: the job's review figures now have lines.
                    let machine = job.machine_detect.as_ref().or(job.detect_result.as_ref());
                    if let (Some(machine), Some(reviewed)) = (machine, job.detect_result.as_ref()) {
                        let review = ocr_store::Review::of(machine, reviewed, Some(&result));
                        if let Err(e) = db.refresh_review(job_id, &review).await {
                            warn!(error = %e, "could not update the job's review figures");
                        }
                    }
                }
                metrics::counter!("ocr_jobs_finished_total", "status" => "DONE", "code" => "").increment(1);
                Ok(Outcome::Completed(JobStatus::Done))
            }
            Err(error) => {
                let retry = error.code.is_transient() && job.attempts < s.max_attempts;
                let retry_at = retry.then(|| {
                    let factor = 1u32 << (job.attempts.clamp(1, 10) - 1);
                    now_ms() + (s.retry_backoff * factor).as_millis() as i64
                });
                warn!(code = %error.code, message = %error.message, attempt = job.attempts, retry, "task failed");
                if !db.fail_task(job_id, kind, &s.id, &error, retry_at).await? {
                    return Ok(Outcome::LostLease);
                }
                if retry {
                    metrics::counter!("ocr_task_retries_total", "task" => kind.as_str()).increment(1);
                } else {
                    metrics::counter!("ocr_jobs_finished_total", "status" => "FAILED", "code" => error.code.as_str())
                        .increment(1);
                }
                Ok(if retry { Outcome::Retrying } else { Outcome::Failed(error.code) })
            }
        }
    }

    /// Reads the original, runs the model off the runtime, writes the result object. Adds the
    /// time of each stage to the job's timings.
    async fn execute(&self, kind: TaskKind, job: &JobRow, queue_wait: Duration) -> Result<Stored, JobError> {
        let key = job
            .file_key
            .clone()
            .ok_or_else(|| JobError::new(ErrorCode::MissingFile, "the job has no uploaded file"))?;
        let mut notes = match kind {
            TaskKind::Detect => JobNotes::default(),
            TaskKind::Recognize => job.notes.clone(),
        };
        JobTimings::add(&mut notes.timings.queue_wait_ms, queue_wait);
        let clock = Instant::now();
        let document: Bytes =
            self.backends.objects.get(&key).await.map_err(|e| backend_unavailable("could not read the original", e))?;
        JobTimings::add(&mut notes.timings.storage_ms, clock.elapsed());
        let ocr = self.ocr.clone();
        let options = job.options.clone();
        let span = tracing::Span::current();
        match kind {
            TaskKind::Detect => {
                let clock = Instant::now();
                let mut result = tokio::task::spawn_blocking(move || span.in_scope(|| ocr.detect(&document, &options)))
                    .await
                    .map_err(|e| JobError::new(ErrorCode::InferenceFailed, format!("detection crashed: {e}")))??;
                JobTimings::add(&mut notes.timings.detection_ms, clock.elapsed());
                let mut version = 0;
                if let Some(plugins) = &self.plugins {
                    let clock = Instant::now();
                    let pipeline;
                    (version, pipeline) = self.pipeline(&job.tenant_id).await?;
                    if !pipeline.filter_boxes.is_empty() {
                        // The detector's own boxes, for replaying another pipeline later.
                        self.store_json(&keys::model_detect(&job.tenant_id, job.id), &result, "the detector's boxes")
                            .await?;
                    }
                    plugins
                        .filter_boxes(&self.backends, &job.tenant_id, &pipeline.filter_boxes, &mut result, &mut notes)
                        .await?;
                    JobTimings::add(&mut notes.timings.plugins_ms, clock.elapsed());
                }
                let clock = Instant::now();
                self.store_json(&keys::detect(&job.tenant_id, job.id), &result, "the detect result").await?;
                JobTimings::add(&mut notes.timings.storage_ms, clock.elapsed());
                Ok(Stored::Detect(result, notes, version))
            }
            TaskKind::Recognize => {
                let boxes = job
                    .detect_result
                    .clone()
                    .ok_or_else(|| JobError::new(ErrorCode::InvalidState, "the job has no boxes to read"))?;
                // The tenant's choice of line readers is in its pipeline settings.
                let readers = self.pipeline(&job.tenant_id).await?.1.readers();
                let clock = Instant::now();
                let mut result = tokio::task::spawn_blocking(move || {
                    span.in_scope(|| ocr.recognize(&document, &boxes, &options, readers))
                })
                .await
                .map_err(|e| JobError::new(ErrorCode::InferenceFailed, format!("recognition crashed: {e}")))??;
                JobTimings::add(&mut notes.timings.recognition_ms, clock.elapsed());
                let mut version = 0;
                if let Some(plugins) = &self.plugins {
                    let clock = Instant::now();
                    let pipeline;
                    (version, pipeline) = self.pipeline(&job.tenant_id).await?;
                    let key = keys::model_result(&job.tenant_id, job.id);
                    if !pipeline.normalize_text.is_empty() {
                        // The recognizer's own lines, for replaying another pipeline later.
                        self.store_json(&key, &result, "the recognizer's lines").await?;
                    } else if job.done_at.is_some() {
                        // Read again without plugins: an earlier run's lines would be stale.
                        self.backends
                            .objects
                            .delete(&key)
                            .await
                            .map_err(|e| backend_unavailable("could not remove the earlier recognizer's lines", e))?;
                    }
                    plugins
                        .normalize_text(
                            &self.backends,
                            &job.tenant_id,
                            &pipeline.normalize_text,
                            &mut result,
                            &mut notes,
                        )
                        .await?;
                    // The page structure (layout) is computed here, on the final lines, before
                    // `extract_fields`, so that field plugins see blocks, tables and pairs.
                    ocr_layout::annotate(&mut result);
                    if !pipeline.extract_fields.is_empty() {
                        plugins
                            .extract_fields(
                                &self.backends,
                                &job.tenant_id,
                                &pipeline.extract_fields,
                                &mut result,
                                &mut notes,
                            )
                            .await?;
                    }
                    JobTimings::add(&mut notes.timings.plugins_ms, clock.elapsed());
                } else {
                    ocr_layout::annotate(&mut result);
                }
                let clock = Instant::now();
                self.store_json(&keys::result(&job.tenant_id, job.id), &result, "the result").await?;
                JobTimings::add(&mut notes.timings.storage_ms, clock.elapsed());
                Ok(Stored::Recognize(result, notes, version))
            }
        }
    }
}

impl Worker {
    /// The tenant's plugin pipeline and its version (read per task, so a change applies to the
    /// next job).
    async fn pipeline(&self, tenant: &ocr_core::TenantId) -> Result<(i64, ocr_core::Pipeline), JobError> {
        self.backends.db.pipeline(tenant).await.map_err(|e| backend_unavailable("could not read the pipeline", e))
    }

    /// Writes a result document to object storage, beside the database copy.
    async fn store_json<T: serde::Serialize>(&self, key: &str, value: &T, what: &str) -> Result<(), JobError> {
        let json = serde_json::to_vec(value).map_err(|e| JobError::new(ErrorCode::Internal, e.to_string()))?;
        self.backends
            .objects
            .put(key, json.into())
            .await
            .map_err(|e| backend_unavailable(&format!("could not store {what}"), e))
    }
}

/// A backend failure during a task: logged, and retried as `service_unavailable`.
fn backend_unavailable(what: &str, e: ocr_store::Error) -> JobError {
    warn!(error = %e, "{what}");
    JobError::new(ErrorCode::ServiceUnavailable, format!("{what}; will retry"))
}

/// A task's result, its notes, and the pipeline version it ran with.
enum Stored {
    Detect(DetectResult, JobNotes, i64),
    Recognize(OcrResult, JobNotes, i64),
}

async fn heartbeat_loop(
    db: ocr_store::Db,
    job: ocr_core::JobId,
    kind: TaskKind,
    worker: String,
    lease: Duration,
    every: Duration,
    stop: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
        match db.heartbeat(job, kind, &worker, lease).await {
            Ok(true) => {}
            Ok(false) => {
                warn!(%job, "lease lost while working; the result will be discarded");
                return;
            }
            Err(e) => warn!(%job, error = %e, "heartbeat failed"),
        }
    }
}
