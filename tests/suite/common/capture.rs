//! A subscriber layer that keeps every span and event it sees, with their
//! fields, for tests that count spans and events.
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// Field values as text.
pub type Fields = BTreeMap<String, String>;

/// One span, as made and later recorded.
#[derive(Debug, Clone)]
pub struct SpanRecord {
    pub name: String,
    pub fields: Fields,
}

/// One event with the spans it was logged in (outermost first).
#[derive(Debug, Clone)]
pub struct EventRecord {
    pub level: Level,
    /// The event's tracing target (its module path).
    pub module: String,
    pub fields: Fields,
    pub spans: Vec<SpanRecord>,
}

impl EventRecord {
    pub fn message(&self) -> &str {
        self.fields.get("message").map_or("", String::as_str)
    }

    /// The field `name` of the event, else of its innermost span that has it.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .or_else(|| self.spans.iter().rev().find_map(|s| s.fields.get(name)))
            .map(String::as_str)
    }
}

#[derive(Debug, Default)]
struct State {
    spans: Vec<SpanRecord>,
    events: Vec<EventRecord>,
}

/// What was captured; clones share it.
#[derive(Debug, Clone, Default)]
pub struct Capture(Arc<Mutex<State>>);

impl Capture {
    /// A registry with this layer, at every level.
    pub fn subscriber(&self) -> impl Subscriber + Send + Sync {
        use tracing_subscriber::layer::SubscriberExt;
        keep_callsite_interest_shared();
        tracing_subscriber::registry().with(self.clone())
    }

    /// Every span made so far, in order, with its latest fields.
    pub fn spans(&self) -> Vec<SpanRecord> {
        self.0.lock().unwrap().spans.clone()
    }

    /// Every event logged so far, in order.
    pub fn events(&self) -> Vec<EventRecord> {
        self.0.lock().unwrap().events.clone()
    }

    /// Forgets everything captured so far.
    pub fn clear(&self) {
        let mut state = self.0.lock().unwrap();
        state.spans.clear();
        state.events.clear();
    }
}

struct Visitor<'a>(&'a mut Fields);

impl Visit for Visitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

/// The index of a span in [`State::spans`], kept in its extensions.
struct Index(usize);

impl<S> Layer<S> for Capture
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::new();
        attrs.record(&mut Visitor(&mut fields));
        let mut state = self.0.lock().unwrap();
        state.spans.push(SpanRecord {
            name: attrs.metadata().name().to_owned(),
            fields,
        });
        let index = state.spans.len() - 1;
        ctx.span(id).unwrap().extensions_mut().insert(Index(index));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let span = ctx.span(id).unwrap();
        let extensions = span.extensions();
        let index = extensions.get::<Index>().unwrap().0;
        let mut state = self.0.lock().unwrap();
        values.record(&mut Visitor(&mut state.spans[index].fields));
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::new();
        event.record(&mut Visitor(&mut fields));
        let indices: Vec<usize> = ctx
            .event_scope(event)
            .map(|scope| {
                scope
                    .from_root()
                    .map(|span| span.extensions().get::<Index>().unwrap().0)
                    .collect()
            })
            .unwrap_or_default();
        let mut state = self.0.lock().unwrap();
        let spans = indices.iter().map(|&i| state.spans[i].clone()).collect();
        state.events.push(EventRecord {
            level: *event.metadata().level(),
            module: event.metadata().target().to_owned(),
            fields,
            spans,
        });
    }
}

/// Keeps one more dispatcher alive for the rest of the test binary, made
/// before the first capturing subscriber.
///
/// tracing caches whether a callsite is enabled. While exactly one scoped
/// dispatcher is alive, a callsite first hit on a thread without a
/// subscriber (a test that captures nothing) is cached as disabled from
/// that thread's point of view, and a test capturing on another thread at
/// that moment then loses its spans. With a second dispatcher alive, the
/// interest is always computed over every live dispatcher, so parallel
/// tests cannot disable each other's callsites.
pub fn keep_callsite_interest_shared() {
    static EXTRA: std::sync::OnceLock<tracing::Dispatch> = std::sync::OnceLock::new();
    EXTRA.get_or_init(|| tracing::Dispatch::new(tracing_subscriber::registry()));
}
