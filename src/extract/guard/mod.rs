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

#[macro_use]
mod forward;
mod access;
mod ctx;
mod key;

use std::fmt;

use serde::de::{self, Deserializer, EnumAccess, MapAccess, SeqAccess, Visitor};

use self::access::{Enum, Map, Seq};
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
    #[inline]
    fn new(visitor: V, ctx: &'c Ctx<'de>) -> Self {
        Wrap {
            visitor,
            ctx,
            fields: None,
        }
    }
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Guard<'_, 'de, D> {
    type Error = D::Error;

    all_but_struct_and_ignored!(Wrap);

    #[inline]
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

    #[inline]
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

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<'_, 'de, V> {
    type Value = V::Value;

    forward_plain_visits!();

    forward_visit! {
        visit_str(&str);
        visit_borrowed_str(&'de str);
        visit_string(String);
    }

    #[inline]
    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        self.visitor.visit_some(Guard::new(de, self.ctx))
    }

    #[inline]
    fn visit_newtype_struct<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        self.visitor.visit_newtype_struct(Guard::new(de, self.ctx))
    }

    #[inline]
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        if self.fields.is_some() {
            // serde lets a struct be written as an array of its fields in
            // order; a JSON API names its parameters, so an array is wrong.
            return Err(self.ctx.lower(DeError::new(Failure::StructAsArray)));
        }
        self.visitor.visit_seq(Seq { seq, ctx: self.ctx })
    }

    #[inline]
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

    #[inline]
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        self.visitor.visit_enum(Enum {
            data,
            ctx: self.ctx,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde::de::DeserializeOwned;
    use serde::Deserialize;

    use super::*;

    #[derive(Deserialize, Debug)]
    #[serde(rename_all = "PascalCase")]
    #[allow(dead_code)]
    struct Isolate {
        comment: String,
        isolation_type: Option<String>,
    }

    /// One guarded pass of serde_json over `json`: the value or the
    /// failure, and what the guard found.
    fn guarded<T: DeserializeOwned>(
        json: &str,
        mode: OnWrongCase,
    ) -> (Result<T, Option<Failure>>, Option<Finding>) {
        let ctx = Ctx::new(mode);
        let mut de = serde_json::Deserializer::from_str(json);
        let result = T::deserialize(Guard::new(&mut de, &ctx)).map_err(|error| {
            let message = crate::extract::foreign::json_message(&error);
            ctx.take_raised(&message).map(|failure| *failure)
        });
        (result, ctx.finding())
    }

    #[test]
    fn a_wrong_case_key_fails_at_once_or_at_the_end_of_its_struct() {
        let json = r#"{"Comment": "x", "isolationType": "Full"}"#;
        let wrong = Some(Finding::WrongCase {
            key: "isolationType".into(),
            field: "IsolationType",
        });
        let (result, finding) = guarded::<Isolate>(json, OnWrongCase::Fail);
        assert!(matches!(result, Err(Some(Failure::WrongCase))));
        assert_eq!(finding, wrong);
        let (result, finding) = guarded::<Isolate>(json, OnWrongCase::Tolerate);
        assert!(matches!(result, Err(Some(Failure::WrongCase))));
        assert_eq!(finding, wrong);
        // Tolerated, the required field's absence is what fails first.
        let (result, finding) = guarded::<Isolate>(r#"{"comment": "x"}"#, OnWrongCase::Tolerate);
        assert!(matches!(result, Err(None)), "serde's own text: {result:?}");
        assert_eq!(
            finding,
            Some(Finding::WrongCase {
                key: "comment".into(),
                field: "Comment"
            })
        );
    }

    #[test]
    fn a_struct_written_as_an_array_is_refused() {
        let (result, _) = guarded::<Isolate>(r#"["x", "Full"]"#, OnWrongCase::Fail);
        assert!(matches!(result, Err(Some(Failure::StructAsArray))));
        // A real sequence is not.
        let (result, _) = guarded::<Vec<u8>>("[1, 2]", OnWrongCase::Fail);
        assert_eq!(result.unwrap(), [1, 2]);
    }

    #[test]
    fn a_maps_own_keys_are_not_parameter_names() {
        let (result, finding) =
            guarded::<HashMap<String, u8>>(r#"{"a": 1, "A": 2}"#, OnWrongCase::Fail);
        assert_eq!(result.unwrap().len(), 2);
        assert_eq!(finding, None);
    }

    #[test]
    fn a_failure_caught_on_the_way_is_not_taken_for_a_later_one() {
        /// Reads `a` as a hash and ignores it when its check fails, then
        /// `b` as a number.
        #[derive(Debug)]
        struct Forgiving;

        impl<'de> Deserialize<'de> for Forgiving {
            fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = Forgiving;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("an object")
                    }
                    fn visit_map<A: MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<Forgiving, A::Error> {
                        while let Some(key) = map.next_key::<String>()? {
                            if key == "a" {
                                let _ = map.next_value::<crate::FileHash>();
                            } else {
                                map.next_value::<u8>()?;
                            }
                        }
                        Ok(Forgiving)
                    }
                }
                de.deserialize_map(V)
            }
        }
        let (result, _) = guarded::<Forgiving>(r#"{"a": "xyz", "b": 1}"#, OnWrongCase::Fail);
        assert!(result.is_ok());
        // The hash's failure waits in the context, but the error that comes
        // out is serde_json's own about `b`: it is not taken for the hash's.
        let (result, _) = guarded::<Forgiving>(r#"{"a": "xyz", "b": "x"}"#, OnWrongCase::Fail);
        assert!(matches!(result, Err(None)), "{result:?}");
        let (result, _) = guarded::<Forgiving>(r#"{"b": "x"}"#, OnWrongCase::Fail);
        assert!(matches!(result, Err(None)), "{result:?}");
    }
}
