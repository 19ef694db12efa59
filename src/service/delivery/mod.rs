//! Delivery: the handlers of the outbound queues — the webhook sender, the
//! APNs client, the Google Wallet client. They take claimed items from
//! `outbox::runner` and settle them; they never import `domain` or `http`
//! (what a dead APNs token means for connections is a hook the service
//! wires in).

pub(crate) mod apns;
pub(crate) mod google;
pub(crate) mod webhooks;

pub use webhooks::signature_headers;
