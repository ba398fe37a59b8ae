//! The integration-test binary: one module per topic.

mod audit;
mod common;
mod deid;
mod ingest;
mod pipeline;
mod synth;
