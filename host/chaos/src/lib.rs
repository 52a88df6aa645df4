//! Production-mode deployments of `ocr-server` on loopback, for the end-to-end bench
//! (`cargo run -p ocr-server --example e2e-bench`), the chaos run (`--example chaos`) and its short
//! version in the test suite (`api::chaos`). Dev only: nothing here ships in the server.
//!
//! - [`services`]: a fresh PostgreSQL database on the machine's cluster, and *private* Redis and
//!   SeaweedFS processes on free loopback ports, which a chaos run may kill and restart without
//!   disturbing anything else on the machine.
//! - [`deploy`]: `ocr-server` processes (`migrate`, `api`, `worker`) wired to those services,
//!   with their CPU time and peak memory read from `/proc`.
//! - [`chaos`]: load through the HTTP API while faults are injected on a schedule, then a
//!   reconciliation of every accepted job against the database and the bucket.
//!
//! Async (tokio); child processes are killed when their handles drop.

pub mod chaos;
pub mod deploy;
pub mod services;
