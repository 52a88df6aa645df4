//! Fields from `extract-fields` plugins through the API: the built-in `receipt-fields` on a
//! rendered Vietnamese receipt (`tests/fixtures/receipts/make.py`), field changes in replay,
//! and plugin output that breaks the contract.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Deployment, PRODUCTION, plugin_bytes, quick_options, tenant};

const RECEIPT: &str = "receipts/vi_receipt.png";

fn field<'a>(result: &'a Value, name: &str) -> &'a Value {
    result["fields"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["name"] == name))
        .unwrap_or_else(|| panic!("no field {name} in {}", result["fields"]))
}

#[tokio::test]
async fn a_vietnamese_receipt_gives_its_total_and_date_as_fields_and_replay_reports_field_changes() {
    let _one_at_a_time = PRODUCTION.lock().await;
    let d = Deployment::production().await;
    let api = d.start_api("api", &[]).await;
    let _worker = d.spawn("worker", &["worker"], &[]);
    let t = tenant();

    let plugin: Value =
        api.req(Method::GET, "/v1/plugins/builtin.receipt-fields", &t).send().await.unwrap().json().await.unwrap();
    assert_eq!(plugin["hooks"], json!(["extract_fields"]), "{plugin}");

    let pipeline = json!({"extract_fields": [{"plugin": "builtin.receipt-fields"}]});
    let r = api.req(Method::PUT, "/v1/pipeline", &t).json(&pipeline).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let job = api.create_job(&t, quick_options(true)).await;
    api.upload_ok(&t, &job, RECEIPT).await;
    let done = api.wait_for(&t, &job, "DONE").await;
    let result = &done["ocr_result"];
    let total = field(result, "total");
    assert_eq!(total["normalized"], "65000", "{total}");
    assert_eq!(total["page_index"], 0);
    assert!(!total["line_ids"].as_array().unwrap().is_empty());
    assert_eq!(field(result, "date")["normalized"], "2024-03-12");
    assert_eq!(field(result, "seller_tax_code")["normalized"], "0101234567");
    assert_eq!(field(result, "currency")["normalized"], "VND");
    assert!(result["plugins"].as_array().unwrap().iter().any(|p| p.as_str().unwrap().starts_with("receipt-fields@")));

    // The result document carries them too.
    let r = api.req(Method::GET, &format!("/v1/ocr/jobs/{job}/result"), &t).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let stored: Value = r.json().await.unwrap();
    assert_eq!(field(&stored, "total")["normalized"], "65000");

    // A candidate that keeps only the date: replay says which fields it would lose.
    let candidate = json!({"pipeline": {"extract_fields": [{"plugin": "builtin.receipt-fields", "config": {"fields": "date"}}]},
        "job_ids": [job]});
    let r = api.req(Method::POST, "/v1/pipeline/replay", &t).json(&candidate).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let report: Value = r.json().await.unwrap();
    let replayed = &report["jobs"][0];
    assert_eq!(replayed["fields"], 1, "{report}");
    let diff = replayed["field_diff"].as_array().unwrap();
    let total_diff = diff.iter().find(|d| d["name"] == "total").unwrap_or_else(|| panic!("{report}"));
    assert_eq!(total_diff["before"]["normalized"], "65000");
    assert_eq!(total_diff["after"], Value::Null);
    assert!(diff.iter().all(|d| d["name"] != "date"), "the date stays: {report}");
    assert_eq!(report["total"]["fields_changed"], replayed["fields_changed"]);
    assert!(replayed["fields_changed"].as_u64().unwrap() >= 1);

    // The same pipeline replayed changes nothing.
    let same = json!({"pipeline": pipeline, "job_ids": [job]});
    let report: Value =
        api.req(Method::POST, "/v1/pipeline/replay", &t).json(&same).send().await.unwrap().json().await.unwrap();
    assert_eq!(report["jobs"][0]["fields_changed"], 0, "{report}");
}

#[tokio::test]
async fn fields_that_break_the_contract_fail_the_job_with_plugin_invalid_output() {
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[]).await;
    let t = tenant();

    // OpenAPI documents the stage, the fields and replay's field changes.
    let spec: Value = api.http.get(api.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    let schemas = &spec["components"]["schemas"];
    assert!(schemas["Pipeline"]["properties"].get("extract_fields").is_some(), "{}", schemas["Pipeline"]);
    assert!(schemas["OcrResult"]["properties"].get("fields").is_some());
    assert!(schemas["JobReplay"]["properties"].get("field_diff").is_some());
    for schema in ["Field", "FieldDiff", "FieldValue"] {
        assert!(schemas.get(schema).is_some(), "{schema} is not in /openapi.json");
    }

    let r = api.upload_plugin(&t, "hostile", "1", plugin_bytes("test/test-plugin-hostile.wasm")).await;
    assert_eq!(r.status(), 201);
    let hostile: Value = r.json().await.unwrap();
    assert_eq!(hostile["hooks"], json!(["filter_boxes", "normalize_text", "extract_fields"]));
    let id = hostile["id"].as_str().unwrap();

    // A hook the plugin lacks is refused when the pipeline is saved.
    let wrong = json!({"extract_fields": [{"plugin": "builtin.text-normalizer"}]});
    let r = api.req(Method::PUT, "/v1/pipeline", &t).json(&wrong).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(
        r.json::<Value>().await.unwrap()["message"].as_str().unwrap().contains("does not implement extract_fields")
    );

    // A field naming a line the page does not have.
    let pipeline = json!({"extract_fields": [{"plugin": id, "config": {"mode": "bad-line-id"}}]});
    assert_eq!(api.req(Method::PUT, "/v1/pipeline", &t).json(&pipeline).send().await.unwrap().status(), 200);
    let job = api.create_job(&t, quick_options(true)).await;
    api.upload_ok(&t, &job, RECEIPT).await;
    let failed = api.wait_for(&t, &job, "FAILED").await;
    assert_eq!(failed["error"]["code"], "plugin_invalid_output", "{failed}");
    assert!(failed["error"]["message"].as_str().unwrap().contains("names line"), "{failed}");

    // The same through the test endpoint, with a bad name: the report carries the error.
    let sample = json!({"config": {"mode": "bad-field-name"}, "pages": [{"page_index": 0, "width": 100, "height": 50, "text": "a",
        "lines": [{"text": "a", "confidence": 0.9, "points": [[0,0],[10,0],[10,10],[0,10]], "char_confidences": [0.9]}]}]});
    let report: Value = api
        .req(Method::POST, &format!("/v1/plugins/{id}/test"), &t)
        .json(&sample)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["hook"], "extract_fields");
    assert_eq!(report["error"]["code"], "plugin_invalid_output", "{report}");
    assert!(report["error"]["message"].as_str().unwrap().contains("\"Total Amount\""), "{report}");

    // Under `skip`, the job finishes without the plugin's fields and says why.
    let pipeline = json!({"extract_fields": [{"plugin": id, "config": {"mode": "bad-page"}, "on_failure": "skip"}]});
    assert_eq!(api.req(Method::PUT, "/v1/pipeline", &t).json(&pipeline).send().await.unwrap().status(), 200);
    let job = api.create_job(&t, quick_options(true)).await;
    api.upload_ok(&t, &job, RECEIPT).await;
    let done = api.wait_for(&t, &job, "DONE").await;
    assert!(done["ocr_result"].get("fields").is_none_or(|f| f.as_array().unwrap().is_empty()), "{done}");
    let warnings = done["warnings"].as_array().unwrap();
    assert!(warnings.iter().any(|w| w.as_str().unwrap().contains("extract_fields")), "{done}");
}
