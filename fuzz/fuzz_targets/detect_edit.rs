//! PATCH …/detect payload validation: arbitrary bytes as a `DetectResult`, then
//! `validate_edit` and, when it passes, `apply_edit` against a fixed job. Never a panic; and
//! whatever passes validation keeps the job's invariants (page set and sizes, corners inside
//! their page, scores in [0,1], at most MAX_BOXES boxes per page).
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use ocr_core::{DetectPage, DetectResult, TextBox, geometry};

const MAX_BOXES: usize = 16;

/// A two-page job as a worker stores it.
static JOB: LazyLock<DetectResult> = LazyLock::new(|| {
    let tb = |x0: f32, y0: f32, x1: f32, y1: f32| TextBox { points: [[x0, y0], [x1, y0], [x1, y1], [x0, y1]], score: 0.9 };
    DetectResult {
        pages: vec![
            DetectPage { page_index: 0, width: 100, height: 50, boxes: vec![tb(1.0, 1.0, 40.0, 10.0), tb(1.0, 20.0, 99.0, 30.0)] },
            DetectPage { page_index: 1, width: 640, height: 480, boxes: vec![] },
        ],
    }
});

fuzz_target!(|data: &[u8]| {
    // The API parses the body as `DetectEdit` ({job_id?, pages}); its `pages` is exactly this.
    let Ok(edit) = serde_json::from_slice::<DetectResult>(data) else { return };
    let job = &*JOB;
    if job.validate_edit(&edit, MAX_BOXES).is_err() {
        return;
    }
    let merged = job.apply_edit(edit.clone());
    assert_eq!(merged.pages.len(), job.pages.len(), "an edit changed the page count");
    for (m, j) in merged.pages.iter().zip(&job.pages) {
        assert_eq!((m.page_index, m.width, m.height), (j.page_index, j.width, j.height), "page identity changed");
        assert!(m.boxes.len() <= MAX_BOXES.max(j.boxes.len()), "page {} has {} boxes", m.page_index, m.boxes.len());
        for b in &m.boxes {
            assert!(geometry::inside(&b.points, m.width, m.height), "a corner outside page {}: {:?}", m.page_index, b.points);
            assert!((0.0..=1.0).contains(&b.score), "score {}", b.score);
        }
        // Pages the edit does not name stay as they were.
        if !edit.pages.iter().any(|e| e.page_index == j.page_index) {
            assert_eq!(m, j, "page {} changed without being named", j.page_index);
        }
    }
    // What is stored must serialise and read back to the same value (it is written as JSON).
    let json = serde_json::to_vec(&merged).expect("a validated edit serialises");
    let back: DetectResult = serde_json::from_slice(&json).expect("a stored edit reads back");
    assert_eq!(back, merged, "JSON round trip changed the boxes");
});
