//! The library's integration tests, one module per concern, linked into
//! one binary: every test builds a real router or service and sends it
//! real requests. `tests/alloc.rs` stays a binary of its own because it
//! installs a counting global allocator.

mod common;

mod azure_headers;
mod client;
mod codes;
mod dropin;
mod extract;
mod flatten;
mod layer;
mod log_correlation;
mod messages;
mod openapi;
mod otel;
mod plain;
mod plain_edges;
mod plain_service;
mod properties;
mod shapes;
mod spoofing;
mod target;
mod trace_layer;
mod tracking;
mod trust;
mod values;
