//! The users file: who may report over OwnTracks' HTTP mode, with their passwords as Argon2
//! hashes (PHC strings, as `argon2` tools and libraries write them), never in plain text.
//!
//! One user per line, `name:hash`; blank lines and lines starting with `#` are skipped:
//!
//! ```text
//! # fleetview-server --users users.txt
//! jane:$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$...
//! ```

use std::collections::HashMap;
use std::path::Path;

use argon2::password_hash::{PasswordHash, PasswordVerifier};

#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}, line {line}: {why}")]
    Line {
        path: String,
        line: usize,
        why: String,
    },
}

/// Users and their password hashes.
#[derive(Debug, Clone, Default)]
pub struct Users {
    hashes: HashMap<String, String>,
}

impl Users {
    pub fn load(path: &Path) -> Result<Self, UsersError> {
        let text = std::fs::read_to_string(path).map_err(|source| UsersError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text).map_err(|(line, why)| UsersError::Line {
            path: path.display().to_string(),
            line,
            why,
        })
    }

    /// The file's text; an error names the line (1-based) and what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, (usize, String)> {
        let mut hashes = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (name, hash) = line
                .split_once(':')
                .ok_or((i + 1, "expected name:hash".to_owned()))?;
            let name = name.trim();
            if name.is_empty() {
                return Err((i + 1, "no user name".into()));
            }
            PasswordHash::new(hash.trim()).map_err(|e| {
                (
                    i + 1,
                    format!("not a password hash in PHC form ($argon2id$...): {e}"),
                )
            })?;
            if hashes
                .insert(name.to_owned(), hash.trim().to_owned())
                .is_some()
            {
                return Err((i + 1, format!("{name} appears twice")));
            }
        }
        Ok(Self { hashes })
    }

    /// Whether `password` is `user`'s.
    pub fn verify(&self, user: &str, password: &str) -> bool {
        let Some(hash) = self.hashes.get(user) else {
            return false;
        };
        PasswordHash::new(hash).is_ok_and(|parsed| {
            argon2::Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    }

    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, SaltString};

    /// A cheap hash for tests (the cost travels in the PHC string).
    pub fn hash(password: &str) -> String {
        let params = argon2::Params::new(8, 1, 1, None).expect("params");
        let argon =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let salt = SaltString::from_b64("c2FsdHNhbHRzYWx0").expect("salt");
        argon
            .hash_password(password.as_bytes(), &salt)
            .expect("hash")
            .to_string()
    }

    #[test]
    fn a_user_with_the_right_password_passes_and_nothing_else_does() {
        let text = format!(
            "# drivers\n\njane:{}\nbob:{}\n",
            hash("s3cret"),
            hash("hunter2")
        );
        let users = Users::parse(&text).expect("parses");
        assert_eq!(users.len(), 2);
        assert!(users.verify("jane", "s3cret"));
        assert!(!users.verify("jane", "hunter2"));
        assert!(!users.verify("nobody", "s3cret"));
    }

    #[test]
    fn a_bad_line_is_named_with_the_reason() {
        let (line, why) = Users::parse("jane:plaintext-password\n").expect_err("plain text");
        assert_eq!(line, 1);
        assert!(why.contains("PHC"), "{why}");
        let (line, _) = Users::parse("# ok\njane\n").expect_err("no colon");
        assert_eq!(line, 2);
        let twice = format!("a:{h}\na:{h}\n", h = hash("x"));
        assert!(Users::parse(&twice).expect_err("twice").1.contains("twice"));
    }
}
