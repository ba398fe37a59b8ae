//! The integration-test binary: one module per topic.

mod audit;
mod common;
mod crash;
mod deid;
mod hostile;
mod ingest;
mod langid;
mod merge;
mod pipeline;
mod synth;
mod tokenize;
mod train;
