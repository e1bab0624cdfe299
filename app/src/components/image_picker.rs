//! Picks a container image from a docker-registry account: registry, repository (from the
//! catalog or typed), then tag; choosing a tag writes the full reference into `image`. Used by
//! the server group form, wherever that form is shown.

use leptos::prelude::*;

use crate::components::feedback::Loading;
use crate::components::fields::SelectField;
use crate::error::{AppError, settle};
use crate::infrastructure::{list_docker_registries, registry_repositories, registry_tags};

/// Fills `image` from a docker-registry account. `id_prefix` keeps its element ids apart from
/// other pickers on the page (`{id_prefix}-registry`, `-repository`, `-tag`).
#[component]
pub fn ImagePicker(image: RwSignal<String>, #[prop(into)] id_prefix: String) -> impl IntoView {
    let id_prefix = StoredValue::new(id_prefix);
    let id = move |part: &str| format!("{}-{part}", id_prefix.read_value());
    let registries = Resource::new(|| (), |_| list_docker_registries());
    let registry = RwSignal::new(String::new());
    let repository = RwSignal::new(String::new());
    let tag = RwSignal::new(String::new());
    let repositories = Resource::new(
        move || registry.get(),
        |name| async move {
            if name.is_empty() {
                return Ok(None);
            }
            settle(registry_repositories(name).await).map(Some)
        },
    );
    let tags = Resource::new(
        move || (registry.get(), repository.get()),
        |(name, repository)| async move {
            if name.is_empty() || repository.trim().is_empty() {
                return Ok(Vec::new());
            }
            settle(registry_tags(name, repository.trim().to_string()).await)
        },
    );
    let no_errors = Signal::derive(|| None::<AppError>);
    view! {
        <details class="more-options image-picker">
            <summary>"Pick the image from a docker registry"</summary>
            <Transition fallback=|| view! { <Loading label="Loading registries…" /> }>
                {move || Suspend::new(async move {
                    let list = registries.await.unwrap_or_default();
                    if list.is_empty() {
                        return view! { <p class="hint">"No docker-registry accounts are configured; type the image reference below."</p> }.into_any();
                    }
                    let addresses: Vec<(String, String)> = list.iter().map(|r| (r.name.clone(), r.address.clone())).collect();
                    let options: Vec<(String, String)> = std::iter::once((String::new(), "Choose a registry".to_string()))
                        .chain(list.iter().map(|r| (r.name.clone(), format!("{} ({})", r.name, r.address))))
                        .collect();
                    let choose_tag = move |ev: leptos::web_sys::Event| {
                        let chosen = event_target_value(&ev);
                        tag.set(chosen.clone());
                        let address = addresses.iter().find(|(n, _)| *n == registry.get_untracked()).map(|(_, a)| a.clone());
                        if let (Some(address), false) = (address, chosen.is_empty()) {
                            image.set(format!("{address}/{}:{chosen}", repository.get_untracked().trim()));
                        }
                    };
                    view! {
                        <SelectField id=id("registry") label="Registry" field="registry" value=registry errors=no_errors options=Signal::stored(options) />
                        <div class="field">
                            <label for=id("repository")>"Repository"</label>
                            <input id=id("repository") list=id("repositories") bind:value=repository autocomplete="off" />
                            <datalist id=id("repositories")>
                                <Transition fallback=|| ()>
                                    {move || Suspend::new(async move {
                                        match repositories.await {
                                            Ok(Some(list)) => view! {
                                                {list.repositories.into_iter().map(|r| { let label = r.clone(); view! { <option value=r>{label}</option> } }).collect_view()}
                                            }.into_any(),
                                            _ => ().into_any(),
                                        }
                                    })}
                                </Transition>
                            </datalist>
                            <Transition fallback=|| ()>
                                {move || Suspend::new(async move {
                                    match repositories.await {
                                        Ok(Some(list)) => list.warning.map(|w| view! { <p class="warning">{w}</p> }).into_any(),
                                        Err(error) => view! { <p class="form-error">{error.to_string()}</p> }.into_any(),
                                        Ok(None) => ().into_any(),
                                    }
                                })}
                            </Transition>
                        </div>
                        <div class="field">
                            <label for=id("tag")>"Tag"</label>
                            <Transition fallback=move || view! { <select id=id("tag") disabled=true><option>"Loading tags…"</option></select> }>
                                {move || { let choose_tag = choose_tag.clone(); Suspend::new(async move {
                                    match tags.await {
                                        Ok(list) => {
                                            let empty = list.is_empty();
                                            view! {
                                                <select id=id("tag") on:change=choose_tag disabled=empty>
                                                    <option value="">{if empty { "Choose a repository first" } else { "Choose a tag" }}</option>
                                                    {list.into_iter().map(|t| { let label = t.clone(); view! { <option value=t>{label}</option> } }).collect_view()}
                                                </select>
                                            }.into_any()
                                        }
                                        Err(error) => view! { <p class="form-error">{error.to_string()}</p> }.into_any(),
                                    }
                                })}}
                            </Transition>
                        </div>
                    }.into_any()
                })}
            </Transition>
        </details>
    }
}
