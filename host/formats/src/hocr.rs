//! hOCR 1.2 (XHTML): `ocr_page` → `ocr_carea` → `ocr_par` → `ocr_line` → `ocrx_word`, each with
//! a `bbox` in page pixels, words with `x_wconf` (0-100). One `ocr_carea` holding one `ocr_par`
//! per block of the page, in reading order; a line keeps its index in the page's `lines` in
//! its id (`line_<page>_<index + 1>`). Lines carry no baseline: the recognizer does not give one.

use std::io;

use ocr_core::{OcrPage, OcrResult};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::{Source, pixel_bounds, reading, words, xml_safe};

/// The hOCR document of `result`.
pub fn hocr(result: &OcrResult, source: Source<'_>) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 1);
    write(&mut w, result, source).expect("writing XML into memory cannot fail");
    String::from_utf8(w.into_inner()).expect("the writer only copies UTF-8 text")
}

fn write(w: &mut Writer<Vec<u8>>, result: &OcrResult, source: Source<'_>) -> io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.write_event(Event::DocType(BytesText::from_escaped("html")))?;
    let mut html = w.create_element("html").with_attribute(("xmlns", "http://www.w3.org/1999/xhtml"));
    if let Some(lang) = source.lang {
        html = html.with_attributes([("xml:lang", lang), ("lang", lang)]);
    }
    html.write_inner_content(|w| {
        w.create_element("head").write_inner_content(|w| {
            w.create_element("title").write_text_content(BytesText::new("OCR result"))?;
            let meta = |w: &mut Writer<Vec<u8>>, name: &str, content: &str| {
                w.create_element("meta").with_attributes([("name", name), ("content", content)]).write_empty().map(drop)
            };
            w.create_element("meta")
                .with_attributes([("http-equiv", "Content-Type"), ("content", "text/html; charset=utf-8")])
                .write_empty()?;
            meta(w, "ocr-system", &system(result))?;
            meta(w, "ocr-capabilities", "ocr_page ocr_carea ocr_par ocr_line ocrx_word ocrp_wconf")
        })?;
        w.create_element("body").write_inner_content(|w| {
            for (pi, page) in result.pages.iter().enumerate() {
                let (id, title) = (
                    format!("page_{}", pi + 1),
                    format!("bbox 0 0 {} {}; ppageno {}", page.width, page.height, page.page_index),
                );
                let div =
                    w.create_element("div").with_attributes([("class", "ocr_page"), ("id", &id), ("title", &title)]);
                div.write_inner_content(|w| {
                    for (bi, block) in reading(page).iter().enumerate() {
                        let b = block_bounds(page, &block.lines);
                        let title = format!("bbox {} {} {} {}", b[0], b[1], b[2], b[3]);
                        let (area, par) =
                            (format!("block_{}_{}", pi + 1, bi + 1), format!("par_{}_{}", pi + 1, bi + 1));
                        w.create_element("div")
                            .with_attributes([("class", "ocr_carea"), ("id", area.as_str()), ("title", title.as_str())])
                            .write_inner_content(|w| {
                                w.create_element("p")
                                    .with_attributes([
                                        ("class", "ocr_par"),
                                        ("id", par.as_str()),
                                        ("title", title.as_str()),
                                    ])
                                    .write_inner_content(|w| {
                                        for &li in &block.lines {
                                            write_line(w, page, pi, li as usize)?;
                                        }
                                        Ok(())
                                    })?;
                                Ok(())
                            })?;
                    }
                    Ok(())
                })?;
            }
            Ok(())
        })?;
        Ok(())
    })?;
    Ok(())
}

/// Integer bounds of a block's lines.
fn block_bounds(page: &OcrPage, lines: &[u32]) -> [u32; 4] {
    lines
        .iter()
        .map(|&i| pixel_bounds(&page.lines[i as usize].points, page.width, page.height))
        .fold([u32::MAX, u32::MAX, 0, 0], |a, b| [a[0].min(b[0]), a[1].min(b[1]), a[2].max(b[2]), a[3].max(b[3])])
}

/// One `ocr_line` (`li` is the line's index in the page's `lines`, kept in its id) and its words.
fn write_line(w: &mut Writer<Vec<u8>>, page: &OcrPage, pi: usize, li: usize) -> io::Result<()> {
    let line = &page.lines[li];
    let [x0, y0, x1, y1] = pixel_bounds(&line.points, page.width, page.height);
    let (id, title) = (format!("line_{}_{}", pi + 1, li + 1), format!("bbox {x0} {y0} {x1} {y1}"));
    let span = w.create_element("span").with_attributes([
        ("class", "ocr_line"),
        ("id", id.as_str()),
        ("title", title.as_str()),
    ]);
    span.write_inner_content(|w| {
        for (wi, word) in words(line).iter().enumerate() {
            let [x0, y0, x1, y1] = pixel_bounds(&word.points, page.width, page.height);
            let conf = (word.confidence.clamp(0.0, 1.0) * 100.0).round() as u32;
            let id = format!("word_{}_{}_{}", pi + 1, li + 1, wi + 1);
            let title = format!("bbox {x0} {y0} {x1} {y1}; x_wconf {conf}");
            w.create_element("span")
                .with_attributes([("class", "ocrx_word"), ("id", id.as_str()), ("title", title.as_str())])
                .write_text_content(BytesText::new(&xml_safe(word.text)))?;
        }
        Ok(())
    })?;
    Ok(())
}

