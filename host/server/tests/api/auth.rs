//! Tenants, API keys and the operator API; auth modes; per-tenant limits.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Deployment, PRODUCTION, quick_options, tenant};

const OPERATOR: &str = "operator-token-for-tests";

#[tokio::test]
async fn api_keys_authenticate_tenants_and_every_failure_looks_the_same() {
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[("OCR_AUTH_MODE", "api-key"), ("OCR_OPERATOR_TOKEN", OPERATOR)]).await;
    let admin = |m: Method, path: &str| api.http.request(m, api.url(path)).bearer_auth(OPERATOR);

    // The operator API wants the operator token.
    let r = api.http.get(api.url("/v1/admin/tenants")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let unauthorized = r.text().await.unwrap();
    let r = api.http.get(api.url("/v1/admin/tenants")).bearer_auth("wrong").send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.text().await.unwrap()), (401, unauthorized.clone()));

    let t = tenant();
    assert_eq!(
        admin(Method::POST, "/v1/admin/tenants").json(&json!({"id": t, "name": "Acme"})).send().await.unwrap().status(),
        201
    );
    assert_eq!(admin(Method::POST, "/v1/admin/tenants").json(&json!({"id": t})).send().await.unwrap().status(), 409);
    let issued: Value =
        admin(Method::POST, &format!("/v1/admin/tenants/{t}/keys")).send().await.unwrap().json().await.unwrap();
    let key = issued["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("ocrk_"), "{key}");

    // The key acts for its tenant, with or without a matching X-Tenant-Id.
    let r = api.http.post(api.url("/v1/ocr/jobs")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let job = r.json::<Value>().await.unwrap()["job_id"].as_str().unwrap().to_owned();
    let r = api
        .http
        .get(api.url(&format!("/v1/ocr/jobs/{job}")))
        .bearer_auth(&key)
        .header("X-Tenant-Id", &t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // No key, a malformed key, an unknown well-formed key, a key with another tenant's id:
    // one and the same 401.
    let unknown = ocr_core::api_key::from_random(&[9u8; 32]);
    let attempts = [
        api.http.get(api.url(&format!("/v1/ocr/jobs/{job}"))).header("X-Tenant-Id", &t),
        api.http.get(api.url(&format!("/v1/ocr/jobs/{job}"))).bearer_auth("ocrk_not-a-key"),
        api.http.get(api.url(&format!("/v1/ocr/jobs/{job}"))).bearer_auth(&unknown),
        api.http.get(api.url(&format!("/v1/ocr/jobs/{job}"))).bearer_auth(&key).header("X-Tenant-Id", "someone-else"),
    ];
    for attempt in attempts {
        let r = attempt.send().await.unwrap();
        assert_eq!((r.status().as_u16(), r.text().await.unwrap()), (401, unauthorized.clone()));
    }

    // Keys are listed without the key; the key is stored hashed only.
    let keys: Value =
        admin(Method::GET, &format!("/v1/admin/tenants/{t}/keys")).send().await.unwrap().json().await.unwrap();
    assert_eq!(keys["keys"].as_array().unwrap().len(), 1);
    assert!(!keys.to_string().contains(&key[5..]), "the key must never be listed");

    // Revoking stops the key at once; disabling the tenant stops its other keys.
    let key_id = issued["key_id"].as_str().unwrap();
    assert_eq!(admin(Method::DELETE, &format!("/v1/admin/keys/{key_id}")).send().await.unwrap().status(), 204);
    let r = api.http.get(api.url(&format!("/v1/ocr/jobs/{job}"))).bearer_auth(&key).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(admin(Method::DELETE, &format!("/v1/admin/keys/{key_id}")).send().await.unwrap().status(), 404);
    let second: Value =
        admin(Method::POST, &format!("/v1/admin/tenants/{t}/keys")).send().await.unwrap().json().await.unwrap();
    let second = second["key"].as_str().unwrap().to_owned();
    let get = || api.http.get(api.url(&format!("/v1/ocr/jobs/{job}"))).bearer_auth(&second).send();
    assert_eq!(get().await.unwrap().status(), 200);
    let r =
        admin(Method::PATCH, &format!("/v1/admin/tenants/{t}")).json(&json!({"disabled": true})).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(get().await.unwrap().status(), 401);
    admin(Method::PATCH, &format!("/v1/admin/tenants/{t}")).json(&json!({"disabled": false})).send().await.unwrap();
    assert_eq!(get().await.unwrap().status(), 200);
}

#[tokio::test]
async fn header_mode_is_refused_on_a_public_address_without_the_explicit_override() {
    let d = Deployment::embedded();
    let out = d.command(&["serve"]).env("OCR_AUTH_MODE", "header").env("OCR_BIND", "0.0.0.0:0").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("OCR_ALLOW_HEADER_AUTH"), "{err}");
}

#[tokio::test]
async fn a_client_flooding_reads_is_throttled_while_its_writes_and_other_tenants_are_served() {
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[("OCR_READ_RATE_PER_SEC", "2"), ("OCR_READ_RATE_BURST", "2")]).await;
    let (noisy, quiet) = (tenant(), tenant());
    let mut throttled = None;
    for _ in 0..10 {
        let r = api.req(Method::GET, "/v1/ocr/jobs", &noisy).send().await.unwrap();
        if r.status() == 429 {
            throttled = Some(r);
            break;
        }
    }
    let r = throttled.expect("the flood is throttled");
    assert!(r.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "rate_limited");
    assert_eq!(api.req(Method::GET, "/v1/ocr/jobs", &quiet).send().await.unwrap().status(), 200);
    // Writes have their own bucket: the flooded reads do not stop the client creating a job.
    assert_eq!(api.req(Method::POST, "/v1/ocr/jobs", &noisy).send().await.unwrap().status(), 201);
}

#[tokio::test]
async fn a_tenant_with_its_share_of_jobs_queued_gets_429_for_more() {
    let _one_at_a_time = PRODUCTION.lock().await;
    let d = Deployment::production().await;
    // No worker: uploaded jobs stay queued.
    let api = d.start_api("api", &[("OCR_TENANT_MAX_WAITING_JOBS", "1"), ("OCR_AUTH_MODE", "header")]).await;
    let t = tenant();
    let first = api.create_job(&t, quick_options(false)).await;
    api.upload_ok(&t, &first, "en_rotated_15deg.png").await;
    let second = api.create_job(&t, quick_options(false)).await;
    let r = api.upload(&t, &second, "en_rotated_15deg.png").await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "quota_exceeded");
    // Nothing was lost: the refused job still waits for its file, another tenant is unaffected.
    assert_eq!(api.job(&t, &second).await["status"], "PENDING_UPLOAD");
    let other = tenant();
    let job = api.create_job(&other, quick_options(false)).await;
    api.upload_ok(&other, &job, "en_rotated_15deg.png").await;
}
