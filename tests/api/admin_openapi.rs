//! The admin API's OpenAPI document validates: the served JSON deserialises into the typed OpenAPI 3.1 model
//! (the `oas3` crate), every `$ref` resolves to a component, every `{param}` of a path is declared as a
//! required `in: path` parameter of each of its operations (and no other path parameter is), every operation
//! has an `operationId` unique in the document and at least one response, and every security requirement
//! names a declared scheme. The checks run on broken copies too, so they are shown to catch what they look
//! for.

use std::collections::BTreeSet;

use charter_testkit::{Backend, backend_tests};
use oas3::spec::ParameterIn;
use serde_json::{Value, json};

use crate::admin::admin_app;

/// Every `$ref` string anywhere in `v`.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, inner) in map {
                match (k.as_str(), inner) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(inner, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| refs(i, out)),
        _ => {}
    }
}

/// The `{name}`s of a path template.
fn template_params(path: &str) -> BTreeSet<String> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
        .collect()
}

/// What is wrong with the document `text`; empty when it validates.
fn problems(text: &str) -> Vec<String> {
    let raw: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return vec![format!("not JSON: {e}")],
    };
    let spec = match oas3::from_json(text) {
        Ok(spec) => spec,
        Err(e) => return vec![format!("not an OpenAPI 3.1 document: {e}")],
    };
    let mut found = Vec::new();
    match spec.validate_version() {
        Ok(v) if v.major == 3 && v.minor == 1 => {}
        Ok(v) => found.push(format!("OpenAPI {v}, expected 3.1")),
        Err(e) => found.push(format!("bad openapi version: {e}")),
    }
    let mut all_refs = Vec::new();
    refs(&raw, &mut all_refs);
    for r in all_refs {
        let resolved = r
            .strip_prefix("#/components/")
            .and_then(|_| raw.pointer(&r[1..]));
        if resolved.is_none() {
            found.push(format!("$ref {r} does not resolve to a component"));
        }
    }
    let schemes: BTreeSet<String> = spec
        .components
        .as_ref()
        .map(|c| c.security_schemes.keys().cloned().collect())
        .unwrap_or_default();
    let mut ids = BTreeSet::new();
    let mut operations = 0;
    for (path, method, op) in spec.operations() {
        operations += 1;
        let at = format!("{method} {path}");
        match &op.operation_id {
            Some(id) if !ids.insert(id.clone()) => {
                found.push(format!("{at}: operationId {id} is not unique"))
            }
            Some(_) => {}
            None => found.push(format!("{at}: no operationId")),
        }
        if op.responses.as_ref().is_none_or(|r| r.is_empty()) {
            found.push(format!("{at}: no response"));
        }
        let params = match op.parameters(&spec) {
            Ok(p) => p,
            Err(e) => {
                found.push(format!("{at}: a parameter does not resolve: {e}"));
                continue;
            }
        };
        let declared: BTreeSet<String> = params
            .iter()
            .filter(|p| p.location == ParameterIn::Path)
            .map(|p| {
                if p.required != Some(true) {
                    found.push(format!("{at}: path parameter {} is not required", p.name));
                }
                p.name.clone()
            })
            .collect();
        let templated = template_params(&path);
        if declared != templated {
            found.push(format!(
                "{at}: path parameters {declared:?}, template {templated:?}"
            ));
        }
        for requirement in &op.security {
            for name in requirement.0.keys() {
                if !schemes.contains(name) {
                    found.push(format!("{at}: unknown security scheme {name}"));
                }
            }
        }
    }
    if operations == 0 {
        found.push("no operations".to_owned());
    }
    found
}

/// `doc` changed by `f`, as text.
fn broken(doc: &Value, f: impl FnOnce(&mut Value)) -> String {
    let mut copy = doc.clone();
    f(&mut copy);
    copy.to_string()
}

async fn the_openapi_document_validates(backend: Backend) {
    let Some(app) = admin_app(backend).await else {
        return;
    };
    let res = app.get("/admin/v1/openapi.json").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    let text = res.text().await.unwrap();
    assert_eq!(problems(&text), Vec::<String>::new());

    let doc: Value = serde_json::from_str(&text).unwrap();
    let ops: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert!(ops >= 21, "every route documented: {ops}");
    let password = &doc["paths"]["/admin/v1/users/{sub}/password"]["post"];
    assert_eq!(
        password["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/SetPassword"
    );
    assert_eq!(password["security"], json!([{"bearer": []}]));

    // The checks catch what they look for.
    let sub = "/admin/v1/users/{sub}";
    for (what, text) in [
        (
            "a dangling $ref",
            broken(&doc, |d| {
                d["components"]["schemas"]
                    .as_object_mut()
                    .unwrap()
                    .remove("SetPassword");
            }),
        ),
        (
            "an undeclared path parameter",
            broken(&doc, |d| {
                d["paths"][sub]["get"]["parameters"] = json!([]);
            }),
        ),
        (
            "a duplicate operationId",
            broken(&doc, |d| {
                let id = d["paths"][sub]["get"]["operationId"].clone();
                d["paths"][sub]["patch"]["operationId"] = id;
            }),
        ),
        (
            "an operation without responses",
            broken(&doc, |d| d["paths"][sub]["get"]["responses"] = json!({})),
        ),
        (
            "an unknown security scheme",
            broken(&doc, |d| {
                d["paths"][sub]["get"]["security"] = json!([{"basic": []}]);
            }),
        ),
        (
            "an OpenAPI 2 document",
            broken(&doc, |d| d["openapi"] = json!("2.0")),
        ),
    ] {
        assert!(!problems(&text).is_empty(), "{what} went unnoticed");
    }
}

backend_tests!(the_openapi_document_validates);
