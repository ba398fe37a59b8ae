//! Progress for long work: an indicatif bar on a terminal, plain log lines
//! (every few seconds) otherwise.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How progress is shown for this process.
#[derive(Clone, Debug)]
pub struct Progress {
    bars: bool,
}

impl Progress {
    /// Bars when stderr is a terminal and `quiet` is off; log lines otherwise.
    pub fn detect(quiet: bool) -> Self {
        Progress {
            bars: !quiet && std::io::stderr().is_terminal(),
        }
    }

    /// Log lines only (tests, non-interactive runs).
    pub fn plain() -> Self {
        Progress { bars: false }
    }

    /// Starts a task counting `unit`s, with a known `total` when there is one.
    pub fn task(&self, label: &str, total: Option<u64>, unit: &'static str) -> ProgressTask {
        let bar = self.bars.then(|| {
            let bar = match total {
                Some(t) => ProgressBar::with_draw_target(Some(t), ProgressDrawTarget::stderr()),
                None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
            };
            let template = if total.is_some() {
                format!(
                    "{{prefix:>10}} {{bar:30}} {{pos}}/{{len}} {unit} ({{per_sec}}, eta {{eta}})"
                )
            } else {
                format!("{{prefix:>10}} {{spinner}} {{pos}} {unit} ({{per_sec}})")
            };
            if let Ok(style) = ProgressStyle::with_template(&template) {
                bar.set_style(style);
            }
            bar.set_prefix(label.to_string());
            bar
        });
        ProgressTask {
            label: label.to_string(),
            unit,
            total,
            bar,
            done: AtomicU64::new(0),
            last_log: Mutex::new(Instant::now()),
        }
    }
}

/// One task's progress; safe to advance from several threads.
pub struct ProgressTask {
    label: String,
    unit: &'static str,
    total: Option<u64>,
    bar: Option<ProgressBar>,
    done: AtomicU64,
    last_log: Mutex<Instant>,
}

/// Interval between plain progress log lines.
const LOG_EVERY: Duration = Duration::from_secs(10);

impl ProgressTask {
    /// Advances by `n` units.
    pub fn inc(&self, n: u64) {
        let done = self.done.fetch_add(n, Ordering::Relaxed) + n;
        if let Some(bar) = &self.bar {
            bar.inc(n);
            return;
        }
        let Ok(mut last) = self.last_log.try_lock() else {
            return;
        };
        if last.elapsed() >= LOG_EVERY {
            *last = Instant::now();
            match self.total {
                Some(t) => tracing::info!("{}: {done}/{t} {}", self.label, self.unit),
                None => tracing::info!("{}: {done} {}", self.label, self.unit),
            }
        }
    }

    /// Units done so far.
    pub fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }
}

impl Drop for ProgressTask {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
