//! The integration-test binary: one module per topic.

mod common;
mod deid;
mod ingest;
mod pipeline;
mod synth;
