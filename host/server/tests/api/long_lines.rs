//! Long lines and degenerate boxes through the API: a page of lines wider than the recognizer
//! takes in one piece is read, and a reviewer's extreme boxes end `DONE` or a clean 422.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Deployment, tenant};

#[tokio::test]
async fn a_contract_of_long_lines_ends_done_with_every_line_read() {
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[]).await;
    let t = tenant();
    let job = api.create_job(&t, json!({"auto_ocr": true})).await;
    api.upload_ok(&t, &job, "long-lines/contract.png").await;
    let done = api.wait_for(&t, &job, "DONE").await;
    let lines = done["ocr_result"]["pages"][0]["lines"].as_array().unwrap();
    assert!(lines.iter().all(|l| l.get("error").is_none()), "{lines:#?}");
    let text = done["ocr_result"]["text"].as_str().unwrap();
    // A prose line of 110 characters comes out as one line (a crop of about 1600 px: two pieces).
    assert!(text.lines().any(|l| l.contains("Logistics Ltd, of 27 Quay Street, Port Avery")), "{text}");
}

#[tokio::test]
async fn a_reviewers_extreme_boxes_are_refused_by_name_or_read_to_done() {
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[]).await;
    let t = tenant();
    let job = api.create_job(&t, crate::harness::quick_options(false)).await;
    api.upload_ok(&t, &job, "en_rotated_15deg.png").await;
    api.wait_for(&t, &job, "DETECT_DONE").await;
    let (w, h) = (894.0, 320.0);
    let patch = |boxes: Value| json!({"pages": [{"page_index": 0, "width": 894, "height": 320, "boxes": boxes}]});
    let rect = |x0: f64, y0: f64, x1: f64, y1: f64| json!({"points": [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]});

    // Zero area, 2 px high, a bow-tie, and a box far outside the page: 422, naming the box.
    for (boxes, says) in [
        (vec![rect(10.0, 10.0, 200.0, 40.0), rect(50.0, 50.0, 50.0, 50.0)], "box 1 on page 0 is 0.0 px thick"),
        (vec![rect(0.0, 100.0, w, 102.0)], "box 0 on page 0 is 2.0 px thick"),
        (vec![json!({"points": [[0, 0], [300, 200], [300, 0], [0, 200]]})], "box 0 on page 0 is 0.0 px thick"),
        (vec![rect(10_000.0, 10_000.0, 10_400.0, 10_030.0)], "box 0 on page 0 has a point outside the page"),
    ] {
        let r = api
            .req(Method::PATCH, &format!("/v1/ocr/jobs/{job}/detect"), &t)
            .json(&patch(json!(boxes)))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap();
        assert_eq!((status, body["code"].as_str()), (422, Some("invalid_boxes")), "{body}");
        assert!(body["message"].as_str().unwrap().starts_with(says), "{body}");
    }

    // One box across the whole page width 4 px high, one over the whole page, one 3 px square,
    // one turned 90 degrees: accepted, and recognition ends DONE with one line per box.
    let boxes = json!([
        rect(0.0, 150.0, w, 154.0),
        rect(0.0, 0.0, w, h),
        rect(5.0, 5.0, 8.0, 8.0),
        {"points": [[400, 10], [430, 10], [430, 310], [400, 310]]},
    ]);
    let r = api.req(Method::PATCH, &format!("/v1/ocr/jobs/{job}/detect"), &t).json(&patch(boxes)).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = api.req(Method::POST, &format!("/v1/ocr/jobs/{job}/run-ocr"), &t).send().await.unwrap();
    assert_eq!(r.status(), 202);
    let done = api.wait_for(&t, &job, "DONE").await;
    let lines = done["ocr_result"]["pages"][0]["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 4, "{lines:#?}");
    assert!(lines.iter().all(|l| l.get("error").is_none()), "{lines:#?}");
}
