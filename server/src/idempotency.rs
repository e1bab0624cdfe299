//! The `Idempotency-Key` every request to another system carries, so its receiver can drop a
//! repeat: HTTP cannot be exactly-once, and a request whose answer a crash cut off is sent again.

/// The header's name.
pub const HEADER: &str = "Idempotency-Key";

/// The key of one step of one task: the same for every retry and every run after a restart, and
/// different for any other step or task (a stage attempt has its own task).
pub fn step_key(task: gennaker_core::ids::TaskId, step: usize) -> String {
    format!("{task}-{step}")
}

/// A notification delivery's key: its execution and its key there (recorded before the first
/// attempt), percent-encoded to the characters a header may carry, so two keys never become one.
pub fn delivery_key(execution: gennaker_core::ids::ExecutionId, key: &str) -> String {
    let mut encoded = String::with_capacity(key.len());
    for byte in key.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'/' | b':' | b'_') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("{execution}/{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use gennaker_core::ids::ExecutionId;
    use gennaker_core::time::Timestamp;

    #[test]
    fn delivery_keys_are_header_safe_and_distinct() {
        let execution = ExecutionId::derived(Timestamp::from_millis(1), "x");
        let spaced = delivery_key(execution, "stage 1/awaiting é");
        assert!(spaced.ends_with("/stage%201/awaiting%20%C3%A9"), "{spaced}");
        assert_ne!(
            delivery_key(execution, "a b"),
            delivery_key(execution, "a_b")
        );
    }
}