/// `ocr-system`: the software, the models and the tenant plugins that made the text.
fn system(result: &OcrResult) -> String {
    let mut s = format!("ocr-platform {} (models: {}", env!("CARGO_PKG_VERSION"), result.model);
    if !result.plugins.is_empty() {
        s.push_str("; plugins: ");
        s.push_str(&result.plugins.join(", "));
    }
    s.push(')');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    fn title_bbox(node: roxmltree::Node) -> [u32; 4] {
        let title = node.attribute("title").unwrap();
        let bbox = title.split(';').next().unwrap().strip_prefix("bbox ").unwrap();
        let v: Vec<u32> = bbox.split(' ').map(|n| n.parse().unwrap()).collect();
        v.try_into().unwrap()
    }

    #[test]
    fn hocr_is_xhtml_with_pages_lines_and_words() {
        let r = testing::result();
        let doc = hocr(&r, Source { lang: Some("vi"), file_name: None });
        let xml = crate::testing::parse_xml(&doc);
        let root = xml.root_element();
        assert_eq!(root.tag_name().namespace(), Some("http://www.w3.org/1999/xhtml"));
        assert_eq!(root.attribute("lang"), Some("vi"));
        let class = |c: &'static str| xml.descendants().filter(move |n| n.attribute("class") == Some(c));
        let meta = |name: &str| {
            xml.descendants().find(|n| n.attribute("name") == Some(name)).and_then(|n| n.attribute("content")).unwrap()
        };
        assert!(
            meta("ocr-system").contains("craftnet+asternet") && meta("ocr-system").contains("normalize-text@1.0.0")
        );
        assert!(meta("ocr-capabilities").contains("ocrx_word"));

        let pages: Vec<_> = class("ocr_page").collect();
        assert_eq!(pages.len(), 2);
        assert_eq!(pages[1].attribute("title"), Some("bbox 0 0 300 200; ppageno 1"));
        assert_eq!(class("ocr_line").count(), 5);
        let first_line = class("ocr_line").next().unwrap();
        assert_eq!(title_bbox(first_line), [40, 40, 560, 90]);

        let words: Vec<_> = class("ocrx_word").map(|n| n.text().unwrap_or_default().to_owned()).collect();
        assert_eq!(words, testing::WORDS);
        assert!(words.contains(&"a<b".to_owned()) && words.contains(&"c>\"d\"".to_owned()));
        assert!(words.contains(&"thổ".to_owned()) && words.contains(&"cẩm".to_owned()));
        assert!(doc.contains("a&lt;b"), "text is escaped, not raw markup");

        // Words sit inside their line, left to right, with a confidence.
        let line_box = title_bbox(first_line);
        let mut last_x = 0;
        for word in first_line.children().filter(|n| n.attribute("class") == Some("ocrx_word")) {
            let b = title_bbox(word);
            assert!(b[0] >= line_box[0] && b[2] <= line_box[2] && b[0] >= last_x, "{b:?} in {line_box:?}");
            last_x = b[2];
            let conf: u32 = word.attribute("title").unwrap().rsplit("x_wconf ").next().unwrap().parse().unwrap();
            assert!((50..=100).contains(&conf));
        }
    }

    #[test]
    fn hocr_has_a_content_area_and_paragraph_per_block_in_reading_order() {
        let r = testing::structured();
        let doc = hocr(&r, Source::default());
        let xml = crate::testing::parse_xml(&doc);
        let class = |c: &'static str| xml.descendants().filter(move |n| n.attribute("class") == Some(c));
        assert_eq!(class("ocr_carea").count(), r.pages[0].blocks.len());
        for area in class("ocr_carea") {
            let pars: Vec<_> = area.children().filter(|n| n.attribute("class") == Some("ocr_par")).collect();
            assert_eq!(pars.len(), 1);
            assert_eq!(title_bbox(area), title_bbox(pars[0]));
            assert!(pars[0].children().any(|n| n.attribute("class") == Some("ocr_line")));
        }
        // The header's left column (lines 1 and 3) before its right column (2 and 4).
        let ids: Vec<&str> = class("ocr_line").map(|n| n.attribute("id").unwrap()).collect();
        assert_eq!(ids[..4], ["line_1_1", "line_1_3", "line_1_2", "line_1_4"]);
        assert_eq!(ids.len(), r.pages[0].lines.len());
    }
}
