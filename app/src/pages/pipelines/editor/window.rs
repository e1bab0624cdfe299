//! "Restrict execution to time windows": the days and hours a stage may start in, their time
//! zone, and an optional random delay, written as Spinnaker's `restrictExecutionDuringTimeWindow`
//! and `restrictedExecutionWindow {days, whitelist, jitter}` plus Gennaker's `timeZone`.

use leptos::prelude::*;
use serde_json::{Value, json};

use super::draft::Draft;
use super::scope::StageScope;
use super::widgets::{Flag, Input, Setting};
use crate::components::fields::CheckboxField;
use gennaker_core::pipelines::windows::DAYS;
use gennaker_core::pipelines::write::Seg;

const WINDOW: &str = "restrictedExecutionWindow";

/// `whitelist` as "09:00-17:00, 22:30-02:00".
fn show_hours(value: Option<&Value>) -> String {
    value
        .and_then(Value::as_array)
        .map(|ranges| {
            ranges
                .iter()
                .map(|r| {
                    let part = |key: &str| r.get(key).and_then(Value::as_u64).unwrap_or(0);
                    format!(
                        "{:02}:{:02}-{:02}:{:02}",
                        part("startHour"),
                        part("startMin"),
                        part("endHour"),
                        part("endMin")
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

fn clock(text: &str) -> Option<(u64, u64)> {
    let (hour, minute) = text.trim().split_once(':')?;
    let (hour, minute) = (hour.trim().parse().ok()?, minute.trim().parse().ok()?);
    (hour < 24 && minute < 60).then_some((hour, minute))
}

fn parse_hours(text: &str) -> Result<Option<Value>, String> {
    let mut ranges = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let parsed = part
            .split_once('-')
            .and_then(|(start, end)| Some((clock(start)?, clock(end)?)));
        let Some(((start_hour, start_min), (end_hour, end_min))) = parsed else {
            return Err(format!(
                "{part:?}: write hours as 09:00-17:00 (24-hour clock), several separated by commas."
            ));
        };
        ranges.push(json!({"startHour": start_hour, "startMin": start_min, "endHour": end_hour, "endMin": end_min}));
    }
    Ok(Some(Value::Array(ranges)))
}

#[component]
pub(super) fn Window() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let restricted = draft.flag(
        &scope.ref_id,
        vec![Seg::Key("restrictExecutionDuringTimeWindow")],
        false,
    );
    view! {
        <CheckboxField id="stage-window" label="Restrict execution to days and hours" checked=restricted />
        {move || restricted.get.get().then(|| view! { <WindowFields /> })}
    }
}

#[component]
fn WindowFields() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let days_path = scope.path(&format!("{WINDOW}.days"));
    let day_messages = {
        let path = draft.show(days_path);
        move || draft.messages(&path)
    };
    let day = |number: u8| {
        draft.stage_field(
            &scope.ref_id,
            move |s| {
                s.settings
                    .get(WINDOW)
                    .and_then(|w| w.get("days"))
                    .and_then(Value::as_array)
                    .is_some_and(|days| days.iter().any(|d| d.as_u64() == Some(u64::from(number))))
            },
            move |s, on: bool| {
                let window = s.settings.entry(WINDOW).or_insert_with(|| json!({}));
                if !window.is_object() {
                    *window = json!({});
                }
                let days = &mut window["days"];
                let mut list: Vec<u64> = days
                    .as_array()
                    .map(|d| d.iter().filter_map(Value::as_u64).collect())
                    .unwrap_or_default();
                list.retain(|d| *d != u64::from(number));
                if on {
                    list.push(u64::from(number));
                }
                list.sort_unstable();
                *days = json!(list);
            },
        )
    };
    let hours_field = draft.show(scope.path(&format!("{WINDOW}.whitelist")));
    let hours = draft.parsed(
        &scope.ref_id,
        vec![Seg::Key(WINDOW), Seg::Key("whitelist")],
        hours_field.clone(),
        show_hours,
        parse_hours,
    );
    let jitter = draft.flag(
        &scope.ref_id,
        vec![Seg::Key(WINDOW), Seg::Key("jitter"), Seg::Key("enabled")],
        false,
    );
    view! {
        <fieldset class="field-group window-days">
            <legend>"Days"</legend>
            <div class="day-choices">
                {DAYS.into_iter().map(|(number, name)| {
                    let checked = day(number);
                    view! { <CheckboxField id=format!("stage-window-day-{number}") label=name checked /> }
                }).collect_view()}
            </div>
            <p class="hint">"None checked: every day."</p>
            {move || day_messages().into_iter().map(|m| view! { <p class="field-error">{m}</p> }).collect_view()}
        </fieldset>
        <div class="form-grid">
            <Input id="stage-window-hours" label="Hours" field=hours_field value=hours
                hint="24-hour clock, such as 09:00-17:00; several separated by commas; empty: all day. 22:00-02:00 crosses midnight." />
            <Setting path=vec![Seg::Key(WINDOW), Seg::Key("timeZone")] id="stage-window-zone" label="Time zone"
                hint="Such as Europe/Berlin or America/New_York; empty: UTC." />
        </div>
        <CheckboxField id="stage-window-jitter" label="Wait a random time once the window opens" checked=jitter />
        {move || jitter.get.get().then(|| view! {
            <div class="form-grid">
                <Setting path=vec![Seg::Key(WINDOW), Seg::Key("jitter"), Seg::Key("minDelay")] id="stage-window-jitter-min" label="At least (seconds)" number=true />
                <Setting path=vec![Seg::Key(WINDOW), Seg::Key("jitter"), Seg::Key("maxDelay")] id="stage-window-jitter-max" label="At most (seconds)" number=true />
            </div>
            <Flag path=vec![Seg::Key(WINDOW), Seg::Key("jitter"), Seg::Key("skipManual")] id="stage-window-jitter-manual" label="No random wait when a person started the run" />
        })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_read_back() {
        let ranges = parse_hours("09:00-17:00, 22:30 - 2:00").unwrap();
        assert_eq!(
            ranges,
            Some(json!([
                {"startHour": 9, "startMin": 0, "endHour": 17, "endMin": 0},
                {"startHour": 22, "startMin": 30, "endHour": 2, "endMin": 0}
            ]))
        );
        assert_eq!(show_hours(ranges.as_ref()), "09:00-17:00, 22:30-02:00");
        assert!(parse_hours("9-5").is_err());
        assert!(parse_hours("25:00-26:00").is_err());
        assert_eq!(parse_hours("").unwrap(), Some(json!([])));
    }
}
