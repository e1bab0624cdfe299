//! Container image references (`registry:5000/team/web:1.2.3@sha256:…`), parsed the way the
//! Docker and OCI distribution tools read them, so a typo is caught before a Pod is created.
//!
//! Hand-written rather than taken from a crate: the grammar is small, and the crates that carry
//! it also carry a registry client or regex engine that would bloat the browser bundle.

use std::fmt;

/// A parsed image reference. At least one of `tag` and `digest` may be absent (then the
/// registry serves `latest`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageReference {
    /// `registry.example.com:5000`; `None` means Docker Hub.
    pub registry: Option<String>,
    /// `team/web`.
    pub repository: String,
    pub tag: Option<String>,
    /// `sha256:…`.
    pub digest: Option<String>,
}

impl ImageReference {
    /// Parses `text`, or says what is wrong with it.
    pub fn parse(text: &str) -> Result<ImageReference, String> {
        let shown = text;
        let fail = |why: &str| Err(format!("{shown:?} is not an image reference: {why}"));
        if text.is_empty() {
            return fail("it is empty; give one such as registry.example.com/team/web:1.2.3");
        }
        if text.len() > 4096 || text.chars().any(|c| c.is_whitespace()) {
            return fail("it contains spaces or is too long");
        }
        let (rest, digest) = match text.split_once('@') {
            Some((rest, digest)) => {
                let Some((algorithm, hex)) = digest.split_once(':') else {
                    return fail("a digest looks like sha256:<64 hex digits>");
                };
                let hex_ok = hex.len() >= 32
                    && hex
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
                if algorithm.is_empty()
                    || !algorithm.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b"+._-".contains(&b)
                    })
                    || !hex_ok
                {
                    return fail("a digest looks like sha256:<64 hex digits>");
                }
                (rest, Some(digest.to_string()))
            }
            None => (text, None),
        };
        // A tag follows the last ':' after the last '/'.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
            None => (rest, None),
        };
        if let Some(tag) = tag {
            let ok = !tag.is_empty()
                && tag.len() <= 128
                && tag
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
                && tag
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
            if !ok {
                return fail(
                    "a tag is 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'",
                );
            }
        }
        let mut parts: Vec<&str> = name.split('/').collect();
        let registry = if parts.len() > 1
            && (parts[0].contains('.') || parts[0].contains(':') || parts[0] == "localhost")
        {
            let host = parts.remove(0);
            if let Some(why) = registry_problem(host) {
                return fail(&why);
            }
            Some(host.to_string())
        } else {
            None
        };
        if parts.is_empty() || parts.iter().any(|p| !path_component_ok(p)) {
            return fail(
                "repository path components are lowercase letters and digits, separated by '.', '_', '__' or '-'",
            );
        }
        Ok(ImageReference {
            registry,
            repository: parts.join("/"),
            tag: tag.map(str::to_string),
            digest,
        })
    }

    /// The reference without tag or digest: `registry/repository`.
    pub fn name(&self) -> String {
        match &self.registry {
            Some(registry) => format!("{registry}/{}", self.repository),
            None => self.repository.clone(),
        }
    }
}

impl fmt::Display for ImageReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name())?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

fn registry_problem(host: &str) -> Option<String> {
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    };
    if let Some(port) = port
        && port.parse::<u16>().map_or(true, |p| p == 0)
    {
        return Some(format!("the registry port {port:?} is not a port number"));
    }
    let ok = !name.is_empty()
        && name.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    (!ok).then(|| format!("the registry host {name:?} is not a host name"))
}

fn path_component_ok(component: &str) -> bool {
    let bytes = component.as_bytes();
    if bytes.is_empty() {
        return false;
    }
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    // Separators: '.', '_', '__', or any run of '-'.
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if alnum(b) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let separator = &component[start..i];
        let ok = separator == "."
            || separator == "_"
            || separator == "__"
            || separator.bytes().all(|b| b == b'-');
        if !ok {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_references_parse() {
        let r = ImageReference::parse("127.0.0.1:29500/gennaker/hello:1.0.0").expect("parses");
        assert_eq!(r.registry.as_deref(), Some("127.0.0.1:29500"));
        assert_eq!(r.repository, "gennaker/hello");
        assert_eq!(r.tag.as_deref(), Some("1.0.0"));
        let r = ImageReference::parse("nginx").expect("parses");
        assert_eq!(
            (r.registry, r.repository.as_str(), r.tag),
            (None, "nginx", None)
        );
        let r = ImageReference::parse("localhost/a/b_c__d-e.f").expect("parses");
        assert_eq!(r.registry.as_deref(), Some("localhost"));
        let digest = format!("sha256:{}", "a".repeat(64));
        let text = format!("ghcr.io/acme/web:v1@{digest}");
        let r = ImageReference::parse(&text).expect("parses");
        assert_eq!(r.digest.as_deref(), Some(digest.as_str()));
        assert_eq!(r.to_string(), text);
    }

    #[test]
    fn bad_references_say_why() {
        for bad in [
            "",
            "Nginx",
            "nginx:",
            "nginx:-bad",
            "web app:1",
            "registry.example.com:99999/web",
            "a//b",
            "web@sha256:xyz",
            "-web",
            "web-",
            "we...b",
        ] {
            let error = ImageReference::parse(bad).expect_err(bad);
            assert!(error.contains("is not an image reference"), "{error}");
        }
    }
}
