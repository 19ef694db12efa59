//! What a change causes besides itself. A domain operation returns its
//! side effects as values ([`Effect`]); [`write`] puts them into the same
//! transaction as the change (events with a delivery per subscribed
//! endpoint, APNs pushes, Google Wallet updates), and the caller wakes the
//! workers after the commit ([`Written`]). The queues are then run by the
//! one retry-queue runner ([`runner`]) with one retry policy ([`retry`]).
//!
//! The store knows nothing of pushes or webhooks: it stores rows; this
//! module decides which rows an effect is.

pub(crate) mod retry;
pub(crate) mod runner;

use serde_json::{json, Value};

use crate::service::clock::now_ms;
use crate::service::db::{self, Conn, StoreError};

/// Event types an endpoint can subscribe to.
pub const EVENT_TYPES: &[&str] = &[
    "pass.created",
    "pass.updated",
    "pass.voided",
    "pass.deleted",
    "pass.redeemed",
    "pass.adjusted",
    "pass.personalized",
    "template.created",
    "template.updated",
    "connection.created",
    "connection.deleted",
    "user.created",
    "user.deleted",
    "link.opened",
    "link.issued",
    "link.completed",
];

/// The test event (`POST /v1/webhooks/{id}/test`), sent to one endpoint.
pub const TEST_EVENT: &str = "webhook.test";

/// Google Wallet's limit of notifying messages per pass in 24 hours.
pub(crate) const NOTIFY_LIMIT_PER_DAY: i64 = 3;

/// One event: `{id, type, createdAt, data}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `evt_…`
    pub id: String,
    /// One of [`EVENT_TYPES`] or [`TEST_EVENT`].
    pub ty: &'static str,
    /// Unix ms.
    pub created_at: i64,
    /// The resource.
    pub data: Value,
}

impl Event {
    /// A new event now.
    pub fn new(ty: &'static str, data: Value) -> Self {
        Self {
            id: format!("evt_{}", uuid::Uuid::now_v7().simple()),
            ty,
            created_at: now_ms(),
            data,
        }
    }

    /// The delivered body: `{id, type, createdAt, data}`; link events also
    /// carry their fields at the top (`{event, linkId, status, result,
    /// error, timestamp}`).
    pub fn body(&self) -> Value {
        let mut body = json!({
            "id": self.id,
            "type": self.ty,
            "createdAt": crate::service::rfc3339(self.created_at),
            "data": self.data,
        });
        if self.ty.starts_with("link.") {
            if let (Some(b), Some(d)) = (body.as_object_mut(), self.data.as_object()) {
                for (k, v) in d {
                    b.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        }
        body
    }

    /// The known type spelled `s` (`unknown` for anything else).
    pub(crate) fn type_named(s: &str) -> &'static str {
        EVENT_TYPES
            .iter()
            .chain(std::iter::once(&TEST_EVENT))
            .find(|t| **t == s)
            .copied()
            .unwrap_or("unknown")
    }
}

/// Who receives an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Audience {
    /// Every enabled endpoint subscribed to its type.
    Subscribers,
    /// Those, and one more endpoint (a link's own).
    SubscribersAnd(String),
    /// One endpoint only (a test event).
    Only(String),
}

/// A side effect of a change.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Effect {
    /// A webhook event.
    Event(Event, Audience),
    /// A push to every device that registered the pass (Wallet then fetches
    /// the new version).
    Push {
        /// The pass.
        pass_id: String,
        /// The APNs topic: the pass type id.
        topic: String,
    },
    /// A push to one device's token.
    PushTo {
        /// The pass.
        pass_id: String,
        /// The device's token.
        token: String,
        /// The APNs topic.
        topic: String,
    },
    /// An update of the pass's Google Wallet object, and a message to add.
    GoogleUpdate {
        /// The pass.
        pass_id: String,
        /// A message (`addMessage`), notifying unless the pass reached
        /// Google's daily limit.
        message: Option<String>,
    },
}

impl Effect {
    /// An event for every subscriber.
    pub(crate) fn event(ty: &'static str, data: Value) -> Self {
        Self::Event(Event::new(ty, data), Audience::Subscribers)
    }
}

/// What [`write`] queued: which workers to wake, and the ids of what it
/// queued (deliveries and pushes), in effect order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Written {
    /// Webhook deliveries queued.
    pub(crate) deliveries: Vec<String>,
    /// Pushes queued.
    pub(crate) pushes: Vec<String>,
    /// Whether Google updates were queued.
    pub(crate) google: bool,
}

/// The endpoints of `enabled` (id, subscribed types) that receive an event
/// of type `ty` sent to `audience`.
pub(crate) fn recipients(
    enabled: &[(String, Vec<String>)],
    ty: &str,
    audience: &Audience,
) -> Vec<String> {
    let mut out: Vec<String> = match audience {
        Audience::Only(id) => enabled
            .iter()
            .filter(|(e, _)| e == id)
            .map(|(e, _)| e.clone())
            .collect(),
        Audience::Subscribers | Audience::SubscribersAnd(_) => enabled
            .iter()
            .filter(|(_, types)| types.iter().any(|t| t == ty))
            .map(|(e, _)| e.clone())
            .collect(),
    };
    if let Audience::SubscribersAnd(own) = audience {
        // A link's own endpoint subscribes to nothing: it gets its link's
        // events only (and no second copy if it were subscribed too).
        if !out.contains(own) {
            out.push(own.clone());
        }
    }
    out
}

