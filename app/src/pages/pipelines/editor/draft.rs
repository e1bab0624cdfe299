//! The pipeline being edited: one configuration every input reads and writes in place (through
//! [`Binding`]s), the stored version it is based on, and its problems as you type — the
//! model's validation, the inputs whose text could not be written yet, and the server's
//! refusal of the last save — each under its JSON path. Inputs on screen register the paths
//! they show errors for; the rest go to a summary.

use std::collections::BTreeMap;

use leptos::prelude::*;
use serde_json::Value;

use crate::components::fields::Binding;
use crate::error::{AppError, FieldError};
use gennaker_core::pipelines::model::{PipelineConfig, Stage};
use gennaker_core::pipelines::requests::StoredPipeline;
use gennaker_core::pipelines::validate::validate;
use gennaker_core::pipelines::write::{self, Seg};

#[derive(Clone, Copy)]
pub(super) struct Draft {
    /// The configuration as edited.
    pub config: RwSignal<PipelineConfig>,
    /// The stored version the edit is based on.
    pub saved: RwSignal<StoredPipeline>,
    /// Moves when the configuration is replaced as a whole (Revert, Edit as JSON, a restore):
    /// inputs that keep text of their own are built again from it.
    pub generation: RwSignal<u64>,
    /// The stage whose form is open; none: the pipeline's configuration.
    pub selected: RwSignal<Option<String>>,
    /// Inputs whose text could not be written into the configuration, by path.
    local: RwSignal<BTreeMap<String, String>>,
    /// The server's refusal of a save, and the configuration it refused.
    refused: RwSignal<Option<(PipelineConfig, Vec<FieldError>)>>,
    /// Conversions on their way (manifests read by the server); Save waits for them.
    pub pending: RwSignal<u32>,
    /// Paths whose errors an input on screen shows, by registration; with `true`, the
    /// errors of everything under the path too.
    shown: RwSignal<BTreeMap<u64, (String, bool)>>,
    next_shown: StoredValue<u64>,
    /// Every problem with the configuration now.
    pub problems: Memo<Vec<FieldError>>,
}

/// Whether an input that shows errors for `shown` shows `field`'s: its own and its elements',
/// and with `tree` those of everything under it.
fn covers(shown: &str, tree: bool, field: &str) -> bool {
    field == shown
        || field
            .strip_prefix(shown)
            .is_some_and(|rest| rest.starts_with('[') || (tree && rest.starts_with('.')))
}

/// A setting as an input shows it: text, numbers and booleans as their text.
pub(super) fn as_text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

impl Draft {
    pub fn new(stored: StoredPipeline) -> Draft {
        let config = RwSignal::new(stored.config.clone());
        let local = RwSignal::new(BTreeMap::<String, String>::new());
        // What the server marks on the stored pipeline (an import's accounts not configured
        // here, say) shows on its fields, as a refused save's problems do, until it is edited.
        let refused = RwSignal::new(
            (!stored.problems.is_empty()).then(|| (stored.config.clone(), stored.problems.clone())),
        );
        let problems = Memo::new(move |_| {
            let current = config.get();
            // What the user typed but could not be read comes first: an input shows the first
            // problem of its field, and "could not be read" says more than what the
            // configuration lacks because of it ("give at least one manifest").
            let mut problems: Vec<FieldError> = local.with(|local| {
                local
                    .iter()
                    .map(|(field, message)| FieldError::new(field, message.clone()))
                    .collect()
            });
            problems.extend(validate(&current));
            refused.with(|refused| {
                if let Some((config, errors)) = refused
                    && *config == current
                {
                    problems.extend(
                        errors
                            .iter()
                            .filter(|e| !problems.contains(e))
                            .cloned()
                            .collect::<Vec<_>>(),
                    );
                }
            });
            problems
        });
        Draft {
            config,
            saved: RwSignal::new(stored),
            generation: RwSignal::new(0),
            selected: RwSignal::new(None),
            local,
            refused,
            pending: RwSignal::new(0),
            shown: RwSignal::new(BTreeMap::new()),
            next_shown: StoredValue::new(0),
            problems,
        }
    }

