//! Result documents of the OCR platform, made from an [`OcrResult`]: plain text, hOCR, ALTO v4
//! and a searchable PDF (the page images with an invisible text layer).
//!
//! Owns: the layout of each format and the word boxes they share ([`words`]). Must not do I/O:
//! every function is pure and synchronous; the caller fetches the result and the page images
//! and runs [`pdf`] (CPU work: JPEG encoding) off the async runtime.
//!
//! Coordinates are the page pixels of the boxes (origin top-left). hOCR and ALTO give
//! axis-aligned boxes (the bounds of each quad); the PDF keeps the quad's angle.

mod alto;
mod hocr;
mod pdf;
mod words;

use std::borrow::Cow;

use ocr_core::OcrResult;

pub use alto::alto;
pub use hocr::hocr;
pub use pdf::{PDF_DPI, pdf};
pub use words::{Word, words};

/// What a document says about where a result came from, beyond the result itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Source<'a> {
    /// Recognition language as a BCP 47 tag (`vi`, `en`), when known.
    pub lang: Option<&'a str>,
    /// Name of the uploaded file, when known (ALTO `sourceImageInformation/fileName`).
    pub file_name: Option<&'a str>,
}

/// Why a document could not be made.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the result has page {page} but only {images} page image(s) were given")]
    MissingImage { page: u32, images: usize },
    #[error("page {page} is {result_size:?} in the result but its image is {image_size:?}")]
    PageSize { page: u32, result_size: (u32, u32), image_size: (u32, u32) },
    #[error("encoding page {page} as JPEG failed: {source}")]
    Jpeg { page: usize, source: image::ImageError },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Plain text in reading order: one line per recognized line, pages separated by a form-feed
/// line (`\n\f\n`), exactly [`OcrResult::text`] as rebuilt from the lines.
pub fn text(result: &OcrResult) -> String {
    result
        .pages
        .iter()
        .map(|p| p.lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n"))
        .collect::<Vec<_>>()
        .join("\n\u{c}\n")
}

/// Drops the characters XML 1.0 cannot carry (C0 controls other than tab, newline and carriage
/// return; U+FFFE, U+FFFF), which a tenant plugin could put into a line's text.
fn xml_safe(s: &str) -> Cow<'_, str> {
    let ok =
        |c: char| !matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}');
    if s.chars().all(ok) { Cow::Borrowed(s) } else { Cow::Owned(s.chars().filter(|&c| ok(c)).collect()) }
}

/// Integer pixel bounds `[x0, y0, x1, y1]` of a quad, widened to whole pixels and kept on the page.
fn pixel_bounds(q: &ocr_core::Quad, width: u32, height: u32) -> [u32; 4] {
    let (x0, y0, x1, y1) = ocr_core::geometry::bounds(q);
    let clamp = |v: f32, max: u32| if v.is_finite() { v.clamp(0.0, max as f32) as u32 } else { 0 };
    let (x0, y0) = (clamp(x0.floor(), width), clamp(y0.floor(), height));
    [x0, y0, clamp(x1.ceil(), width).max(x0), clamp(y1.ceil(), height).max(y0)]
}

#[cfg(test)]
pub(crate) mod testing {
    //! A small two-page result with the cases every format must get right.

    use std::io::Write;
    use std::process::{Command, Output, Stdio};

    use ocr_core::{OcrLine, OcrPage, OcrResult};

    /// Parses XML that may have a DOCTYPE (hOCR and poppler's output do; nothing is fetched).
    pub fn parse_xml(s: &str) -> roxmltree::Document<'_> {
        let options = roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() };
        roxmltree::Document::parse_with_options(s, options).unwrap_or_else(|e| panic!("not well-formed XML: {e}\n{s}"))
    }

    /// Whether a command-line tool the tests use is installed; under `CI=true` a missing one fails.
    pub fn tool(name: &str) -> bool {
        let found =
            std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|dir| dir.join(name).is_file()));
        if !found {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{name} is missing: scripts/tools.sh installs it");
            eprintln!("skipping: {name} is not installed (scripts/tools.sh installs it)");
        }
        found
    }

    /// Runs `cmd` with `input` on its standard input and collects its output.
    pub fn run_with_stdin(cmd: &mut Command, input: &[u8]) -> Output {
        let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    }

    pub fn line(text: &str, x0: f32, y0: f32, x1: f32, y1: f32) -> OcrLine {
        let n = text.chars().count();
        let confs = (0..n).map(|i| 0.5 + 0.5 * (i as f32 / n.max(1) as f32)).collect::<Vec<_>>();
        let conf = if n == 0 { 1.0 } else { confs.iter().sum::<f32>() / n as f32 };
        OcrLine::recognized(text.into(), conf, [[x0, y0], [x1, y0], [x1, y1], [x0, y1]], confs)
    }

    /// The words of [`result`], in order, spelled out for the formats to be checked against.
    pub const WORDS: [&str; 15] =
        ["Chợ", "phiên", "thổ", "cẩm", "Sa", "Pa", "a<b", "&", "c>\"d\"", "Du", "khách", "đến", "chợ", "Total", "42"];

    /// Page 0: a Vietnamese line, a line needing escapes, a human-corrected line and an empty
    /// line; page 1: one English line.
    pub fn result() -> OcrResult {
        let mut edited = line("Du khách đến chợ", 40.0, 200.0, 440.0, 240.0);
        edited.machine_text = Some("Du khach den cho".into());
        let page0 = OcrPage {
            page_index: 0,
            width: 600,
            height: 400,
            lines: vec![
                line("Chợ phiên thổ cẩm Sa Pa", 40.0, 40.0, 560.0, 90.0),
                line("a<b & c>\"d\"", 40.0, 120.0, 300.0, 160.0),
                edited,
                line("", 40.0, 300.0, 100.0, 330.0),
            ],
            text: String::new(),
            ..Default::default()
        };
        let page1 = OcrPage {
            page_index: 1,
            width: 300,
            height: 200,
            lines: vec![line("Total 42", 20.0, 20.0, 180.0, 60.0)],
            text: String::new(),
            ..Default::default()
        };
        let mut r = OcrResult::new(vec![page0, page1], "craftnet+asternet".into());
        r.plugins = vec!["normalize-text@1.0.0".into()];
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_the_lines_in_order_with_a_form_feed_between_pages() {
        // Spelled out, not computed: the result's own `text` is built the same way.
        let want = "Chợ phiên thổ cẩm Sa Pa\na<b & c>\"d\"\nDu khách đến chợ\n\n\u{c}\nTotal 42";
        assert_eq!(text(&testing::result()), want);
    }

    #[test]
    fn xml_safe_drops_only_forbidden_characters() {
        assert!(matches!(xml_safe("Chợ\t<&>"), Cow::Borrowed("Chợ\t<&>")));
        assert_eq!(xml_safe("a\u{1}b\u{c}c\u{ffff}"), "abc");
    }

    #[test]
    fn pixel_bounds_cover_the_quad_and_stay_on_the_page() {
        let q = [[10.4, 5.6], [50.2, 4.9], [50.9, 20.1], [9.8, 21.0]];
        assert_eq!(pixel_bounds(&q, 100, 100), [9, 4, 51, 21]);
        assert_eq!(pixel_bounds(&[[-5.0, -1.0], [120.0, 0.0], [120.0, 9.0], [-5.0, 9.0]], 100, 8), [0, 0, 100, 8]);
    }
}
