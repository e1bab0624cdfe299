//! "Edit as JSON": the whole pipeline as Spinnaker's JSON. What parses is taken as you type and
//! checked like the form; every problem is listed at its line — a syntax error where serde_json
//! stopped, a validation problem where its JSON path is in the text — and marked in the line
//! numbers beside the text.

use leptos::html::{Pre, Textarea};
use leptos::prelude::*;

use super::draft::Draft;
use gennaker_core::pipelines::json_lines::line_of;
use gennaker_core::pipelines::model::PipelineConfig;

fn pretty(config: &PipelineConfig) -> String {
    serde_json::to_string_pretty(config).unwrap_or_default()
}

/// serde_json's message without the position it appends (shown apart).
fn without_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_string()
}

/// Reads `text` as the pipeline being edited: JSON of a pipeline, with its id and application
/// unchanged. A problem comes with its line.
fn read(text: &str, id: &str, application: &str) -> Result<PipelineConfig, (usize, String)> {
    let config: PipelineConfig = serde_json::from_str(text).map_err(|e| {
        (
            e.line().max(1),
            format!("Column {}: {}", e.column(), without_position(&e)),
        )
    })?;
    if config.id != id {
        return Err((
            line_of(text, "id"),
            format!(
                "The id must stay {id:?}: a pipeline with another id is another pipeline (import it instead)."
            ),
        ));
    }
    if config.application != application {
        return Err((
            line_of(text, "application"),
            format!("The application must stay {application:?}."),
        ));
    }
    Ok(config)
}

/// Where line `line` (from 1) starts in `text`, in the UTF-16 units a text area counts.
fn line_start(text: &str, line: usize) -> u32 {
    text.split('\n')
        .take(line.saturating_sub(1))
        .map(|l| l.encode_utf16().count() as u32 + 1)
        .sum()
}

#[component]
pub(super) fn JsonEditor(json_ok: RwSignal<bool>) -> impl IntoView {
    let draft = expect_context::<Draft>();
    let (id, application) = draft
        .saved
        .with_untracked(|s| (s.config.id.clone(), s.config.application.clone()));
    let text = RwSignal::new(pretty(&draft.config.get_untracked()));
    let unreadable = RwSignal::new(None::<(usize, String)>);
    let area = NodeRef::<Textarea>::new();
    let gutter = NodeRef::<Pre>::new();
    on_cleanup(move || {
        let _ = json_ok.try_set(true);
    });
    let on_input = move |ev| {
        let typed = event_target_value(&ev);
        match read(&typed, &id, &application) {
            Ok(config) => {
                unreadable.set(None);
                json_ok.set(true);
                draft.config.set(config);
            }
            Err(problem) => {
                unreadable.set(Some(problem));
                json_ok.set(false);
            }
        }
        text.set(typed);
    };
    // Every problem with its line, in line order.
    let problems = move || {
        let mut list = match unreadable.get() {
            Some(problem) => vec![problem],
            None => text.with(|t| {
                draft
                    .problems
                    .get()
                    .into_iter()
                    .map(|e| (line_of(t, &e.field), e.message))
                    .collect()
            }),
        };
        list.sort_by_key(|(line, _)| *line);
        list
    };
    let numbers = move || {
        let marked: Vec<usize> = problems().into_iter().map(|(line, _)| line).collect();
        let count = text.with(|t| t.split('\n').count());
        (1..=count)
            .map(|n| view! { <span class:problem-line=marked.contains(&n)>{format!("{n}\n")}</span> })
            .collect_view()
    };
    let go_to = move |line: usize| {
        if let Some(area) = area.get() {
            let (start, end) = text.with_untracked(|t| {
                (
                    line_start(t, line),
                    line_start(t, line + 1).saturating_sub(1),
                )
            });
            let _ = area.focus();
            let _ = area.set_selection_range(start, end);
        }
    };
    let sync_scroll = move |_| {
        if let (Some(area), Some(gutter)) = (area.get(), gutter.get()) {
            gutter.set_scroll_top(area.scroll_top());
        }
    };
    view! {
        <section class="card json-editor" aria-labelledby="json-title">
            <h2 id="json-title">"Edit as JSON"</h2>
            <p class="hint">"The whole pipeline in Spinnaker's JSON. Changes are taken as you type once the text is valid JSON; problems are listed with their line."</p>
            <div class="json-frame">
                <pre class="json-gutter" aria-hidden="true" node_ref=gutter>{numbers}</pre>
                <textarea id="pipeline-json" node_ref=area aria-label="Pipeline JSON" spellcheck="false" wrap="off" rows=24
                    aria-invalid=move || (!problems().is_empty()).to_string() aria-describedby="json-problems"
                    prop:value=move || text.get() on:input=on_input on:scroll=sync_scroll></textarea>
            </div>
            <ul id="json-problems" class="json-problems" aria-live="polite">
                {move || problems().into_iter().map(|(line, message)| view! {
                    <li>
                        <button type="button" class="link-button" on:click=move |_| go_to(line)>{format!("Line {line}")}</button>
                        ": " {message}
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_come_with_their_line() {
        let text = "{\n  \"id\": \"p1\",\n  \"application\": \"web\",\n  \"name\": \"Deploy\",\n  \"stages\": [\n}";
        let (line, message) = read(text, "p1", "web").unwrap_err();
        assert_eq!(line, 6, "{message}");
        assert!(message.starts_with("Column 1: "), "{message}");
        let moved = "{\n  \"id\": \"p2\",\n  \"application\": \"web\",\n  \"name\": \"Deploy\"\n}";
        assert_eq!(read(moved, "p1", "web").unwrap_err().0, 2);
        assert!(read(moved, "p2", "web").is_ok());
        assert_eq!(line_start("ab\ncd\nef", 3), 6);
        assert_eq!(line_start("ab\ncd", 1), 0);
    }
}
