//! A deserializer wrapper that keeps body parameter names case-sensitive
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
//! # Errors as structure
//!
//! The guard's error type is its own, [`DeError`]: every error raised
//! through it by the type being deserialized (a missing field, an unknown
//! variant, a value of the wrong kind, a typed value's failed check) is
//! kept as a [`Raised`] value with its parts, not as text, so the
//! diagnosis never reads serde's English. Errors of the wrapped
//! deserializer itself (syntax, end of input, its own type checks) stay
//! [`DeError::Inner`].
//!
//! Where a `Raised` error has to pass back through the wrapped deserializer
//! (a visitor fails inside serde_json's `deserialize_struct`), the wrapped
//! deserializer can only carry its own error type. The `Raised` value then
//! waits in the [`Ctx`] of this one deserialization while the wrapped
//! deserializer returns, and is taken back the moment its error comes out.
//! The `Ctx` lives on the extractor's stack and is dropped with it, so an
//! error never outlives the extraction that raised it.

use std::cell::{Cell, RefCell};
use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, Expected, MapAccess, SeqAccess, Unexpected,
    VariantAccess, Visitor,
};

use crate::error::echo;
use crate::ApiError;

/// The guard's error: the wrapped deserializer's own, or one raised through
/// the guard with its parts.
#[derive(Debug)]
pub(crate) enum DeError<E> {
    /// The wrapped deserializer's error.
    Inner(E),
    /// An error raised through the guard's error type.
    Raised(Box<Raised>),
}

/// An error raised through [`DeError`], with its parts.
#[derive(Debug)]
pub(crate) enum Raised {
    /// A typed value failed its check.
    Value(ApiError),
    /// A required field is absent.
    MissingField(&'static str),
    /// A field appears twice.
    DuplicateField(&'static str),
    /// A struct that denies unknown fields met this key; its fields.
    UnknownField {
        key: String,
        fields: &'static [&'static str],
    },
    /// A name that is none of an enum's variants.
    UnknownVariant {
        found: String,
        expected: &'static [&'static str],
    },
    /// A value of the wrong kind (`found` in JSON words).
    InvalidType { found: String, expected: String },
    /// A value of the right kind but not acceptable.
    InvalidValue { found: String, expected: String },
    /// A sequence of the wrong length.
    InvalidLength { len: usize, expected: String },
    /// The guard refused a key that is a field but for case.
    WrongCase,
    /// A struct was written as an array of its fields.
    StructAsArray,
    /// Any other message.
    Custom(String),
}

impl<E> DeError<E> {
    fn raised(raised: Raised) -> Self {
        DeError::Raised(Box::new(raised))
    }
}

impl<E: fmt::Display> fmt::Display for DeError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeError::Inner(error) => error.fmt(f),
            DeError::Raised(raised) => raised.fmt(f),
        }
    }
}

impl fmt::Display for Raised {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Raised::Value(error) => f.write_str(error.message()),
            Raised::MissingField(field) => write!(f, "missing field `{field}`"),
            Raised::DuplicateField(field) => write!(f, "duplicate field `{field}`"),
            Raised::UnknownField { key, .. } => write!(f, "unknown field `{}`", echo(key)),
            Raised::UnknownVariant { found, .. } => write!(f, "unknown variant `{}`", echo(found)),
            Raised::InvalidType { found, expected } => {
                write!(f, "invalid type: {found}, expected {expected}")
            }
            Raised::InvalidValue { found, expected } => {
                write!(f, "invalid value: {found}, expected {expected}")
            }
            Raised::InvalidLength { len, expected } => {
                write!(f, "invalid length {len}, expected {expected}")
            }
            Raised::WrongCase => {
                f.write_str("a parameter name differs from a known parameter only in case")
            }
            Raised::StructAsArray => f.write_str("an object was written as an array"),
            Raised::Custom(message) => f.write_str(&echo(message)),
        }
    }
}

impl<E: std::error::Error> std::error::Error for DeError<E> {}

