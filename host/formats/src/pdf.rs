//! Searchable PDF: each page image drawn full-page as a JPEG, with the recognized lines on top as
//! invisible text (rendering mode 3) so viewers can search, select and copy it.
//!
//! As Tesseract's PDF renderer does, the text uses a "glyphless" font: a Type0 font with
//! Identity-H encoding whose CIDs are the characters' UTF-16 code units, every glyph the same
//! width and never drawn, and a ToUnicode map from each CID back to its character. No real font
//! is embedded (nothing is ever painted with it), and any script — Vietnamese tone marks
//! included — extracts exactly. Characters outside the Basic Multilingual Plane get CIDs from
//! the surrogate range, which no BMP character uses.
//!
//! Each line is one text run starting at its quad's bottom-left corner, turned to the quad's
//! angle, as tall as the quad and stretched (horizontal scaling) to the quad's width; glyphs
//! being equally wide, words land where [`crate::words`] places them.

use std::collections::BTreeMap;

use image::RgbImage;
use image::codecs::jpeg::JpegEncoder;
use ocr_core::{OcrPage, OcrResult, Point};
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, TextRenderingMode, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::{Error, Result};

/// Resolution given to the page images: a pixel is `72 / PDF_DPI` points, so a 1240×1754 px
/// page (A4 at 150 dpi) becomes an A4 page. The images carry no resolution of their own.
pub const PDF_DPI: f32 = 150.0;
/// JPEG quality of the page images: readable text at a fraction of the PNG size.
const JPEG_QUALITY: u8 = 85;
/// Advance of every glyph of the glyphless font, in thousandths of the font size.
const GLYPH_WIDTH: f32 = 500.0;
/// Font ascent and descent (thousandths): the line's box spans descent..ascent around the baseline.
const ASCENT: f32 = 800.0;
const DESCENT: f32 = -200.0;
const FONT_NAME: Name = Name(b"GlyphLessFont");
const IDENTITY: SystemInfo = SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 };

/// The searchable PDF of `result` over its page images (`pages[i]` is the page with
/// `page_index` i, in the pixels of the boxes). A page without recognized lines is the image alone.
pub fn pdf(result: &OcrResult, pages: &[RgbImage]) -> Result<Vec<u8>> {
    for page in &result.pages {
        let image = pages
            .get(page.page_index as usize)
            .ok_or(Error::MissingImage { page: page.page_index, images: pages.len() })?;
        if image.dimensions() != (page.width, page.height) {
            return Err(Error::PageSize {
                page: page.page_index,
                result_size: (page.width, page.height),
                image_size: image.dimensions(),
            });
        }
    }
    let cids = Cids::new(result);
    let mut pdf = Pdf::new();
    let mut next = Ref::new(1);
    let mut alloc = || next.bump();
    let (catalog, tree, font, cid_font, descriptor, to_unicode) =
        (alloc(), alloc(), alloc(), alloc(), alloc(), alloc());
    let page_refs: Vec<[Ref; 3]> = pages.iter().map(|_| [alloc(), alloc(), alloc()]).collect();

    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_refs.iter().map(|r| r[0])).count(pages.len() as i32);
    pdf.document_info(alloc()).producer(TextStr("ocr-platform"));
    pdf.type0_font(font)
        .base_font(FONT_NAME)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_font)
        .to_unicode(to_unicode);
    let mut cid = pdf.cid_font(cid_font);
    cid.subtype(CidFontType::Type2).base_font(FONT_NAME).system_info(IDENTITY).font_descriptor(descriptor);
    cid.default_width(GLYPH_WIDTH).cid_to_gid_map_predefined(Name(b"Identity"));
    cid.finish();
    pdf.font_descriptor(descriptor)
        .name(FONT_NAME)
        .flags(FontFlags::FIXED_PITCH | FontFlags::SYMBOLIC)
        .bbox(Rect::new(0.0, DESCENT, GLYPH_WIDTH, ASCENT))
        .italic_angle(0.0)
        .ascent(ASCENT)
        .descent(DESCENT)
        .cap_height(ASCENT)
        .stem_v(80.0);
    let cmap = cids.to_unicode();
    pdf.cmap(to_unicode, &cmap).name(Name(b"OcrPlatform-UTF16")).system_info(IDENTITY);

    for (index, (image, [page_ref, content_ref, image_ref])) in pages.iter().zip(page_refs).enumerate() {
        let mut jpeg = Vec::new();
        JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY)
            .encode_image(image)
            .map_err(|source| Error::Jpeg { page: index, source })?;
        let mut xobject = pdf.image_xobject(image_ref, &jpeg);
        xobject.filter(Filter::DctDecode);
        xobject.width(image.width() as i32).height(image.height() as i32);
        xobject.color_space().device_rgb();
        xobject.bits_per_component(8);
        xobject.finish();

        let scale = 72.0 / PDF_DPI;
        let (w, h) = (image.width() as f32, image.height() as f32);
        let mut page = pdf.page(page_ref);
        page.media_box(Rect::new(0.0, 0.0, w * scale, h * scale)).parent(tree).contents(content_ref);
        let mut resources = page.resources();
        resources.x_objects().pair(Name(b"Im0"), image_ref);
        resources.fonts().pair(Name(b"F0"), font);
        resources.finish();
        page.finish();

        let mut content = Content::new();
        // From here on, units are image pixels (y up, as PDF has it).
        content.save_state().transform([scale, 0.0, 0.0, scale, 0.0, 0.0]);
        content.save_state().transform([w, 0.0, 0.0, h, 0.0, 0.0]).x_object(Name(b"Im0")).restore_state();
        if let Some(text) = result.pages.iter().find(|p| p.page_index as usize == index) {
            text_layer(&mut content, text, &cids);
        }
        content.restore_state();
        pdf.stream(content_ref, &content.finish());
    }
    Ok(pdf.finish())
}

