//! The HTTP layer above the API and sign-in: the guard every request passes (who is asking,
//! from where), and the sign-in pages' handlers (local users and OpenID Connect). It depends on
//! `auth` (users, sessions, the provider client) and `api` (routes, the JSON error); neither
//! depends on it.

pub mod guard;
pub mod login;
pub mod oidc;
