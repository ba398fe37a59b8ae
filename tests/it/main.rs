//! The integration-test binary: one module per topic.

mod audit;
mod common;
mod ingest;
mod pipeline;