/// Writes each non-blank line of `page` as invisible text over its quad, in reading order (a
/// viewer's text selection and copy follow the order of the content stream).
fn text_layer(content: &mut Content, page: &OcrPage, cids: &Cids) {
    let h = page.height as f32;
    // Image coordinates (y down) to PDF's (y up).
    let flip = |p: Point| [p[0], h - p[1]];
    content.begin_text().set_text_rendering_mode(TextRenderingMode::Invisible);
    let read = crate::reading(page);
    let lines = read.iter().flat_map(|b| &b.lines).map(|&i| &page.lines[i as usize]);
    for line in lines.filter(|l| !l.text.trim().is_empty()) {
        let [tl, tr, br, bl] = line.points.map(flip);
        let dist = |a: Point, b: Point| ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2)).sqrt();
        let (width, height) = (dist(bl, br).max(1.0), ((dist(bl, tl) + dist(br, tr)) / 2.0).max(1.0));
        // Unit vectors along the baseline and up the line.
        let u = [(br[0] - bl[0]) / width, (br[1] - bl[1]) / width];
        let v = [-u[1], u[0]];
        let below = -DESCENT / 1000.0 * height;
        let origin = [bl[0] + v[0] * below, bl[1] + v[1] * below];
        let codes = cids.encode(&line.text);
        let natural = (codes.len() / 2) as f32 * GLYPH_WIDTH / 1000.0 * height;
        content
            .set_font(Name(b"F0"), height)
            .set_text_matrix([u[0], u[1], v[0], v[1], origin[0], origin[1]])
            .set_horizontal_scaling(100.0 * width / natural)
            .show(Str(&codes));
    }
    content.end_text();
}

/// The CID of every character in the result, and the ToUnicode map back.
struct Cids(BTreeMap<char, u16>);

impl Cids {
    fn new(result: &OcrResult) -> Self {
        let mut map = BTreeMap::new();
        let mut astral = 0xD800u16;
        for c in result.pages.iter().flat_map(|p| &p.lines).flat_map(|l| l.text.chars()) {
            map.entry(c).or_insert_with(|| match u16::try_from(u32::from(c)) {
                Ok(bmp) => bmp,
                // 2048 CIDs for characters beyond the BMP; more extract as U+FFFD.
                Err(_) if astral < 0xE000 => {
                    astral += 1;
                    astral - 1
                }
                Err(_) => 0xFFFD,
            });
        }
        Self(map)
    }

    /// Two bytes (big-endian CID) per character, as Identity-H wants.
    fn encode(&self, text: &str) -> Vec<u8> {
        text.chars().flat_map(|c| self.0.get(&c).copied().unwrap_or(0xFFFD).to_be_bytes()).collect()
    }

