//! Tenant isolation: another tenant's job answers exactly like a missing one, on every route
//! with an id in it. Routes come from the OpenAPI document, so a new route cannot escape.

use reqwest::Method;
use serde_json::Value;

use crate::harness::{Deployment, tenant};

#[tokio::test]
async fn another_tenants_job_is_indistinguishable_from_a_missing_one_on_every_route() {
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[]).await;
    let owner = tenant();
    let job = api.create_job(&owner, serde_json::json!({})).await;
    let r = api.upload_plugin(&owner, "mine", "1.0.0", crate::harness::plugin_bytes("text-normalizer.wasm")).await;
    assert_eq!(r.status(), 201);
    let plugin = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();

    let spec: Value = api.http.get(api.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        // Tenant-scoped routes with an id; the operator API (/v1/admin) is not tenant-scoped
        // and is covered by the auth tests.
        if !path.contains("{id}") || path.starts_with("/v1/admin") {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            let method: Method = method.to_uppercase().parse().unwrap();
            let call = |id: &str, t: &str| {
                let req = api.req(method.clone(), &path.replace("{id}", id), t);
                // A body that would be valid for the route, so the id check is what answers.
                if method == Method::PATCH { req.json(&serde_json::json!({"pages": []})) } else { req }
            };
            let missing = call(&uuid::Uuid::now_v7().to_string(), &owner).send().await.unwrap();
            let (ms, mb) = (missing.status(), missing.text().await.unwrap());
            // The owner's object of the kind the route is about.
            let own = if path.starts_with("/v1/plugins") { &plugin } else { &job };
            let foreign = call(own, &tenant()).send().await.unwrap();
            let (fs, fb) = (foreign.status(), foreign.text().await.unwrap());
            let malformed = call("not-a-job-id", &owner).send().await.unwrap();
            let (xs, xb) = (malformed.status(), malformed.text().await.unwrap());
            assert_eq!(ms, 404, "{method} {path}: a missing job gives 404, got {ms} {mb}");
            assert_eq!((fs, &fb), (ms, &mb), "{method} {path}: another tenant's job must look missing");
            assert_eq!((xs, &xb), (ms, &mb), "{method} {path}: a malformed id must look missing");
            checked += 1;
        }
    }
    assert!(checked >= 11, "expected every route with an id to be checked, got {checked}");
    // The owner still sees its objects, untouched.
    assert_eq!(api.job(&owner, &job).await["status"], "PENDING_UPLOAD");
    let r = api.req(Method::GET, &format!("/v1/plugins/{plugin}"), &owner).send().await.unwrap();
    assert_eq!(r.status(), 200);
}
