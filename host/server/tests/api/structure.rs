//! Page structure on rendered Vietnamese pages (tests/fixtures/structure/make.py), real models,
//! through the API and the `ocr` command: a letter's two-column header reads column by column,
//! a receipt's item rows are table rows, a form gives its label–value pairs; the text, hOCR and
//! ALTO documents carry the structure, and a reviewer's correction recomputes it.

use std::process::Command;

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Api, BIN, Deployment, fixture, quick_options, tenant};

/// The texts of a result page's lines in reading order (block by block).
fn reading_order(page: &Value) -> Vec<String> {
    let lines = page["lines"].as_array().unwrap();
    let mut blocks: Vec<&Value> = page["blocks"].as_array().unwrap().iter().collect();
    blocks.sort_by_key(|b| b["order"].as_u64());
    blocks
        .iter()
        .flat_map(|b| b["line_ids"].as_array().unwrap())
        .map(|i| lines[i.as_u64().unwrap() as usize]["text"].as_str().unwrap().to_owned())
        .collect()
}

/// Position of the first of `texts` that contains `needle`.
fn at(texts: &[String], needle: &str) -> usize {
    texts.iter().position(|t| t.contains(needle)).unwrap_or_else(|| panic!("no line has {needle:?}: {texts:#?}"))
}

