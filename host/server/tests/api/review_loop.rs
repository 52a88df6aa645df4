//! The review loop: reviewers' corrections exported as data (opt-in), quality figures computed
//! from review, versioned pipelines with rollback, and replay of a candidate pipeline on stored
//! jobs — on both backends, with the real models and the built-in plugins.

use base64::Engine as _;
use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Api, Deployment, PRODUCTION, fixture, plugin_dist, quick_options, tenant};

#[tokio::test]
async fn corrections_and_quality_figures_on_embedded_backends() {
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[]).await;
    let (t, job) = corrections_and_quality(&api).await;
    exported_folder_and_offline_replay(&d, &t, &job);
}

#[tokio::test]
async fn corrections_and_quality_figures_on_production_backends() {
    let _one_at_a_time = PRODUCTION.lock().await;
    let d = Deployment::production().await;
    let api = d.start_api("api", &[]).await;
    let _worker = d.spawn("worker", &["worker"], &[]);
    let (t, job) = corrections_and_quality(&api).await;
    exported_folder_and_offline_replay(&d, &t, &job);
}

#[tokio::test]
async fn replay_and_pipeline_versions_on_embedded_backends() {
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[]).await;
    replay_and_versions(&api).await;
}

#[tokio::test]
async fn replay_and_pipeline_versions_on_production_backends() {
    let _one_at_a_time = PRODUCTION.lock().await;
    let d = Deployment::production().await;
    let api = d.start_api("api", &[]).await;
    let _worker = d.spawn("worker", &["worker"], &[]);
    replay_and_versions(&api).await;
}

