//! The state one guarded deserialization shares between its layers: the
//! last struct key read, the first finding, and a [`Failure`] on its way
//! back through the wrapped deserializer.

use std::cell::{Cell, RefCell};

use serde::de;

use crate::extract::failure::{DeError, Failure};

/// What to do with a key that matches a field only when case is ignored.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum OnWrongCase {
    /// Fail at once.
    Fail,
    /// Record it and go on, as serde would, until the end of the struct
    /// that holds it: the struct then fails with [`Failure::WrongCase`],
    /// unless it failed first because the field the key was meant for is
    /// required ([`Failure::MissingField`]). Either error's path is the
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

/// The last struct key read, borrowed from the input when it can be.
pub(super) enum Key<'de> {
    None,
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            Key::None => None,
            Key::Borrowed(s) => Some(s),
            Key::Owned(s) => Some(s),
        }
    }
}

/// State shared by every layer of one guarded deserialization. It lives on
/// the extractor's stack and is dropped with it, so nothing outlives the
/// extraction that made it.
pub(crate) struct Ctx<'de> {
    pub(super) on_wrong_case: OnWrongCase,
    /// The last struct key read.
    pub(super) key: RefCell<Key<'de>>,
    /// The first finding.
    finding: RefCell<Option<Finding>>,
    found: Cell<bool>,
    /// A raised failure on its way back through the wrapped deserializer.
    pending: Cell<Option<Box<Failure>>>,
    /// A wrong-case key was tolerated and its struct has not ended yet.
    pub(super) unraised: Cell<bool>,
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

    /// Turns a raised failure into the wrapped deserializer's `E`, a
    /// stand-in with the same text, to pass it back through that
    /// deserializer; the failure itself waits here.
    pub(super) fn lower<E: de::Error>(&self, error: DeError) -> E {
        let stand_in = E::custom(&error.0);
        self.pending.set(Some(error.0));
        stand_in
    }

    /// The raised failure that `message`, the text of the error that came
    /// out of the wrapped deserializer (without position), stands for.
    ///
    /// The texts are compared so that a failure that something caught on
    /// the way (a `deserialize_with` that tries a value and falls back, an
    /// untagged enum trying its next variant) is never taken for a later,
    /// different error.
    pub(crate) fn take_raised(&self, message: &str) -> Option<Box<Failure>> {
        let raised = self.pending.take()?;
        (raised.to_string() == message).then_some(raised)
    }

    /// The first finding, if any.
    pub(crate) fn finding(&self) -> Option<Finding> {
        self.finding.borrow().clone()
    }

    /// Keeps `finding` if it is the first; says whether it was.
    pub(super) fn record(&self, finding: Finding) -> bool {
        let first = !self.found.replace(true);
        if first {
            *self.finding.borrow_mut() = Some(finding);
        }
        first
    }

    #[inline]
    pub(super) fn set_key(&self, key: Key<'de>) {
        *self.key.borrow_mut() = key;
    }
}

#[cfg(test)]
mod tests {
    use serde::de::Error as _;

    use super::*;

    #[test]
    fn a_lowered_failure_is_taken_back_only_by_its_own_text() {
        let ctx = Ctx::new(OnWrongCase::Fail);
        let stand_in: serde_json::Error = ctx.lower(DeError::missing_field("Comment"));
        assert_eq!(stand_in.to_string(), "missing field `Comment`");
        // Another error came out: the waiting failure is not it.
        assert!(ctx.take_raised("missing field `Other`").is_none());
        assert!(
            ctx.take_raised("missing field `Comment`").is_none(),
            "taken once"
        );
        let _: serde_json::Error = ctx.lower(DeError::missing_field("Comment"));
        let failure = ctx
            .take_raised("missing field `Comment`")
            .expect("its own text");
        assert!(matches!(*failure, Failure::MissingField(ref f) if f == "Comment"));
    }

    #[test]
    fn only_the_first_finding_is_kept() {
        let ctx = Ctx::new(OnWrongCase::Tolerate);
        assert!(ctx.record(Finding::WrongCase {
            key: "a".into(),
            field: "A"
        }));
        assert!(!ctx.record(Finding::WrongCase {
            key: "b".into(),
            field: "B"
        }));
        assert_eq!(
            ctx.finding(),
            Some(Finding::WrongCase {
                key: "a".into(),
                field: "A"
            })
        );
    }
}
