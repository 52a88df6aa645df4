//! Integration tests through HTTP against the real `ocr-server` binary, on both backends:
//! embedded (SQLite, local folder, in-process queue) and production (PostgreSQL, Redis Streams,
//! the S3-compatible server from `scripts/s3-server.sh`). Real models, real services: a missing
//! service fails the test with a message saying how to start it.

mod harness;

mod auth;
mod burst;
mod chaos;
mod cli;
mod clients;
mod field_review;
mod fields;
mod flow;
mod formats;
mod isolation;
mod long_lines;
mod plugins;
mod recovery;
mod requests;
mod review;
mod review_loop;
mod structure;
mod webhooks;