async fn send(api: &Api, method: Method, path: &str, t: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = api.req(method, path, t);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn square(x: f64, y: f64, w: f64, h: f64) -> Value {
    json!([[x, y], [x + w, y], [x + w, y + h], [x, y + h]])
}

/// Reviews a recognized page (boxes: one moved, one removed, one added; text: two lines
/// corrected by known edit distances), then checks the quality figures against the hand count
/// and the exported corrections against the recognizer's own crop. Returns the tenant and job.
async fn corrections_and_quality(api: &Api) -> (String, String) {
    let t = tenant();
    let job = api.create_job(&t, quick_options(true)).await;
    api.upload_ok(&t, &job, "vi_paragraph.png").await;
    let done = api.wait_for(&t, &job, "DONE").await;
    assert_eq!(done["pipeline_version"], 0, "no pipeline was ever set");
    assert!(done["reviewed_at"].is_null());
    let model = done["ocr_result"]["model"].as_str().unwrap().to_owned();
    let lines = done["ocr_result"]["pages"][0]["lines"].as_array().unwrap().clone();
    assert!(lines.len() >= 3, "{lines:?}");

    // Not opted in: nothing is exported.
    let (status, body) = send(api, Method::GET, "/v1/corrections", &t, None).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("not_opted_in")), "{body}");

    // Boxes: the first moved 2 px, the last removed, one drawn in the top-left corner.
    let (_, detect) = send(api, Method::GET, &format!("/v1/ocr/jobs/{job}/detect"), &t, None).await;
    let page = &detect["pages"][0];
    let machine_boxes = page["boxes"].as_array().unwrap().clone();
    let n_boxes = machine_boxes.len();
    let mut boxes = machine_boxes.clone();
    boxes.pop();
    for p in boxes[0]["points"].as_array_mut().unwrap() {
        p[0] = json!(p[0].as_f64().unwrap() + 2.0);
    }
    boxes.push(json!({"points": square(1.0, 1.0, 6.0, 3.0), "score": 1.0}));
    let edit = json!({"pages": [{"page_index": 0, "width": page["width"], "height": page["height"], "boxes": boxes}]});
    let (status, body) = send(api, Method::PATCH, &format!("/v1/ocr/jobs/{job}/detect"), &t, Some(edit)).await;
    assert_eq!(status, 200, "{body}");

    // Text: line 0 gets "!!" appended (distance 2), line 1 loses its last character (distance 1).
    let text0 = format!("{}!!", lines[0]["text"].as_str().unwrap());
    let mut text1: Vec<char> = lines[1]["text"].as_str().unwrap().chars().collect();
    text1.pop();
    let text1: String = text1.into_iter().collect();
    let edits = json!({"edits": [
        {"page_index": 0, "line_index": 0, "text": text0},
        {"page_index": 0, "line_index": 1, "text": text1}]});
    let (status, result) = send(api, Method::PATCH, &format!("/v1/ocr/jobs/{job}/result"), &t, Some(edits)).await;
    assert_eq!(status, 200, "{result}");
    let chars: usize = result["pages"][0]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["text"].as_str().unwrap().chars().count())
        .sum();
    assert!(api.job(&t, &job).await["reviewed_at"].is_string());

    // Quality figures, against the hand count.
    let (status, q) = send(api, Method::GET, "/v1/stats/quality", &t, None).await;
    assert_eq!(status, 200, "{q}");
    let m = &q["models"][0];
    assert_eq!(q["models"].as_array().unwrap().len(), 1, "{q}");
    assert_eq!(m["model"], model.as_str());
    assert_eq!(m["jobs_reviewed"], 1);
    assert_eq!(m["lines"], lines.len());
    assert_eq!(m["lines_changed"], 2);
    assert_eq!(m["chars"], chars);
    assert_eq!(m["char_errors"], 3);
    assert!((m["cer"].as_f64().unwrap() - 3.0 / chars as f64).abs() < 1e-9, "{m}");
    assert_eq!((m["boxes_machine"].as_u64(), m["boxes_added"].as_u64()), (Some(n_boxes as u64), Some(1)));
    assert_eq!((m["boxes_removed"].as_u64(), m["boxes_moved"].as_u64()), (Some(1), Some(1)));
    assert!((m["line_change_rate"].as_f64().unwrap() - 2.0 / lines.len() as f64).abs() < 1e-9);
    assert_eq!(q["days"].as_array().unwrap().len(), 1, "{q}");
    assert_eq!(q["days"][0]["lines_changed"], 2);
    // A window before the review holds nothing; a bad time is a clear 400.
    let (_, empty) = send(api, Method::GET, "/v1/stats/quality?to=2020-01-01T00:00:00Z", &t, None).await;
    assert_eq!(empty["models"], json!([]));
    let (status, bad) = send(api, Method::GET, "/v1/stats/quality?from=yesterday", &t, None).await;
    assert_eq!((status, bad["code"].as_str()), (400, Some("bad_request")));

    // The same figures as Prometheus gauges.
    let metrics = api.http.get(api.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let series = format!("ocr_reviewed_lines_changed{{tenant=\"{t}\",model=\"{model}\"}} 2");
    assert!(metrics.lines().any(|l| l == series), "{series} not in metrics");

    // Opted in: the export has the page's boxes before and after, and each corrected line with
    // the crop the recognizer read.
    let (status, s) = send(api, Method::PUT, "/v1/settings", &t, Some(json!({"share_corrections": true}))).await;
    assert_eq!((status, &s["share_corrections"]), (200, &json!(true)), "{s}");
    let (status, page) = send(api, Method::GET, "/v1/corrections", &t, None).await;
    assert_eq!(status, 200, "{page}");
    assert!(page["next_cursor"].is_null());
    let records = page["records"].as_array().unwrap();
    let kinds: Vec<&str> = records.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["boxes", "line", "line"], "{page}");
    assert_eq!(records[0]["machine_boxes"].as_array().unwrap().len(), n_boxes);
    assert_eq!((records[0]["added"].as_u64(), records[0]["removed"].as_u64()), (Some(1), Some(1)));
    assert_eq!(records[1]["machine_text"], lines[0]["text"]);
    assert_eq!(records[1]["text"], text0.as_str());
    assert_eq!(records[2]["text"], text1.as_str());
    assert_eq!(records[1]["model"], model.as_str());

    let original = std::fs::read(fixture("vi_paragraph.png")).unwrap();
    let image = ocr_inference::decode_page(&original, 0, &ocr_inference::DecodeLimits::default()).unwrap().unwrap();
    for record in &records[1..] {
        let png = base64::engine::general_purpose::STANDARD.decode(record["image_png"].as_str().unwrap()).unwrap();
        let crop = image::load_from_memory(&png).unwrap().into_rgb8();
        let points: ocr_core::Quad = serde_json::from_value(record["points"].clone()).unwrap();
        let expected = ocr_inference::crop_line(&image, &points);
        assert_eq!(crop.height(), 32, "the recognizer reads lines 32 px high");
        assert_eq!((crop.width(), record["image_width"].as_u64()), (expected.width(), Some(expected.width() as u64)));
        assert!(crop == expected, "the exported crop is the recognizer's input, pixel for pixel");
    }

    // JSON lines, and paging by job.
    let r = api.req(Method::GET, "/v1/corrections?format=jsonl&limit=1", &t).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/x-ndjson");
    let cursor = r.headers().get("x-next-cursor").map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(r.text().await.unwrap().lines().count(), 3);
    let cursor = cursor.expect("a full page names the next one");
    let (_, next) = send(api, Method::GET, &format!("/v1/corrections?cursor={cursor}"), &t, None).await;
    assert_eq!(next["records"], json!([]), "{next}");
    let (status, _) = send(api, Method::GET, "/v1/corrections?cursor=nonsense", &t, None).await;
    assert_eq!(status, 400);

    // Another tenant sees none of it, and has not opted in.
    let other = tenant();
    let (status, _) = send(api, Method::GET, "/v1/corrections", &other, None).await;
    assert_eq!(status, 403);
    let (_, q) = send(api, Method::GET, "/v1/stats/quality", &other, None).await;
    assert_eq!(q["models"], json!([]));
    (t, job)
}

