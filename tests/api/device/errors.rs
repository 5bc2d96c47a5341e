//! Every refusal of `/device_authorization` and of device-code polling (RFC 8628 §3.2, RFC 6749 §5.2).

use charter_registry::ClientRequest;
use charter_testkit::{Backend, backend_tests, spawn_app};
use reqwest::Response;
use serde_json::Value;

use super::{DEVICE_GRANT, poll_error, start, tv};

async fn device_authorization_errors(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let tv = tv(&app).await;
    let web = app
        .register_client(ClientRequest {
            client_name: Some("Web App".into()),
            redirect_uris: vec!["https://app.example/cb".into()],
            scope: Some("openid".into()),
            ..ClientRequest::default()
        })
        .await;
    let web_id = web.record.client.id.to_string();
    let secret = web.secret.unwrap();
    let error = |res: Response| async move {
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap();
        (status, body["error"].as_str().unwrap().to_owned())
    };

    // A client not registered for the device grant.
    let res = app
        .client
        .post(app.url("/device_authorization"))
        .basic_auth(&web_id, Some(&secret))
        .form(&[("scope", "openid")])
        .send()
        .await
        .unwrap();
    assert_eq!(error(res).await, (400, "unauthorized_client".into()));
    let res = app
        .client
        .post(app.url("/token"))
        .basic_auth(&web_id, Some(&secret))
        .form(&[("grant_type", DEVICE_GRANT), ("device_code", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(error(res).await, (400, "unauthorized_client".into()));

    // Client authentication as at the token endpoint.
    assert_eq!(
        error(start(&app, "bm8tc3VjaC1jbGllbnQ", "openid").await).await,
        (400, "invalid_client".into())
    );
    let res = app
        .client
        .post(app.url("/device_authorization"))
        .basic_auth(&web_id, Some("wrong"))
        .form(&[("scope", "openid")])
        .send()
        .await
        .unwrap();
    assert_eq!(error(res).await, (401, "invalid_client".into()));

    // Scopes as at /authorize.
    assert_eq!(
        error(start(&app, &tv, "openid email").await).await,
        (400, "invalid_scope".into())
    );
    assert_eq!(
        error(start(&app, &tv, "open\"id").await).await,
        (400, "invalid_scope".into())
    );
    let res = app
        .client
        .post(app.url("/device_authorization"))
        .form(&[
            ("client_id", tv.as_str()),
            ("scope", "openid"),
            ("scope", "profile"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(error(res).await, (400, "invalid_request".into()));
    let res = app
        .client
        .post(app.url("/device_authorization"))
        .json(&serde_json::json!({ "client_id": tv }))
        .send()
        .await
        .unwrap();
    assert_eq!(error(res).await, (400, "invalid_request".into()));

    // Polling with what is not a device code.
    assert_eq!(
        poll_error(&app, &tv, "no-such-device-code").await,
        "invalid_grant"
    );
    let res = app
        .client
        .post(app.url("/token"))
        .form(&[("grant_type", DEVICE_GRANT), ("client_id", tv.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(error(res).await, (400, "invalid_request".into()));
    // No scope: an empty grant is still a grant.
    let res = app
        .client
        .post(app.url("/device_authorization"))
        .form(&[("client_id", tv.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    app.stop().await;
}

backend_tests!(device_authorization_errors);
