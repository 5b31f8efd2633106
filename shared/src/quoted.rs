//! Someone else's text inside mailport's sentences: `"example.com" is not
//! a port number`.
//!
//! What was typed or received is shown in double quotes with what cannot
//! be seen escaped, so that a stray line break, a terminal escape sequence
//! or a right-to-left override is visible instead of acting on the
//! terminal or reordering the sentence around it. `{:?}` does the same,
//! but to tell which characters are invisible it carries Unicode's
//! printable and grapheme tables, several kilobytes in the page's wasm;
//! the characters that matter here are few and listed below. Letters of
//! every script are kept as they are (`"bücher.de"`).

use std::fmt::{self, Display, Write};

/// `s` in double quotes, escaped like `{:?}` where it matters: quotes,
/// backslashes, control characters, and invisible formatting characters
/// (bidirectional overrides, zero-width spaces, soft hyphens, byte-order
/// marks) as `\u{…}`.
pub struct Quoted<'a>(pub &'a str);

impl Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        for c in self.0.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                '\0' => f.write_str("\\0")?,
                c if invisible(c) => write!(f, "\\u{{{:x}}}", u32::from(c))?,
                c => f.write_char(c)?,
            }
        }
        f.write_char('"')
    }
}

/// Control characters (C0, DEL, C1) and the formatting characters that
/// change how the text around them looks while showing nothing themselves.
fn invisible(c: char) -> bool {
    matches!(
        u32::from(c),
        0..=0x1f
            | 0x7f..=0x9f
            | 0xad
            | 0x61c
            | 0x180e
            | 0x200b..=0x200f
            | 0x2028..=0x202e
            | 0x2060..=0x206f
            | 0xfeff
            | 0xfff9..=0xfffb
            | 0xe0000..=0xe007f
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_debug_where_it_matters() {
        // The same as `{:?}` for everything mailport is likely to be given.
        for s in [
            "example.com",
            "",
            "say \"hi\"",
            "back\\slash",
            "line\nbreak\r\ttab\0",
            "\x1b[31mred\x1b[0m",
            "\u{7f}\u{85}\u{9f}",
            "abc\u{202e}moc.elpmaxe",
            "zero\u{200b}width\u{feff}",
            "soft\u{ad}hyphen",
            "tag\u{e0041}\u{e007f}s",
            "bücher.de",
            "пример.рф",
            "例え.jp",
            "✉ ✓",
        ] {
            assert_eq!(Quoted(s).to_string(), format!("{s:?}"), "{s:?}");
        }
    }

    #[test]
    fn where_it_differs_from_debug() {
        // `{:?}` also escapes a combining mark that opens the text, and
        // private-use code points (U+E000); those show as they are.
        for s in ["\u{301}a", "\u{e000}"] {
            assert_eq!(Quoted(s).to_string(), format!("\"{s}\""));
            assert_ne!(Quoted(s).to_string(), format!("{s:?}"));
        }
    }
}