/// The payload of a queued Google message.
pub(crate) fn google_message(body: &str, notifying: bool) -> Value {
    json!({"message": {
        "header": "Update",
        "body": body,
        "id": uuid::Uuid::new_v4().simple().to_string(),
        "messageType": if notifying { "TEXT_AND_NOTIFY" } else { "TEXT" },
    }})
}

/// Writes `effects` in the caller's transaction `c` (the same one as the
/// change that causes them).
///
/// # Errors
/// [`StoreError`]; the caller's transaction then rolls back with the change.
#[must_use = "wake the workers after the commit"]
pub(crate) async fn write(c: &mut Conn, effects: &[Effect]) -> Result<Written, StoreError> {
    let mut written = Written::default();
    let mut enabled: Option<Vec<(String, Vec<String>)>> = None;
    let now = now_ms();
    // The events first, in one statement (a group of creates has many).
    let events: Vec<db::events::NewEvent<'_>> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Event(event, _) => Some(db::events::NewEvent {
                id: &event.id,
                ty: event.ty,
                created_at: event.created_at,
                data: event.data.to_string(),
            }),
            _ => None,
        })
        .collect();
    db::events::insert_events(c, events).await?;
    for effect in effects {
        match effect {
            Effect::Event(event, audience) => {
                let endpoints = match &mut enabled {
                    Some(e) => e,
                    None => enabled.insert(db::events::enabled_endpoints(c).await?),
                };
                let mut to = recipients(endpoints, event.ty, audience);
                if let Audience::SubscribersAnd(own) = audience {
                    // The link's own endpoint is not among the enabled
                    // subscribers' list only when it was disabled or deleted.
                    if !endpoints.iter().any(|(e, _)| e == own) {
                        to.retain(|e| e != own);
                    }
                }
                for endpoint in to {
                    written.deliveries.push(
                        db::events::insert_delivery(c, &endpoint, &event.id, event.created_at)
                            .await?,
                    );
                }
            }
            Effect::Push { pass_id, topic } => {
                for token in db::apple::tokens_to_push(c, pass_id).await? {
                    written
                        .pushes
                        .push(db::apple::insert_push(c, pass_id, &token, topic, now).await?);
                }
            }
            Effect::PushTo {
                pass_id,
                token,
                topic,
            } => {
                written
                    .pushes
                    .push(db::apple::insert_push(c, pass_id, token, topic, now).await?);
            }
            Effect::GoogleUpdate { pass_id, message } => {
                // A waiting PATCH sends the latest version anyway.
                if !db::google::patch_pending(c, pass_id).await? {
                    db::google::insert_update(c, pass_id, "patch", "{}", now).await?;
                }
                if let Some(body) = message {
                    let today =
                        db::google::notifying_messages_since(c, pass_id, now - 24 * 3600 * 1000)
                            .await?;
                    let payload = google_message(body, today < NOTIFY_LIMIT_PER_DAY);
                    db::google::insert_update(c, pass_id, "message", &payload.to_string(), now)
                        .await?;
                }
                written.google = true;
            }
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoints() -> Vec<(String, Vec<String>)> {
        vec![
            (
                "wh_a".into(),
                vec!["pass.created".into(), "link.issued".into()],
            ),
            ("wh_b".into(), vec!["pass.updated".into()]),
            ("wh_link".into(), vec![]),
        ]
    }

    #[test]
    fn events_reach_their_subscribers_a_links_own_endpoint_and_test_targets() {
        let e = endpoints();
        let cases: Vec<(&str, Audience, Vec<&str>)> = vec![
            ("pass.created", Audience::Subscribers, vec!["wh_a"]),
            ("pass.updated", Audience::Subscribers, vec!["wh_b"]),
            ("pass.deleted", Audience::Subscribers, vec![]),
            (
                "link.issued",
                Audience::SubscribersAnd("wh_link".into()),
                vec!["wh_a", "wh_link"],
            ),
            // Subscribed and the link's own: one delivery, not two.
            (
                "link.issued",
                Audience::SubscribersAnd("wh_a".into()),
                vec!["wh_a"],
            ),
            ("webhook.test", Audience::Only("wh_b".into()), vec!["wh_b"]),
            ("webhook.test", Audience::Only("wh_gone".into()), vec![]),
        ];
        for (ty, audience, want) in cases {
            assert_eq!(recipients(&e, ty, &audience), want, "{ty} to {audience:?}");
        }
    }

    #[test]
    fn google_messages_notify_until_the_daily_limit() {
        let m = google_message("Gate B", true);
        assert_eq!(m["message"]["messageType"], "TEXT_AND_NOTIFY");
        assert_eq!(m["message"]["body"], "Gate B");
        assert_eq!(google_message("x", false)["message"]["messageType"], "TEXT");
    }
}
