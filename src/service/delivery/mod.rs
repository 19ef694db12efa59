//! Delivery: the handlers of the outbound queues — the webhook sender, the
//! APNs client, the Google Wallet client. They take claimed items from
//! `outbox::runner` and settle them; they never import `domain` or `http`
//! (what a dead APNs token means for connections is a hook the service
//! wires in).

pub(crate) mod apns;
pub(crate) mod google;
pub(crate) mod webhooks;

pub use webhooks::signature_headers;

/// An error with its causes, `outer: inner: …` (reqwest's own message
/// leaves out why a connection failed).
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}
