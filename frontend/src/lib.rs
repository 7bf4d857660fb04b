//! The browser entry point. The server renders every page; this wakes it up (hydrates) so forms validate as
//! you type and, later, the event feed goes live.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
