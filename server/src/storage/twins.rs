//! Each statement is written twice, once per dialect, inside `per_db!` (sqlx checks each against its own
//! database, so both stay). Most twins differ only in placeholders (`?` against `$1`); this test reads the storage
//! sources and fails when two twins drift apart in anything else, except where the dialects really differ.

/// Methods whose twins differ on purpose, and why.
const ALLOWED: &[(&str, &str)] = &[
    ("store_event", "PostgreSQL takes a per-streamer advisory lock, and spells MIN/MAX of two values LEAST/GREATEST"),
    ("claim_sessions_for_validation", "PostgreSQL lets instances claim rows side by side with FOR UPDATE SKIP LOCKED"),
];

const SOURCES: &[(&str, &str)] = &[
    ("connections.rs", include_str!("connections.rs")),
    ("db.rs", include_str!("db.rs")),
    ("events.rs", include_str!("events.rs")),
    ("leases.rs", include_str!("leases.rs")),
    ("oauth_states.rs", include_str!("oauth_states.rs")),
    ("secrets.rs", include_str!("secrets.rs")),
    ("sessions.rs", include_str!("sessions.rs")),
    ("streamers.rs", include_str!("streamers.rs")),
    ("subscriptions.rs", include_str!("subscriptions.rs")),
    ("users.rs", include_str!("users.rs")),
];

/// One `per_db!` use: the method it sits in and the SQL of each arm, normalised.
#[derive(Debug)]
struct Twin {
    method: String,
    sqlite: Vec<String>,
    postgres: Vec<String>,
}

/// The string literals in `code`, plain (`"…"`) and raw (`r#"…"#`), unescaped enough to compare.
fn literals(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(start) = rest.find('"') {
        let raw = rest[..start].ends_with("r#");
        let after = &rest[start + 1..];
        let end = if raw {
            after.find("\"#")
        } else {
            let mut escaped = false;
            after
                .char_indices()
                .find(|&(_, c)| {
                    let closes = c == '"' && !escaped;
                    escaped = c == '\\' && !escaped;
                    closes
                })
                .map(|(i, _)| i)
        };
        let Some(end) = end else { break };
        out.push(after[..end].replace("\\\"", "\""));
        rest = &after[end + if raw { 2 } else { 1 }..];
    }
    out
}

/// What is left of a statement once the dialects' agreed differences are taken out: placeholders become `?`,
/// column aliases (sqlx's type overrides, which differ by dialect) and the `-- postgres` marker go, and
/// whitespace is collapsed.
fn normalised(sql: &str) -> String {
    let mut text = sql.replace("-- postgres", "");
    while let Some(at) = text.find(" AS \"") {
        let close = text[at + 5..].find('"').map_or(text.len(), |i| at + 6 + i);
        text.replace_range(at..close, "");
    }
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_sql(text: &str) -> bool {
    ["SELECT", "INSERT", "UPDATE", "DELETE", "PRAGMA", "WITH"].iter().any(|w| text.contains(w))
}

/// The end of the parenthesis opened just before `from`, skipping string literals.
fn closing(code: &str, from: usize) -> usize {
    let bytes = code.as_bytes();
    let (mut depth, mut i, mut in_string) = (1, from, false);
    while i < bytes.len() && depth > 0 {
        match bytes[i] {
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            b'(' if !in_string => depth += 1,
            b')' if !in_string => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    i
}

fn twins(source: &str) -> Vec<Twin> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = source[from..].find("per_db!(") {
        let open = from + found + "per_db!(".len();
        let end = closing(source, open);
        let body = &source[open..end];
        from = end;
        let (Some(s), Some(p)) = (body.find("sqlite:"), body.find("postgres:")) else { continue };
        let method = source[..open].rsplit("fn ").next().unwrap_or("").split('(').next().unwrap_or("").to_string();
        let arm = |code: &str| literals(code).iter().filter(|l| is_sql(l)).map(|l| normalised(l)).collect();
        out.push(Twin { method, sqlite: arm(&body[s..p]), postgres: arm(&body[p..]) });
    }
    out
}

#[test]
fn twin_statements_differ_only_in_placeholders_unless_allowed() {
    let mut compared = 0;
    let mut drifted = Vec::new();
    for (file, source) in SOURCES {
        for twin in twins(source) {
            // An arm without SQL (a test helper's unreachable other arm, say) has nothing to compare.
            if twin.sqlite.is_empty() || twin.postgres.is_empty() {
                continue;
            }
            compared += 1;
            let allowed = ALLOWED.iter().any(|(method, _)| *method == twin.method);
            if (twin.sqlite != twin.postgres) != allowed {
                drifted.push(format!("{file} {}: {:#?}", twin.method, twin));
            }
        }
    }
    assert!(compared >= 40, "found only {compared} twins: has per_db! changed shape?");
    assert!(drifted.is_empty(), "twins that drifted (or allowed ones now equal):\n{}", drifted.join("\n"));
}

#[test]
fn normalising_takes_out_placeholders_aliases_and_spacing_only() {
    assert_eq!(
        normalised("SELECT row_id AS \"row_id!\", n\n   FROM t WHERE a = $1 AND b = $12 -- postgres"),
        "SELECT row_id, n FROM t WHERE a = ? AND b = ?"
    );
    assert_ne!(normalised("SELECT MIN(a, ?)"), normalised("SELECT LEAST(a, $1)"));
    assert_eq!(literals(r##"x("a \"b\"", r#"c"#)"##), ["a \"b\"", "c"]);
}
