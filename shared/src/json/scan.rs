//! The JSON text itself: whitespace, punctuation, strings, integers, and
//! skipping a value nobody asked for. Nothing here is generic, so the page
//! compiles it once, however many types it reads.

use super::{Error, Kind};
use std::borrow::Cow;

/// How deep objects and arrays may nest. A share link is input from anyone:
/// without a limit, `[[[[…` a few thousand levels deep overflows the stack.
pub(super) const MAX_DEPTH: u16 = 128;

/// An integer as written: mailport writes no fractions and no exponents.
pub(super) enum Integer {
    NonNegative(u64),
    Negative(i64),
}

/// A cursor over JSON text.
pub(super) struct Scanner<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Scanner { text, pos: 0 }
    }

    /// Where the scanner stands, in bytes from the start.
    pub(super) fn pos(&self) -> usize {
        self.pos
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// `expected` did not come: cut short at the end, or a syntax error.
    #[inline(never)]
    pub(super) fn syntax(&self, expected: &'static str) -> Error {
        if self.pos >= self.text.len() {
            Error::new(Kind::Eof)
        } else {
            Error::new(Kind::Syntax {
                expected,
                at: self.pos,
            })
        }
    }

    /// The next byte that is not whitespace, without taking it.
    #[inline(never)]
    pub(super) fn peek(&mut self) -> Result<u8, Error> {
        while let Some(&b) = self.bytes().get(self.pos) {
            if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                return Ok(b);
            }
            self.pos += 1;
        }
        Err(Error::new(Kind::Eof))
    }

    /// Takes `want` (after whitespace), or says what was expected.
    #[inline(never)]
    pub(super) fn eat(&mut self, want: u8, expected: &'static str) -> Result<(), Error> {
        if self.peek()? == want {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.syntax(expected))
        }
    }

    /// Takes `null`, `true` or `false`.
    fn word(&mut self, word: &'static str) -> Result<(), Error> {
        let end = self.pos + word.len();
        match self.text.get(self.pos..end) {
            Some(w) if w == word => {
                self.pos = end;
                Ok(())
            }
            None if word.starts_with(&self.text[self.pos..]) => Err(Error::new(Kind::Eof)),
            _ => Err(self.syntax(word)),
        }
    }

    /// Takes `null` if it comes next.
    #[inline(never)]
    pub(super) fn null(&mut self) -> Result<bool, Error> {
        if self.peek()? == b'n' {
            self.word("null")?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    #[inline(never)]
    pub(super) fn boolean(&mut self) -> Result<bool, Error> {
        match self.peek()? {
            b't' => self.word("true").map(|()| true),
            b'f' => self.word("false").map(|()| false),
            _ => Err(self.syntax("true or false")),
        }
    }

    /// An integer. A fraction or an exponent is refused: mailport writes
    /// none, so one means the text is not a mailport result.
    #[inline(never)]
    pub(super) fn integer(&mut self) -> Result<Integer, Error> {
        let negative = self.peek()? == b'-';
        let start = self.pos;
        if negative {
            self.pos += 1;
        }
        let digits = self.pos;
        while self.bytes().get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        let text = &self.text[digits..self.pos];
        if text.is_empty() {
            // `-` at the very end is cut short; `-x` or `x` is not a number.
            return Err(self.syntax("a number"));
        }
        if text.len() > 1 && text.starts_with('0') {
            self.pos = digits;
            return Err(self.syntax("no leading zero"));
        }
        if negative && text == "0" {
            // serde_json reads `-0` as a float; no integer is written so.
            self.pos = start;
            return Err(self.syntax("a number other than -0"));
        }
        if matches!(self.bytes().get(self.pos), Some(b'.' | b'e' | b'E')) {
            return Err(self.syntax("a whole number"));
        }
        let out_of_range = || {
            Error::new(Kind::Syntax {
                expected: "a number in range",
                at: start,
            })
        };
        if negative {
            let n: i64 = self.text[start..self.pos]
                .parse()
                .map_err(|_| out_of_range())?;
            Ok(Integer::Negative(n))
        } else {
            let n: u64 = text.parse().map_err(|_| out_of_range())?;
            Ok(Integer::NonNegative(n))
        }
    }

    /// A string, borrowed from the text unless it has escapes.
    #[inline(never)]
    pub(super) fn string(&mut self) -> Result<Cow<'a, str>, Error> {
        self.eat(b'"', "a string")?;
        let mut owned: Option<String> = None;
        let mut run = self.pos;
        loop {
            let Some(&b) = self.bytes().get(self.pos) else {
                return Err(Error::new(Kind::Eof));
            };
            match b {
                b'"' => {
                    let tail = &self.text[run..self.pos];
                    self.pos += 1;
                    return Ok(match owned {
                        None => Cow::Borrowed(tail),
                        Some(mut s) => {
                            s.push_str(tail);
                            Cow::Owned(s)
                        }
                    });
                }
                b'\\' => {
                    let s = owned.get_or_insert_with(String::new);
                    s.push_str(&self.text[run..self.pos]);
                    self.pos += 1;
                    s.push(self.escape()?);
                    run = self.pos;
                }
                0..=0x1f => return Err(self.syntax("no control character in a string")),
                _ => self.pos += 1,
            }
        }
    }

    /// The character an escape stands for; `pos` is just after the `\`.
    fn escape(&mut self) -> Result<char, Error> {
        let Some(&b) = self.bytes().get(self.pos) else {
            return Err(Error::new(Kind::Eof));
        };
        self.pos += 1;
        Ok(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let high = self.hex4()?;
                if !(0xD800..0xE000).contains(&high) {
                    return char::from_u32(high).ok_or_else(|| self.syntax("a character"));
                }
                // A surrogate pair: `\uD83D\uDE00`.
                if high >= 0xDC00 {
                    return Err(self.syntax("a high surrogate first"));
                }
                match self.text.get(self.pos..self.pos + 2) {
                    Some("\\u") => self.pos += 2,
                    None if self.pos + 2 > self.text.len() => return Err(Error::new(Kind::Eof)),
                    _ => return Err(self.syntax("the second half of a surrogate pair")),
                }
                let low = self.hex4()?;
                if !(0xDC00..0xE000).contains(&low) {
                    return Err(self.syntax("the second half of a surrogate pair"));
                }
                let c = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                char::from_u32(c).ok_or_else(|| self.syntax("a character"))?
            }
            _ => {
                self.pos -= 1;
                return Err(self.syntax("an escape"));
            }
        })
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let Some(digits) = self.text.get(self.pos..self.pos + 4) else {
            return Err(if self.pos + 4 > self.text.len() {
                Error::new(Kind::Eof)
            } else {
                self.syntax("four hex digits")
            });
        };
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(self.syntax("four hex digits"));
        }
        let n = u32::from_str_radix(digits, 16).map_err(|_| self.syntax("four hex digits"))?;
        self.pos += 4;
        Ok(n)
    }

    /// Whether another item of an array or object follows: takes the comma
    /// between items, and stops (without taking it) at `close`.
    #[inline(never)]
    pub(super) fn more(&mut self, close: u8, first: &mut bool) -> Result<bool, Error> {
        let at_close = self.peek()? == close;
        if *first {
            *first = false;
            return Ok(!at_close);
        }
        if at_close {
            return Ok(false);
        }
        self.eat(b',', "`,` or the end")?;
        if self.peek()? == close {
            return Err(self.syntax("a value after `,`"));
        }
        Ok(true)
    }

    /// An object's key and the colon after it.
    #[inline(never)]
    pub(super) fn key(&mut self) -> Result<Cow<'a, str>, Error> {
        let key = self.string()?;
        self.eat(b':', "`:`")?;
        Ok(key)
    }

    /// Skips one value of any kind, `depth` levels deep already. Iterative,
    /// so skipping needs no stack however the value nests.
    #[inline(never)]
    pub(super) fn skip(&mut self, depth: u16) -> Result<(), Error> {
        // Each open container: its closing byte and whether it is still
        // before its first item.
        let mut open: Vec<(u8, bool)> = Vec::new();
        loop {
            if let Some((close, first)) = open.last_mut() {
                let close = *close;
                if !self.more(close, first)? {
                    self.pos += 1;
                    open.pop();
                    if open.is_empty() {
                        return Ok(());
                    }
                    continue;
                }
                if close == b'}' {
                    self.key()?;
                }
            }
            match self.peek()? {
                open_byte @ (b'{' | b'[') => {
                    if usize::from(depth) + open.len() >= usize::from(MAX_DEPTH) {
                        return Err(Error::new(Kind::TooDeep { at: self.pos }));
                    }
                    self.pos += 1;
                    open.push((if open_byte == b'{' { b'}' } else { b']' }, true));
                    continue;
                }
                b'"' => {
                    self.string()?;
                }
                b't' | b'f' => {
                    self.boolean()?;
                }
                b'n' => {
                    self.null()?;
                }
                _ => {
                    self.integer()?;
                }
            }
            if open.is_empty() {
                return Ok(());
            }
        }
    }

    /// Only whitespace may follow the value.
    pub(super) fn end(&mut self) -> Result<(), Error> {
        match self.peek() {
            Err(_) => Ok(()),
            Ok(_) => Err(self.syntax("the end of the text")),
        }
    }
}
