//! Every result format of a real recognition (the Vietnamese paragraph, real models): JSON, plain
//! text, hOCR, ALTO (validated against the official XSD) and the searchable PDF (read back with
//! poppler's `pdftotext`). `scripts/tools.sh` installs `xmllint` and `pdftotext`; under `CI=true`
//! a missing one fails the test.

use std::process::Command;

use reqwest::Method;
use serde_json::Value;

use crate::harness::{Api, Deployment, quick_options, tenant};

/// Whether a command-line tool is installed; under `CI=true` a missing one fails the test.
fn tool(name: &str) -> bool {
    let found = std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|dir| dir.join(name).is_file()));
    if !found {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{name} is missing: scripts/tools.sh installs it");
        eprintln!("skipping the {name} checks: it is not installed (scripts/tools.sh installs it)");
    }
    found
}

/// Runs `args` (program first; `{}` stands for a temporary file holding `bytes`); returns stdout.
fn run_on_file(args: &[&str], bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc");
    std::fs::write(&path, bytes).unwrap();
    let path = path.to_str().unwrap();
    let args: Vec<&str> = args.iter().map(|a| if *a == "{}" { path } else { a }).collect();
    let out = Command::new(args[0]).args(&args[1..]).output().unwrap();
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn parse_xml(s: &str) -> roxmltree::Document<'_> {
    let options = roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() };
    roxmltree::Document::parse_with_options(s, options).unwrap_or_else(|e| panic!("not well-formed XML ({e}):\n{s}"))
}

fn normalize(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn fetch(api: &Api, t: &str, job: &str, format: &str) -> reqwest::Response {
    api.req(Method::GET, &format!("/v1/ocr/jobs/{job}/result?format={format}"), t).send().await.unwrap()
}

fn content_type(r: &reqwest::Response) -> String {
    r.headers()["content-type"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_result_format_carries_the_same_recognized_text() {
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[]).await;
    let t = tenant();
    let job = api.create_job(&t, quick_options(true)).await;
    api.upload_ok(&t, &job, "vi_paragraph.png").await;
    api.wait_for(&t, &job, "DONE").await;

    let r = fetch(&api, &t, &job, "json").await;
    assert_eq!(r.status(), 200);
    assert_eq!(content_type(&r), "application/json");
    let json: Value = r.json().await.unwrap();
    let lines: Vec<String> = json["pages"][0]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["text"].as_str().unwrap().to_owned())
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert!(lines.len() >= 8, "the paragraph has 8 lines: {lines:?}");
    let words: Vec<&str> = lines.iter().flat_map(|l| l.split_whitespace()).collect();
    assert!(words.contains(&"chợ"), "the recognizer reads diacritics: {words:?}");

    // Plain text: the JSON's text.
    let r = fetch(&api, &t, &job, "text").await;
    assert_eq!((r.status().as_u16(), content_type(&r)), (200, "text/plain; charset=utf-8".into()));
    assert_eq!(r.text().await.unwrap(), json["text"].as_str().unwrap());

    // hOCR: the same words, in the page's pixel frame.
    let r = fetch(&api, &t, &job, "hocr").await;
    assert_eq!((r.status().as_u16(), content_type(&r)), (200, "text/html; charset=utf-8".into()));
    let hocr = r.text().await.unwrap();
    let xml = parse_xml(&hocr);
    // The job reads with the default `lang=auto`, which names no language for the document.
    assert_eq!(xml.root_element().attribute("lang"), None);
    let class = |c: &'static str| xml.descendants().filter(move |n| n.attribute("class") == Some(c));
    assert_eq!(class("ocr_page").next().unwrap().attribute("title"), Some("bbox 0 0 900 390; ppageno 0"));
    assert_eq!(class("ocr_line").count(), json["pages"][0]["lines"].as_array().unwrap().len());
    let hocr_words: Vec<&str> = class("ocrx_word").map(|n| n.text().unwrap()).collect();
    assert_eq!(hocr_words, words);

    // ALTO: the same words, valid against the official schema.
    let r = fetch(&api, &t, &job, "alto").await;
    assert_eq!((r.status().as_u16(), content_type(&r)), (200, "application/xml".into()));
    let alto = r.text().await.unwrap();
    let xml = parse_xml(&alto);
    let page = xml.descendants().find(|n| n.has_tag_name("Page")).unwrap();
    assert_eq!((page.attribute("WIDTH"), page.attribute("HEIGHT")), (Some("900"), Some("390")));
    let file_name = xml.descendants().find(|n| n.has_tag_name("fileName")).and_then(|n| n.text());
    assert_eq!(file_name, Some("vi_paragraph.png"));
    let alto_words: Vec<&str> =
        xml.descendants().filter(|n| n.has_tag_name("String")).map(|n| n.attribute("CONTENT").unwrap()).collect();
    assert_eq!(alto_words, words);
    if tool("xmllint") {
        let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/../formats/tests/schemas/alto-4-2.xsd");
        run_on_file(&["xmllint", "--noout", "--nonet", "--schema", schema, "{}"], alto.as_bytes());
    }

    // PDF: the page image with the lines as text that extracts back, diacritics intact.
    let r = fetch(&api, &t, &job, "pdf").await;
    assert_eq!((r.status().as_u16(), content_type(&r)), (200, "application/pdf".into()));
    assert_eq!(r.headers()["content-disposition"], format!("attachment; filename=\"{job}.pdf\"").as_str());
    let pdf = r.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    if tool("pdftotext") {
        let text = run_on_file(&["pdftotext", "-raw", "-enc", "UTF-8", "{}", "-"], &pdf);
        // Boxes on the same row (the detector cut one printed line in two) come back as one line.
        assert_eq!(normalize(&text), normalize(&lines.join(" ")), "pdftotext reads back the recognized lines");
        // 900 x 390 px at 150 dpi.
        let bbox = run_on_file(&["pdftotext", "-bbox", "-enc", "UTF-8", "{}", "-"], &pdf);
        let xml = parse_xml(&bbox);
        let page = xml.descendants().find(|n| n.has_tag_name("page")).unwrap();
        let size = ["width", "height"].map(|a| page.attribute(a).unwrap().parse::<f32>().unwrap());
        assert!((size[0] - 432.0).abs() < 0.01 && (size[1] - 187.2).abs() < 0.01, "page size {size:?} pt");
    }

    // The OpenAPI document lists the formats and what each is served as.
    let spec: Value = api.http.get(api.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    let route = &spec["paths"]["/v1/ocr/jobs/{id}/result"]["get"];
    let param = route["parameters"].as_array().unwrap().iter().find(|p| p["name"] == "format").unwrap();
    let formats: Vec<&str> = param["schema"]["oneOf"]
        .as_array()
        .and_then(|o| o.iter().find(|s| s["enum"].is_array()))
        .unwrap_or(&param["schema"])["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("format has an enum: {param}"))
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(formats, ["json", "text", "hocr", "alto", "pdf"]);
    let served: Vec<&String> = route["responses"]["200"]["content"].as_object().unwrap().keys().collect();
    for ct in [
        "application/json",
        "text/plain; charset=utf-8",
        "text/html; charset=utf-8",
        "application/xml",
        "application/pdf",
    ] {
        assert!(served.iter().any(|s| s.as_str() == ct), "{ct} missing from {served:?}");
    }

    // An unknown format is a 400 naming the ones there are.
    let r = fetch(&api, &t, &job, "docx").await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "bad_request");
    assert!(body["message"].as_str().unwrap().contains("hocr, alto or pdf"), "{body}");
}
