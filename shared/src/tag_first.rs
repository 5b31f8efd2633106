//! The read side of `#[derive(TagFirst)]` (crate `mailport-derive`): an
//! internally tagged enum read with its tag first.
//!
//! serde's derive buffers an internally tagged object whole before it looks
//! at the tag, and every type inside is then compiled a second time for the
//! buffer (about a fifth of the page's wasm). mailport writes the tag as the
//! first key of every object, so the reader here takes the variant's name
//! from the first entry and hands the rest of the object, unbuffered, to an
//! externally tagged twin of the enum that serde derives as usual.
//!
//! JSON that mailport did not write (by hand, or a `serde_json::Value`,
//! whose keys are sorted) may put the tag later. That object is read into
//! values, written again with the tag first and read once more as JSON text:
//! slower, but the same JSON reader, so no third copy of the types.

use serde::de::value::{MapAccessDeserializer, StringDeserializer};
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, IgnoredAny, IntoDeserializer, MapAccess,
    VariantAccess, Visitor,
};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::fmt;
use std::marker::PhantomData;

/// Reads `T` (an internally tagged enum with tag key `tag`) through `Twin`,
/// its externally tagged twin.
pub(crate) fn deserialize<'de, D, T, Twin>(d: D, tag: &'static str) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
    Twin: Deserialize<'de> + Into<T>,
{
    d.deserialize_map(TagFirst::<T, Twin> {
        tag,
        types: PhantomData,
    })
}

struct TagFirst<T, Twin> {
    tag: &'static str,
    types: PhantomData<fn() -> (T, Twin)>,
}

impl<'de, T, Twin> Visitor<'de> for TagFirst<T, Twin>
where
    T: DeserializeOwned,
    Twin: Deserialize<'de> + Into<T>,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object with a \"{}\" field", self.tag)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        match variant(&mut map, self.tag)? {
            Ok(variant) => Twin::deserialize(Rest { variant, map }).map(Into::into),
            Err(first) => reordered(first, map, self.tag),
        }
    }
}

/// The variant's name when the object's first key is `tag`, else that first
/// key. Apart from the enum's type, so compiled once for all of them.
#[inline(never)]
fn variant<'de, A: MapAccess<'de>>(
    map: &mut A,
    tag: &'static str,
) -> Result<Result<String, String>, A::Error> {
    let Some(first) = map.next_key::<String>()? else {
        return Err(de::Error::missing_field(tag));
    };
    if first != tag {
        return Ok(Err(first));
    }
    map.next_value().map(Ok)
}

/// The object whose first key was not the tag: every entry read as a value,
/// written again tag first, read again.
fn reordered<'de, A, T>(first: String, map: A, tag: &'static str) -> Result<T, A::Error>
where
    A: MapAccess<'de>,
    T: DeserializeOwned,
{
    let text = tag_first_text(first, map, tag)?;
    crate::json::from_str(&text).map_err(de::Error::custom)
}

/// The object's entries as JSON text with `tag` first. Apart from `T`, so
/// the page compiles it once for all 19 tagged types.
fn tag_first_text<'de, A: MapAccess<'de>>(
    first: String,
    mut map: A,
    tag: &'static str,
) -> Result<String, A::Error> {
    let mut entries: Vec<(String, Value)> = vec![(first, map.next_value()?)];
    while let Some(entry) = map.next_entry::<String, Value>()? {
        entries.push(entry);
    }
    let Some(at) = entries.iter().position(|(k, _)| k == tag) else {
        return Err(de::Error::missing_field(tag));
    };
    let tagged = entries.remove(at);
    entries.insert(0, tagged);
    let mut text = String::from("{");
    for (i, (k, v)) in entries.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&crate::json::text_of(&Value::from(k.as_str())));
        text.push(':');
        text.push_str(&crate::json::text_of(v));
    }
    text.push('}');
    Ok(text)
}

/// The rest of a tagged object, shown to the twin as an externally tagged
/// enum: the variant is the tag's value, its content the remaining entries.
struct Rest<A> {
    variant: String,
    map: A,
}