/// `corrections export` writes the dataset folder; `plugin replay` reads its jobs offline.
fn exported_folder_and_offline_replay(d: &Deployment, t: &str, job: &str) {
    let out = d.dir.path().join("export");
    let out_arg = out.display().to_string();
    let run = d.command(&["corrections", "export", "--tenant", t, "--out", &out_arg]).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let manifest = std::fs::read_to_string(out.join("lines.jsonl")).unwrap();
    let lines: Vec<Value> = manifest.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2, "{manifest}");
    for line in &lines {
        let image = image::open(out.join(line["image"].as_str().unwrap())).unwrap();
        assert_eq!((image.width() as u64, image.height()), (line["image_width"].as_u64().unwrap(), 32));
        assert!(line.get("image_png").is_none(), "the folder form names files, it does not embed them");
    }
    assert_eq!(std::fs::read_to_string(out.join("boxes.jsonl")).unwrap().lines().count(), 1);
    assert!(out.join("jobs").join(format!("{job}.json")).is_file());

    // A tenant that has not opted in: refused, nothing written.
    let refused = d.dir.path().join("refused");
    let other = tenant();
    let refused_arg = refused.display().to_string();
    let run = d.command(&["corrections", "export", "--tenant", &other, "--out", &refused_arg]).output().unwrap();
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("does not share"));
    assert!(!refused.exists());

    // The plugin author's offline replay on the exported job.
    let wasm = plugin_dist().join("text-normalizer.wasm").display().to_string();
    let run = d.command(&["plugin", "replay", &wasm, "--jobs-from", &out_arg]).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let report: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(report["total"]["jobs"], 1);
    assert_eq!(report["jobs"][0]["job_id"], job);
    assert!(report["total"]["lines"].as_u64().unwrap() >= 3, "{report}");
}

