//! A reviewer corrects a field's value (PATCH …/result `fields`) on a receipt read with the
//! built-in `receipt-fields`: the plugin's value is kept in `machine_value`; a line correction
//! runs the plugin again (a corrected date changes the `date` field) and the reviewer's value
//! survives it; sending the plugin's value back undoes the correction.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Deployment, PRODUCTION, quick_options, tenant};

#[tokio::test]
async fn a_reviewer_corrects_a_field_and_the_machine_value_is_kept() {
    let _one_at_a_time = PRODUCTION.lock().await;
    let d = Deployment::production().await;
    let api = d.start_api("api", &[]).await;
    let _worker = d.spawn("worker", &["worker"], &[]);
    let t = tenant();

    let pipeline = json!({"extract_fields": [{"plugin": "builtin.receipt-fields"}]});
    let r = api.req(Method::PUT, "/v1/pipeline", &t).json(&pipeline).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let job = api.create_job(&t, quick_options(true)).await;
    api.upload_ok(&t, &job, "receipts/vi_receipt.png").await;
    let done = api.wait_for(&t, &job, "DONE").await;
    let fields = done["ocr_result"]["fields"].as_array().unwrap().clone();
    let index = fields.iter().position(|f| f["name"] == "total").unwrap_or_else(|| panic!("no total: {fields:?}"));
    let machine = fields[index]["value"].as_str().unwrap().to_owned();
    assert!(fields.iter().all(|f| f.get("machine_value").is_none()), "no field is a human edit yet");

    let url = format!("/v1/ocr/jobs/{job}/result");
    let patch = |body: Value| api.req(Method::PATCH, &url, &t).json(&body).send();
    let r = patch(json!({"fields": [{"index": index, "name": "total", "value": "66.000đ"}]})).await.unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let total = &body["fields"][index];
    assert_eq!(total["value"], "66.000đ");
    assert_eq!(total["machine_value"], machine.as_str());
    assert_eq!(total["normalized"], fields[index]["normalized"], "normalized stays the plugin's");
    assert!(
        body["fields"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .all(|(i, f)| i == index || f.get("machine_value").is_none())
    );

    // Read back; a line correction runs the plugins again on the corrected text (the layout is
    // computed again first): the date follows the corrected line, the reviewer's total stays.
    let stored: Value = api.req(Method::GET, &url, &t).send().await.unwrap().json().await.unwrap();
    assert_eq!(stored["fields"][index], *total);
    let date = fields.iter().find(|f| f["name"] == "date").unwrap_or_else(|| panic!("no date: {fields:?}"));
    assert_eq!(date["normalized"], "2024-03-12", "{date}");
    let date_line = date["line_ids"][0].as_u64().unwrap();
    let line = stored["pages"][0]["lines"][date_line as usize]["text"].as_str().unwrap().to_owned();
    assert!(line.contains("12/03/2024"), "{line}");
    let fixed = line.replace("12/03/2024", "15/04/2024");
    let r = patch(json!({"edits": [{"page_index": 0, "line_index": date_line, "text": fixed}]})).await.unwrap();
    assert_eq!(r.status(), 200);
    let after: Value = r.json().await.unwrap();
    let found = |body: &Value, name: &str| -> Value {
        body["fields"].as_array().unwrap().iter().find(|f| f["name"] == name).cloned().unwrap_or(Value::Null)
    };
    assert_eq!(found(&after, "date")["normalized"], "2024-04-15", "{}", after["fields"]);
    assert!(found(&after, "date").get("machine_value").is_none());
    assert_eq!(found(&after, "total"), *total, "the reviewer's total outlives the plugin's new run");
    let job_view: Value =
        api.req(Method::GET, &format!("/v1/ocr/jobs/{job}"), &t).send().await.unwrap().json().await.unwrap();
    assert_eq!(job_view["ocr_result"]["fields"], after["fields"]);
    let index = after["fields"].as_array().unwrap().iter().position(|f| f["name"] == "total").unwrap();

    // Bad edits: 400 bad_request naming the problem, nothing changed.
    for (bad, says) in [
        (json!({"fields": [{"index": 99, "name": "total", "value": "x"}]}), "no index 99"),
        (json!({"fields": [{"index": index, "name": "date", "value": "x"}]}), "not \"date\""),
        (json!({"fields": [{"index": index, "name": "total", "value": "9".repeat(4097)}]}), "longer than 4096"),
    ] {
        let r = patch(bad).await.unwrap();
        assert_eq!(r.status(), 400);
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["code"], "bad_request", "{e}");
        assert!(e["message"].as_str().unwrap().contains(says), "{e}");
    }
    let r = patch(json!({"fields": [{"index": index, "name": "total", "value": "x", "extra": 1}]})).await.unwrap();
    assert_eq!(r.status(), 400);
    let unchanged: Value = api.req(Method::GET, &url, &t).send().await.unwrap().json().await.unwrap();
    assert_eq!(unchanged["fields"], after["fields"]);

    // Sending the machine's value again undoes the correction.
    let r = patch(json!({"fields": [{"index": index, "name": "total", "value": machine}]})).await.unwrap();
    assert_eq!(r.status(), 200);
    let undone: Value = r.json().await.unwrap();
    assert_eq!(undone["fields"][index]["value"], machine.as_str());
    assert!(undone["fields"][index].get("machine_value").is_none(), "{}", undone["fields"][index]);

    // Documented: the request body names its field edits.
    let spec: Value = api.http.get(api.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    let schemas = &spec["components"]["schemas"];
    assert!(schemas["ResultEdit"]["properties"].get("fields").is_some(), "{}", schemas["ResultEdit"]);
    assert!(schemas["FieldEdit"]["properties"].get("index").is_some(), "FieldEdit is not in /openapi.json");
}
