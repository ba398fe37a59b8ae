//! Evaluation (placeholder filled below).