impl<E: de::Error> de::Error for DeError<E> {
    fn custom<T: fmt::Display>(message: T) -> Self {
        match crate::value::recover(&message) {
            Some(error) => Self::raised(Raised::Value(error)),
            None => Self::raised(Raised::Custom(message.to_string())),
        }
    }

    fn invalid_type(found: Unexpected<'_>, expected: &dyn Expected) -> Self {
        Self::raised(Raised::InvalidType {
            found: found_words(found),
            expected: expected.to_string(),
        })
    }

    fn invalid_value(found: Unexpected<'_>, expected: &dyn Expected) -> Self {
        Self::raised(Raised::InvalidValue {
            found: found_words(found),
            expected: expected.to_string(),
        })
    }

    fn invalid_length(len: usize, expected: &dyn Expected) -> Self {
        Self::raised(Raised::InvalidLength {
            len,
            expected: expected.to_string(),
        })
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        Self::raised(Raised::UnknownVariant {
            found: variant.to_owned(),
            expected,
        })
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        Self::raised(Raised::UnknownField {
            key: field.to_owned(),
            fields: expected,
        })
    }

    fn missing_field(field: &'static str) -> Self {
        Self::raised(Raised::MissingField(field))
    }

    fn duplicate_field(field: &'static str) -> Self {
        Self::raised(Raised::DuplicateField(field))
    }
}

/// What a client sent, in JSON words, with its text escaped and cut.
fn found_words(found: Unexpected<'_>) -> String {
    match found {
        Unexpected::Bool(b) => format!("boolean `{b}`"),
        Unexpected::Unsigned(n) => format!("integer `{n}`"),
        Unexpected::Signed(n) => format!("integer `{n}`"),
        Unexpected::Float(x) => format!("floating point `{x}`"),
        Unexpected::Char(c) => format!("string {}", echo(&format!("{:?}", c.to_string()))),
        Unexpected::Str(s) => format!("string {}", echo(&format!("{s:?}"))),
        Unexpected::Bytes(_) => "bytes".to_owned(),
        Unexpected::Unit | Unexpected::Option => "null".to_owned(),
        Unexpected::Seq | Unexpected::TupleVariant => "an array".to_owned(),
        Unexpected::Map | Unexpected::StructVariant => "an object".to_owned(),
        Unexpected::UnitVariant => "a string".to_owned(),
        Unexpected::NewtypeStruct | Unexpected::Enum | Unexpected::NewtypeVariant => {
            "a value".to_owned()
        }
        Unexpected::Other(other) => echo(other).into_owned(),
    }
}

/// What to do with a key that matches a field only when case is ignored.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnWrongCase {
    /// Fail at once.
    Fail,
    /// Record it and go on, as serde would, until the end of the struct
    /// that holds it: the struct then fails with [`Raised::WrongCase`],
    /// unless it failed first because the field the key was meant for is
    /// required ([`Raised::MissingField`]). Either error's path is the
    /// struct's, so one pass tells both what and where.
    Tolerate,
}

/// What the guard saw that explains a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Finding {
    /// `key` is `field` but for case.
    WrongCase { key: String, field: &'static str },
    /// A struct that denies unknown fields rejected `key`.
    Unknown {
        key: String,
        fields: &'static [&'static str],
    },
}

/// State shared by every layer of one guarded deserialization.
pub(crate) struct Ctx<'de> {
    on_wrong_case: OnWrongCase,
    /// The last struct key read.
    key: RefCell<Key<'de>>,
    /// The first finding.
    finding: RefCell<Option<Finding>>,
    found: Cell<bool>,
    /// A raised error on its way back through the wrapped deserializer.
    pending: Cell<Option<Box<Raised>>>,
    /// A wrong-case key was tolerated and its struct has not ended yet.
    unraised: Cell<bool>,
}

enum Key<'de> {
    None,
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    fn as_str(&self) -> Option<&str> {
        match self {
            Key::None => None,
            Key::Borrowed(s) => Some(s),
            Key::Owned(s) => Some(s),
        }
    }
}

impl<'de> Ctx<'de> {
    pub(crate) fn new(on_wrong_case: OnWrongCase) -> Self {
        Ctx {
            on_wrong_case,
            key: RefCell::new(Key::None),
            finding: RefCell::new(None),
            found: Cell::new(false),
            pending: Cell::new(None),
            unraised: Cell::new(false),
        }
    }

