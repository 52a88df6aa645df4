//! Human corrections of recognized text (PATCH …/result) on a real recognized page, the page
//! images reviewers look at, and the review UI being served by the same binary.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Api, Deployment, PRODUCTION, fixture, quick_options, tenant};

#[tokio::test]
async fn a_reviewer_corrects_a_line_and_the_machine_reading_is_kept() {
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[]).await;
    corrections(&api).await;
}

#[tokio::test]
async fn corrections_are_stored_on_production_backends() {
    let _one_at_a_time = PRODUCTION.lock().await;
    let d = Deployment::production().await;
    let api = d.start_api("api", &[]).await;
    let _worker = d.spawn("worker", &["worker"], &[]);
    corrections(&api).await;
}

/// Corrects lines of a recognized page and checks each answer and what is stored.
async fn corrections(api: &Api) {
    let t = tenant();

    // No result yet: 409 result_not_ready.
    let pending = api.create_job(&t, json!({})).await;
    let edit = json!({"edits": [{"page_index": 0, "line_index": 0, "text": "x"}]});
    let r = api.req(Method::PATCH, &format!("/v1/ocr/jobs/{pending}/result"), &t).json(&edit).send().await.unwrap();
    assert_eq!(r.status(), 409);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "result_not_ready");

    let job = api.create_job(&t, quick_options(true)).await;
    api.upload_ok(&t, &job, "vi_paragraph.png").await;
    let done = api.wait_for(&t, &job, "DONE").await;
    let lines = done["ocr_result"]["pages"][0]["lines"].as_array().unwrap().clone();
    assert!(lines.len() >= 2, "{lines:?}");
    let machine = lines[1]["text"].as_str().unwrap().to_owned();
    assert!(lines.iter().all(|l| l.get("machine_text").is_none()), "no line is a human edit yet");

    let url = format!("/v1/ocr/jobs/{job}/result");
    let edit = json!({"edits": [{"page_index": 0, "line_index": 1, "text": "Corrected by a reviewer"}]});
    let r = api.req(Method::PATCH, &url, &t).json(&edit).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let body: Value = r.json().await.unwrap();
    let line = &body["pages"][0]["lines"][1];
    assert_eq!(line["text"], "Corrected by a reviewer");
    assert_eq!(line["machine_text"], machine.as_str());
    assert!(body["pages"][0]["lines"][0].get("machine_text").is_none(), "other lines untouched");

    // Stored: the JSON and the plain text both carry the correction, and the job view too.
    let r = api.req(Method::GET, &url, &t).send().await.unwrap();
    assert_eq!(r.headers()["etag"].to_str().unwrap(), etag, "GET result carries the ETag a correction is made against");
    let stored: Value = r.json().await.unwrap();
    assert_eq!(stored, body);
    let text = api.req(Method::GET, &format!("{url}?format=text"), &t).send().await.unwrap().text().await.unwrap();
    assert!(text.contains("Corrected by a reviewer") && !text.contains(&machine), "{text}");
    assert_eq!(api.job(&t, &job).await["ocr_result"]["pages"][0]["lines"][1]["machine_text"], machine.as_str());

    // The ETag of that answer works once; after another change it is stale (412, nothing changes).
    let again = json!({"edits": [{"page_index": 0, "line_index": 1, "text": "Second correction"}]});
    let r = api.req(Method::PATCH, &url, &t).header("If-Match", &etag).json(&again).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["pages"][0]["lines"][1]["machine_text"], machine.as_str());
    let r = api.req(Method::PATCH, &url, &t).header("If-Match", &etag).json(&edit).send().await.unwrap();
    assert_eq!(r.status(), 412);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "precondition_failed");

    // A line that does not exist: 400 naming it, and nothing applied (all or none).
    let n = lines.len();
    let bad = json!({"edits": [
        {"page_index": 0, "line_index": 0, "text": "would be applied"},
        {"page_index": 0, "line_index": n + 5, "text": "x"}]});
    let r = api.req(Method::PATCH, &url, &t).json(&bad).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["code"], "bad_request");
    assert!(err["message"].as_str().unwrap().contains(&format!("no line_index {}", n + 5)), "{err}");
    let stored: Value = api.req(Method::GET, &url, &t).send().await.unwrap().json().await.unwrap();
    assert_eq!(stored["pages"][0]["lines"][0]["text"], lines[0]["text"]);

    // Unknown fields are refused.
    let r = api.req(Method::PATCH, &url, &t).json(&json!({"edits": [], "extra": 1})).send().await.unwrap();
    assert_eq!(r.status(), 400);

    // Sending the machine's reading back undoes the edit.
    let undo = json!({"edits": [{"page_index": 0, "line_index": 1, "text": machine}]});
    let r = api.req(Method::PATCH, &url, &t).json(&undo).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.json::<Value>().await.unwrap()["pages"][0]["lines"][1].get("machine_text").is_none());

    // Another tenant: the same 404 as a missing job, and the owner's result is untouched.
    let r = api.req(Method::PATCH, &url, &tenant()).json(&edit).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "job_not_found");
    let stored: Value = api.req(Method::GET, &url, &t).send().await.unwrap().json().await.unwrap();
    assert_eq!(stored["pages"][0]["lines"][1]["text"], machine.as_str());
}

