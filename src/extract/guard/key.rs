//! The keys of a struct: each passes through [`KeyVisitor`], which keeps
//! its text in the [`Ctx`] so the guard can tell which key a struct
//! ignored or rejected.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Visitor};

use super::ctx::Key;
use super::Ctx;
use crate::extract::failure::DeError;

/// The seed of a struct key: notes the key as it passes.
pub(super) struct KeySeed<'c, 'de, S> {
    pub(super) seed: S,
    pub(super) ctx: &'c Ctx<'de>,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for KeySeed<'_, 'de, S> {
    type Value = S::Value;

    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        self.seed.deserialize(KeyDe { de, ctx: self.ctx })
    }
}

pub(super) struct KeyDe<'c, 'de, D> {
    pub(super) de: D,
    pub(super) ctx: &'c Ctx<'de>,
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for KeyDe<'_, 'de, D> {
    type Error = D::Error;

    all_but_struct_and_ignored!(KeyVisitor);

    #[inline]
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.de
            .deserialize_struct(name, fields, KeyVisitor::new(visitor, self.ctx))
    }

    #[inline]
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.de.deserialize_ignored_any(visitor)
    }

    #[inline]
    fn is_human_readable(&self) -> bool {
        self.de.is_human_readable()
    }
}

/// The visitor of a struct key: keeps the key's text.
pub(super) struct KeyVisitor<'c, 'de, V> {
    pub(super) visitor: V,
    pub(super) ctx: &'c Ctx<'de>,
}

impl<'c, 'de, V> KeyVisitor<'c, 'de, V> {
    #[inline]
    fn new(visitor: V, ctx: &'c Ctx<'de>) -> Self {
        KeyVisitor { visitor, ctx }
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for KeyVisitor<'_, 'de, V> {
    type Value = V::Value;

    forward_plain_visits!();

    #[inline]
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let ctx = self.ctx;
        ctx.set_key(Key::Owned(v.to_owned()));
        self.visitor
            .visit_str::<DeError>(v)
            .map_err(|e| ctx.lower(e))
    }

    #[inline]
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        let ctx = self.ctx;
        ctx.set_key(Key::Borrowed(v));
        self.visitor
            .visit_borrowed_str::<DeError>(v)
            .map_err(|e| ctx.lower(e))
    }

    #[inline]
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        let ctx = self.ctx;
        ctx.set_key(Key::Owned(v.clone()));
        self.visitor
            .visit_string::<DeError>(v)
            .map_err(|e| ctx.lower(e))
    }

    #[inline]
    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        self.visitor.visit_some(de)
    }

    #[inline]
    fn visit_newtype_struct<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        self.visitor.visit_newtype_struct(de)
    }

    #[inline]
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        self.visitor.visit_seq(seq)
    }

    #[inline]
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.visitor.visit_map(map)
    }

    #[inline]
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        self.visitor.visit_enum(data)
    }
}
