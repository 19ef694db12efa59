//! Counters for `/metrics` (Prometheus text exposition).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// (method, route, status) → (count, seconds).
type RequestCounts = BTreeMap<(String, String, u16), (u64, f64)>;

/// Request counters for `/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<RequestCounts>,
    passes_issued: AtomicU64,
    deliveries: Mutex<BTreeMap<&'static str, u64>>,
    pushes: Mutex<BTreeMap<&'static str, u64>>,
    uses: Mutex<BTreeMap<(&'static str, String), u64>>,
    signed: [AtomicU64; 3],
    /// Transactions that wrote new passes, and the passes they wrote.
    create_commits: AtomicU64,
    creates_committed: AtomicU64,
    /// Signings waiting for a turn on a core (a gauge).
    signings_waiting: AtomicU64,
}

/// A signing counted as waiting for its turn until dropped.
#[derive(Debug)]
pub(crate) struct Waiting<'a>(&'a AtomicU64);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Where a served `.pkpass` came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// The in-memory cache.
    Memory,
    /// Assembled around the signature kept in the database (no signing).
    Database,
    /// Signed for this request.
    Signed,
}

impl Source {
    const ALL: [Self; 3] = [Self::Memory, Self::Database, Self::Signed];

    fn label(self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::Database => "database",
            Self::Signed => "signed",
        }
    }
}

impl Metrics {
    /// Counts one issued pass.
    pub fn passes_issued(&self) {
        self.passes_issued.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one committed transaction that wrote `passes` new passes.
    pub(crate) fn create_commit(&self, passes: usize) {
        self.create_commits.fetch_add(1, Ordering::Relaxed);
        self.creates_committed
            .fetch_add(passes as u64, Ordering::Relaxed);
    }

    /// Counts a signing as waiting for its turn until the guard is dropped.
    pub(crate) fn waiting_to_sign(&self) -> Waiting<'_> {
        self.signings_waiting.fetch_add(1, Ordering::Relaxed);
        Waiting(&self.signings_waiting)
    }

    /// Signings waiting for their turn now.
    pub(crate) fn signings_waiting(&self) -> u64 {
        self.signings_waiting.load(Ordering::Relaxed)
    }

    /// Counts one `.pkpass` served, by where its bytes came from.
    pub(crate) fn signed_served(&self, source: Source) {
        self.signed[source as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one webhook delivery attempt by outcome.
    pub fn webhook_delivery(&self, outcome: &'static str) {
        if let Ok(mut m) = self.deliveries.lock() {
            *m.entry(outcome).or_insert(0) += 1;
        }
    }

    /// Counts one APNs push attempt by outcome.
    pub fn push(&self, outcome: &'static str) {
        if let Ok(mut m) = self.pushes.lock() {
            *m.entry(outcome).or_insert(0) += 1;
        }
    }

    /// Counts one scan, redemption or adjustment by kind and outcome
    /// (`ok`, or why it was refused).
    pub fn pass_use(&self, kind: &'static str, outcome: &str) {
        if let Ok(mut m) = self.uses.lock() {
            *m.entry((kind, outcome.to_owned())).or_insert(0) += 1;
        }
    }

    /// Counts one answered request.
    pub(crate) fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        if let Ok(mut m) = self.requests.lock() {
            let e = m
                .entry((method.to_owned(), route.to_owned(), status))
                .or_insert((0, 0.0));
            e.0 += 1;
            e.1 += seconds;
        }
    }

    /// Prometheus text exposition.
    pub fn render(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        counter(
            &mut s,
            "passforge_http_requests_total",
            "HTTP requests by route and status.",
        );
        let requests = self.requests.lock().map(|m| m.clone()).unwrap_or_default();
        for ((method, route, status), (n, _)) in &requests {
            let _ = writeln!(
                s,
                "passforge_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        counter(
            &mut s,
            "passforge_http_request_duration_seconds_sum",
            "Time spent answering, by route.",
        );
        for ((method, route, status), (_, secs)) in &requests {
            let _ = writeln!(
                s,
                "passforge_http_request_duration_seconds_sum{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {secs:.6}"
            );
        }
        counter(
            &mut s,
            "passforge_webhook_deliveries_total",
            "Webhook delivery attempts by outcome.",
        );
        let deliveries = self
            .deliveries
            .lock()
            .map(|m| m.clone())
            .unwrap_or_default();
        for (outcome, n) in &deliveries {
            let _ = writeln!(
                s,
                "passforge_webhook_deliveries_total{{outcome=\"{outcome}\"}} {n}"
            );
        }
        counter(
            &mut s,
            "passforge_apns_pushes_total",
            "APNs push attempts by outcome.",
        );
        let pushes = self.pushes.lock().map(|m| m.clone()).unwrap_or_default();
        for (outcome, n) in &pushes {
            let _ = writeln!(
                s,
                "passforge_apns_pushes_total{{outcome=\"{outcome}\"}} {n}"
            );
        }
        counter(
            &mut s,
            "passforge_pass_uses_total",
            "Scans, redemptions and adjustments by kind and outcome.",
        );
        let uses = self.uses.lock().map(|m| m.clone()).unwrap_or_default();
        for ((kind, outcome), n) in &uses {
            let _ = writeln!(
                s,
                "passforge_pass_uses_total{{kind=\"{kind}\",outcome=\"{outcome}\"}} {n}"
            );
        }
        single(
            &mut s,
            "passforge_passes_issued_total",
            "Passes created.",
            self.passes_issued.load(Ordering::Relaxed),
        );
        counter(&mut s, "passforge_pkpass_served_total", "Signed passes served, by where their bytes came from: memory, database (assembled around the kept signature, no signing), or signed for the request.");
        for source in Source::ALL {
            let _ = writeln!(
                s,
                "passforge_pkpass_served_total{{source=\"{}\"}} {}",
                source.label(),
                self.signed[source as usize].load(Ordering::Relaxed)
            );
        }
        single(
            &mut s,
            "passforge_create_commits_total",
            "Transactions that wrote new passes (creates arriving together are written in one).",
            self.create_commits.load(Ordering::Relaxed),
        );
        single(
            &mut s,
            "passforge_creates_committed_total",
            "New passes written by those transactions.",
            self.creates_committed.load(Ordering::Relaxed),
        );
        gauge(
            &mut s,
            "passforge_signings_waiting",
            "Signings (creates, changes, and reads of a version whose signature is not kept) waiting for a turn on a core; above zero for long, signing is what limits the service.",
            self.signings_waiting(),
        );
        s
    }
}

/// A counter's `# HELP` and `# TYPE` lines.
fn counter(s: &mut String, name: &str, help: &str) {
    described(s, name, help, "counter");
}

/// A metric's `# HELP` and `# TYPE` lines, `kind` its type.
fn described(s: &mut String, name: &str, help: &str, kind: &str) {
    use std::fmt::Write as _;
    let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// A gauge without labels: its two header lines and its one sample.
fn gauge(s: &mut String, name: &str, help: &str, value: u64) {
    use std::fmt::Write as _;
    described(s, name, help, "gauge");
    let _ = writeln!(s, "{name} {value}");
}

/// A counter without labels: its two header lines and its one sample.
fn single(s: &mut String, name: &str, help: &str, value: u64) {
    use std::fmt::Write as _;
    counter(s, name, help);
    let _ = writeln!(s, "{name} {value}");
}
