//! The feed socket's resume parameter, as the query string of `/ws/streamer/{id}?after=…`: whatever a client sends,
//! parsing it either yields an id or a clear refusal, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|query: &str| {
    if let Ok(Some(after)) = app::feed::resume_after(query) {
        // What parses must say the same when written back.
        assert_eq!(app::feed::resume_after(&format!("after={after}")), Ok(Some(after)));
    }
});
