//! The example server's tests, one module per concern, linked into one
//! binary. Each test starts the server (in-process through `serve`, or the
//! real binary) on a free port of 127.0.0.1 and talks to it over sockets.

mod common;

mod conformance;
mod database;
mod hostile;
mod http_level;
mod openapi;
mod otlp;
mod persistence;
mod quotas;
mod replicas;
mod shutdown;
