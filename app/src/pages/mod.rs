//! One module per page of the UI.
//!
//! A page's code is loaded by the browser the first time it is shown, as its own WASM chunk
//! (`cargo leptos build --split`): the first visit to the Applications list downloads only the
//! shell and that list. A page module declares its route type with [`lazy_page!`], and
//! `crate::App` routes to it with `view={Lazy::<ItsRoute>::new()}`. Code that only lazily
//! loaded pages use stays out of the first download; code that the shell or the Applications
//! list reaches does not. On the first load of a lazily loaded page the server-rendered HTML
//! asks the browser to preload its chunk, so hydration does not wait for a second round trip.

/// Declares `$route`, the lazily loaded route of the component `$page`: its code goes into a
/// chunk of its own, loaded on the first visit. A nested page reads its parent's context in its
/// component, which runs inside the parent (the route's `data()` runs before it, without it).
macro_rules! lazy_page {
    ($(#[$doc:meta])* $route:ident => $page:ident) => {
        $(#[$doc])*
        pub struct $route;

        #[leptos_router::lazy_route]
        impl leptos_router::LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_route: Self) -> leptos::prelude::AnyView {
                leptos::prelude::IntoAny::into_any(leptos::prelude::view! { <$page /> })
            }
        }
    };
}

pub mod application;
pub mod applications;
pub mod audit;
pub mod clusters;
pub mod infrastructure;
pub mod load_balancers;
pub mod login;
pub mod not_found;
pub mod pipelines;
pub mod security_groups;
pub mod tasks;
pub mod tokens;
