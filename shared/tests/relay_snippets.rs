//! Golden files of every MTA's relay configuration, for a STARTTLS relay
//! (587) and an implicit-TLS one (465). `UPDATE_GOLDEN=1 cargo test -p
//! mailport-shared --test relay_snippets` rewrites them; review the diff.

use mailport_shared::relay::{snippet, Mta, Password, RelaySpec};
use std::path::PathBuf;

fn golden(name: &str, text: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/relay")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, text).expect("write golden");
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1)", path.display()));
    assert_eq!(text, want, "{name} differs from its golden file");
}

#[test]
fn every_mta_587_and_465() {
    for port in [587u16, 465] {
        let spec = RelaySpec::new("smtp.relay.example", port, "me@example.org").expect("spec");
        for mta in Mta::ALL {
            let s = snippet(mta, &spec, Password::Placeholder).expect("snippet");
            let text = s.render();
            assert!(!s.has_password);
            assert!(text.contains("YOUR_RELAY_PASSWORD"), "{mta:?} {port}");
            assert!(text.contains("# Source: "), "{mta:?}");
            assert!(text.contains("# Written for: "), "{mta:?}");
            golden(&format!("{}-{port}.txt", mta.id()), &text);
        }
    }
}

#[test]
fn implicit_tls_where_supported_587_where_not() {
    let spec = RelaySpec::new("smtp.relay.example", 465, "me@example.org").expect("spec");
    for mta in Mta::ALL {
        let s = snippet(mta, &spec, Password::Placeholder).expect("snippet");
        if mta.supports_implicit_tls() {
            assert_eq!(s.port, 465, "{mta:?}");
        } else {
            assert_eq!(s.port, 587, "{mta:?}");
            assert!(
                s.notes[0].contains("cannot reach a relay with implicit TLS"),
                "{mta:?}"
            );
        }
    }
    let pf = snippet(Mta::Postfix, &spec, Password::Placeholder)
        .expect("postfix")
        .render();
    assert!(pf.contains("smtp_tls_wrappermode = yes"));
    let spec587 = RelaySpec::new("smtp.relay.example", 587, "me@example.org").expect("spec");
    let pf = snippet(Mta::Postfix, &spec587, Password::Placeholder)
        .expect("postfix")
        .render();
    assert!(!pf.contains("smtp_tls_wrappermode = yes"));
}

#[test]
fn filled_password_is_quoted_for_each_format() {
    let spec = RelaySpec::new("smtp.relay.example", 587, "me@example.org").expect("spec");
    let pw = "s3cr'et\"pw";
    for mta in Mta::ALL {
        let s = snippet(mta, &spec, Password::Filled(pw)).expect("snippet");
        let text = s.render();
        assert!(s.has_password);
        assert!(!text.contains("YOUR_RELAY_PASSWORD"), "{mta:?}");
        assert!(text.contains("do not share it"), "{mta:?}");
        let quoted = match mta {
            Mta::Yunohost => r#"'s3cr'\''et"pw'"#,
            Mta::Stalwart | Mta::Maddy => r#""s3cr'et\"pw""#,
            _ => pw,
        };
        assert!(text.contains(quoted), "{mta:?}: {text}");
    }
    assert!(snippet(Mta::Postfix, &spec, Password::Filled("a\nb")).is_err());
}
