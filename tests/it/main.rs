//! The integration-test binary: one module per topic.

mod common;
mod hostile;
mod ingest;
mod pipeline;
