//! Domain and wire types of the OCR platform, shared by every other crate.
//!
//! Owns: job ids and states (and the state machine), task kinds, job options, the geometry of
//! detected boxes and recognized lines, review figures, and the one catalog of error codes with
//! their HTTP statuses. Must not do I/O: no database, storage, network, files or clocks.

pub mod api_key;
pub mod error;
pub mod geometry;
pub mod job;
pub mod plugin;
pub mod result;
pub mod review;
pub mod structure;

pub use error::{ErrorCode, JobError};
pub use geometry::{Point, Quad};
pub use job::{DetectParams, JobId, JobOptions, JobStatus, Lang, TaskKind, TenantId};
pub use plugin::{
    EnglishReader, FailurePolicy, JobNotes, Pipeline, PipelineStep, PluginHooks, PluginLogLine, Readers, SecondReader,
};
pub use result::{DetectPage, DetectResult, LineEdit, OcrLine, OcrPage, OcrResult, TextBox};
pub use review::ReviewStats;
pub use structure::{Block, BlockKind, Field, FieldEdit, KeyValuePair, PairPart, Table, TableCell};
