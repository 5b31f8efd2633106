//! serde's side of the reader: each `deserialize_*` takes what the type
//! asks for from the [`Scanner`] and calls one method of the visitor.
//!
//! serde_json answers `deserialize_struct` with an object *or* an array, so
//! every derived type compiles both its map reader and its sequence reader.
//! mailport writes structs as objects only: here a struct is an object, an
//! integer is an integer, and a visitor's other methods are never compiled.

use super::scan::{Integer, Scanner, MAX_DEPTH};
use super::{Error, Kind};
use serde::de::value::StrDeserializer;
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

pub(super) struct Deserializer<'a> {
    pub(super) scan: Scanner<'a>,
    depth: u16,
}

impl<'a> Deserializer<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Deserializer {
            scan: Scanner::new(text),
            depth: 0,
        }
    }

    /// Takes `open` and counts one more level of nesting.
    #[inline(never)]
    fn enter(&mut self, open: u8, expected: &'static str) -> Result<(), Error> {
        self.scan.eat(open, expected)?;
        if self.depth >= MAX_DEPTH {
            return Err(Error::new(Kind::TooDeep {
                at: self.scan.pos(),
            }));
        }
        self.depth += 1;
        Ok(())
    }

    /// Takes `close`: the visitor has read the container to its end.
    #[inline(never)]
    fn leave(&mut self, close: u8, expected: &'static str) -> Result<(), Error> {
        self.scan.eat(close, expected)?;
        self.depth -= 1;
        Ok(())
    }

    fn object<'de, V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Error>
    where
        'a: 'de,
    {
        self.enter(b'{', "an object")?;
        let value = visitor.visit_map(Entries {
            de: self,
            first: true,
        })?;
        self.leave(b'}', "`}`")?;
        Ok(value)
    }

    fn array<'de, V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Error>
    where
        'a: 'de,
    {
        self.enter(b'[', "an array")?;
        let value = visitor.visit_seq(Items {
            de: self,
            first: true,
        })?;
        self.leave(b']', "`]`")?;
        Ok(value)
    }
}

/// A key or a variant name as serde's own string deserializer, which
/// answers `deserialize_identifier` and a unit `deserialize_enum` alike.
fn name(text: &str) -> StrDeserializer<'_, Error> {
    text.into_deserializer()
}

impl<'de, 'a: 'de> de::Deserializer<'de> for &mut Deserializer<'a> {
    type Error = Error;

    /// Whatever comes next (`serde_json::Value`, untagged enums).
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.scan.peek()? {
            b'{' => self.object(visitor),
            b'[' => self.array(visitor),
            b'"' => visitor.visit_str(&self.scan.string()?),
            b't' | b'f' => visitor.visit_bool(self.scan.boolean()?),
            b'n' => {
                self.scan.null()?;
                visitor.visit_unit()
            }
            _ => match self.scan.integer()? {
                Integer::NonNegative(n) => visitor.visit_u64(n),
                Integer::Negative(n) => visitor.visit_i64(n),
            },
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_bool(self.scan.boolean()?)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.scan.integer()? {
            Integer::NonNegative(n) => visitor.visit_u64(n),
            Integer::Negative(n) => visitor.visit_i64(n),
        }
    }

    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_str(&self.scan.string()?)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.scan.null()? {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.scan.null()? {
            visitor.visit_unit()
        } else {
            Err(self.scan.syntax("null"))
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.array(visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.array(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.array(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.object(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.object(visitor)
    }

    /// `"Unit"` or `{"Variant": content}`, as serde_json writes them.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if self.scan.peek()? == b'"' {
            return visitor.visit_enum(Variant {
                de: self,
                braced: false,
            });
        }
        self.enter(b'{', "a string or an object")?;
        let value = visitor.visit_enum(Variant {
            de: self,
            braced: true,
        })?;
        self.leave(b'}', "`}`")?;
        Ok(value)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.scan.skip(self.depth)?;
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i128 u128 f32 f64 char bytes byte_buf
    }
}

/// An object's entries.
struct Entries<'b, 'a> {
    de: &'b mut Deserializer<'a>,
    first: bool,
}

impl<'de, 'a: 'de> de::MapAccess<'de> for Entries<'_, 'a> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if !self.de.scan.more(b'}', &mut self.first)? {
            return Ok(None);
        }
        let key = self.de.scan.key()?;
        seed.deserialize(name(&key)).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Error> {
        seed.deserialize(&mut *self.de)
    }
}

/// An array's items.
struct Items<'b, 'a> {
    de: &'b mut Deserializer<'a>,
    first: bool,
}

impl<'de, 'a: 'de> de::SeqAccess<'de> for Items<'_, 'a> {
    type Error = Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        if !self.de.scan.more(b']', &mut self.first)? {
            return Ok(None);
        }
        seed.deserialize(&mut *self.de).map(Some)
    }
}

/// An externally tagged enum's variant: a bare name, or a name with its
/// content inside braces.
struct Variant<'b, 'a> {
    de: &'b mut Deserializer<'a>,
    braced: bool,
}

impl<'de, 'b, 'a: 'de> de::EnumAccess<'de> for Variant<'b, 'a> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), Error> {
        let tag = if self.braced {
            self.de.scan.key()?
        } else {
            self.de.scan.string()?
        };
        let value = seed.deserialize(name(&tag))?;
        Ok((value, self))
    }
}

impl<'de, 'a: 'de> de::VariantAccess<'de> for Variant<'_, 'a> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        if self.braced {
            <() as de::Deserialize>::deserialize(&mut *self.de)
        } else {
            Ok(())
        }
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, Error> {
        if !self.braced {
            return Err(self.de.scan.syntax("an object"));
        }
        seed.deserialize(&mut *self.de)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        if !self.braced {
            return Err(self.de.scan.syntax("an object"));
        }
        self.de.array(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if !self.braced {
            return Err(self.de.scan.syntax("an object"));
        }
        self.de.object(visitor)
    }
}
