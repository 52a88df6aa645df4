//! The review UI: the browser app of `ui/` (built into `ui/dist` by `scripts/build-ui.sh`),
//! embedded in the binary at compile time and served under `/ui` with no tenant
//! authentication of its own: the app calls the API with the credentials its user signs in with.
//! `index.html` is never cached (it names the current assets); the assets under `assets/` carry a
//! content hash in their names and are cached for a year.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/ui_assets.rs"));
}

/// Where the UI lives.
pub const PREFIX: &str = "/ui/";

/// The app may only load its own files and talk to this server.
const CSP: &str = "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; \
     object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

const MISSING: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Review UI not built</title></head>\
<body style=\"font-family:sans-serif;max-width:40rem;margin:4rem auto\"><h1>The review UI is not built into this binary</h1>\
<p>Run <code>scripts/build-ui.sh</code> (Node.js and npm), then build the server again \
(<code>scripts/quickstart.sh</code> does both). The API itself works: see <a href=\"/docs\">/docs</a>.</p></body></html>";

fn asset(path: &str) -> Option<&'static [u8]> {
    embedded::ASSETS.iter().find(|(p, _)| *p == path).map(|(_, bytes)| *bytes)
}

/// True when the binary carries a UI build.
pub fn available() -> bool {
    asset("index.html").is_some()
}

/// Logs a warning when the binary was built without the UI.
pub fn warn_if_missing() {
    if !available() {
        tracing::warn!(
            "the review UI was not built into this binary (/ui explains); run scripts/build-ui.sh and rebuild"
        );
    }
}

/// `/` → `/ui/`, `/ui` and `/ui/` → the app, `/ui/{file}` → its files.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(|| async { Redirect::to(PREFIX) }))
        .route("/ui", get(index))
        .route("/ui/", get(index))
        .route("/ui/{*path}", get(file))
}

async fn index() -> Response {
    match asset("index.html") {
        Some(bytes) => {
            let mut res = serve(bytes, "text/html; charset=utf-8", "no-cache");
            res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
            res
        }
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")],
            MISSING,
        )
            .into_response(),
    }
}

async fn file(Path(path): Path<String>) -> Response {
    if path == "index.html" {
        return index().await;
    }
    let Some(bytes) = asset(&path) else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "<!doctype html><title>Not found</title><p>No such file in the review UI. <a href=\"/ui/\">Open the app</a></p>",
        )
            .into_response();
    };
    let cache = if path.starts_with("assets/") { "public, max-age=31536000, immutable" } else { "no-cache" };
    serve(bytes, content_type(&path), cache)
}

fn serve(bytes: &'static [u8], content_type: &'static str, cache: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, cache),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        bytes,
    )
        .into_response()
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json" | "map") => "application/json",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::content_type;

    #[test]
    fn files_get_their_content_types() {
        assert_eq!(content_type("assets/index-3f2a.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("assets/index-3f2a.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("favicon.svg"), "image/svg+xml");
        assert_eq!(content_type("noextension"), "application/octet-stream");
    }
}
