//! The integration-test binary: one module per topic.

mod common;
mod ingest;
mod pipeline;
mod tokenize;
mod train;