    /// The problems as a refusal, for the inputs that show their field's message.
    pub fn errors(&self) -> Signal<Option<AppError>> {
        let problems = self.problems;
        Signal::derive(move || {
            let list = problems.get();
            (!list.is_empty()).then_some(AppError::Invalid(list))
        })
    }

    /// Replaces the configuration as a whole; inputs are built again from it.
    pub fn replace(&self, config: PipelineConfig) {
        self.local.set(BTreeMap::new());
        self.config.set(config);
        self.generation.update(|g| *g += 1);
    }

    /// Starts again from `stored`, the newest version.
    pub fn rebase(&self, stored: StoredPipeline) {
        let config = stored.config.clone();
        self.saved.set(stored);
        self.replace(config);
    }

    /// Records the server's refusal of `config`.
    pub fn refuse(&self, config: PipelineConfig, errors: Vec<FieldError>) {
        self.refused.set(Some((config, errors)));
    }

    /// Whether the configuration differs from the stored version.
    pub fn dirty(&self) -> bool {
        self.saved.with(|s| self.config.with(|c| *c != s.config))
    }

    /// Marks `path` as shown by an input for as long as the calling component lives, and gives
    /// it back for the input's `field`.
    pub fn show(&self, path: impl Into<String>) -> String {
        self.register(path.into(), false)
    }

    /// Like [`Draft::show`], for a form that shows the errors of everything under `path`.
    pub fn show_tree(&self, path: impl Into<String>) -> String {
        self.register(path.into(), true)
    }

    fn register(&self, path: String, tree: bool) -> String {
        let key = self.next_shown.get_value();
        self.next_shown.set_value(key + 1);
        self.shown.update(|shown| {
            shown.insert(key, (path.clone(), tree));
        });
        let shown = self.shown;
        on_cleanup(move || {
            let _ = shown.try_update(|shown| shown.remove(&key));
        });
        path
    }

    /// The problems no input on screen shows. Read gently: inputs unregister while the editor
    /// is being taken down, after its signals may be gone.
    pub fn unshown(&self) -> Vec<FieldError> {
        let shown: Vec<(String, bool)> = self
            .shown
            .try_with(|s| s.values().cloned().collect())
            .unwrap_or_default();
        self.problems
            .try_get()
            .unwrap_or_default()
            .into_iter()
            .filter(|e| !shown.iter().any(|(p, tree)| covers(p, *tree, &e.field)))
            .collect()
    }

    /// The messages for `path` and its elements.
    pub fn messages(&self, path: &str) -> Vec<String> {
        self.problems.with(|list| {
            list.iter()
                .filter(|e| covers(path, false, &e.field))
                .map(|e| e.message.clone())
                .collect()
        })
    }

    /// Records (or with `None`, clears) the problem of an input whose text is not written.
    pub fn local_problem(&self, path: &str, problem: Option<String>) {
        let current = self.local.with_untracked(|l| l.get(path).cloned());
        if current != problem {
            self.local.update(|local| match problem {
                Some(message) => {
                    local.insert(path.to_string(), message);
                }
                None => {
                    local.remove(path);
                }
            });
        }
    }

    /// The index of the stage with `ref_id`.
    pub fn index_of(&self, ref_id: &str) -> Option<usize> {
        self.config
            .with(|c| c.stages.iter().position(|s| s.ref_id == ref_id))
    }

    /// Reads the stage with `ref_id`.
    pub fn with_stage<T>(&self, ref_id: &str, read: impl FnOnce(Option<&Stage>) -> T) -> T {
        self.config.with(|c| read(c.stage(ref_id)))
    }

