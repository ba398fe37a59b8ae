//! The integration-test binary: one module per topic.

mod common;
mod ingest;
mod langid;
mod pipeline;