/// The page's pairs as (key, value) texts.
fn pairs(page: &Value) -> Vec<(String, String)> {
    page["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["key"]["text"].as_str().unwrap().to_owned(), p["value"]["text"].as_str().unwrap().to_owned()))
        .collect()
}

async fn recognized(api: &Api, t: &str, file: &str) -> (String, Value) {
    let job = api.create_job(t, quick_options(true)).await;
    api.upload_ok(t, &job, file).await;
    api.wait_for(t, &job, "DONE").await;
    let r = api.req(Method::GET, &format!("/v1/ocr/jobs/{job}/result"), t).send().await.unwrap();
    assert_eq!(r.status(), 200);
    (job, r.json().await.unwrap())
}

async fn document(api: &Api, t: &str, job: &str, format: &str) -> String {
    let r = api.req(Method::GET, &format!("/v1/ocr/jobs/{job}/result?format={format}"), t).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

#[tokio::test]
async fn a_letter_header_reads_its_left_column_before_its_right_column_in_every_format() {
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[]).await;
    let t = tenant();
    let (job, result) = recognized(&api, &t, "structure/letter_header.png").await;
    let page = &result["pages"][0];
    let order = reading_order(page);
    let (company, number, republic, motto, body) = (
        at(&order, "TNHH"),
        at(&order, "125/2024"),
        at(&order, "XÃ HỘI"),
        at(&order, "Hạnh phúc"),
        at(&order, "trân trọng"),
    );
    assert!(company < number && number < republic && republic < motto && motto < body, "{order:#?}");
    // Detection order, which `lines` keep for older clients, is top to bottom: interleaved.
    let lines: Vec<&str> = page["lines"].as_array().unwrap().iter().map(|l| l["text"].as_str().unwrap()).collect();
    let detected = |s: &str| lines.iter().position(|l| l.contains(s)).unwrap();
    assert!(detected("XÃ HỘI") < detected("125/2024"), "{lines:#?}");

    // Plain text in reading order.
    let text = document(&api, &t, &job, "text").await;
    let text_lines: Vec<String> = text.lines().map(str::to_owned).collect();
    assert!(at(&text_lines, "125/2024") < at(&text_lines, "XÃ HỘI"), "{text}");

    // hOCR: one ocr_carea and ocr_par per block; the first area is the left column.
    let hocr = document(&api, &t, &job, "hocr").await;
    let opts = roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() };
    let xml = roxmltree::Document::parse_with_options(&hocr, opts).unwrap();
    let areas: Vec<_> = xml.descendants().filter(|n| n.attribute("class") == Some("ocr_carea")).collect();
    assert_eq!(areas.len(), page["blocks"].as_array().unwrap().len());
    let first: String = areas[0].descendants().filter_map(|n| n.text()).collect::<Vec<_>>().join(" ");
    assert!(first.contains("TNHH") && first.contains("125/2024") && !first.contains("phúc"), "{first}");
    assert_eq!(xml.descendants().filter(|n| n.attribute("class") == Some("ocr_par")).count(), areas.len());

    // ALTO: one TextBlock per block, in the same order.
    let alto = document(&api, &t, &job, "alto").await;
    let xml = roxmltree::Document::parse(&alto).unwrap();
    let blocks: Vec<_> = xml.descendants().filter(|n| n.has_tag_name("TextBlock")).collect();
    assert_eq!(blocks.len(), page["blocks"].as_array().unwrap().len());
    let first: Vec<&str> = blocks[0].descendants().filter_map(|n| n.attribute("CONTENT")).collect();
    assert!(first.contains(&"TNHH") && !first.contains(&"phúc"), "{first:?}");
    // Still valid ALTO with several blocks (xmllint: scripts/tools.sh; required under CI=true).
    let found =
        std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("xmllint").is_file()));
    assert!(found || std::env::var("CI").as_deref() != Ok("true"), "xmllint is missing: scripts/tools.sh installs it");
    if found {
        let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/../formats/tests/schemas/alto-4-2.xsd");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alto.xml");
        std::fs::write(&path, &alto).unwrap();
        let out = Command::new("xmllint").args(["--noout", "--nonet", "--schema", schema]).arg(&path).output().unwrap();
        assert!(out.status.success(), "xmllint rejects the ALTO: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[tokio::test]
async fn receipt_item_rows_are_table_rows_and_one_line_each_in_plain_text() {
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[]).await;
    let t = tenant();
    let (job, result) = recognized(&api, &t, "structure/receipt.png").await;
    let page = &result["pages"][0];
    let tables = page["tables"].as_array().unwrap();
    assert_eq!(tables.len(), 1, "{:#}", page["blocks"]);
    let cells = tables[0]["cells"].as_array().unwrap();
    let row_of = |needle: &str| {
        let cell = cells
            .iter()
            .find(|c| c["text"].as_str().unwrap().contains(needle))
            .unwrap_or_else(|| panic!("{needle}: {cells:#?}"));
        let row = cell["row"].as_u64().unwrap();
        cells
            .iter()
            .filter(|c| c["row"].as_u64() == Some(row))
            .map(|c| c["text"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    for (item, price, amount) in [("baget", "6.000", "6,000"), ("sữa", "25.000", "50,000"), ("suối", "8.000", "8,000")]
    {
        let row = row_of(item);
        assert_eq!(row.len(), 3, "{row:?}");
        // The recognizer may read a thousands comma as a dot (`50,000` as `50.000`): digits only.
        let digits = |s: &str| s.replace([',', '.'], "");
        assert_eq!((digits(&row[1]), digits(&row[2])), (digits(price), digits(amount)), "{row:?}");
    }
    assert!(tables[0]["row_count"].as_u64().unwrap() >= 3);
    assert!(page["blocks"].as_array().unwrap().iter().any(|b| b["kind"] == "table"));
    // The total is a pair.
    assert!(pairs(page).iter().any(|(k, v)| k.contains("Tổng") && v == "64.000"), "{:?}", pairs(page));

    let text = document(&api, &t, &job, "text").await;
    let row = text.lines().find(|l| l.contains("baget")).unwrap();
    assert_eq!(row.split('\t').count(), 3, "one row, three tab-separated cells: {text}");
}

#[tokio::test]
async fn a_form_gives_its_pairs_and_a_correction_recomputes_them() {
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[]).await;
    let t = tenant();
    let (job, result) = recognized(&api, &t, "structure/form.png").await;
    let page = &result["pages"][0];
    let found = pairs(page);
    for (key, value) in [
        ("Họ và tên", "Nguyễn Văn An"),
        ("Ngày sinh", "12/03/1990"),
        ("Số điện thoại", "0912 345 678"),
        ("Địa chỉ thường trú", "12 Lê Lợi, Quận 1, TP. Hồ Chí Minh"),
    ] {
        assert!(found.iter().any(|(k, v)| k == key && v == value), "{key} -> {value} in {found:#?}");
    }
    assert_eq!(found.len(), 4, "the title and the closing sentence are no pairs: {found:#?}");
    assert!(page["blocks"].as_array().unwrap().iter().any(|b| b["kind"] == "key_value"));

    // A reviewer corrects the date: the pair follows.
    let lines = page["lines"].as_array().unwrap();
    let date = lines.iter().position(|l| l["text"] == "12/03/1990").unwrap();
    let edit = json!({"edits": [{"page_index": 0, "line_index": date, "text": "13/03/1990"}]});
    let r = api.req(Method::PATCH, &format!("/v1/ocr/jobs/{job}/result"), &t).json(&edit).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let edited: Value = r.json().await.unwrap();
    assert!(pairs(&edited["pages"][0]).contains(&("Ngày sinh".into(), "13/03/1990".into())));
    let stored = api.req(Method::GET, &format!("/v1/ocr/jobs/{job}/result"), &t).send().await.unwrap();
    let stored: Value = stored.json().await.unwrap();
    assert_eq!(stored["pages"][0]["pairs"], edited["pages"][0]["pairs"]);

    // The OpenAPI document names the new schemas.
    let spec: Value = api.http.get(api.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    for schema in ["Block", "BlockKind", "Table", "TableCell", "KeyValuePair", "PairPart"] {
        assert!(spec["components"]["schemas"].get(schema).is_some(), "{schema} is not in /openapi.json");
    }
    let page_schema = &spec["components"]["schemas"]["OcrPage"]["properties"];
    assert!(["blocks", "tables", "pairs"].iter().all(|p| page_schema.get(p).is_some()), "{page_schema:#}");
}

#[test]
fn the_ocr_command_prints_the_structure_in_json_and_reading_order_in_text() {
    let file = fixture("structure/letter_header.png");
    let run = |format: &str| {
        let out = Command::new(BIN).args(["ocr", "--format", format, file.to_str().unwrap()]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let docs: Value = serde_json::from_str(&run("json")).unwrap();
    let page = &docs[0]["result"]["pages"][0];
    let order = reading_order(page);
    assert!(at(&order, "125/2024") < at(&order, "XÃ HỘI"), "{order:#?}");
    assert!(pairs(page).iter().any(|(k, _)| k == "Kính gửi"), "{:?}", pairs(page));
    let text: Vec<String> = run("text").lines().map(str::to_owned).collect();
    assert!(at(&text, "125/2024") < at(&text, "XÃ HỘI"), "{text:#?}");
}
