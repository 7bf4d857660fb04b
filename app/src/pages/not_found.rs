use leptos::prelude::*;
use leptos_meta::Title;

use super::set_status;

/// Any path sev does not serve.
#[component]
pub fn NotFound() -> impl IntoView {
    set_status(404);
    view! {
        <Title text="Not found · sev" />
        <section class="card narrow">
            <h1>"Nothing here"</h1>
            <p>"sev has no page at this address."</p>
            <p>
                <a class="button" href="/">
                    "Back to the home page"
                </a>
            </p>
        </section>
    }
}
