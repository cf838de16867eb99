//! Secrets (temporary passwords, TAPs, client secrets) and temporary-password generation.
//!
//! A [`Secret`] cannot be printed, formatted or serialized by accident: it has no `Display`, no
//! `Serialize`, and its `Debug` is redacted (`[redacted]`). The only way to the text is [`Secret::expose`],
//! which makes every use visible in review.

use rand::{CryptoRng, RngExt};

/// Text that must never reach a log, an error or a stored record.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(text: impl Into<String>) -> Secret {
        Secret(text.into())
    }

    /// The secret text, for the one place that must send it (Graph, a delivery channel).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.chars().count()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret(value.to_owned())
    }
}

/// Secrets can be read from configuration, but never written anywhere: there is no `Serialize`.
impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Secret, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

/// Characters a temporary password draws from: no look-alikes (0/O/o, 1/l/I/|, 5/S, 2/Z, 8/B),
/// and only symbols that survive being read aloud or typed on any keyboard layout.
pub const UPPER: &str = "ACDEFGHJKLMNPQRTUVWXY";
pub const LOWER: &str = "abcdefghijkmnpqrstuvwxyz";
pub const DIGITS: &str = "34679";
pub const SYMBOLS: &str = "!#$%&*+-=?@^_";

/// Shortest temporary password keydesk generates.
pub const MIN_PASSWORD_LENGTH: usize = 14;

/// A temporary password of `length` (at least [`MIN_PASSWORD_LENGTH`]) characters with every
/// character class present, drawn from `rng` (pass the OS generator: `rand::rngs::SysRng` or
/// equivalent; tests pass a seeded one).
pub fn generate_password<R: CryptoRng + ?Sized>(rng: &mut R, length: usize) -> Secret {
    let length = length.max(MIN_PASSWORD_LENGTH);
    let classes: [&[u8]; 4] = [
        UPPER.as_bytes(),
        LOWER.as_bytes(),
        DIGITS.as_bytes(),
        SYMBOLS.as_bytes(),
    ];
    let all: Vec<u8> = classes.iter().flat_map(|c| c.iter().copied()).collect();
    let mut characters: Vec<u8> = classes
        .iter()
        .map(|class| class[rng.random_range(0..class.len())])
        .collect();
    while characters.len() < length {
        characters.push(all[rng.random_range(0..all.len())]);
    }
    // Fisher-Yates, so the guaranteed characters are not always in front.
    for index in (1..characters.len()).rev() {
        let other = rng.random_range(0..=index);
        characters.swap(index, other);
    }
    Secret(characters.into_iter().map(char::from).collect())
}

/// A temporary password from a cryptographic generator freshly seeded by the operating system.
pub fn generate_password_os(length: usize) -> Result<Secret, rand::rngs::SysError> {
    use rand::SeedableRng;
    let mut rng = rand::rngs::StdRng::try_from_rng(&mut rand::rngs::SysRng)?;
    Ok(generate_password(&mut rng, length))
}

/// A numeric one-time code of `digits` digits from a cryptographic generator freshly seeded by
/// the operating system (end-user verification codes, salts).
pub fn generate_code_os(digits: usize) -> Result<Secret, rand::rngs::SysError> {
    use rand::SeedableRng;
    let mut rng = rand::rngs::StdRng::try_from_rng(&mut rand::rngs::SysRng)?;
    Ok(Secret(
        (0..digits)
            .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn debug_is_redacted() {
        let secret = Secret::new("hunter2-Hunter2");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert!(!format!("{:?}", Some(&secret)).contains("hunter2"));
    }

    #[test]
    fn codes_are_digits_and_differ() {
        let a = generate_code_os(8).expect("the OS generator works");
        let b = generate_code_os(8).expect("the OS generator works");
        assert_eq!(a.len(), 8);
        assert!(a.expose().chars().all(|c| c.is_ascii_digit()));
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn os_passwords_differ() {
        let a = generate_password_os(16).expect("the OS generator works");
        let b = generate_password_os(16).expect("the OS generator works");
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.len(), 16);
    }

    proptest::proptest! {
        #[test]
        fn every_password_is_strong(seed in proptest::prelude::any::<u64>(), length in 0usize..64) {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let password = generate_password(&mut rng, length);
            let text = password.expose();
            proptest::prop_assert!(text.chars().count() >= MIN_PASSWORD_LENGTH);
            proptest::prop_assert_eq!(text.chars().count(), length.max(MIN_PASSWORD_LENGTH));
            for class in [UPPER, LOWER, DIGITS, SYMBOLS] {
                proptest::prop_assert!(text.chars().any(|c| class.contains(c)), "missing a class in {}", text);
            }
            for look_alike in ['0', 'O', 'o', '1', 'l', 'I', '|', '5', 'S', '2', 'Z', '8', 'B'] {
                proptest::prop_assert!(!text.contains(look_alike));
            }
        }
    }
}