impl<'de, A: MapAccess<'de>> Deserializer<'de> for Rest<A> {
    type Error = A::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, A::Error> {
        visitor.visit_enum(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de, A: MapAccess<'de>> EnumAccess<'de> for Rest<A> {
    type Error = A::Error;
    type Variant = Content<A>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Content<A>), A::Error> {
        let name: StringDeserializer<A::Error> = self.variant.into_deserializer();
        Ok((seed.deserialize(name)?, Content(self.map)))
    }
}

/// A variant's content: the object's entries after the tag.
struct Content<A>(A);

impl<'de, A: MapAccess<'de>> VariantAccess<'de> for Content<A> {
    type Error = A::Error;

    /// `{"kind": "x"}`: any other entries are ignored, as serde does.
    fn unit_variant(mut self) -> Result<(), A::Error> {
        while self.0.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }

    /// A newtype variant's struct has its fields beside the tag.
    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, A::Error> {
        seed.deserialize(MapAccessDeserializer::new(self.0))
    }

    /// serde refuses tuple variants in a tagged enum at compile time.
    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        _visitor: V,
    ) -> Result<V::Value, A::Error> {
        Err(de::Error::custom("tuple variants cannot be tagged"))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        visitor.visit_map(self.0)
    }
}

#[cfg(test)]
mod tests {
    use mailport_derive::TagFirst;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Inner {
        a: u16,
        #[serde(default)]
        b: Option<String>,
    }

    #[derive(Debug, PartialEq, Serialize, TagFirst)]
    #[serde(tag = "kind", rename_all = "snake_case")]
    enum Shape {
        Unit,
        Newtype(Inner),
        Struct {
            x: u32,
            #[serde(default, rename = "why")]
            reason: Option<Box<Shape>>,
        },
        #[serde(rename = "old")]
        Renamed,
    }

    /// serde's own derive of the same enum: the reference every read here
    /// must agree with.
    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(tag = "kind", rename_all = "snake_case")]
    enum Reference {
        Unit,
        Newtype(Inner),
        Struct {
            x: u32,
            #[serde(default, rename = "why")]
            reason: Option<Box<Reference>>,
        },
        #[serde(rename = "old")]
        Renamed,
    }

    fn both(json: &str) -> (Result<Shape, String>, Result<Reference, String>) {
        (
            serde_json::from_str(json).map_err(|e| e.to_string()),
            serde_json::from_str(json).map_err(|e| e.to_string()),
        )
    }

    #[test]
    fn reads_what_serde_reads_in_any_key_order() {
        let cases = [
            r#"{"kind":"unit"}"#,
            r#"{"kind":"unit","extra":[1,{"kind":2}]}"#,
            r#"{"kind":"newtype","a":25}"#,
            r#"{"a":587,"b":"x","kind":"newtype"}"#,
            r#"{"kind":"struct","x":1,"why":{"kind":"old"}}"#,
            r#"{"x":1,"why":{"why":{"x":3,"kind":"struct"},"kind":"struct","x":2},"kind":"struct"}"#,
            r#"{"kind":"old"}"#,
        ];
        for json in cases {
            let (ours, theirs) = both(json);
            let ours = ours.unwrap_or_else(|e| panic!("{json}: {e}"));
            let theirs = theirs.unwrap_or_else(|e| panic!("{json}: {e}"));
            assert_eq!(format!("{ours:?}"), format!("{theirs:?}"), "{json}");
        }
    }

    #[test]
    fn refuses_what_serde_refuses() {
        let cases = [
            (r#"{}"#, "missing field `kind`"),
            (r#"{"x":1}"#, "missing field `kind`"),
            (r#"{"kind":"nope"}"#, "unknown variant `nope`"),
            (r#"{"kind":"newtype"}"#, "missing field `a`"),
            (r#"{"kind":"struct","x":"one"}"#, "invalid type"),
            (r#"{"kind":7}"#, "invalid type"),
            (r#""unit""#, "invalid type"),
            (r#"{"kind":"unit""#, "EOF"),
        ];
        for (json, want) in cases {
            let (ours, theirs) = both(json);
            let ours = ours.expect_err(json);
            assert!(theirs.is_err(), "serde accepts {json}");
            assert!(ours.contains(want), "{json}: {ours}");
        }
    }

    #[test]
    fn round_trips_and_writes_the_tag_first() {
        let v = Shape::Struct {
            x: 9,
            reason: Some(Box::new(Shape::Newtype(Inner { a: 465, b: None }))),
        };
        let json = serde_json::to_string(&v).expect("write");
        assert!(json.starts_with(r#"{"kind":"struct""#), "{json}");
        assert_eq!(serde_json::from_str::<Shape>(&json).expect("read"), v);
        let value = serde_json::to_value(&v).expect("value");
        assert_eq!(
            serde_json::from_value::<Shape>(value).expect("from value"),
            v
        );
    }
}
