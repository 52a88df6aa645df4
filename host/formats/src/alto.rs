//! ALTO 4.2: `Description` (pixels, the source file, one `Processing` for recognition and one per
//! tenant plugin) and `Layout/Page/PrintSpace/TextBlock/TextLine/String` with `SP` between
//! words. One `TextBlock` per block of the page (its position the bounds of its lines), in reading
//! order, each with its lines in reading order; a line keeps its index in the page's `lines` in
//! its id (`p<page>_l<index>`). Lines a reviewer corrected
//! carry `CS="true"` (ALTO's correction status). Lines without words are left out: ALTO requires
//! at least one `String` per `TextLine`.

use std::io;

use ocr_core::OcrResult;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::{Source, pixel_bounds, reading, words, xml_safe};

const NAMESPACE: &str = "http://www.loc.gov/standards/alto/ns-v4#";
const SCHEMA_LOCATION: &str =
    "http://www.loc.gov/standards/alto/ns-v4# http://www.loc.gov/standards/alto/v4/alto-4-2.xsd";

/// The ALTO document of `result`.
pub fn alto(result: &OcrResult, source: Source<'_>) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 1);
    write(&mut w, result, source).expect("writing XML into memory cannot fail");
    String::from_utf8(w.into_inner()).expect("the writer only copies UTF-8 text")
}

