//! Password hashes: Argon2id with the crate's defaults (OWASP's minimum), stored as PHC
//! strings so the parameters travel with each hash.

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core,
};

/// The shortest password a local user may have.
pub const MIN_LENGTH: usize = 10;

/// Why a password is not accepted, if it is not.
pub fn problem(password: &str) -> Option<String> {
    if password.chars().count() < MIN_LENGTH {
        return Some(format!(
            "the password must be at least {MIN_LENGTH} characters long"
        ));
    }
    if password.trim() != password {
        return Some("the password must not start or end with spaces".into());
    }
    None
}

/// The PHC string of `password` with a new random salt.
pub fn hash(password: &str) -> Result<String, super::AuthError> {
    let salt = SaltString::generate(&mut rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(super::AuthError::Hash)
}

/// Whether `password` is the one `phc` was made from. A malformed hash matches nothing.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash no password is checked against successfully in practice; checking an unknown user's
/// password against it costs the same time as checking a real one, so the answer's timing does
/// not tell which user names exist.
pub fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let mut random = [0u8; 24];
        // Without randomness the decoy is still a valid hash of a long fixed text.
        let _ = getrandom::fill(&mut random);
        hash(&hex::encode(random)).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let phc = hash("correct horse battery").expect("hash");
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(verify("correct horse battery", &phc));
        assert!(!verify("correct horse batterY", &phc));
        assert!(!verify("correct horse battery", "not a hash"));
        assert_ne!(hash("correct horse battery").expect("hash"), phc, "salted");
        assert!(!verify("", decoy()));
    }

    #[test]
    fn short_or_padded_passwords_are_refused() {
        assert!(problem("short").is_some_and(|p| p.contains("at least 10")));
        assert!(problem(" ten chars here").is_some());
        assert_eq!(problem("long enough pass"), None);
    }
}
