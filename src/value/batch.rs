//! [`Batch`]: a list of at most `MAX` elements.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::{Serialize, Serializer};

use super::value_error;
use crate::ApiError;

/// How many elements are reserved up front at most, whatever the limit or a
/// deserializer's size hint says.
const MAX_PREALLOCATED: usize = 1024;

/// A list of at most `MAX` elements: in a body, a JSON array.
///
/// A longer list fails with `MaximumBatchSizeExceeded`, naming both
/// numbers: "Maximum batch size exceeded. Received: 501, allowed: 500.".
/// Elements are checked by their own type as usual, so in a
/// `Batch<FileHash, 500>` a malformed hash is still `InvalidHashValue`. A
/// value that is not an array is an ordinary serde type error.
///
/// # Deserializing a list that is too long
///
/// The limit is enforced without building the excess elements:
///
/// - when the deserializer knows the length up front (its
///   [`size_hint`](SeqAccess::size_hint)), a length over `MAX` is rejected
///   before any element is read;
/// - otherwise (JSON arrays, whose length is unknown until the closing
///   bracket) the first `MAX` elements are deserialized as `T`; from then on
///   the remaining elements are only skipped over as
///   [`IgnoredAny`] and counted, so the error can report how many were
///   received. No `T` is built and nothing is allocated for them.
///
/// Because the elements are read in order, an invalid element among the
/// first `MAX` is reported before an excess length is noticed.
///
/// ```
/// use defender_errors::{Batch, ErrorCode, FileHash};
///
/// let batch: Batch<u32, 3> = serde_json::from_str("[1, 2, 3]")?;
/// assert_eq!(batch.len(), 3);
/// assert_eq!(batch.iter().sum::<u32>(), 6);
///
/// let err = serde_json::from_str::<Batch<u32, 3>>("[1, 2, 3, 4]").unwrap_err();
/// assert!(err
///     .to_string()
///     .starts_with("Maximum batch size exceeded. Received: 4, allowed: 3."));
///
/// let err = Batch::<u32, 3>::new(vec![1, 2, 3, 4]).unwrap_err();
/// assert_eq!(err.code(), ErrorCode::MaximumBatchSizeExceeded);
///
/// #[derive(serde::Deserialize)]
/// struct Body {
///     #[serde(rename = "Hashes")]
///     hashes: Batch<FileHash, 500>,
/// }
/// let body: Body =
///     serde_json::from_str(r#"{"Hashes": ["d41d8cd98f00b204e9800998ecf8427e"]}"#)?;
/// assert_eq!(body.hashes[0].as_str(), "d41d8cd98f00b204e9800998ecf8427e");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Batch<T, const MAX: usize>(Vec<T>);

impl<T, const MAX: usize> Batch<T, MAX> {
    /// The most elements a batch of this type holds.
    pub const MAX: usize = MAX;

    /// A batch of `elements`, or `MaximumBatchSizeExceeded` when there are
    /// more than `MAX`.
    ///
    /// # Errors
    ///
    /// `MaximumBatchSizeExceeded` naming `elements.len()` and `MAX`.
    pub fn new(elements: Vec<T>) -> Result<Self, ApiError> {
        if elements.len() > MAX {
            Err(ApiError::maximum_batch_size_exceeded(elements.len(), MAX))
        } else {
            Ok(Batch(elements))
        }
    }

    /// An empty batch.
    pub const fn empty() -> Self {
        Batch(Vec::new())
    }

    /// The elements as a slice.
    pub fn as_slice(&self) -> &[T] {
        &self.0
    }

    /// The elements as a vector.
    pub fn into_vec(self) -> Vec<T> {
        self.0
    }
}

impl<T, const MAX: usize> Default for Batch<T, MAX> {
    fn default() -> Self {
        Batch::empty()
    }
}

impl<T, const MAX: usize> Deref for Batch<T, MAX> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T, const MAX: usize> AsRef<[T]> for Batch<T, MAX> {
    fn as_ref(&self) -> &[T] {
        &self.0
    }
}

impl<T, const MAX: usize> TryFrom<Vec<T>> for Batch<T, MAX> {
    type Error = ApiError;

    fn try_from(elements: Vec<T>) -> Result<Self, Self::Error> {
        Batch::new(elements)
    }
}

impl<T, const MAX: usize> From<Batch<T, MAX>> for Vec<T> {
    fn from(batch: Batch<T, MAX>) -> Self {
        batch.0
    }
}

impl<T, const MAX: usize> IntoIterator for Batch<T, MAX> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a, T, const MAX: usize> IntoIterator for &'a Batch<T, MAX> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<T: Serialize, const MAX: usize> Serialize for Batch<T, MAX> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>, const MAX: usize> Deserialize<'de> for Batch<T, MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(BatchVisitor(PhantomData))
    }
}

struct BatchVisitor<T, const MAX: usize>(PhantomData<fn() -> T>);

impl<'de, T: Deserialize<'de>, const MAX: usize> Visitor<'de> for BatchVisitor<T, MAX> {
    type Value = Batch<T, MAX>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an array of at most {MAX} elements")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let hint = seq.size_hint();
        if let Some(len) = hint.filter(|&len| len > MAX) {
            return Err(too_many(len, MAX));
        }
        let capacity = hint.unwrap_or(0).min(MAX).min(MAX_PREALLOCATED);
        let mut elements = Vec::with_capacity(capacity);
        while elements.len() < MAX {
            match seq.next_element()? {
                Some(element) => elements.push(element),
                None => return Ok(Batch(elements)),
            }
        }
        // Full: whatever follows is only counted, never built.
        let mut received = MAX;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            received = received.saturating_add(1);
        }
        if received > MAX {
            Err(too_many(received, MAX))
        } else {
            Ok(Batch(elements))
        }
    }
}

/// The deserializer's error for a batch of `received` elements, with the
/// `MaximumBatchSizeExceeded` error kept for the extractor.
fn too_many<E: de::Error>(received: usize, allowed: usize) -> E {
    value_error(ApiError::maximum_batch_size_exceeded(received, allowed))
}