/// Replays the built-in normalizers on a stored job, checks that running the job with them gives
/// the same lines and that replay wrote nothing; versions, rollback and the replay's refusals.
async fn replay_and_versions(api: &Api) {
    let t = tenant();
    let r = api.req(Method::GET, "/v1/pipeline", &t).send().await.unwrap();
    assert_eq!(r.headers()["x-pipeline-version"], "0");

    let job = api.create_job(&t, quick_options(true)).await;
    api.upload_ok(&t, &job, "synth_vi_02_receipt_scan.jpg").await;
    let before = api.wait_for(&t, &job, "DONE").await;

    // The receipt's phone number (ĐT: 028 …) is what the redactor masks.
    let candidate = json!({"normalize_text": [
        {"plugin": "builtin.text-normalizer", "config": {"fix_confusions": "true"}},
        {"plugin": "builtin.pii-redactor"}]});
    let (status, report) =
        send(api, Method::POST, "/v1/pipeline/replay", &t, Some(json!({"pipeline": candidate, "job_ids": [job]})))
            .await;
    assert_eq!(status, 200, "{report}");
    let replayed = &report["jobs"][0];
    assert_eq!(replayed["job_id"], job.as_str());
    assert!(replayed["lines_changed"].as_u64().unwrap() >= 1, "the phone number is masked: {report}");
    assert!(replayed["diff"].as_array().unwrap().iter().any(|d| d["after"].as_str().unwrap().contains('*')));
    assert_eq!(report["total"]["lines_changed"], replayed["lines_changed"]);
    assert_eq!(report["total"]["errors_by_code"], json!({}));
    assert!(replayed["fuel_used"].as_u64().unwrap() > 0);

    // Replay wrote nothing: the job is as it was.
    let after = api.job(&t, &job).await;
    assert_eq!(after["ocr_result"], before["ocr_result"]);
    assert_eq!(after["updated_at"], before["updated_at"]);

    // What replay predicted, line by line.
    let mut predicted: Vec<String> = before["ocr_result"]["pages"][0]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["text"].as_str().unwrap().to_owned())
        .collect();
    for d in replayed["diff"].as_array().unwrap() {
        predicted[d["line_index"].as_u64().unwrap() as usize] = d["after"].as_str().unwrap().to_owned();
    }

    // Live as version 1; running the job again with it gives exactly the predicted lines.
    let r = api.req(Method::PUT, "/v1/pipeline", &t).json(&candidate).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-pipeline-version"], "1");
    let r = api.req(Method::POST, &format!("/v1/ocr/jobs/{job}/run-ocr"), &t).send().await.unwrap();
    assert_eq!(r.status(), 202);
    let mut rerun = api.job(&t, &job).await;
    for _ in 0..120 {
        if rerun["status"] == "DONE" && rerun["done_at"] != before["done_at"] {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        rerun = api.job(&t, &job).await;
    }
    assert_eq!(rerun["status"], "DONE", "{rerun}");
    let lines: Vec<&str> = rerun["ocr_result"]["pages"][0]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["text"].as_str().unwrap())
        .collect();
    assert_eq!(lines, predicted);
    assert_eq!(rerun["pipeline_version"], 1);

    // A filter replayed: every box shorter than 10 000 px goes.
    let filter = json!({"filter_boxes": [{"plugin": "builtin.min-box-filter", "config": {"min_height": "10000"}}]});
    let (status, report) =
        send(api, Method::POST, "/v1/pipeline/replay", &t, Some(json!({"pipeline": filter, "last": 5}))).await;
    assert_eq!(status, 200, "{report}");
    let n = report["jobs"][0]["boxes_input"].as_u64().unwrap();
    assert!(n > 5, "{report}");
    assert_eq!(
        (report["jobs"][0]["boxes_kept"].as_u64(), report["jobs"][0]["boxes_dropped"].as_u64()),
        (Some(0), Some(n))
    );
    assert_eq!(report["jobs"][0]["boxes_live"], n);

    // Refusals: both selectors, an unknown plugin, another tenant's job (skipped, never read).
    let (status, _) =
        send(api, Method::POST, "/v1/pipeline/replay", &t, Some(json!({"pipeline": {}, "last": 1, "job_ids": []})))
            .await;
    assert_eq!(status, 400);
    let unknown = json!({"pipeline": {"normalize_text": [{"plugin": "nope"}]}});
    let (status, body) = send(api, Method::POST, "/v1/pipeline/replay", &t, Some(unknown)).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("plugin_invalid")));
    let (status, body) =
        send(api, Method::POST, "/v1/pipeline/replay", &tenant(), Some(json!({"pipeline": {}, "job_ids": [job]})))
            .await;
    assert_eq!(status, 200);
    assert_eq!((body["jobs"].as_array().unwrap().len(), &body["skipped"][0]["reason"]), (0, &json!("no such job")));

    // Versions and rollback: v2 empties the pipeline, rolling back to v1 makes v3, a copy of it.
    let (_, _) = send(api, Method::PUT, "/v1/pipeline", &t, Some(json!({}))).await;
    let (status, v3) = send(api, Method::POST, "/v1/pipeline/rollback", &t, Some(json!({"version": 1}))).await;
    assert_eq!(status, 200, "{v3}");
    assert_eq!((&v3["version"], &v3["source"]), (&json!(3), &json!("rollback:1")));
    let r = api.req(Method::GET, "/v1/pipeline", &t).send().await.unwrap();
    assert_eq!(r.headers()["x-pipeline-version"], "3");
    let live: Value = r.json().await.unwrap();
    assert_eq!(live["normalize_text"][1]["plugin"], "builtin.pii-redactor");
    let (_, versions) = send(api, Method::GET, "/v1/pipeline/versions", &t, None).await;
    assert_eq!(versions["current"], 3);
    let listed: Vec<i64> =
        versions["versions"].as_array().unwrap().iter().map(|v| v["version"].as_i64().unwrap()).collect();
    assert_eq!(listed, [3, 2, 1]);
    assert_eq!(versions["versions"][1]["pipeline"]["normalize_text"], json!([]));
    let (status, body) = send(api, Method::POST, "/v1/pipeline/rollback", &t, Some(json!({"version": 9}))).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
}