/// `HPOS`, `VPOS`, `WIDTH`, `HEIGHT` of pixel bounds.
fn position(b: [u32; 4]) -> [(&'static str, String); 4] {
    [("HPOS", b[0]), ("VPOS", b[1]), ("WIDTH", b[2] - b[0]), ("HEIGHT", b[3] - b[1])].map(|(k, v)| (k, v.to_string()))
}

fn write(w: &mut Writer<Vec<u8>>, result: &OcrResult, source: Source<'_>) -> io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let root = w.create_element("alto").with_attributes([
        ("xmlns", NAMESPACE),
        ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
        ("xsi:schemaLocation", SCHEMA_LOCATION),
        ("SCHEMAVERSION", "4.2"),
    ]);
    root.write_inner_content(|w| {
        w.create_element("Description").write_inner_content(|w| description(w, result, source))?;
        w.create_element("Layout").write_inner_content(|w| {
            for (pi, page) in result.pages.iter().enumerate() {
                let (id, number) = (format!("p{pi}"), (page.page_index + 1).to_string());
                let (width, height) = (page.width.to_string(), page.height.to_string());
                let el = w.create_element("Page").with_attributes([
                    ("ID", id.as_str()),
                    ("PHYSICAL_IMG_NR", &number),
                    ("WIDTH", &width),
                    ("HEIGHT", &height),
                ]);
                el.write_inner_content(|w| {
                    let space = position([0, 0, page.width, page.height]);
                    w.create_element("PrintSpace")
                        .with_attributes(space.iter().map(|(k, v)| (*k, v.as_str())))
                        .write_inner_content(|w| {
                            for (bi, read) in reading(page).iter().enumerate() {
                                let block_id = format!("p{pi}_b{bi}");
                                let bounds = read
                                    .lines
                                    .iter()
                                    .map(|&i| pixel_bounds(&page.lines[i as usize].points, page.width, page.height))
                                    .fold([u32::MAX, u32::MAX, 0, 0], |a, b| {
                                        [a[0].min(b[0]), a[1].min(b[1]), a[2].max(b[2]), a[3].max(b[3])]
                                    });
                                let pos = position(bounds);
                                let mut block = w
                                    .create_element("TextBlock")
                                    .with_attribute(("ID", block_id.as_str()))
                                    .with_attributes(pos.iter().map(|(k, v)| (*k, v.as_str())));
                                if let Some(lang) = source.lang {
                                    block = block.with_attribute(("LANG", lang));
                                }
                                block.write_inner_content(|w| {
                                    for &li in &read.lines {
                                        let (li, line) = (li as usize, &page.lines[li as usize]);
                                        let words = words(line);
                                        if words.is_empty() {
                                            continue;
                                        }
                                        let id = format!("p{pi}_l{li}");
                                        let pos = position(pixel_bounds(&line.points, page.width, page.height));
                                        let mut el = w
                                            .create_element("TextLine")
                                            .with_attribute(("ID", id.as_str()))
                                            .with_attributes(pos.iter().map(|(k, v)| (*k, v.as_str())));
                                        if line.human_edited() {
                                            el = el.with_attribute(("CS", "true"));
                                        }
                                        el.write_inner_content(|w| {
                                            let mut previous_end: Option<[u32; 4]> = None;
                                            for (wi, word) in words.iter().enumerate() {
                                                let b = pixel_bounds(&word.points, page.width, page.height);
                                                if let Some(p) = previous_end {
                                                    let gap = [p[2], p[1].min(b[1]), b[0].max(p[2]), p[3].max(b[3])];
                                                    let sp = position(gap);
                                                    w.create_element("SP")
                                                        .with_attributes(sp.iter().map(|(k, v)| (*k, v.as_str())))
                                                        .write_empty()?;
                                                }
                                                previous_end = Some(b);
                                                let (id, wc) = (format!("p{pi}_l{li}_w{wi}"), wc(word.confidence));
                                                let content = xml_safe(word.text);
                                                w.create_element("String")
                                                    .with_attribute(("ID", id.as_str()))
                                                    .with_attributes(position(b).iter().map(|(k, v)| (*k, v.as_str())))
                                                    .with_attributes([("WC", wc.as_str()), ("CONTENT", &content)])
                                                    .write_empty()?;
                                            }
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
            }
            Ok(())
        })?;
        Ok(())
    })?;
    Ok(())
}

fn description(w: &mut Writer<Vec<u8>>, result: &OcrResult, source: Source<'_>) -> io::Result<()> {
    w.create_element("MeasurementUnit").write_text_content(BytesText::new("pixel"))?;
    if let Some(name) = source.file_name {
        w.create_element("sourceImageInformation").write_inner_content(|w| {
            w.create_element("fileName").write_text_content(BytesText::new(&xml_safe(name))).map(drop)
        })?;
    }
    let version = env!("CARGO_PKG_VERSION");
    processing(
        w,
        "proc_ocr",
        "contentGeneration",
        "text detection and line recognition",
        &result.model,
        ("ocr-platform", version),
    )?;
    for (i, plugin) in result.plugins.iter().enumerate() {
        let (name, version) = plugin.rsplit_once('@').unwrap_or((plugin, ""));
        let id = format!("proc_plugin_{i}");
        processing(w, &id, "contentModification", "tenant plugin", "", (name, version))?;
    }
    Ok(())
}

/// One `Processing` step; `settings` is left out when empty.
fn processing(
    w: &mut Writer<Vec<u8>>,
    id: &str,
    category: &str,
    what: &str,
    settings: &str,
    (software, version): (&str, &str),
) -> io::Result<()> {
    w.create_element("Processing").with_attribute(("ID", id)).write_inner_content(|w| {
        w.create_element("processingCategory").write_text_content(BytesText::new(category))?;
        w.create_element("processingStepDescription").write_text_content(BytesText::new(what))?;
        if !settings.is_empty() {
            let settings = format!("models: {}", xml_safe(settings));
            w.create_element("processingStepSettings").write_text_content(BytesText::new(&settings))?;
        }
        w.create_element("processingSoftware").write_inner_content(|w| {
            w.create_element("softwareName").write_text_content(BytesText::new(&xml_safe(software)))?;
            if !version.is_empty() {
                w.create_element("softwareVersion").write_text_content(BytesText::new(&xml_safe(version)))?;
            }
            Ok(())
        })?;
        Ok(())
    })?;
    Ok(())
}

/// Word confidence as ALTO wants it: a float in `[0, 1]`.
fn wc(confidence: f32) -> String {
    let c = if confidence.is_finite() { confidence.clamp(0.0, 1.0) } else { 0.0 };
    format!("{c:.3}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    fn attr_u32(n: roxmltree::Node, name: &str) -> u32 {
        n.attribute(name).unwrap().parse().unwrap()
    }

    #[test]
    fn alto_has_pages_lines_strings_and_processing() {
        let r = testing::result();
        let doc = alto(&r, Source { lang: Some("vi"), file_name: Some("chợ <1>.png") });
        let xml = crate::testing::parse_xml(&doc);
        let named = |name: &'static str| {
            xml.descendants()
                .filter(move |n| n.tag_name().name() == name && n.tag_name().namespace() == Some(NAMESPACE))
        };
        assert_eq!(named("MeasurementUnit").next().unwrap().text(), Some("pixel"));
        assert_eq!(named("fileName").next().unwrap().text(), Some("chợ <1>.png"));
        let settings: Vec<_> = named("processingStepSettings").filter_map(|n| n.text()).collect();
        assert_eq!(settings, ["models: craftnet+asternet"]);
        let software: Vec<_> = named("softwareName").filter_map(|n| n.text()).collect();
        assert_eq!(software, ["ocr-platform", "normalize-text"]);

        let pages: Vec<_> = named("Page").collect();
        assert_eq!(pages.len(), 2);
        assert_eq!((attr_u32(pages[1], "WIDTH"), attr_u32(pages[1], "HEIGHT")), (300, 200));
        assert_eq!(attr_u32(pages[1], "PHYSICAL_IMG_NR"), 2);
        // The empty line has no words and no TextLine.
        let lines: Vec<_> = named("TextLine").collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(
            [lines[0], lines[1]].map(|l| ["HPOS", "VPOS", "WIDTH", "HEIGHT"].map(|a| attr_u32(l, a))),
            [[40, 40, 520, 50], [40, 120, 260, 40]]
        );
        let edited: Vec<_> = lines.iter().filter(|l| l.attribute("CS") == Some("true")).collect();
        assert_eq!(edited.len(), 1);
        assert_eq!(edited[0].attribute("ID"), Some("p0_l2"));

        let contents: Vec<_> = named("String").map(|n| n.attribute("CONTENT").unwrap().to_owned()).collect();
        assert_eq!(contents, testing::WORDS);
        assert!(contents.contains(&"c>\"d\"".to_owned()) && contents.contains(&"phiên".to_owned()));
        // One SP between each pair of words of a line.
        let first_line_children: Vec<_> = lines[0].children().filter(|n| n.is_element()).collect();
        let names: Vec<_> = first_line_children.iter().map(|n| n.tag_name().name()).collect();
        assert_eq!(names, ["String", "SP", "String", "SP", "String", "SP", "String", "SP", "String", "SP", "String"]);
        for s in named("String") {
            let wc: f32 = s.attribute("WC").unwrap().parse().unwrap();
            assert!((0.0..=1.0).contains(&wc));
        }
    }

    #[test]
    fn alto_validates_against_the_official_schema() {
        if !crate::testing::tool("xmllint") {
            return;
        }
        let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schemas/alto-4-2.xsd");
        let validate = |doc: &str| {
            let mut xmllint = std::process::Command::new("xmllint");
            xmllint.args(["--noout", "--nonet", "--schema", schema, "-"]);
            crate::testing::run_with_stdin(&mut xmllint, doc.as_bytes())
        };
        let r = testing::result();
        for (r, source) in [
            (&r, Source { lang: Some("vi"), file_name: Some("scan.png") }),
            (&r, Source::default()),
            (&testing::structured(), Source { lang: Some("vi"), file_name: None }),
        ] {
            let out = validate(&alto(r, source));
            assert!(
                out.status.success(),
                "xmllint rejects the ALTO document:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        // The check can fail: a document missing the required MeasurementUnit is refused.
        let broken = alto(&r, Source::default()).replace("<MeasurementUnit>pixel</MeasurementUnit>", "");
        let out = validate(&broken);
        assert!(!out.status.success(), "xmllint accepted a document without MeasurementUnit");
    }

    #[test]
    fn alto_has_a_text_block_per_block_in_reading_order() {
        let r = testing::structured();
        let doc = alto(&r, Source::default());
        let xml = crate::testing::parse_xml(&doc);
        let named = |name: &'static str| xml.descendants().filter(move |n| n.tag_name().name() == name);
        let blocks: Vec<_> = named("TextBlock").collect();
        assert_eq!(blocks.len(), r.pages[0].blocks.len());
        let first: Vec<&str> = blocks[0].children().filter_map(|n| n.attribute("ID")).collect();
        assert_eq!(first, ["p0_l0", "p0_l2"], "the header's left column is the first block");
        assert_eq!(
            ["HPOS", "VPOS", "WIDTH", "HEIGHT"].map(|a| attr_u32(blocks[0], a)),
            [60, 40, 300, 46],
            "the block's box covers its lines"
        );
        let lines: Vec<&str> = named("TextLine").map(|n| n.attribute("ID").unwrap()).collect();
        assert_eq!(lines[..4], ["p0_l0", "p0_l2", "p0_l1", "p0_l3"]);
    }
}
