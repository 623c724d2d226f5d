//! `--timings`: how long each stage of a command took, on stderr. The clock is read
//! here, at the edge, never in the pipeline.

use std::io::Write as _;
use std::time::{Duration, Instant};

/// Stages timed one after the other; each mark ends the stage it names.
pub(super) struct Timings {
    enabled: bool,
    start: Instant,
    last: Instant,
    stages: Vec<(&'static str, Duration)>,
}

impl Timings {
    pub(super) fn new(enabled: bool) -> Timings {
        let now = Instant::now();
        Timings {
            enabled,
            start: now,
            last: now,
            stages: Vec::new(),
        }
    }

    /// Ends the stage `name`, which began at the previous mark.
    pub(super) fn mark(&mut self, name: &'static str) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        self.stages.push((name, now - self.last));
        self.last = now;
    }

    /// Prints the stages and the total, when asked for.
    pub(super) fn print(&self) {
        if !self.enabled {
            return;
        }
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "{}", self.table(self.start.elapsed()));
    }

    fn table(&self, total: Duration) -> String {
        let width = self
            .stages
            .iter()
            .map(|(name, _)| name.len())
            .max()
            .unwrap_or(0)
            .max("total".len());
        let mut text = String::from("timings:");
        for (name, d) in &self.stages {
            text.push_str(&format!("\n  {name:<width$}  {:>8.3}s", d.as_secs_f64()));
        }
        text.push_str(&format!(
            "\n  {:<width$}  {:>8.3}s",
            "total",
            total.as_secs_f64()
        ));
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_lists_stages_in_order_with_the_total() {
        let mut t = Timings::new(true);
        t.stages = vec![
            ("plan", Duration::from_millis(1500)),
            ("render, check and stage", Duration::from_millis(20)),
        ];
        assert_eq!(
            t.table(Duration::from_millis(1600)),
            "timings:\n  plan                        1.500s\n  render, check and stage     0.020s\n  total                       1.600s"
        );
    }

    #[test]
    fn marks_are_not_kept_when_not_asked_for() {
        let mut t = Timings::new(false);
        t.mark("plan");
        assert!(t.stages.is_empty());
    }
}
