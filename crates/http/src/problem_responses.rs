//! The error answers every operation can give, declared in the OpenAPI document from what
//! the operation takes, so the document names each status the server can send.
//!
//! The framework answers some errors before a handler runs (a body that is not JSON, too
//! large, of another media type; a query that does not parse; the rate limit), so a handler's
//! own annotation cannot be the whole truth. This modifier adds them from the operation's
//! shape and gives every error answer the `application/problem+json` media type the server
//! sends:
//!
//! | the operation … | adds |
//! |---|---|
//! | is under `/api/v1` | 429 and 503, each with `Retry-After` |
//! | needs a bearer token | 401 |
//! | has a path parameter | 404 (an unknown or malformed id); for a write also 409 |
//! | takes a JSON body | 400 (not JSON), 413 (too large), 415 (not `application/json`), 422 |
//! | takes query parameters | 422 |
//! | reads `If-Match` | 400 (not an entity tag), 409 (stale), 428 (missing) |

use utoipa::Modify;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{
    ArrayItems, KnownFormat, Object, ObjectBuilder, Schema, SchemaFormat, Type,
};
use utoipa::openapi::{ContentBuilder, HeaderBuilder, OpenApi, Ref, RefOr};

use crate::problem::PROBLEM_JSON;

/// Adds the framework's error answers to every operation and gives every error answer the
/// problem+json media type (see the module docs).
pub struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, api: &mut OpenApi) {
        for (path, item) in api.paths.paths.iter_mut() {
            let versioned = path.starts_with("/api/v1/");
            if let Some(op) = item.get.as_mut() {
                complete(op, versioned, true);
            }
            for op in [
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                complete(op, versioned, false);
            }
        }
    }
}

fn complete(op: &mut Operation, versioned: bool, is_read: bool) {
    let params = op.parameters.as_deref().unwrap_or_default();
    let has = |place: ParameterIn| params.iter().any(|p| p.parameter_in == place);
    let reads_if_match = params
        .iter()
        .any(|p| p.parameter_in == ParameterIn::Header && p.name.eq_ignore_ascii_case("if-match"));
    let mut wanted: Vec<(&str, &str)> = Vec::new();
    if versioned {
        wanted.push(("429", "Too many requests: wait for `Retry-After` seconds"));
        wanted.push((
            "503",
            "A dependency (the database) is unavailable or a bound is full: retry after `Retry-After` seconds",
        ));
    }
    if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
        wanted.push(("401", "Missing, invalid, expired or revoked credentials"));
    }
    if has(ParameterIn::Path) {
        wanted.push(("404", "No such resource in the caller's organization"));
        if !is_read {
            wanted.push((
                "409",
                "The resource changed since the version named, or its state does not allow this",
            ));
        }
    }
    if op.request_body.is_some() {
        wanted.push(("400", "The body is not well-formed JSON"));
        wanted.push(("413", "The body is larger than the configured limit"));
        wanted.push(("415", "The body is not `application/json`"));
        wanted.push(("422", "The input is invalid (field errors)"));
    }
    if has(ParameterIn::Query) {
        wanted.push(("422", "A query parameter is invalid"));
    }
    if reads_if_match {
        wanted.push(("400", "`If-Match` is not an entity tag"));
        wanted.push(("409", "The resource changed since the `If-Match` version"));
        wanted.push(("428", "`If-Match` is required"));
    }
    for (status, description) in wanted {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::T(Response::new(description)));
    }
    for (status, response) in op.responses.responses.iter_mut() {
        let is_error = status.starts_with('4') || status.starts_with('5');
        if let (true, RefOr::T(response)) = (is_error, response) {
            as_problem(status, response);
        }
    }
}

/// The error answer's body is a problem document; 429 and 503 carry `Retry-After`.
fn as_problem(status: &str, response: &mut Response) {
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Problem")))
        .build();
    response.content.clear();
    response.content.insert(PROBLEM_JSON.to_owned(), content);
    if matches!(status, "429" | "503") {
        response
            .headers
            .entry("Retry-After".to_owned())
            .or_insert_with(|| {
                HeaderBuilder::new()
                    .schema(Object::with_type(Type::Integer))
                    .description(Some("Seconds to wait before retrying"))
                    .build()
            });
    }
    if response.description.is_empty() {
        *response = ResponseBuilder::from(response.clone())
            .description(status)
            .build();
    }
}

/// An entity tag as `If-Match` takes it: `"3"`, `W/"3"` or a bare `3`.
const IF_MATCH: &str = r#"^ *(W/)?("[0-9]{1,18}"|[0-9]{1,18}) *$"#;

/// Gives `If-Match` the entity-tag pattern the server parses, and every `format: uuid` string the pattern of a hyphenated UUID: `format` alone is an
/// annotation in JSON Schema (so `""` would be a valid `uuid`), while the server refuses
/// anything that does not parse.
pub struct UuidPatterns;

impl Modify for UuidPatterns {
    fn modify(&self, api: &mut OpenApi) {
        if let Some(components) = api.components.as_mut() {
            for schema in components.schemas.values_mut() {
                uuid_pattern(schema);
            }
        }
        for item in api.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                for p in op.parameters.iter_mut().flatten() {
                    if p.parameter_in == ParameterIn::Header
                        && p.name.eq_ignore_ascii_case("if-match")
                    {
                        p.schema = Some(RefOr::T(Schema::Object(
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .pattern(Some(IF_MATCH))
                                .build(),
                        )));
                    }
                    if let Some(schema) = p.schema.as_mut() {
                        uuid_pattern(schema);
                    }
                }
                if let Some(body) = op.request_body.as_mut() {
                    for content in body.content.values_mut() {
                        if let Some(schema) = content.schema.as_mut() {
                            uuid_pattern(schema);
                        }
                    }
                }
            }
        }
    }
}

fn uuid_pattern(schema: &mut RefOr<Schema>) {
    let RefOr::T(schema) = schema else { return };
    match schema {
        Schema::Object(o) => {
            if o.pattern.is_none() {
                o.pattern = match &o.format {
                    Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)) => {
                        Some(crate::dto::fields::UUID.to_owned())
                    }
                    Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)) => {
                        Some(crate::dto::fields::DATE_TIME.to_owned())
                    }
                    _ => None,
                };
            }
            for p in o.properties.values_mut() {
                uuid_pattern(p);
            }
        }
        Schema::Array(a) => {
            if let ArrayItems::RefOrSchema(items) = &mut a.items {
                uuid_pattern(items);
            }
        }
        Schema::OneOf(c) => c.items.iter_mut().for_each(uuid_pattern),
        Schema::AllOf(c) => c.items.iter_mut().for_each(uuid_pattern),
        Schema::AnyOf(c) => c.items.iter_mut().for_each(uuid_pattern),
        _ => {}
    }
}