    /// Turns the guard's error into the wrapped deserializer's `E`, to pass
    /// it back through that deserializer: a raised error waits here.
    fn lower<E: de::Error>(&self, error: DeError<E>) -> E {
        match error {
            DeError::Inner(error) => error,
            DeError::Raised(raised) => {
                let inner = E::custom(&raised);
                self.pending.set(Some(raised));
                inner
            }
        }
    }

    /// Turns an error of the wrapped deserializer back into the guard's: the
    /// raised error it stands for, if one is waiting.
    fn lift<E>(&self, error: E) -> DeError<E> {
        match self.pending.take() {
            Some(raised) => DeError::Raised(raised),
            None => DeError::Inner(error),
        }
    }

    /// The first finding, if any.
    pub(crate) fn finding(&self) -> Option<Finding> {
        self.finding.borrow().clone()
    }

    /// Keeps `finding` if it is the first; says whether it was.
    fn record(&self, finding: Finding) -> bool {
        let first = !self.found.replace(true);
        if first {
            *self.finding.borrow_mut() = Some(finding);
        }
        first
    }

    fn set_key(&self, key: Key<'de>) {
        *self.key.borrow_mut() = key;
    }
}

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
                let ctx = self.ctx;
                self.de
                    .$method($($arg,)* $wrap::new(visitor, ctx))
                    .map_err(|e| ctx.lift(e))
            }
        )*
    };
}

macro_rules! all_but_struct_and_ignored {
    ($wrap:ident) => {
        forward_deserialize! {
            $wrap;
            deserialize_any();
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
            deserialize_identifier();
        }
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Guard<'_, 'de, D> {
    type Error = DeError<D::Error>;

    all_but_struct_and_ignored!(Wrap);

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let ctx = self.ctx;
        let wrapped = Wrap {
            visitor,
            ctx,
            fields: Some(fields),
        };
        self.de
            .deserialize_struct(name, fields, wrapped)
            .map_err(|e| ctx.lift(e))
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
                    OnWrongCase::Fail => return Err(DeError::raised(Raised::WrongCase)),
                    OnWrongCase::Tolerate => {
                        if first {
                            self.ctx.unraised.set(true);
                        }
                    }
                }
            }
        }
        let ctx = self.ctx;
        self.de
            .deserialize_ignored_any(visitor)
            .map_err(|e| ctx.lift(e))
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
                self.visitor.$method::<DeError<E>>(v).map_err(|e| ctx.lower(e))
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
                .visit_none::<DeError<E>>()
                .map_err(|e| ctx.lower(e))
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            let ctx = self.ctx;
            self.visitor
                .visit_unit::<DeError<E>>()
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
        let ctx = self.ctx;
        self.visitor
            .visit_some(Guard::new(de, ctx))
            .map_err(|e| ctx.lower(e))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        let ctx = self.ctx;
        self.visitor
            .visit_newtype_struct(Guard::new(de, ctx))
            .map_err(|e| ctx.lower(e))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let ctx = self.ctx;
        if self.fields.is_some() {
            // serde lets a struct be written as an array of its fields in
            // order; a JSON API names its parameters, so an array is wrong.
            return Err(ctx.lower(DeError::raised(Raised::StructAsArray)));
        }
        self.visitor
            .visit_seq(Seq { seq, ctx })
            .map_err(|e| ctx.lower(e))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let ctx = self.ctx;
        let is_struct = self.fields.is_some();
        let value = self
            .visitor
            .visit_map(Map {
                map,
                ctx,
                fields: self.fields,
            })
            .map_err(|e| ctx.lower(e))?;
        if is_struct && ctx.unraised.replace(false) {
            // The struct that tolerated a wrong-case key ends here.
            return Err(ctx.lower(DeError::raised(Raised::WrongCase)));
        }
        Ok(value)
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        let ctx = self.ctx;
        self.visitor
            .visit_enum(Enum { data, ctx })
            .map_err(|e| ctx.lower(e))
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
        let ctx = self.ctx;
        self.seed
            .deserialize(Guard {
                de,
                ctx,
                field_of: self.field_of,
            })
            .map_err(|e| ctx.lower(e))
    }
}