#[tokio::test]
async fn a_page_image_is_rendered_once_cached_with_the_job_and_deleted_with_it() {
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[]).await;
    let t = tenant();
    let job = api.create_job(&t, quick_options(false)).await;
    // A two-page PDF of two fixtures (pages of different sizes), made as the searchable PDF is.
    let images = ["vi_paragraph.png", "en_rotated_15deg.png"].map(|f| image::open(fixture(f)).unwrap().into_rgb8());
    let pdf = ocr_formats::pdf(&ocr_core::OcrResult::new(Vec::new(), String::new()), &images).unwrap();
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(pdf).file_name("two.pdf"));
    let r = api.req(Method::POST, &format!("/v1/ocr/jobs/{job}/upload"), &t).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap_or_default());
    assert_eq!(api.wait_for(&t, &job, "DETECT_DONE").await["page_count"], 2);
    let detect: Value =
        api.req(Method::GET, &format!("/v1/ocr/jobs/{job}/detect"), &t).send().await.unwrap().json().await.unwrap();
    let size = |p: &Value| (p["width"].as_u64().unwrap() as u32, p["height"].as_u64().unwrap() as u32);
    let (page0, page1) = (size(&detect["pages"][0]), size(&detect["pages"][1]));
    assert_ne!(page0, page1);

    // Rendered on the first request and cached under the job's prefix; the second is the cache.
    let cached = d.dir.path().join(format!("data/objects/tenants/{t}/jobs/{job}/pages/1.png"));
    let fetch = |query: &'static str| {
        let req = api.req(Method::GET, &format!("/v1/ocr/jobs/{job}/pages/1/image{query}"), &t);
        async move {
            let r = req.send().await.unwrap();
            assert_eq!((r.status().as_u16(), r.headers()["content-type"].to_str().unwrap()), (200, "image/png"));
            r.bytes().await.unwrap()
        }
    };
    let first = fetch("").await;
    assert_eq!(image::load_from_memory(&first).unwrap().into_rgb8().dimensions(), page1);
    assert_eq!(std::fs::read(&cached).unwrap(), first, "the page is cached as served");
    assert_eq!(fetch("").await, first);
    // Later requests read the cache, not the upload: a marker put in its place comes back, and
    // thumbnails are scaled from it.
    let mut marker = std::io::Cursor::new(Vec::new());
    image::RgbImage::new(300, 30).write_to(&mut marker, image::ImageFormat::Png).unwrap();
    std::fs::write(&cached, marker.get_ref()).unwrap();
    assert_eq!(fetch("").await, marker.get_ref().as_slice());
    let thumb = image::load_from_memory(&fetch("?width=100").await).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (100, 10));

    // Past the last page: 404 in the error catalog's shape.
    let r = api.req(Method::GET, &format!("/v1/ocr/jobs/{job}/pages/5/image"), &t).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "not_found");

    let r = api.req(Method::DELETE, &format!("/v1/ocr/jobs/{job}"), &t).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert!(!cached.exists(), "the cached page goes with the job");
}

#[tokio::test]
async fn the_review_ui_is_served_without_credentials() {
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[]).await;
    let no_redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = no_redirect.get(api.url("/")).send().await.unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    assert_eq!(r.headers()["location"], "/ui/");

    let r = api.http.get(api.url("/ui/")).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(r.headers()["cache-control"], "no-cache");
    let status = r.status();
    let html = r.text().await.unwrap();
    if status == 404 {
        // A binary built without `scripts/build-ui.sh` says so rather than failing.
        assert!(html.contains("scripts/build-ui.sh"), "{html}");
        assert!(std::env::var("CI").as_deref() != Ok("true"), "CI builds the UI first (scripts/test.sh)");
        return;
    }
    assert_eq!(status, 200);
    assert!(html.contains(r#"id="app""#), "{html}");
    // Every asset index.html names is served, with a long cache and its content type.
    let mut assets = 0;
    for src in html.split(['"', '\'']).filter(|s| s.starts_with("/ui/assets/")) {
        let r = api.http.get(api.url(src)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{src}");
        assert_eq!(r.headers()["cache-control"], "public, max-age=31536000, immutable");
        let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ct.starts_with(if src.ends_with(".js") { "text/javascript" } else { "text/css" }), "{src}: {ct}");
        assets += 1;
    }
    assert!(assets >= 2, "index.html names its script and stylesheet: {html}");
    let r = api.http.get(api.url("/ui/assets/nope.js")).send().await.unwrap();
    assert_eq!(r.status(), 404);
}
