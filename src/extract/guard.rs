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
//! # Buffered members
//!
//! serde reads the members a struct with flattened fields does not know,
//! and the objects of untagged and internally tagged enums, into a buffer
//! of its own, and the type it then picks reads them out of the guard's
//! sight. The guard recognises those members by how serde reads them: in a
//! map that is not a struct's, a key read as an identifier (a struct with
//! flattened fields) or as any value (an object serde buffers), whose value
//! is read as any value. It counts them and keeps their keys
//! ([`Ctx::buffered`]); in a probe pass ([`Ctx::probe`]) it hands one of
//! them a value that no type accepts, so the pass fails if and only if
//! something read it (`check_buffered` in the diagnosis). A map's own
//! keys are read as strings, so maps and `serde_json::Value`s are never
//! counted.
//!
//! # Errors as structure
//!
//! Values reach the type being deserialized through the wrapped visitor's
//! `visit_*` calls. The guard makes those calls with its own error type,
//! [`DeError`], so every error the type raises there (a typed value's
//! failed check, an unknown variant or field name, a value of the wrong
//! kind) is kept as a [`Raised`] value with its parts, not as text. The
//! wrapped deserializer can only carry its own error type back up, so the
//! `Raised` value waits in the [`Ctx`] of this one deserialization while a
//! stand-in error with the same text travels up; the diagnosis takes it
//! back when that error comes out (see [`Ctx::take_raised`]). The `Ctx`
//! lives on the extractor's stack and is dropped with it, so an error never
//! outlives the extraction that raised it.
//!
//! Maps, sequences and enums keep the wrapped deserializer's own error
//! type, so values as large as a whole struct are passed back without
//! conversion; what a struct's visitor raises itself (a missing or
//! duplicated field, a sequence of the wrong length) is therefore text, and
//! is recognised by serde's fixed wording (pinned by tests).

use std::cell::{Cell, RefCell};
use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, Expected, MapAccess, SeqAccess, Unexpected,
    VariantAccess, Visitor,
};

use crate::error::echo;
use crate::ApiError;

/// The error type of the visits the guard makes: an error raised by the
/// type being deserialized, with its parts.
#[derive(Debug)]
pub(crate) struct DeError(Box<Raised>);

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

impl DeError {
    fn raised(raised: Raised) -> Self {
        DeError(Box::new(raised))
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
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

impl std::error::Error for DeError {}

impl de::Error for DeError {
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
    /// How the key just read from a map that is not a struct's was read.
    map_key: Cell<MapKey>,
    /// How many buffered entries (see [`Ctx::buffered`]) were met so far.
    entries: Cell<usize>,
    /// The keys of the first [`MAX_BUFFERED`] + 1 buffered entries.
    buffered: RefCell<Vec<String>>,
    /// In a probe pass, the buffered entry whose value is replaced.
    probe: Option<usize>,
}

/// How many buffered entries a body may hold: each costs one more
/// deserialization of the body on success (see [`Ctx::buffered`]).
pub(crate) const MAX_BUFFERED: usize = 64;

/// How a key of a map that is not a struct's was read: the kinds serde's
/// buffering uses are told apart from a map's own keys (read as strings).
#[derive(Clone, Copy, PartialEq, Eq)]
enum MapKey {
    /// As a string, or not yet read: a map's key.
    Plain,
    /// As an identifier: the key of a struct with flattened members.
    Identifier,
    /// As any value: a key of an object serde buffers.
    Any,
}

/// The value that replaces a buffered entry's value in a probe pass: bytes
/// that are not UTF-8, which no JSON value's type accepts.
const POISON: &[u8] = &[0xff, 0xfe];

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
            map_key: Cell::new(MapKey::Plain),
            entries: Cell::new(0),
            buffered: RefCell::new(Vec::new()),
            probe: None,
        }
    }

    /// The context of a probe pass: buffered entry `entry`'s value is
    /// replaced by a value no type accepts, so the pass fails if and only if
    /// something read that value.
    pub(crate) fn probe(entry: usize) -> Self {
        Ctx {
            probe: Some(entry),
            ..Ctx::new(OnWrongCase::Fail)
        }
    }

    /// The buffered entries met, and the keys of the first
    /// [`MAX_BUFFERED`] + 1 of them.
    ///
    /// A buffered entry is a member of an object that serde reads into its
    /// own buffer before it picks the type that reads it: the members a
    /// struct with `#[serde(flatten)]` fields does not know itself, and the
    /// members of an untagged or internally tagged enum's object (at any
    /// depth). The guard cannot see whether the type serde picks reads them
    /// or drops them; a probe pass ([`Ctx::probe`]) can.
    pub(crate) fn buffered(&self) -> (usize, Vec<String>) {
        (self.entries.get(), self.buffered.take())
    }

    /// Turns a raised error into the wrapped deserializer's `E`, a stand-in
    /// with the same text, to pass it back through that deserializer; the
    /// raised error waits here.
    fn lower<E: de::Error>(&self, error: DeError) -> E {
        let stand_in = E::custom(&error.0);
        self.pending.set(Some(error.0));
        stand_in
    }

    /// The raised error that `message`, the text of the error that came out
    /// of the wrapped deserializer (without position), stands for.
    ///
    /// The texts are compared so that a raised error that something caught
    /// on the way (a `deserialize_with` that tries a value and falls back)
    /// is never taken for a later, different error.
    pub(crate) fn take_raised(&self, message: &str) -> Option<Box<Raised>> {
        let raised = self.pending.take()?;
        (raised.to_string() == message).then_some(raised)
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
    role: Role,
}

