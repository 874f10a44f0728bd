//! A deserializer wrapper that keeps parameter names case-sensitive
//! without dropping a user's intent silently.
//!
//! serde's derived structs already match field names exactly; what they do
//! not do is say anything about a key that is *almost* a field. `Guard`
//! wraps any deserializer and watches every struct it deserializes:
//!
//! - it notes each key (borrowed from the input, so nothing is allocated on
//!   the way);
//! - when a struct ignores a key (derived code deserializes its value with
//!   `deserialize_ignored_any`) and the key equals a field but for ASCII
//!   case, it records the finding and, unless told to tolerate it, fails;
//! - when a struct rejects a key (`deny_unknown_fields`), it records the key
//!   and the fields, so the error can name the right spelling;
//! - it refuses a struct written as a JSON array of its fields (which serde
//!   accepts): a JSON API names its parameters.
//!
//! The work on the success path is a few stores per key; the field list is
//! only searched for keys a struct ignores.
//!
//! # What the guard cannot see
//!
//! serde reads some members into a buffer of its own before it picks the
//! type that reads them: the members a struct with `#[serde(flatten)]`
//! fields does not declare itself, and the objects of untagged and
//! internally tagged enums. That type then reads them from the buffer with
//! serde's private deserializers, out of the guard's sight, and a struct
//! with flattened fields is read as a map, without its names. What is
//! checked there instead is said in the [module docs](super) (`Rest`,
//! `deny_unknown_fields`).
//!
//! # Errors as structure
//!
//! Values reach the type being deserialized through the wrapped visitor's
//! `visit_*` calls. The guard makes those calls with its own error type,
//! [`DeError`], so every error the type raises there is kept as a
//! [`Failure`] with its parts (see [`failure`](super::failure)). The wrapped
//! deserializer can only carry its own error type back up, so the
//! `Failure` waits in the [`Ctx`] of this one deserialization while a
//! stand-in error with the same text travels up; the diagnosis takes it
//! back when that error comes out (see [`Ctx::take_raised`]).
//!
//! Maps, sequences and enums keep the wrapped deserializer's own error
//! type, so values as large as a whole struct are passed back without
//! conversion; what a struct's visitor raises itself (a missing or
//! duplicated field, a sequence of the wrong length) is therefore text,
//! read back by [`foreign`](super::foreign).

mod ctx;

use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};

use self::ctx::Key;
pub(crate) use self::ctx::{Ctx, Finding, OnWrongCase};
use super::failure::{DeError, Failure};

/// The wrapped deserializer.
pub(crate) struct Guard<'c, 'de, D> {
    de: D,
    ctx: &'c Ctx<'de>,
    /// The fields of the struct this value belongs to, when it is the value
    /// of a struct key.
    field_of: Option<&'static [&'static str]>,
}

impl<'c, 'de, D> Guard<'c, 'de, D> {
    pub(crate) fn new(de: D, ctx: &'c Ctx<'de>) -> Self {
        Guard {
            de,
            ctx,
            field_of: None,
        }
    }
}

/// A visitor wrapped so that what it visits is guarded too.
struct Wrap<'c, 'de, V> {
    visitor: V,
    ctx: &'c Ctx<'de>,
    /// The fields, when the visitor is a struct's.
    fields: Option<&'static [&'static str]>,
}

impl<'c, 'de, V> Wrap<'c, 'de, V> {
    /// The wrapper of a visitor that is not a struct's.
    fn new(visitor: V, ctx: &'c Ctx<'de>) -> Self {
        Wrap {
            visitor,
            ctx,
            fields: None,
        }
    }
}

macro_rules! forward_deserialize {
    ($wrap:ident; $($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, Self::Error> {
                self.de.$method($($arg,)* $wrap::new(visitor, self.ctx))
            }
        )*
    };
}

macro_rules! all_but_struct_and_ignored {
    ($wrap:ident) => {
        forward_deserialize! {
            $wrap;
            deserialize_any();
            deserialize_identifier();
        }
        all_but_struct_ignored_any_and_identifier!($wrap);
    };
}

