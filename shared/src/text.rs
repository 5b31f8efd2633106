//! Small pieces of English that every sentence mailport writes shares
//! (verdict whys, headlines, advice, the network lines), so that a list or
//! a capital letter reads the same everywhere.

use std::fmt::Display;

/// Addresses mailport's own words name (a public resolver): the same for
/// every user, so hiding addresses in a share link keeps them.
pub(crate) const OWN_WORDS_ADDRESSES: &[std::net::IpAddr] =
    &[std::net::IpAddr::V4(std::net::Ipv4Addr::new(1, 1, 1, 1))];

/// What to do when the DNS server denies names that exist
/// ([`crate::classify::NotTestableReason::DnsBroken`]): the headline and
/// the advice say the same. Its resolver address is in
/// [`OWN_WORDS_ADDRESSES`], so a share link keeps it.
pub(crate) const DNS_FIX: &str = "check that this machine is online (open a web page: a hotel or airport Wi-Fi may want a login first), or run mailport with --dns 1.1.1.1 to ask another DNS server";

/// "a", "a and b", "a, b and c".
pub(crate) fn and_list<I>(items: I) -> String
where
    I: IntoIterator,
    I::Item: Display,
{
    joined(items, "and")
}

/// "a", "a or b", "a, b or c".
pub(crate) fn or_list<I>(items: I) -> String
where
    I: IntoIterator,
    I::Item: Display,
{
    joined(items, "or")
}

fn joined<I>(items: I, word: &str) -> String
where
    I: IntoIterator,
    I::Item: Display,
{
    let items: Vec<String> = items.into_iter().map(|i| i.to_string()).collect();
    match items.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {word} {last}", init.join(", ")),
    }
}

/// `phrase` with its first letter in upper case, to open a sentence.
///
/// ASCII only: the phrases are mailport's own English, and a sentence that
/// opens with a host name keeps it as typed. (Unicode case mapping would
/// also put its tables, about 20 KB, into the page.)
pub(crate) fn capitalised(phrase: &str) -> String {
    let mut chars = phrase.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// `phrase` with its first letter in lower case, to follow a colon
/// (ASCII only, as [`capitalised`]).
pub(crate) fn lowercase_first(phrase: &str) -> String {
    let mut chars = phrase.chars();
    chars
        .next()
        .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists() {
        let none: [&str; 0] = [];
        assert_eq!(and_list(none), "");
        assert_eq!(and_list(["a"]), "a");
        assert_eq!(and_list(["a", "b"]), "a and b");
        assert_eq!(and_list(["a", "b", "c"]), "a, b and c");
        assert_eq!(or_list([25u16, 465, 587]), "25, 465 or 587");
        let ports: &[u16] = &[587];
        assert_eq!(or_list(ports), "587");
    }

    #[test]
    fn first_letters() {
        for (phrase, up, low) in [
            ("the DNS server", "The DNS server", "the DNS server"),
            (
                "Your public address",
                "Your public address",
                "your public address",
            ),
            // ASCII only: a phrase opening with another letter (none of
            // mailport's own does; host names are ASCII once validated)
            // is left as it is.
            ("élan", "élan", "élan"),
            ("Über", "Über", "Über"),
            ("", "", ""),
        ] {
            assert_eq!(capitalised(phrase), up);
            assert_eq!(lowercase_first(phrase), low);
        }
    }
}
