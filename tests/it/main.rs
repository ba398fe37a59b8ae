//! The integration-test binary: one module per topic.

mod common;
mod crash;
mod hostile;
mod ingest;
mod langid;
mod pipeline;
mod synth;
