//! The HTML of the authorize page and of its error page.
//!
//! Self-contained (inline CSS, no scripts, no external assets) so it works offline in demo mode
//! and under any path prefix; the form posts to the relative URL `authorize`, which resolves to
//! `…/oauth2/authorize` wherever the mock is mounted. Every interpolated value is escaped: the
//! client id, scopes and `state` come straight from the URL.

use crate::SEEDED_STREAMERS;
use crate::html::escape;

const TITLE: &str = "Sign in to Twitch (mock)";

/// What the consent page shows.
pub(super) struct ConsentPage<'a> {
    pub(super) client_id: &'a str,
    pub(super) scopes: &'a [String],
    /// The authorize request's parameters, resent with the form.
    pub(super) hidden_fields: &'a [(&'static str, &'a str)],
    /// The login to prefill (what the user typed, when the page is shown again with an error).
    pub(super) login: &'a str,
    /// Shown next to the login field and announced to screen readers.
    pub(super) error: Option<&'a str>,
}

pub(super) fn consent_page(page: &ConsentPage<'_>) -> String {
    let client_id = escape(page.client_id);
    let scopes = scope_list(page.scopes);
    let hidden_fields: String = page
        .hidden_fields
        .iter()
        .map(|(name, value)| {
            format!("\n      <input type=\"hidden\" name=\"{}\" value=\"{}\">", escape(name), escape(value))
        })
        .collect();
    let login = escape(page.login);
    let (error, described_by, invalid) = match page.error {
        Some(message) => (
            format!("\n      <p id=\"login-error\" class=\"error\" role=\"alert\">{}</p>", escape(message)),
            "login-hint login-error",
            " aria-invalid=\"true\"",
        ),
        None => (String::new(), "login-hint", ""),
    };
    let seeded =
        SEEDED_STREAMERS.iter().map(|login| format!("<code>{}</code>", escape(login))).collect::<Vec<_>>().join(", ");
    let body = format!(
        r#"    <p>The application <strong><code>{client_id}</code></strong> wants to access your Twitch account.</p>
    {scopes}
    <form method="post" action="authorize">{hidden_fields}
      <label for="login">Twitch login</label>
      <input id="login" name="login" type="text" value="{login}" autocomplete="username" autocapitalize="none" spellcheck="false" autofocus required aria-describedby="{described_by}"{invalid}>
      <p id="login-hint" class="hint">4 to 25 letters, digits or underscores. Any login works: a new one is created when you authorize.</p>{error}
      <div class="actions">
        <button type="submit" name="decision" value="authorize" class="primary">Authorize</button>
        <button type="submit" name="decision" value="deny" class="secondary" formnovalidate>Cancel</button>
      </div>
    </form>
    <p class="footnote">Streamers that already exist: {seeded}.</p>"#
    );
    document(TITLE, &body)
}

/// The page shown instead of redirecting, when the redirect URI cannot be trusted. `code` is the
/// OAuth error code (e.g. `redirect_mismatch`), shown as Twitch shows it.
pub(super) fn error_page(code: &str, description: &str) -> String {
    let body = format!(
        r#"    <div class="error-box" role="alert">
      <p><strong><code>{}</code></strong></p>
      <p>{}</p>
    </div>
    <p class="footnote">The application that sent you here is misconfigured. You can close this page.</p>"#,
        escape(code),
        escape(description)
    );
    document("Error: Sign in to Twitch (mock)", &body)
}

fn scope_list(scopes: &[String]) -> String {
    if scopes.is_empty() {
        return "<p>It asks for no special permissions, only your public profile.</p>".to_owned();
    }
    let items: String = scopes
        .iter()
        .map(|scope| match scope_description(scope) {
            Some(description) => format!("\n      <li>{} <code>{}</code></li>", escape(description), escape(scope)),
            None => format!("\n      <li><code>{}</code></li>", escape(scope)),
        })
        .collect();
    format!(
        "<h2 id=\"scopes-heading\">It asks permission to:</h2>\n    <ul aria-labelledby=\"scopes-heading\">{items}\n    </ul>"
    )
}

/// Plain-language wording for the scopes sev is likely to ask for.
fn scope_description(scope: &str) -> Option<&'static str> {
    Some(match scope {
        "openid" => "Confirm who you are",
        "user:read:email" => "View your email address",
        "moderator:read:followers" => "Read the followers of channels you moderate",
        "channel:read:subscriptions" => "View your channel's subscribers",
        "bits:read" => "View Bits cheered in your channel",
        "channel:read:redemptions" => "View Channel Points rewards and redemptions",
        "channel:read:hype_train" => "View your channel's Hype Trains",
        "channel:read:polls" => "View your channel's polls",
        "channel:read:predictions" => "View your channel's predictions",
        "channel:read:goals" => "View your channel's creator goals",
        "channel:read:charity" => "View your channel's charity campaigns",
        "channel:read:ads" => "View your channel's ad schedule",
        _ => return None,
    })
}

