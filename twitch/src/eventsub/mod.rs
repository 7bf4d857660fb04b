//! EventSub over webhooks: which subscription types sev uses, the message envelope Twitch posts to the callback,
//! the signature that proves Twitch sent it, and the Helix calls that manage subscriptions.

pub mod catalog;
pub mod message;
pub mod signature;
pub mod subscriptions;

pub use catalog::{Access, ConditionShape, SubscriptionSpec};
pub use message::{Envelope, MessageHeaders, MessageType, Subscription};
pub use signature::{sign, verify};
