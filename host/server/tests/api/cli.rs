//! The local commands: `ocr`, `plugin check`, `plugin run`, `models status`, `--help`.

use std::process::Command;

use serde_json::Value;

use crate::harness::{BIN, fixture, plugin_dist};

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN).args(args).output().expect("run ocr-server");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn ocr_reads_a_local_file_without_a_server() {
    let file = fixture("en_rotated_15deg.png");
    let (ok, stdout, stderr) = run(&["ocr", "--lang", "en", "--format", "json", file.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let docs: Value = serde_json::from_str(&stdout).unwrap();
    let text = docs[0]["result"]["text"].as_str().unwrap();
    assert!(text.contains("Shipment") && text.contains("58213"), "{text}");
    let (ok, _, stderr) = run(&["ocr", "/nonexistent.png"]);
    assert!(!ok && stderr.contains("/nonexistent.png"), "{stderr}");
}

#[test]
fn plugin_check_and_run_use_the_production_sandbox() {
    let wasm = plugin_dist().join("text-normalizer.wasm");
    let (ok, stdout, stderr) = run(&["plugin", "check", wasm.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("hooks: normalize-text") && stdout.contains("deadline 2000 ms"), "{stdout}");

    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.json");
    std::fs::write(&page, r#"{"width":100,"height":50,"lines":[{"text":"  id 012345678901  ","confidence":0.9,"points":[[0,0],[10,0],[10,10],[0,10]],"char_confidences":[]}]}"#).unwrap();
    let (ok, stdout, stderr) = run(&[
        "plugin",
        "run",
        wasm.to_str().unwrap(),
        "--hook",
        "normalize-text",
        "--input",
        page.to_str().unwrap(),
        "--config",
        "mask_digits=true",
    ]);
    assert!(ok, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["lines"][0]["text"], "id ************");
    assert!(report["fuel_used"].as_u64().unwrap() > 0);

    // The wrong hook for the input, and a file that is no plugin, are refused clearly.
    let (ok, _, stderr) =
        run(&["plugin", "run", wasm.to_str().unwrap(), "--hook", "filter-boxes", "--input", page.to_str().unwrap()]);
    assert!(!ok && stderr.contains("boxes"), "{stderr}");
    let (ok, _, stderr) = run(&["plugin", "check", page.to_str().unwrap()]);
    assert!(!ok && stderr.contains("plugin_invalid"), "{stderr}");
}

#[test]
fn help_lists_every_subcommand_and_the_original_variable_names() {
    let (ok, stdout, _) = run(&["--help"]);
    assert!(ok);
    for cmd in ["serve", "api", "worker", "migrate", "ocr", "models", "plugin"] {
        assert!(stdout.contains(cmd), "{cmd} missing from --help");
    }
    let (_, serve, _) = run(&["serve", "--help"]);
    for var in [
        "DATABASE_URL",
        "REDIS_URL",
        "S3_ENDPOINT",
        "S3_BUCKET",
        "OCR_MODELS_DIR",
        "OCR_MAX_UPLOAD_BYTES",
        "OCR_PLUGIN_DEADLINE_MS",
    ] {
        assert!(serve.contains(var), "{var} missing from serve --help");
    }
}

#[test]
fn every_environment_variable_in_help_is_documented_in_readme_and_env_example() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let example = std::fs::read_to_string(root.join("infra/.env.example")).unwrap();
    let mut seen = 0;
    for cmd in ["serve", "worker"] {
        let (_, help, _) = run(&[cmd, "--help"]);
        for var in help.split("[env: ").skip(1).filter_map(|s| s.split(['=', ']']).next()) {
            assert!(readme.contains(var), "{var} (from `{cmd} --help`) is not in README.md");
            assert!(example.contains(var), "{var} (from `{cmd} --help`) is not in infra/.env.example");
            seen += 1;
        }
    }
    assert!(seen > 30, "found only {seen} variables in --help");
}