/// The shared page frame: a centred card that fits a phone screen.
fn document(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="robots" content="noindex">
  <title>{title}</title>
  <style>{STYLE}</style>
</head>
<body>
  <main class="card">
    <p class="badge">Mock Twitch, not twitch.tv</p>
    <h1>{heading}</h1>
{body}
  </main>
</body>
</html>
"#,
        title = escape(title),
        heading = escape(TITLE),
    )
}

const STYLE: &str = r#"
    :root { color-scheme: light dark; --purple: #772ce8; --purple-dark: #5c16c5; --text: #0e0e10;
            --muted: #53535f; --bg: #f7f7f8; --card: #ffffff; --border: #d3d3d9; --error: #b3001b; }
    @media (prefers-color-scheme: dark) {
      :root { --text: #efeff1; --muted: #adadb8; --bg: #0e0e10; --card: #18181b; --border: #3a3a3d;
              --error: #ff8280; --purple: #a970ff; --purple-dark: #bf94ff; }
    }
    * { box-sizing: border-box; }
    body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center;
           padding: 1rem; background: var(--bg); color: var(--text);
           font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
    .card { width: 100%; max-width: 28rem; background: var(--card); border: 1px solid var(--border);
            border-radius: 0.75rem; padding: 1.5rem; box-shadow: 0 4px 24px rgb(0 0 0 / 0.08); }
    h1 { font-size: 1.4rem; margin: 0.25rem 0 1rem; }
    h2 { font-size: 1rem; margin: 1rem 0 0.25rem; }
    ul { margin: 0 0 1rem; padding-left: 1.25rem; }
    code { font-size: 0.9em; overflow-wrap: anywhere; }
    .badge { display: inline-block; margin: 0; padding: 0.1rem 0.6rem; border-radius: 999px;
             background: var(--purple); color: #fff; font-size: 0.8rem; font-weight: 600; }
    @media (prefers-color-scheme: dark) { .badge { color: #0e0e10; } }
    label { display: block; font-weight: 600; margin-top: 1rem; }
    input[type=text] { width: 100%; margin-top: 0.25rem; padding: 0.6rem 0.75rem; font: inherit;
                       color: inherit; background: transparent; border: 2px solid var(--border);
                       border-radius: 0.4rem; }
    input[aria-invalid=true] { border-color: var(--error); }
    input:focus-visible, button:focus-visible { outline: 3px solid var(--purple); outline-offset: 2px; }
    .hint, .footnote { color: var(--muted); font-size: 0.875rem; margin: 0.25rem 0 0; }
    .footnote { margin-top: 1.25rem; }
    .error { color: var(--error); font-weight: 600; margin: 0.5rem 0 0; }
    .error-box { border-left: 4px solid var(--error); padding: 0.25rem 1rem; }
    .actions { display: flex; flex-wrap: wrap; gap: 0.75rem; margin-top: 1.25rem; }
    button { flex: 1 1 8rem; min-height: 2.75rem; font: inherit; font-weight: 600; border-radius: 0.4rem;
             cursor: pointer; border: 2px solid var(--purple); }
    .primary { background: var(--purple); color: #fff; }
    .primary:hover { background: var(--purple-dark); border-color: var(--purple-dark); }
    @media (prefers-color-scheme: dark) { .primary { color: #0e0e10; } }
    .secondary { background: transparent; color: var(--text); border-color: var(--border); }
  "#;

#[cfg(test)]
mod tests {
    use super::*;

    fn page_with(scopes: &[String], error: Option<&str>) -> String {
        consent_page(&ConsentPage {
            client_id: "my<client>",
            scopes,
            hidden_fields: &[("state", "\"><script>alert(1)</script>")],
            login: "typed'login",
            error,
        })
    }

    #[test]
    fn consent_page_escapes_everything_it_interpolates() {
        let html = page_with(&["<b>bold</b>".to_owned()], Some("<bad>"));
        assert!(!html.contains("<script>"));
        assert!(!html.contains("<b>bold"));
        assert!(!html.contains("<bad>"));
        assert!(html.contains("my&lt;client&gt;"));
        assert!(html.contains("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""));
        assert!(html.contains("value=\"typed&#39;login\""));
    }

    #[test]
    fn consent_page_announces_the_error_next_to_the_login_field() {
        let html = page_with(&[], Some("Wrong login"));
        assert!(html.contains("role=\"alert\">Wrong login</p>"));
        assert!(html.contains("aria-describedby=\"login-hint login-error\" aria-invalid=\"true\""));
        assert!(!page_with(&[], None).contains("aria-invalid=\"true\""));
    }

    #[test]
    fn known_scopes_are_described_and_unknown_ones_listed() {
        let html = page_with(&["user:read:email".to_owned(), "made:up".to_owned()], None);
        assert!(html.contains("View your email address <code>user:read:email</code>"));
        assert!(html.contains("<li><code>made:up</code></li>"));
    }
}
