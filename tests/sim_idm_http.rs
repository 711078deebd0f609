//! The userManagement simulation over HTTP: create, search, patch (the seed example),
//! put, and errors as TM Forum `Error` objects.

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use scimcert::api::Profile;
use scimcert::sim::{DEFAULT_TOKEN, SimOptions, Simulation};
use serde_json::{Value, json};

async fn json_of(response: reqwest::Response) -> (StatusCode, String, Value) {
    let status = response.status();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let bytes = response.bytes().await.expect("body");
    let body = serde_json::from_slice(&bytes).expect("JSON body");
    (status, content_type, body)
}

/// A plain-http client; reqwest is built without a default rustls provider.
fn client() -> reqwest::Client {
    // Err only means another test installed it first.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A JSON request body (reqwest is built without its `json` feature).
trait BodyJson {
    fn body_json(self, body: &Value) -> Self;
}

impl BodyJson for reqwest::RequestBuilder {
    fn body_json(self, body: &Value) -> Self {
        self.body(body.to_string())
    }
}

#[tokio::test]
async fn idm_user_lifecycle_over_http() {
    let sim = Simulation::start(SimOptions::new(Profile::Fabric))
        .await
        .expect("simulation starts");
    let base = sim.base_url();
    assert!(base.ends_with("/userManagement/v1"), "{base}");
    let client = client();
    let auth = format!("Bearer {DEFAULT_TOKEN}");

    let (status, content_type, created) = json_of(
        client
            .post(format!("{base}/user"))
            .header("Authorization", &auth)
            .header(CONTENT_TYPE, "application/json")
            .body_json(&json!({
                "profile": "Subscriber",
                "scimAttributes": {
                    "userName": "anything",
                    "emails": [{"value": "test@example.com", "type": "work", "primary": true}]
                },
                "customAttributes": {"workspace": "ws-1"}
            }))
            .send()
            .await
            .expect("POST"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let id = created["id"].as_str().expect("id").to_string();

    let (status, _, found) = json_of(
        client
            .get(format!("{base}/user?filter=userName%20eq%20%22ANYTHING%22"))
            .header("Authorization", &auth)
            .send()
            .await
            .expect("GET"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found, json!([{"id": id, "userName": "anything"}]));

    let seed = json!({ "profile": "subscriber", "Operations": [
        { "operation": "replace", "path": "scimAttributes:name", "value": { "givenName": "veerendra", "familyName": "patil" } },
        { "operation": "add", "path": "customAttributes:userKey", "value": "123456" },
        { "operation": "remove", "path": "customAttributes:workspace" } ] });
    let (status, _, patched) = json_of(
        client
            .patch(format!("{base}/user/{id}"))
            .header("Authorization", &auth)
            .header(CONTENT_TYPE, "application/json")
            .body_json(&seed)
            .send()
            .await
            .expect("PATCH"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(
        patched["scimAttributes"]["name"]["formatted"],
        json!("veerendra patil")
    );
    assert_eq!(patched["customAttributes"], json!({"userKey": "123456"}));
    assert_eq!(patched["profile"], json!("subscriber"));

    let (status, _, replaced) = json_of(
        client
            .put(format!("{base}/user/{id}"))
            .header("Authorization", &auth)
            .header(CONTENT_TYPE, "application/json")
            .body_json(
                &json!({"profile": "Subscriber", "scimAttributes": {"userName": "anything"}}),
            )
            .send()
            .await
            .expect("PUT"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    assert_eq!(replaced["scimAttributes"], json!({"userName": "anything"}));
    assert_eq!(replaced["customAttributes"], json!({}));

    let (status, _, error) = json_of(
        client
            .patch(format!("{base}/user/User_unknown"))
            .header("Authorization", &auth)
            .header(CONTENT_TYPE, "application/json")
            .body_json(&seed)
            .send()
            .await
            .expect("PATCH unknown"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error["code"], json!("404"));
    assert_eq!(error["@type"], json!("Error"));

    let unauthenticated = client
        .patch(format!("{base}/user/{id}"))
        .header(CONTENT_TYPE, "application/json")
        .body_json(&seed)
        .send()
        .await
        .expect("PATCH without token");
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
    assert!(unauthenticated.headers().contains_key("www-authenticate"));
    let (_, _, error) = json_of(unauthenticated).await;
    assert_eq!(
        error["reason"],
        json!("Authorization failure. The authorization header is invalid or missing")
    );

    let (status, _, error) = json_of(
        client
            .patch(format!("{base}/user/{id}"))
            .header("Authorization", &auth)
            .header(CONTENT_TYPE, "application/json")
            .body("{not json")
            .send()
            .await
            .expect("PATCH malformed"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["reason"], json!("Request validation failed"));
}

#[tokio::test]
async fn idm_oversized_body_is_413_tm_forum_error() {
    let mut options = SimOptions::new(Profile::Fabric);
    options.body_limit = 64;
    let sim = Simulation::start(options).await.expect("simulation starts");
    let response = client()
        .post(format!("{}/user", sim.base_url()))
        .header("Authorization", format!("Bearer {DEFAULT_TOKEN}"))
        .header(CONTENT_TYPE, "application/json")
        .body_json(
            &json!({"profile": "Subscriber", "scimAttributes": {"userName": "x".repeat(200)}}),
        )
        .send()
        .await
        .expect("POST");
    let (status, _, error) = json_of(response).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error["code"], json!("413"));
    assert_eq!(error["@type"], json!("Error"));
}