macro_rules! all_but_struct_ignored_any_and_identifier {
    ($wrap:ident) => {
        forward_deserialize! {
            $wrap;
            deserialize_bool();
            deserialize_i8();
            deserialize_i16();
            deserialize_i32();
            deserialize_i64();
            deserialize_i128();
            deserialize_u8();
            deserialize_u16();
            deserialize_u32();
            deserialize_u64();
            deserialize_u128();
            deserialize_f32();
            deserialize_f64();
            deserialize_char();
            deserialize_str();
            deserialize_string();
            deserialize_bytes();
            deserialize_byte_buf();
            deserialize_option();
            deserialize_unit();
            deserialize_unit_struct(name: &'static str);
            deserialize_newtype_struct(name: &'static str);
            deserialize_seq();
            deserialize_tuple(len: usize);
            deserialize_tuple_struct(name: &'static str, len: usize);
            deserialize_map();
            deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        }
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Guard<'_, 'de, D> {
    type Error = D::Error;

    all_but_struct_and_ignored!(Wrap);

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let wrapped = Wrap {
            visitor,
            ctx: self.ctx,
            fields: Some(fields),
        };
        self.de.deserialize_struct(name, fields, wrapped)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        if let Some(fields) = self.field_of {
            // The struct ignores the key just read: was it meant for a field?
            let wrong_case = {
                let key = self.ctx.key.borrow();
                key.as_str().and_then(|key| {
                    fields
                        .iter()
                        .find(|field| field.eq_ignore_ascii_case(key))
                        .map(|field| (key.to_owned(), *field))
                })
            };
            if let Some((key, field)) = wrong_case {
                let first = self.ctx.record(Finding::WrongCase { key, field });
                match self.ctx.on_wrong_case {
                    OnWrongCase::Fail => {
                        return Err(self.ctx.lower(DeError::new(Failure::WrongCase)))
                    }
                    OnWrongCase::Tolerate => {
                        if first {
                            self.ctx.unraised.set(true);
                        }
                    }
                }
            }
        }
        self.de.deserialize_ignored_any(visitor)
    }

    fn is_human_readable(&self) -> bool {
        self.de.is_human_readable()
    }
}

/// Visits that carry a plain value: the wrapped visitor runs with the
/// guard's error type, whose raised errors are lowered on the way out.
macro_rules! forward_visit {
    ($($method:ident($ty:ty);)*) => {
        $(
            fn $method<E: de::Error>(self, v: $ty) -> Result<Self::Value, E> {
                let ctx = self.ctx;
                self.visitor.$method::<DeError>(v).map_err(|e| ctx.lower(e))
            }
        )*
    };
}

macro_rules! forward_plain_visits {
    () => {
        forward_visit! {
            visit_bool(bool);
            visit_i8(i8);
            visit_i16(i16);
            visit_i32(i32);
            visit_i64(i64);
            visit_i128(i128);
            visit_u8(u8);
            visit_u16(u16);
            visit_u32(u32);
            visit_u64(u64);
            visit_u128(u128);
            visit_f32(f32);
            visit_f64(f64);
            visit_char(char);
            visit_bytes(&[u8]);
            visit_borrowed_bytes(&'de [u8]);
            visit_byte_buf(Vec<u8>);
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            let ctx = self.ctx;
            self.visitor
                .visit_none::<DeError>()
                .map_err(|e| ctx.lower(e))
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            let ctx = self.ctx;
            self.visitor
                .visit_unit::<DeError>()
                .map_err(|e| ctx.lower(e))
        }

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.visitor.expecting(f)
        }
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<'_, 'de, V> {
    type Value = V::Value;

    forward_plain_visits!();

    forward_visit! {
        visit_str(&str);
        visit_borrowed_str(&'de str);
        visit_string(String);
    }

    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        self.visitor.visit_some(Guard::new(de, self.ctx))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        self.visitor.visit_newtype_struct(Guard::new(de, self.ctx))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        if self.fields.is_some() {
            // serde lets a struct be written as an array of its fields in
            // order; a JSON API names its parameters, so an array is wrong.
            return Err(self.ctx.lower(DeError::new(Failure::StructAsArray)));
        }
        self.visitor.visit_seq(Seq { seq, ctx: self.ctx })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let ctx = self.ctx;
        let is_struct = self.fields.is_some();
        let result = self.visitor.visit_map(Map {
            map,
            ctx,
            fields: self.fields,
        });
        if is_struct && ctx.unraised.get() && result.is_ok() {
            // The struct that tolerated a wrong-case key ends here.
            ctx.unraised.set(false);
            return Err(ctx.lower(DeError::new(Failure::WrongCase)));
        }
        result
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        self.visitor.visit_enum(Enum {
            data,
            ctx: self.ctx,
        })
    }
}

/// A seed whose deserializer is guarded.
struct Seed<'c, 'de, S> {
    seed: S,
    ctx: &'c Ctx<'de>,
    field_of: Option<&'static [&'static str]>,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<'_, 'de, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        self.seed.deserialize(Guard {
            de,
            ctx: self.ctx,
            field_of: self.field_of,
        })
    }
}

struct Seq<'c, 'de, A> {
    seq: A,
    ctx: &'c Ctx<'de>,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Seq<'_, 'de, A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Self::Error> {
        self.seq.next_element_seed(Seed {
            seed,
            ctx: self.ctx,
            field_of: None,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.seq.size_hint()
    }
}

struct Map<'c, 'de, A> {
    map: A,
    ctx: &'c Ctx<'de>,
    fields: Option<&'static [&'static str]>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Map<'_, 'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        let Some(fields) = self.fields else {
            return self.map.next_key_seed(Seed {
                seed,
                ctx: self.ctx,
                field_of: None,
            });
        };
        self.ctx.set_key(Key::None);
        let key = self.map.next_key_seed(KeySeed {
            seed,
            ctx: self.ctx,
        });
        if key.is_err() {
            let rejected = self.ctx.key.borrow().as_str().map(str::to_owned);
            if let Some(key) = rejected.filter(|key| !fields.contains(&key.as_str())) {
                self.ctx.record(Finding::Unknown { key, fields });
            }
        }
        key
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        self.map.next_value_seed(Seed {
            seed,
            ctx: self.ctx,
            field_of: self.fields,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

struct Enum<'c, 'de, A> {
    data: A,
    ctx: &'c Ctx<'de>,
}

impl<'c, 'de, A: EnumAccess<'de>> EnumAccess<'de> for Enum<'c, 'de, A> {
    type Error = A::Error;
    type Variant = Variant<'c, 'de, A::Variant>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self::Variant), Self::Error> {
        let (value, variant) = self.data.variant_seed(Seed {
            seed,
            ctx: self.ctx,
            field_of: None,
        })?;
        Ok((
            value,
            Variant {
                variant,
                ctx: self.ctx,
            },
        ))
    }
}

struct Variant<'c, 'de, A> {
    variant: A,
    ctx: &'c Ctx<'de>,
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Variant<'_, 'de, A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), Self::Error> {
        self.variant.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, Self::Error> {
        self.variant.newtype_variant_seed(Seed {
            seed,
            ctx: self.ctx,
            field_of: None,
        })
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.variant
            .tuple_variant(len, Wrap::new(visitor, self.ctx))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.variant.struct_variant(
            fields,
            Wrap {
                visitor,
                ctx: self.ctx,
                fields: Some(fields),
            },
        )
    }
}

/// The seed of a struct key: notes the key as it passes.
struct KeySeed<'c, 'de, S> {
    seed: S,
    ctx: &'c Ctx<'de>,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for KeySeed<'_, 'de, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        self.seed.deserialize(KeyDe { de, ctx: self.ctx })
    }
}

struct KeyDe<'c, 'de, D> {
    de: D,
    ctx: &'c Ctx<'de>,
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for KeyDe<'_, 'de, D> {
    type Error = D::Error;

    all_but_struct_and_ignored!(KeyVisitor);

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.de
            .deserialize_struct(name, fields, KeyVisitor::new(visitor, self.ctx))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.de.deserialize_ignored_any(visitor)
    }

    fn is_human_readable(&self) -> bool {
        self.de.is_human_readable()
    }
}

/// The visitor of a struct key: keeps the key's text.
struct KeyVisitor<'c, 'de, V> {
    visitor: V,
    ctx: &'c Ctx<'de>,
}

impl<'c, 'de, V> KeyVisitor<'c, 'de, V> {
    fn new(visitor: V, ctx: &'c Ctx<'de>) -> Self {
        KeyVisitor { visitor, ctx }
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for KeyVisitor<'_, 'de, V> {
    type Value = V::Value;

    forward_plain_visits!();

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let ctx = self.ctx;
        ctx.set_key(Key::Owned(v.to_owned()));
        self.visitor
            .visit_str::<DeError>(v)
            .map_err(|e| ctx.lower(e))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        let ctx = self.ctx;
        ctx.set_key(Key::Borrowed(v));
        self.visitor
            .visit_borrowed_str::<DeError>(v)
            .map_err(|e| ctx.lower(e))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        let ctx = self.ctx;
        ctx.set_key(Key::Owned(v.clone()));
        self.visitor
            .visit_string::<DeError>(v)
            .map_err(|e| ctx.lower(e))
    }

    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        self.visitor.visit_some(de)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        self.visitor.visit_newtype_struct(de)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        self.visitor.visit_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.visitor.visit_map(map)
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        self.visitor.visit_enum(data)
    }
}
