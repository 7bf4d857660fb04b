//! What the mock Twitch, `sev-tools` and the tests share to speak as Twitch does: EventSub messages with their
//! signed headers, realistic events for every type, and the profiles of the people in them. A crate of its own,
//! so the server links none of it.

pub mod payloads;
pub mod people;
pub mod time;