/// Where a guarded value sits.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Anywhere but in a map that is not a struct's.
    Value,
    /// A key of a map that is not a struct's.
    MapKey,
    /// A value of a map that is not a struct's.
    MapValue,
}

impl<'c, 'de, D> Guard<'c, 'de, D> {
    pub(crate) fn new(de: D, ctx: &'c Ctx<'de>) -> Self {
        Guard {
            de,
            ctx,
            field_of: None,
            role: Role::Value,
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

    all_but_struct_ignored_any_and_identifier!(Wrap);

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.role {
            Role::Value => self.de.deserialize_any(Wrap::new(visitor, self.ctx)),
            Role::MapKey => {
                self.ctx.map_key.set(MapKey::Any);
                self.de.deserialize_any(KeyVisitor::new(visitor, self.ctx))
            }
            Role::MapValue => {
                if self.ctx.map_key.get() == MapKey::Plain {
                    return self.de.deserialize_any(Wrap::new(visitor, self.ctx));
                }
                // A value serde buffers: count it, or replace it in a probe.
                let ctx = self.ctx;
                let entry = ctx.entries.get();
                ctx.entries.set(entry + 1);
                match ctx.probe {
                    Some(probe) if probe == entry => {
                        self.de.deserialize_ignored_any(de::IgnoredAny)?;
                        return visitor.visit_bytes(POISON);
                    }
                    Some(_) => {}
                    None if entry <= MAX_BUFFERED => {
                        let key = ctx.key.borrow().as_str().unwrap_or_default().to_owned();
                        ctx.buffered.borrow_mut().push(key);
                    }
                    None => {}
                }
                self.de.deserialize_any(Wrap::new(visitor, ctx))
            }
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        if self.role == Role::MapKey {
            self.ctx.map_key.set(MapKey::Identifier);
            return self
                .de
                .deserialize_identifier(KeyVisitor::new(visitor, self.ctx));
        }
        self.de.deserialize_identifier(Wrap::new(visitor, self.ctx))
    }

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
                        return Err(self.ctx.lower(DeError::raised(Raised::WrongCase)))
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
            return Err(self.ctx.lower(DeError::raised(Raised::StructAsArray)));
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
            return Err(ctx.lower(DeError::raised(Raised::WrongCase)));
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
    role: Role,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<'_, 'de, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        self.seed.deserialize(Guard {
            de,
            ctx: self.ctx,
            field_of: self.field_of,
            role: self.role,
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
            role: Role::Value,
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
            self.ctx.map_key.set(MapKey::Plain);
            return self.map.next_key_seed(Seed {
                seed,
                ctx: self.ctx,
                field_of: None,
                role: Role::MapKey,
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
            role: if self.fields.is_some() {
                Role::Value
            } else {
                Role::MapValue
            },
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
            role: Role::Value,
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
            role: Role::Value,
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
