//! The guarded access to sequences, maps and enums: each element, key,
//! value and variant is read through the guard, and a struct's keys
//! through [`KeySeed`](super::key::KeySeed).

use serde::de::{
    DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};

use super::ctx::Key;
use super::key::KeySeed;
use super::{Ctx, Finding, Guard, Wrap};

/// A seed whose deserializer is guarded.
pub(super) struct Seed<'c, 'de, S> {
    pub(super) seed: S,
    pub(super) ctx: &'c Ctx<'de>,
    pub(super) field_of: Option<&'static [&'static str]>,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<'_, 'de, S> {
    type Value = S::Value;

    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        self.seed.deserialize(Guard {
            de,
            ctx: self.ctx,
            field_of: self.field_of,
        })
    }
}

pub(super) struct Seq<'c, 'de, A> {
    pub(super) seq: A,
    pub(super) ctx: &'c Ctx<'de>,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Seq<'_, 'de, A> {
    type Error = A::Error;

    #[inline]
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

pub(super) struct Map<'c, 'de, A> {
    pub(super) map: A,
    pub(super) ctx: &'c Ctx<'de>,
    pub(super) fields: Option<&'static [&'static str]>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Map<'_, 'de, A> {
    type Error = A::Error;

    #[inline]
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

    #[inline]
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

pub(super) struct Enum<'c, 'de, A> {
    pub(super) data: A,
    pub(super) ctx: &'c Ctx<'de>,
}

impl<'c, 'de, A: EnumAccess<'de>> EnumAccess<'de> for Enum<'c, 'de, A> {
    type Error = A::Error;
    type Variant = Variant<'c, 'de, A::Variant>;

    #[inline]
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

pub(super) struct Variant<'c, 'de, A> {
    pub(super) variant: A,
    pub(super) ctx: &'c Ctx<'de>,
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Variant<'_, 'de, A> {
    type Error = A::Error;

    #[inline]
    fn unit_variant(self) -> Result<(), Self::Error> {
        self.variant.unit_variant()
    }

    #[inline]
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

    #[inline]
    fn tuple_variant<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.variant
            .tuple_variant(len, Wrap::new(visitor, self.ctx))
    }

    #[inline]
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