struct Seq<'c, 'de, A> {
    seq: A,
    ctx: &'c Ctx<'de>,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Seq<'_, 'de, A> {
    type Error = DeError<A::Error>;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Self::Error> {
        let ctx = self.ctx;
        self.seq
            .next_element_seed(Seed {
                seed,
                ctx,
                field_of: None,
            })
            .map_err(|e| ctx.lift(e))
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
    type Error = DeError<A::Error>;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        let ctx = self.ctx;
        let Some(fields) = self.fields else {
            return self
                .map
                .next_key_seed(Seed {
                    seed,
                    ctx,
                    field_of: None,
                })
                .map_err(|e| ctx.lift(e));
        };
        ctx.set_key(Key::None);
        let key = self
            .map
            .next_key_seed(KeySeed { seed, ctx })
            .map_err(|e| ctx.lift(e));
        if key.is_err() {
            let rejected = ctx.key.borrow().as_str().map(str::to_owned);
            if let Some(key) = rejected.filter(|key| !fields.contains(&key.as_str())) {
                ctx.record(Finding::Unknown { key, fields });
            }
        }
        key
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        let ctx = self.ctx;
        self.map
            .next_value_seed(Seed {
                seed,
                ctx,
                field_of: self.fields,
            })
            .map_err(|e| ctx.lift(e))
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
    type Error = DeError<A::Error>;
    type Variant = Variant<'c, 'de, A::Variant>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self::Variant), Self::Error> {
        let ctx = self.ctx;
        let (value, variant) = self
            .data
            .variant_seed(Seed {
                seed,
                ctx,
                field_of: None,
            })
            .map_err(|e| ctx.lift(e))?;
        Ok((value, Variant { variant, ctx }))
    }
}

struct Variant<'c, 'de, A> {
    variant: A,
    ctx: &'c Ctx<'de>,
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Variant<'_, 'de, A> {
    type Error = DeError<A::Error>;

    fn unit_variant(self) -> Result<(), Self::Error> {
        let ctx = self.ctx;
        self.variant.unit_variant().map_err(|e| ctx.lift(e))
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, Self::Error> {
        let ctx = self.ctx;
        self.variant
            .newtype_variant_seed(Seed {
                seed,
                ctx,
                field_of: None,
            })
            .map_err(|e| ctx.lift(e))
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let ctx = self.ctx;
        self.variant
            .tuple_variant(len, Wrap::new(visitor, ctx))
            .map_err(|e| ctx.lift(e))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let ctx = self.ctx;
        self.variant
            .struct_variant(
                fields,
                Wrap {
                    visitor,
                    ctx,
                    fields: Some(fields),
                },
            )
            .map_err(|e| ctx.lift(e))
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
        let ctx = self.ctx;
        self.seed
            .deserialize(KeyDe { de, ctx })
            .map_err(|e| ctx.lower(e))
    }
}

struct KeyDe<'c, 'de, D> {
    de: D,
    ctx: &'c Ctx<'de>,
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for KeyDe<'_, 'de, D> {
    type Error = DeError<D::Error>;

    all_but_struct_and_ignored!(KeyVisitor);

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let ctx = self.ctx;
        self.de
            .deserialize_struct(name, fields, KeyVisitor::new(visitor, ctx))
            .map_err(|e| ctx.lift(e))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        let ctx = self.ctx;
        self.de
            .deserialize_ignored_any(visitor)
            .map_err(|e| ctx.lift(e))
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
            .visit_str::<DeError<E>>(v)
            .map_err(|e| ctx.lower(e))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        let ctx = self.ctx;
        ctx.set_key(Key::Borrowed(v));
        self.visitor
            .visit_borrowed_str::<DeError<E>>(v)
            .map_err(|e| ctx.lower(e))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        let ctx = self.ctx;
        ctx.set_key(Key::Owned(v.clone()));
        self.visitor
            .visit_string::<DeError<E>>(v)
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