    fn to_unicode(&self) -> Vec<u8> {
        let mut cmap = UnicodeCmap::new(Name(b"OcrPlatform-UTF16"), IDENTITY);
        for (&c, &cid) in &self.0 {
            cmap.pair(cid, c);
        }
        if self.0.values().any(|&cid| cid == 0xFFFD) && !self.0.contains_key(&'\u{fffd}') {
            cmap.pair(0xFFFD, '\u{fffd}');
        }
        cmap.finish().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::testing;

    fn images(r: &OcrResult) -> Vec<RgbImage> {
        r.pages.iter().map(|p| RgbImage::from_pixel(p.width, p.height, image::Rgb([250, 250, 240]))).collect()
    }

    /// The test result plus a line rotated by about 15° on page 1.
    fn result() -> OcrResult {
        let mut r = testing::result();
        let mut rotated = testing::line("Xoay nghiêng", 0.0, 0.0, 0.0, 0.0);
        // Baseline from (40,170) rising to (200,127); 30 px tall.
        rotated.points = [[32.2, 141.0], [192.2, 98.0], [200.0, 127.0], [40.0, 170.0]];
        r.pages[1].lines.push(rotated);
        r.rebuild_text();
        r
    }

    /// Runs a poppler tool over `pdf` (its path replaces `{}` in `args`); `None` when the tool is
    /// missing outside CI. Poppler reports malformed PDF on standard error, so that must stay empty.
    fn poppler(args: &[&str], pdf: &[u8]) -> Option<String> {
        static RUN: AtomicU32 = AtomicU32::new(0);
        if !testing::tool(args[0]) {
            return None;
        }
        let path = std::env::temp_dir().join(format!(
            "ocr-formats-{}-{}.pdf",
            std::process::id(),
            RUN.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, pdf).unwrap();
        let path_str = path.to_str().unwrap();
        let args: Vec<&str> = args.iter().map(|a| if *a == "{}" { path_str } else { a }).collect();
        let out = std::process::Command::new(args[0]).args(&args[1..]).output().unwrap();
        std::fs::remove_file(&path).unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && stderr.trim().is_empty(), "{args:?} failed: {stderr}");
        Some(String::from_utf8(out.stdout).unwrap())
    }

    fn normalize(s: &str) -> String {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn pdf_text_extracts_back_with_diacritics_page_by_page() {
        let r = result();
        let doc = pdf(&r, &images(&r)).unwrap();
        assert!(doc.starts_with(b"%PDF-"));
        // Content-stream order: poppler's layout analysis cuts text that is neither horizontal
        // nor vertical into pieces (see the test below); the stream holds lines in reading order.
        let Some(text) = poppler(&["pdftotext", "-raw", "-enc", "UTF-8", "{}", "-"], &doc) else { return };
        let pages: Vec<_> = text.split('\u{c}').filter(|p| !p.trim().is_empty()).map(normalize).collect();
        assert_eq!(pages.len(), 2, "{text}");
        for (page, extracted) in r.pages.iter().zip(&pages) {
            for line in page.lines.iter().filter(|l| !l.text.trim().is_empty()) {
                assert!(
                    extracted.contains(&normalize(&line.text)),
                    "{:?} missing from page text {extracted:?}",
                    line.text
                );
            }
        }
        assert!(pages[0].contains("Chợ phiên thổ cẩm Sa Pa") && pages[0].contains("a<b & c>\"d\""));
    }

    #[test]
    fn pdf_text_layer_follows_the_reading_order_of_the_blocks() {
        let r = testing::structured();
        let doc = pdf(&r, &images(&r)).unwrap();
        // `-raw` keeps the content stream's order: the header's left column, then its right one.
        let Some(text) = poppler(&["pdftotext", "-raw", "-enc", "UTF-8", "{}", "-"], &doc) else { return };
        let text = normalize(&text);
        let at = |s: &str| text.find(s).unwrap_or_else(|| panic!("{s:?} missing from {text:?}"));
        assert!(at("TNHH ABC") < at("12/2024/CV") && at("12/2024/CV") < at("CỘNG HÒA"), "{text}");
        assert!(at("Hạnh phúc") < at("Bảng giá"), "{text}");
    }

    #[test]
    fn pdf_pages_have_the_image_size_and_words_sit_in_their_boxes() {
        let r = result();
        let doc = pdf(&r, &images(&r)).unwrap();
        let Some(bbox) = poppler(&["pdftotext", "-enc", "UTF-8", "-bbox", "{}", "-"], &doc) else { return };
        let xml = testing::parse_xml(&bbox);
        let pages: Vec<_> = xml.descendants().filter(|n| n.has_tag_name("page")).collect();
        assert_eq!(pages.len(), 2);
        let px = |n: roxmltree::Node, a: &str| n.attribute(a).unwrap().parse::<f32>().unwrap() * PDF_DPI / 72.0;
        let rotated = r.pages[1].lines.last().unwrap();
        for (page, node) in r.pages.iter().zip(pages) {
            let mut checked = 0;
            assert!((px(node, "width") - page.width as f32).abs() < 0.01, "page width");
            assert!((px(node, "height") - page.height as f32).abs() < 0.01, "page height");
            let expected: Vec<_> = page.lines.iter().flat_map(crate::words).collect();
            for word in node.descendants().filter(|n| n.has_tag_name("word")) {
                let text = word.text().unwrap();
                // Poppler splits the 15° line into pieces: each must lie in that line's box.
                let want = match expected.iter().find(|w| w.text == text) {
                    Some(w) => w.points,
                    None if rotated.text.contains(text) => rotated.points,
                    None => panic!("unexpected word {text:?}"),
                };
                let [x0, y0, x1, y1] = crate::pixel_bounds(&want, page.width, page.height).map(|v| v as f32);
                let centre = [(px(word, "xMin") + px(word, "xMax")) / 2.0, (px(word, "yMin") + px(word, "yMax")) / 2.0];
                assert!(
                    (x0 - 1.0..=x1 + 1.0).contains(&centre[0]) && (y0 - 1.0..=y1 + 1.0).contains(&centre[1]),
                    "{text:?} extracted at {centre:?}, its box is {:?}",
                    [x0, y0, x1, y1]
                );
                checked += 1;
            }
            assert!(
                checked >= expected.len(),
                "page {}: {checked} words extracted of {}",
                page.page_index,
                expected.len()
            );
        }
        // Horizontal words fill their box: the extracted box matches the computed one.
        let sa = xml.descendants().find(|n| n.text() == Some("phiên")).unwrap();
        let want = crate::words(&r.pages[0].lines[0])[1].points;
        assert!((px(sa, "xMin") - want[0][0]).abs() < 1.0 && (px(sa, "xMax") - want[1][0]).abs() < 1.0);
        assert!((px(sa, "yMin") - want[0][1]).abs() < 1.0 && (px(sa, "yMax") - want[3][1]).abs() < 1.0);
    }

    #[test]
    fn pdf_embeds_each_page_image_as_jpeg() {
        let r = result();
        let doc = pdf(&r, &images(&r)).unwrap();
        let Some(list) = poppler(&["pdfimages", "-list", "{}"], &doc) else { return };
        let rows: Vec<Vec<&str>> = list.lines().skip(2).map(|l| l.split_whitespace().collect()).collect();
        assert_eq!(rows.len(), 2, "{list}");
        // page num type width height color comp bpc enc …
        assert_eq!(rows[0][3..6], ["600", "400", "rgb"]);
        assert_eq!(rows[1][3..6], ["300", "200", "rgb"]);
        assert!(rows.iter().all(|r| r[8] == "jpeg"), "{list}");
    }

    #[test]
    fn pdf_refuses_images_that_do_not_match_the_result() {
        let r = result();
        let mut imgs = images(&r);
        imgs.pop();
        assert!(matches!(pdf(&r, &imgs), Err(Error::MissingImage { page: 1, images: 1 })));
        imgs.push(RgbImage::new(301, 200));
        assert!(matches!(pdf(&r, &imgs), Err(Error::PageSize { page: 1, .. })));
    }

    #[test]
    fn characters_beyond_the_bmp_get_their_own_cids() {
        let mut r = testing::result();
        r.pages[0].lines[0].text = "😀 ok".into();
        let cids = Cids::new(&r);
        assert_eq!(cids.encode("😀o"), [0xD8, 0x00, 0x00, b'o']);
        let cmap = String::from_utf8(cids.to_unicode()).unwrap();
        assert!(cmap.contains("<D800> <D83DDE00>"), "{cmap}");
    }
}
