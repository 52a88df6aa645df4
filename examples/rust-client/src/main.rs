//! `ocr-client FILE`: runs the whole flow against a server (create, upload, detect, review,
//! recognize) and prints the text. Steps go to stderr, the text to stdout.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use ocr_client::{Auth, Client, DetectOptions, JobOptions};

/// Runs the OCR flow with a review step on one document and prints the recognized text.
///
/// The review step removes the box the detector is least sure of and saves the edit with
/// If-Match, as a person correcting the boxes would.
#[derive(Parser)]
#[command(name = "ocr-client", version)]
struct Args {
    /// Server address.
    #[arg(long, env = "OCR_URL", default_value = "http://127.0.0.1:8000")]
    url: String,
    /// Tenant sent as X-Tenant-Id (auth mode `header`, the quickstart); unused with --api-key.
    #[arg(long, env = "OCR_TENANT", default_value = "demo")]
    tenant: String,
    /// API key sent as `Authorization: Bearer` (auth mode `api-key`); takes the place of --tenant.
    #[arg(long, env = "OCR_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// Detection canvas (longest side in pixels; smaller is faster). The server's default when unset.
    #[arg(long, env = "OCR_CANVAS")]
    canvas: Option<u32>,
    /// Recognition language: auto, vi or en. The server's default (auto) when unset.
    #[arg(long, env = "OCR_LANG", value_parser = ["vi", "en"])]
    lang: Option<String>,
    /// The document: PNG, JPEG, WebP, BMP, TIFF or PDF.
    file: PathBuf,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let auth = match args.api_key {
        Some(key) => Auth::ApiKey(key),
        None => Auth::Tenant(args.tenant),
    };
    let client = Client::new(&args.url, auth);
    let options = JobOptions {
        lang: args.lang,
        detect: DetectOptions { canvas_size: args.canvas, ..Default::default() },
        ..Default::default()
    };
    match ocr_client::review_flow(&client, &args.file, &options, |step| eprintln!("{step}")).await {
        Ok(outcome) => {
            println!("{}", outcome.result.text);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
