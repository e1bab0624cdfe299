//! A document's saved versions: a table of them with Restore, and a comparison of two, field
//! by field, changed ones marked. An application's Config tab and the pipeline editor show
//! their history with it.

use leptos::prelude::*;

use crate::components::time::When;
use crate::error::AppError;
use gennaker_core::time::Timestamp;

/// One saved version of a document.
#[derive(Clone)]
pub struct SavedVersion<T> {
    pub version: u64,
    pub updated_at: Timestamp,
    pub updated_by: String,
    /// This version is the document's deletion.
    pub deleted: bool,
    pub content: T,
}

/// One row of a comparison: the field, and its value in each of the two versions.
pub type DiffRow = (String, String, String);

/// How versions of `T` are told apart: a column of the table (its heading and its text per
/// version), and the rows comparing two versions.
pub struct Comparison<T: 'static> {
    pub column: &'static str,
    pub summary: fn(&T) -> String,
    pub rows: fn(&T, &T) -> Vec<DiffRow>,
}

/// The table of versions and the comparison; `restore` makes a version the newest.
#[component]
pub fn VersionHistory<T, R>(
    versions: Vec<SavedVersion<T>>,
    current_version: u64,
    comparison: Comparison<T>,
    restore: Action<u64, Result<R, AppError>>,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    R: Send + Sync + 'static,
{
    let left = RwSignal::new(current_version.saturating_sub(1).max(1).to_string());
    let right = RwSignal::new(current_version.to_string());
    view! {
        <VersionTable versions=versions.clone() current_version column=comparison.column summary=comparison.summary restore />
        <VersionDiff versions left right rows=comparison.rows />
    }
}

#[component]
fn VersionTable<T, R>(
    versions: Vec<SavedVersion<T>>,
    current_version: u64,
    column: &'static str,
    summary: fn(&T) -> String,
    restore: Action<u64, Result<R, AppError>>,
) -> impl IntoView
where
    T: Send + Sync + 'static,
    R: Send + Sync + 'static,
{
    view! {
        <table class="versions">
            <caption class="visually-hidden">"Saved versions, newest first"</caption>
            <thead>
                <tr>
                    <th scope="col">"Version"</th>
                    <th scope="col">"Saved"</th>
                    <th scope="col">"By"</th>
                    <th scope="col">{column}</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {versions
                    .into_iter()
                    .map(|v| {
                        let version = v.version;
                        let action = if version == current_version {
                            view! { <span class="badge">"Current"</span> }.into_any()
                        } else if v.deleted {
                            view! { <span class="badge">"Deleted"</span> }.into_any()
                        } else {
                            view! {
                                <button
                                    type="button"
                                    class="button small"
                                    aria-label=format!("Restore version {version}")
                                    disabled=move || restore.pending().get()
                                    on:click=move |_| {
                                        restore.dispatch(version);
                                    }
                                >
                                    "Restore"
                                </button>
                            }
                                .into_any()
                        };
                        view! {
                            <tr>
                                <td>{version}</td>
                                <td><When at=v.updated_at /></td>
                                <td>{v.updated_by}</td>
                                <td>{summary(&v.content)}</td>
                                <td>{action}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn VersionDiff<T>(
    versions: Vec<SavedVersion<T>>,
    left: RwSignal<String>,
    right: RwSignal<String>,
    rows: fn(&T, &T) -> Vec<DiffRow>,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
{
    let options = versions.iter().map(|v| v.version).collect::<Vec<_>>();
    let versions = StoredValue::new(versions);
    let find = move |text: String| {
        versions.with_value(|list| {
            list.iter()
                .find(|v| v.version.to_string() == text)
                .map(|v| v.content.clone())
        })
    };
    let compared = move || match (find(left.get()), find(right.get())) {
        (Some(a), Some(b)) => rows(&a, &b),
        _ => Vec::new(),
    };
    let select = move |id: &'static str, label: &'static str, value: RwSignal<String>| {
        let options = options.clone();
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <select id=id bind:value=value>
                    {options.into_iter().map(|v| view! { <option value=v.to_string()>{format!("Version {v}")}</option> }).collect_view()}
                </select>
            </div>
        }
    };
    view! {
        <h3>"Compare versions"</h3>
        <div class="toolbar">{select("diff-left", "From", left)} {select("diff-right", "To", right)}</div>
        <table class="diff">
            <thead>
                <tr>
                    <th scope="col">"Field"</th>
                    <th scope="col">{move || format!("Version {}", left.get())}</th>
                    <th scope="col">{move || format!("Version {}", right.get())}</th>
                </tr>
            </thead>
            <tbody>
                {move || {
                    compared()
                        .into_iter()
                        .map(|(field, a, b)| {
                            let changed = a != b;
                            view! {
                                <tr class:changed=changed>
                                    <th scope="row">{field} {changed.then(|| view! { <span class="change-label">" (changed)"</span> })}</th>
                                    <td>{a}</td>
                                    <td>{b}</td>
                                </tr>
                            }
                        })
                        .collect_view()
                }}
            </tbody>
        </table>
    }
}