    /// Changes the stage with `ref_id`.
    pub fn update_stage(&self, ref_id: &str, change: impl FnOnce(&mut Stage)) {
        self.config.update(|c| {
            if let Some(stage) = c.stages.iter_mut().find(|s| s.ref_id == ref_id) {
                change(stage);
            }
        });
    }

    /// An input of the pipeline's own fields.
    pub fn field<T: Send + Sync + 'static>(
        &self,
        get: impl Fn(&PipelineConfig) -> T + Send + Sync + 'static,
        set: impl Fn(&mut PipelineConfig, T) + Send + Sync + 'static,
    ) -> Binding<T> {
        let config = self.config;
        Binding::new(
            move || config.with(&get),
            move |value| config.update(|c| set(c, value)),
        )
    }

    /// An input of one of a stage's typed fields.
    pub fn stage_field<T: Default + Send + Sync + 'static>(
        &self,
        ref_id: &str,
        get: impl Fn(&Stage) -> T + Send + Sync + 'static,
        set: impl Fn(&mut Stage, T) + Send + Sync + 'static,
    ) -> Binding<T> {
        let (draft, read_id, write_id) = (*self, ref_id.to_string(), ref_id.to_string());
        Binding::new(
            move || draft.with_stage(&read_id, |s| s.map(&get).unwrap_or_default()),
            move |value| draft.update_stage(&write_id, |s| set(s, value)),
        )
    }

    /// A setting (at `path` in the stage's settings) as text; blank removes it. With `number`,
    /// a whole number is written as a number (an expression stays text).
    pub fn setting(&self, ref_id: &str, path: Vec<Seg<'static>>, number: bool) -> Binding {
        let read = path.clone();
        self.stage_field(
            ref_id,
            move |s| as_text(write::get(&s.settings, &read)),
            move |s, text: String| {
                let value = if number {
                    write::number_or_text(&text)
                } else {
                    (!text.is_empty()).then_some(Value::String(text))
                };
                write::set(&mut s.settings, &path, value);
            },
        )
    }

    /// A true/false setting; absent reads as `default`.
    pub fn flag(&self, ref_id: &str, path: Vec<Seg<'static>>, default: bool) -> Binding<bool> {
        let read = path.clone();
        self.stage_field(
            ref_id,
            move |s| {
                write::get(&s.settings, &read)
                    .and_then(Value::as_bool)
                    .unwrap_or(default)
            },
            move |s, on: bool| write::set(&mut s.settings, &path, Some(Value::Bool(on))),
        )
    }

    /// A setting edited as text of another shape (lines, `key=value`, JSON): the input keeps
    /// what the user typed, and what `parse` makes of it is written; while it cannot be read,
    /// its problem is recorded under `field` and nothing is written.
    pub fn parsed(
        &self,
        ref_id: &str,
        path: Vec<Seg<'static>>,
        field: String,
        show: fn(Option<&Value>) -> String,
        parse: fn(&str) -> Result<Option<Value>, String>,
    ) -> Binding {
        let initial = self.with_stage(ref_id, |s| {
            show(s.and_then(|s| write::get(&s.settings, &path)))
        });
        let (draft, ref_id) = (*self, ref_id.to_string());
        typed(initial, move |text| match parse(text) {
            Ok(value) => {
                draft.local_problem(&field, None);
                draft.update_stage(&ref_id, |s| write::set(&mut s.settings, &path, value));
            }
            Err(problem) => draft.local_problem(&field, Some(problem)),
        })
    }
}

/// An input that keeps the text the user typed (starting from `initial`) and hands each change
/// to `write`, for text that does not come back the same from what it is written as (lines,
/// lists): reading it back would fight the user's typing.
pub(super) fn typed(initial: String, write: impl Fn(&str) + Send + Sync + 'static) -> Binding {
    let text = RwSignal::new(initial);
    Binding::new(
        move || text.get(),
        move |typed: String| {
            write(&typed);
            text.set(typed);
        },
    )
}
