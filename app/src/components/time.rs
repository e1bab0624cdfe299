//! Times on screen, one way: [`When`] shows "3 min ago" in a `<time>` element, with the exact
//! UTC time in its tooltip and, for keyboard users, after the text while it has focus. The
//! relative text moves on every 30 s.
//!
//! The server and the browser must render the same text when the page hydrates, so both count
//! from one [`Clock`]: the server's render time, handed to the browser inside the page. Once the
//! page is hydrated the clock follows the browser's time.

use std::time::Duration;

use leptos::prelude::*;

use gennaker_core::time::Timestamp;

/// How often relative times are brought up to date.
const TICK: Duration = Duration::from_secs(30);

/// "Now" for every time and duration on the page.
#[derive(Clone, Copy)]
pub struct Clock {
    /// The server's render time until the page is hydrated; then the browser's, every 30 s.
    tick: RwSignal<Timestamp>,
    /// Whether the page is hydrated, so "now" can be read from the browser's clock.
    hydrated: RwSignal<bool>,
}

impl Clock {
    /// Now: the render time until the page is hydrated (so that server and browser render
    /// the same), then the browser's time to the millisecond. Not tracked.
    pub fn now(&self) -> Timestamp {
        if self.hydrated.get_untracked() {
            Timestamp::now()
        } else {
            self.tick.get_untracked()
        }
    }
}

/// Provides the page's clock; `App` calls it once.
pub fn provide_clock() {
    let clock = Clock {
        tick: RwSignal::new(SharedValue::new(Timestamp::now).into_inner()),
        hydrated: RwSignal::new(false),
    };
    // Effects run only in the browser, once the page is hydrated.
    Effect::new(move |_| {
        clock.hydrated.set(true);
        clock.tick.set(Timestamp::now());
        if let Ok(interval) =
            set_interval_with_handle(move || clock.tick.set(Timestamp::now()), TICK)
        {
            on_cleanup(move || interval.clear());
        }
    });
    provide_context(clock);
}

/// Now, from the page's clock when there is one (see [`Clock::now`]).
pub fn now() -> Timestamp {
    use_context::<Clock>().map_or_else(Timestamp::now, |clock| clock.now())
}

/// `at` as "3 min ago", the exact time on hover and on focus. Inside a button (`in_control`),
/// the time takes no focus of its own: the exact time shows while the button has it.
#[component]
pub fn When(at: Timestamp, #[prop(optional)] in_control: bool) -> impl IntoView {
    let tick = use_context::<Clock>().map(|clock| clock.tick);
    let relative = move || {
        let now = tick.map_or_else(Timestamp::now, |tick| tick.get());
        // Everything shown has happened: a browser clock behind the server's must not make it
        // "in 5 s".
        at.relative_to(now.max(at))
    };
    let exact = at.exact();
    view! {
        <time datetime=at.to_string() title=exact.clone() data-exact=exact tabindex=(!in_control).then_some("0")>
            {relative}
        </time>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(at: Timestamp, now: Timestamp, in_control: bool) -> String {
        let owner = Owner::new();
        owner.set();
        provide_context(Clock {
            tick: RwSignal::new(now),
            hydrated: RwSignal::new(false),
        });
        view! { <When at in_control /> }.to_html()
    }

    #[test]
    fn a_time_says_how_long_ago_and_keeps_the_exact_time_at_hand() {
        let now = Timestamp::parse("2026-11-26T13:20:33Z").unwrap();
        let at = Timestamp::parse("2026-11-26T13:17:30.250Z").unwrap();
        let html = render(at, now, false);
        for part in [
            r#"datetime="2026-11-26T13:17:30.250Z""#,
            r#"title="2026-11-26 13:17:30 UTC""#,
            r#"data-exact="2026-11-26 13:17:30 UTC""#,
            r#"tabindex="0""#,
            "3 min ago",
        ] {
            assert!(html.contains(part), "{part} missing from {html}");
        }
        assert!(!render(at, now, true).contains("tabindex"));
    }

    #[test]
    fn a_browser_clock_behind_the_server_says_just_now() {
        let now = Timestamp::parse("2026-11-26T13:20:33Z").unwrap();
        let later = Timestamp::from_millis(now.as_millis() + 4_000);
        assert!(render(later, now, false).contains("just now"));
    }
}
