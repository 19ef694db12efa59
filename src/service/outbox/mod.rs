//! What happens after a change commits: the retry queues that carry its
//! webhook deliveries, pushes, Google updates and batch chunks, run by one
//! runner with one retry policy.

pub(crate) mod retry;
pub(crate) mod runner;
