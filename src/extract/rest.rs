//! [`Rest`], a catch-all for a struct's `#[serde(flatten)]` member that
//! knows the struct's declared names, and so refuses a near miss of one.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

/// The parameter names a struct declares, for its [`Rest`] member: every
/// name a body may use, the struct's own fields' and its flattened
/// members' alike, exactly as serde reads them (after `rename` and
/// `rename_all`).
///
/// serde does not tell a deserializer the names of a struct with flattened
/// members, so they are written here once more.
pub trait Declared {
    /// The declared names.
    const NAMES: &'static [&'static str];
}

/// The members of an object that no declared name takes, for a struct's
/// `#[serde(flatten)]` catch-all: a JSON object that refuses a key equal
/// to one of `N`'s [declared names](Declared) but for ASCII case.
///
/// A `HashMap<String, Value>` in its place takes `isolationType` for the
/// declared `IsolationType` without a word; `Rest<N>` answers 400
/// `InvalidRequestBody` "Parameter isolationType is not known. Did you mean
/// IsolationType? Parameter names are case-sensitive." Declare it after
/// the struct's other flattened members. Keys equal to a declared name are
/// left to the member that declares them and never kept here.
///
/// ```
/// use defender_errors::extract::{from_slice, Declared, Rest};
///
/// #[derive(serde::Deserialize)]
/// #[serde(rename_all = "PascalCase")]
/// struct Isolate {
///     comment: String,
///     isolation_type: Option<String>,
///     #[serde(flatten)]
///     rest: Rest<Isolate>,
/// }
///
/// impl Declared for Isolate {
///     const NAMES: &'static [&'static str] = &["Comment", "IsolationType"];
/// }
///
/// let ok = from_slice::<Isolate>(br#"{"Comment": "x", "Tag": 1}"#).unwrap();
/// assert_eq!(ok.rest["Tag"], 1);
///
/// let err = from_slice::<Isolate>(br#"{"Comment": "x", "isolationType": "Full"}"#)
///     .err()
///     .unwrap();
/// assert_eq!(
///     err.message(),
///     "Invalid request body. Parameter isolationType is not known. \
///      Did you mean IsolationType? Parameter names are case-sensitive."
/// );
/// ```
pub struct Rest<N> {
    members: Map<String, Value>,
    names: PhantomData<fn() -> N>,
}

impl<N> Rest<N> {
    /// The members, as a JSON object.
    pub fn into_inner(self) -> Map<String, Value> {
        self.members
    }
}

impl<N> std::ops::Deref for Rest<N> {
    type Target = Map<String, Value>;

    fn deref(&self) -> &Self::Target {
        &self.members
    }
}

impl<N> std::ops::DerefMut for Rest<N> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.members
    }
}

impl<N> Default for Rest<N> {
    fn default() -> Self {
        Rest {
            members: Map::new(),
            names: PhantomData,
        }
    }
}

impl<N> Clone for Rest<N> {
    fn clone(&self) -> Self {
        Rest {
            members: self.members.clone(),
            names: PhantomData,
        }
    }
}

impl<N> PartialEq for Rest<N> {
    fn eq(&self, other: &Self) -> bool {
        self.members == other.members
    }
}

impl<N> fmt::Debug for Rest<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Rest").field(&self.members).finish()
    }
}

impl<N> Serialize for Rest<N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.members.serialize(serializer)
    }
}

impl<'de, N: Declared> Deserialize<'de> for Rest<N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(RestVisitor(PhantomData))
    }
}

struct RestVisitor<N>(PhantomData<fn() -> N>);

impl<'de, N: Declared> Visitor<'de> for RestVisitor<N> {
    type Value = Rest<N>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut rest = Rest::default();
        while let Some(key) = map.next_key::<String>()? {
            if N::NAMES.contains(&key.as_str()) {
                // Another member's: it reads it.
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            if N::NAMES.iter().any(|name| name.eq_ignore_ascii_case(&key)) {
                return Err(de::Error::unknown_field(&key, N::NAMES));
            }
            let value = map.next_value::<Value>()?;
            rest.members.insert(key, value);
        }
        Ok(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Names;

    impl Declared for Names {
        const NAMES: &'static [&'static str] = &["Comment", "IsolationType"];
    }

    #[test]
    fn a_near_miss_is_refused_and_declared_names_are_left_alone() {
        let rest: Rest<Names> =
            serde_json::from_str(r#"{"Comment": "x", "Other": [1], "other": 2}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&rest).unwrap(),
            r#"{"Other":[1],"other":2}"#
        );
        let error = serde_json::from_str::<Rest<Names>>(r#"{"ISOLATIONTYPE": 1}"#).unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown field `ISOLATIONTYPE`, expected `Comment` or `IsolationType` at line 1 column 16"
        );
    }
}
