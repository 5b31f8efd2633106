//! mailport's JSON reader, for the page's sake.
//!
//! serde_json reads everything; in the page's wasm its reader was a quarter
//! of all code. This one reads JSON *as mailport writes it* (serde_json's
//! output for mailport's types): a struct is an object, an enum is a name
//! or `{"name": content}`, numbers are whole. The parsing is in one
//! non-generic module (`scan`) that each type's reader calls, and each
//! `deserialize_*` calls one method of the visitor, so the methods a type
//! never needs (a struct read from an array, a number read as a float) are
//! not compiled.
//!
//! The page reads the agent's answers and events with it, and share links
//! are read with it on both sides. The agent's API reads requests with
//! serde_json, whose error categories it reports.
//!
//! Input is untrusted (a share link is anyone's text): nesting is capped at
//! 128 levels, as in serde_json, and every failure is an [`Error`].

mod de;
mod scan;
mod text;

pub use text::text_of;

use crate::quoted::Quoted;
use serde::de::{DeserializeOwned, Expected, Unexpected};
use std::fmt;

/// Why JSON text could not be read as the type asked for. Boxed: a
/// `Result` the size of a pointer keeps every reader small.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(Box<Kind>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// The text ends in the middle of a value: cut short.
    Eof,
    /// Not JSON, or not JSON that mailport writes.
    Syntax { expected: &'static str, at: usize },
    /// JSON, but not of the type asked for: serde's words ("missing field
    /// `kind`"), and where reading stopped.
    Data { message: String, at: Option<usize> },
    /// Objects and arrays nested deeper than `scan::MAX_DEPTH`.
    TooDeep { at: usize },
}

impl Error {
    fn new(kind: Kind) -> Self {
        Error(Box::new(kind))
    }

    /// What went wrong, without where: for a reader that read a part of a
    /// larger text and reports the error at its own position.
    pub fn what(&self) -> String {
        match &*self.0 {
            Kind::Syntax { expected, .. } => format!("expected {expected}"),
            Kind::Data { message, .. } => message.clone(),
            Kind::Eof | Kind::TooDeep { .. } => self.to_string(),
        }
    }

    /// Whether the text was cut short (a truncated link, an unfinished
    /// stream): the rest of it might have read.
    pub fn is_eof(&self) -> bool {
        matches!(*self.0, Kind::Eof)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.0 {
            Kind::Eof => f.write_str("the JSON text ends too early"),
            Kind::Syntax { expected, at } => write!(f, "expected {expected} at byte {at}"),
            Kind::Data { message, at: None } => f.write_str(message),
            Kind::Data {
                message,
                at: Some(at),
            } => write!(f, "{message} (at byte {at})"),
            Kind::TooDeep { at } => write!(f, "nested too deeply at byte {at}"),
        }
    }
}

impl std::error::Error for Error {}

impl serde::de::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Error::new(Kind::Data {
            message: message.to_string(),
            at: None,
        })
    }

    fn invalid_type(unexpected: Unexpected, expected: &dyn Expected) -> Self {
        Error::custom(format_args!(
            "invalid type: {}, expected {expected}",
            Found(unexpected)
        ))
    }

    fn invalid_value(unexpected: Unexpected, expected: &dyn Expected) -> Self {
        Error::custom(format_args!(
            "invalid value: {}, expected {expected}",
            Found(unexpected)
        ))
    }
}

/// What was found instead, in serde's words but without printing a float:
/// this reader never reads one, and serde's own wording of
/// [`Unexpected::Float`] would bring the whole of float formatting into the
/// page.
struct Found<'a>(Unexpected<'a>);

impl fmt::Display for Found<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Unexpected::Bool(b) => write!(f, "boolean `{b}`"),
            Unexpected::Unsigned(n) => write!(f, "integer `{n}`"),
            Unexpected::Signed(n) => write!(f, "integer `{n}`"),
            Unexpected::Float(_) => f.write_str("a fraction"),
            Unexpected::Char(c) => write!(f, "character `{c}`"),
            Unexpected::Str(s) => write!(f, "string {}", Quoted(s)),
            Unexpected::Bytes(_) => f.write_str("byte array"),
            Unexpected::Unit => f.write_str("null"),
            Unexpected::Option => f.write_str("Option value"),
            Unexpected::NewtypeStruct => f.write_str("newtype struct"),
            Unexpected::Seq => f.write_str("sequence"),
            Unexpected::Map => f.write_str("map"),
            Unexpected::Enum => f.write_str("enum"),
            Unexpected::UnitVariant => f.write_str("unit variant"),
            Unexpected::NewtypeVariant => f.write_str("newtype variant"),
            Unexpected::TupleVariant => f.write_str("tuple variant"),
            Unexpected::StructVariant => f.write_str("struct variant"),
            Unexpected::Other(other) => f.write_str(other),
        }
    }
}

/// `T` from JSON text. Only whitespace may follow the value.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    let mut de = de::Deserializer::new(text);
    match T::deserialize(&mut de) {
        Ok(value) => de.scan.end().map(|()| value),
        Err(mut e) => {
            if let Kind::Data { at: at @ None, .. } = &mut *e.0 {
                *at = Some(de.scan.pos());
            }
            Err(e)
        }
    }
}

/// `T` from JSON bytes. Bytes cut inside a character read as cut short.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    match std::str::from_utf8(bytes) {
        Ok(text) => from_str(text),
        Err(e) if e.error_len().is_none() => Err(Error::new(Kind::Eof)),
        Err(e) => Err(Error::new(Kind::Syntax {
            expected: "UTF-8 text",
            at: e.valid_up_to(),
        })),
    }
}

#[cfg(test)]
mod tests;
