//! Identity hashing written a second time from spec/identity.md, with one switchable fault per
//! bug. Without a bug it gives the reference's answers on every identity vector (a test in
//! `tests/teeth.rs` proves it), so a variant's failures come from its one bug.
//!
//! Every fault point is an `if self.has(Bug::…)` next to the rule it breaks.

use cinder::identity::{
    CLIENT_SALT_MIN_LEN, DEVICE_ID_MAX_LEN, EMAIL_LABEL_MAX_LEN, EMAIL_LOCAL_MAX_LEN, EMAIL_MAX_LEN, HASH_LABEL,
    IDENTITY_KEY_LEN, IdentifierKind, MAX_INPUT_LEN, MAX_LOOKUP_ENTRIES, PHONE_MAX_DIGITS, PHONE_MIN_DIGITS, Rounds,
    SALT_MAX_LEN, SERVER_SECRET_MIN_LEN, USER_ID_MAX_LEN, USER_ID_MIN_LEN, VERIFICATION_GROUPS, VERIFICATION_INFO,
    VERIFICATION_SALT,
};
use cinder::primitives;
use core::num::NonZeroU32;
use serde_json::Value;

use crate::args::{Args, Failure, Fields, encode_hex};
use crate::bugs::Info;
use crate::pbkdf2::pbkdf2_sha256;

/// The operations this part answers.
pub(crate) const OPS: &[&str] = &[
    "identity.canonicalize",
    "identity.client_hash",
    "identity.server_hash",
    "identity.contact_lookup",
    "identity.verification_code",
];

/// One realistic identity-hashing bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bug {
    PhoneSeparatorsKept,
    PhoneTrunkPrefixAccepted,
    EmailCaseKept,
    EmailDotsRemoved,
    UserIdEdgesUnchecked,
    DeviceIdTrimmed,
    OneRoundTooFew,
    LayersNotSeparated,
    SaltMinimumOffByOne,
    RoundsMinimumOffByOne,
    LookupNotDeduplicated,
    LookupUnsorted,
    VerificationCodeOrderDependent,
}

/// The identity bugs, as `--list-bugs` shows them.
pub(crate) const BUGS: &[Info<Bug>] = &[
    Info {
        bug: Bug::PhoneSeparatorsKept,
        name: "identity-phone-separators-kept",
        breaks: "IDH-008",
        summary: "phone numbers are checked, but the separators (space - . ( )) are kept in the canonical form",
    },
    Info {
        bug: Bug::PhoneTrunkPrefixAccepted,
        name: "identity-phone-trunk-prefix-accepted",
        breaks: "IDH-008",
        summary: "the national trunk marker \"(0)\" is read as separators around a digit instead of being rejected",
    },
    Info {
        bug: Bug::EmailCaseKept,
        name: "identity-email-case-kept",
        breaks: "IDH-010",
        summary: "e-mail addresses are validated case-insensitively but not lower-cased",
    },
    Info {
        bug: Bug::EmailDotsRemoved,
        name: "identity-email-dots-removed",
        breaks: "IDH-010",
        summary: "dots are dropped from e-mail local parts, as one provider does (provider rewriting is not done)",
    },
    Info {
        bug: Bug::UserIdEdgesUnchecked,
        name: "identity-user-id-edges-unchecked",
        breaks: "IDH-006",
        summary: "user IDs may start or end with '.', '_' or '-'",
    },
    Info {
        bug: Bug::DeviceIdTrimmed,
        name: "identity-device-id-trimmed",
        breaks: "IDH-013",
        summary: "device hardware IDs are trimmed of whitespace like the text kinds (they are opaque bytes)",
    },
    Info {
        bug: Bug::OneRoundTooFew,
        name: "identity-one-round-too-few",
        breaks: "IDH-024",
        summary: "PBKDF2 runs one iteration fewer than the round count (an off-by-one in the loop)",
    },
    Info {
        bug: Bug::LayersNotSeparated,
        name: "identity-layers-not-separated",
        breaks: "IDH-023",
        summary: "the server layer's hash message uses the client layer's byte, so the layers are not domain-separated",
    },
    Info {
        bug: Bug::SaltMinimumOffByOne,
        name: "identity-salt-minimum-off-by-one",
        breaks: "IDH-020",
        summary: "a 15-byte client salt is accepted (the check is `< 15` instead of `< 16`)",
    },
    Info {
        bug: Bug::RoundsMinimumOffByOne,
        name: "identity-rounds-minimum-off-by-one",
        breaks: "IDH-022",
        summary: "999 rounds are accepted (the check is `< 999` instead of `< 1000`)",
    },
    Info {
        bug: Bug::LookupNotDeduplicated,
        name: "identity-lookup-not-deduplicated",
        breaks: "IDH-032",
        summary: "a contact look-up sends the same hash twice when two entries have one canonical form",
    },
    Info {
        bug: Bug::LookupUnsorted,
        name: "identity-lookup-unsorted",
        breaks: "IDH-032",
        summary: "a contact look-up sends its hashes in address-book order, which leaks that order",
    },
    Info {
        bug: Bug::VerificationCodeOrderDependent,
        name: "identity-verification-code-order-dependent",
        breaks: "IDH-041",
        summary: "the verification code hashes the keys in the order given, so the two people see different codes",
    },
];

/// The identity part, with at most one bug.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Identity {
    pub(crate) bug: Option<Bug>,
}

/// The layer byte of IDH-023.
const CLIENT_LAYER: u8 = 0x01;
const SERVER_LAYER: u8 = 0x02;

fn invalid(kind: IdentifierKind) -> Failure {
    Failure::Spec(match kind {
        IdentifierKind::UserId => "identity.invalid_user_id",
        IdentifierKind::Phone => "identity.invalid_phone",
        IdentifierKind::Email => "identity.invalid_email",
        IdentifierKind::DeviceId => "identity.invalid_device_id",
    })
}

const INVALID_SALT: Failure = Failure::Spec("identity.invalid_salt");
const INVALID_ROUNDS: Failure = Failure::Spec("identity.invalid_rounds");
const INVALID_BATCH: Failure = Failure::Spec("identity.invalid_batch");
const INVALID_KEY: Failure = Failure::Spec("identity.invalid_key");

fn kind(args: &Args<'_>) -> Result<IdentifierKind, Failure> {
    let label = args.str("kind")?;
    IdentifierKind::from_label(label).ok_or_else(|| Failure::BadRequest(format!("kind {label:?} is not a kind")))
}

fn trim(input: &[u8]) -> &[u8] {
    let is_ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let start = input.iter().position(|b| !is_ws(b)).unwrap_or(input.len());
    let end = input.iter().rposition(|b| !is_ws(b)).map_or(start, |i| i + 1);
    &input[start..end]
}

fn is_atext(byte: u8) -> bool {
    byte.is_ascii_lowercase() || byte.is_ascii_digit() || b"!#$%&'*+-/=?^_`{|}~".contains(&byte)
}

fn hash_field(name: &str, hash: &[u8]) -> Fields {
    let mut fields = Fields::new();
    fields.insert(name.into(), encode_hex(hash).into());
    fields
}

impl Identity {
    fn has(&self, bug: Bug) -> bool {
        self.bug == Some(bug)
    }

    /// Answers one identity operation.
    pub(crate) fn answer(&self, op: &str, args: &Args<'_>) -> Result<Fields, Failure> {
        match op {
            "identity.canonicalize" => {
                args.only(&["kind", "input"])?;
                let kind = kind(args)?;
                let canonical = self.canonicalize(kind, &args.hex("input")?)?;
                Ok(hash_field("canonical", &canonical))
            }
            "identity.client_hash" => {
                args.only(&["kind", "input", "salt", "rounds"])?;
                let kind = kind(args)?;
                let input = args.hex("input")?;
                let salt = args.hex("salt")?;
                let rounds = args.u32_or_out_of_range("rounds")?;
                self.check_salt(&salt)?;
                let rounds = self.rounds(rounds)?;
                let canonical = self.canonicalize(kind, &input)?;
                Ok(hash_field("hash", &self.hash(CLIENT_LAYER, kind, &canonical, &salt, rounds)))
            }
            "identity.server_hash" => {
                args.only(&["kind", "clientHash", "secret", "rounds"])?;
                let kind = kind(args)?;
                let client: [u8; 32] = args.hex_array("clientHash")?;
                let secret = args.hex("secret")?;
                let rounds = args.u32_or_out_of_range("rounds")?;
                if secret.len() < SERVER_SECRET_MIN_LEN || secret.len() > SALT_MAX_LEN {
                    return Err(INVALID_SALT);
                }
                let rounds = self.rounds(rounds)?;
                // IDH-023: the server layer has its own layer byte.
                let layer = if self.has(Bug::LayersNotSeparated) { CLIENT_LAYER } else { SERVER_LAYER };
                Ok(hash_field("hash", &self.hash(layer, kind, &client, &secret, rounds)))
            }
            "identity.contact_lookup" => self.contact_lookup(args),
            "identity.verification_code" => {
                args.only(&["keyA", "keyB"])?;
                let key_a = args.hex("keyA")?;
                let key_b = args.hex("keyB")?;
                let mut fields = Fields::new();
                fields.insert("code".into(), self.verification_code(&key_a, &key_b)?.into());
                Ok(fields)
            }
            _ => Err(Failure::BadRequest(format!("{op} is not an identity operation"))),
        }
    }

    fn check_salt(&self, salt: &[u8]) -> Result<(), Failure> {
        // IDH-020: 16 to 64 bytes.
        let min = if self.has(Bug::SaltMinimumOffByOne) { CLIENT_SALT_MIN_LEN - 1 } else { CLIENT_SALT_MIN_LEN };
        if salt.len() < min || salt.len() > SALT_MAX_LEN {
            return Err(INVALID_SALT);
        }
        Ok(())
    }

    fn rounds(&self, rounds: Option<u32>) -> Result<NonZeroU32, Failure> {
        // IDH-022: 1,000 to 1,000,000.
        let min = if self.has(Bug::RoundsMinimumOffByOne) { Rounds::MIN.get() - 1 } else { Rounds::MIN.get() };
        let rounds = rounds.ok_or(INVALID_ROUNDS)?;
        if rounds < min || rounds > Rounds::MAX.get() {
            return Err(INVALID_ROUNDS);
        }
        NonZeroU32::new(rounds).ok_or(INVALID_ROUNDS)
    }

    /// IDH-023, IDH-024: PBKDF2-HMAC-SHA256 over label, layer, kind, 16-bit length and input.
    fn hash(&self, layer: u8, kind: IdentifierKind, input: &[u8], salt: &[u8], rounds: NonZeroU32) -> [u8; 32] {
        let mut message = HASH_LABEL.to_vec();
        message.push(layer);
        message.push(kind.byte());
        message.extend_from_slice(&u16::try_from(input.len()).unwrap_or(u16::MAX).to_be_bytes());
        message.extend_from_slice(input);
        // IDH-024: exactly `rounds` iterations.
        let rounds = if self.has(Bug::OneRoundTooFew) { rounds.get() - 1 } else { rounds.get() };
        pbkdf2_sha256(&message, salt, rounds)
    }

    /// Spec/identity.md section 3.
    fn canonicalize(&self, kind: IdentifierKind, input: &[u8]) -> Result<Vec<u8>, Failure> {
        if input.len() > MAX_INPUT_LEN {
            return Err(invalid(kind));
        }
        if kind == IdentifierKind::DeviceId {
            // IDH-013: opaque bytes, unchanged.
            let input = if self.has(Bug::DeviceIdTrimmed) { trim(input) } else { input };
            if input.is_empty() || input.len() > DEVICE_ID_MAX_LEN {
                return Err(invalid(kind));
            }
            return Ok(input.to_vec());
        }
        let text = trim(input);
        if text.is_empty() || !text.is_ascii() {
            return Err(invalid(kind));
        }
        match kind {
            IdentifierKind::UserId => self.user_id(text),
            IdentifierKind::Phone => self.phone(text),
            _ => self.email(text),
        }
    }

    fn user_id(&self, text: &[u8]) -> Result<Vec<u8>, Failure> {
        let kind = IdentifierKind::UserId;
        if text.len() > USER_ID_MAX_LEN || text.len() < USER_ID_MIN_LEN {
            return Err(invalid(kind));
        }
        let out = text.to_ascii_lowercase();
        if !out.iter().all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')) {
            return Err(invalid(kind));
        }
        // IDH-006: first and last byte a letter or digit.
        let alnum = |b: Option<&u8>| b.is_some_and(u8::is_ascii_alphanumeric);
        if !self.has(Bug::UserIdEdgesUnchecked) && (!alnum(out.first()) || !alnum(out.last())) {
            return Err(invalid(kind));
        }
        Ok(out)
    }

    fn phone(&self, text: &[u8]) -> Result<Vec<u8>, Failure> {
        let kind = IdentifierKind::Phone;
        let Some(rest) = text.strip_prefix(b"+") else {
            return Err(invalid(kind));
        };
        // IDH-008: "(0)" is rejected, neither removed nor kept.
        if !self.has(Bug::PhoneTrunkPrefixAccepted) && rest.windows(3).any(|w| w == b"(0)") {
            return Err(invalid(kind));
        }
        let mut out = vec![b'+'];
        let mut digits = 0usize;
        for &byte in rest {
            match byte {
                b'0'..=b'9' => {
                    if digits == 0 && byte == b'0' {
                        return Err(invalid(kind));
                    }
                    digits += 1;
                    if digits > PHONE_MAX_DIGITS {
                        return Err(invalid(kind));
                    }
                    out.push(byte);
                }
                // IDH-008: separators are removed.
                b' ' | b'-' | b'.' | b'(' | b')' => {
                    if self.has(Bug::PhoneSeparatorsKept) {
                        out.push(byte);
                    }
                }
                _ => return Err(invalid(kind)),
            }
        }
        if digits < PHONE_MIN_DIGITS {
            return Err(invalid(kind));
        }
        Ok(out)
    }

    fn email(&self, text: &[u8]) -> Result<Vec<u8>, Failure> {
        let kind = IdentifierKind::Email;
        if text.len() > EMAIL_MAX_LEN {
            return Err(invalid(kind));
        }
        let lower = text.to_ascii_lowercase();
        let mut parts = lower.split(|&b| b == b'@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(invalid(kind));
        };
        let local_ok = !local.is_empty()
            && local.len() <= EMAIL_LOCAL_MAX_LEN
            && local.split(|&b| b == b'.').all(|atom| !atom.is_empty() && atom.iter().all(|&b| is_atext(b)));
        let label_ok = |label: &[u8]| {
            !label.is_empty()
                && label.len() <= EMAIL_LABEL_MAX_LEN
                && label.iter().all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && label.first() != Some(&b'-')
                && label.last() != Some(&b'-')
        };
        let tld = domain.rsplit(|&b| b == b'.').next().unwrap_or_default();
        let domain_ok =
            domain.contains(&b'.') && domain.split(|&b| b == b'.').all(label_ok) && !tld.iter().all(u8::is_ascii_digit);
        if !local_ok || !domain_ok {
            return Err(invalid(kind));
        }
        // IDH-010: the canonical form is the lower-cased address, dots and all.
        if self.has(Bug::EmailCaseKept) {
            return Ok(text.to_vec());
        }
        if self.has(Bug::EmailDotsRemoved) {
            let mut out: Vec<u8> = local.iter().copied().filter(|&b| b != b'.').collect();
            out.push(b'@');
            out.extend_from_slice(domain);
            return Ok(out);
        }
        Ok(lower)
    }

    /// IDH-030 to IDH-032.
    fn contact_lookup(&self, args: &Args<'_>) -> Result<Fields, Failure> {
        args.only(&["entries", "salt", "rounds"])?;
        let mut entries = Vec::new();
        for entry in args.array("entries")? {
            let entry = Args::of(entry, "args.entries[]")?;
            entry.only(&["kind", "input"])?;
            entries.push((kind(&entry)?, entry.hex("input")?));
        }
        let salt = args.hex("salt")?;
        let rounds = args.u32_or_out_of_range("rounds")?;
        self.check_salt(&salt)?;
        let rounds = self.rounds(rounds)?;
        if entries.is_empty() || entries.len() > MAX_LOOKUP_ENTRIES {
            return Err(INVALID_BATCH);
        }
        if entries.iter().any(|(kind, _)| !matches!(kind, IdentifierKind::Phone | IdentifierKind::Email)) {
            return Err(INVALID_BATCH);
        }
        let mut canonical = Vec::new();
        for (kind, input) in &entries {
            canonical.push((*kind, self.canonicalize(*kind, input)?));
        }
        let mut hashes: Vec<[u8; 32]> =
            canonical.iter().map(|(kind, c)| self.hash(CLIENT_LAYER, *kind, c, &salt, rounds)).collect();
        // IDH-032: ascending, without duplicates.
        if !self.has(Bug::LookupUnsorted) {
            hashes.sort_unstable();
        }
        if !self.has(Bug::LookupNotDeduplicated) {
            let mut seen: Vec<[u8; 32]> = Vec::new();
            hashes.retain(|hash| {
                let new = !seen.contains(hash);
                seen.push(*hash);
                new
            });
        }
        let mut fields = Fields::new();
        fields.insert("hashes".into(), hashes.iter().map(|h| Value::from(encode_hex(h))).collect());
        Ok(fields)
    }

    /// IDH-040 to IDH-042.
    fn verification_code(&self, key_a: &[u8], key_b: &[u8]) -> Result<String, Failure> {
        if key_a.len() != IDENTITY_KEY_LEN || key_b.len() != IDENTITY_KEY_LEN || key_a == key_b {
            return Err(INVALID_KEY);
        }
        // IDH-041: the keys in ascending order, so both people compute the same code.
        let (low, high) = if key_a < key_b || self.has(Bug::VerificationCodeOrderDependent) {
            (key_a, key_b)
        } else {
            (key_b, key_a)
        };
        let ikm = [low, high].concat();
        let mut okm = [0u8; 4 * VERIFICATION_GROUPS];
        primitives::hkdf(VERIFICATION_SALT, &ikm, VERIFICATION_INFO, &mut okm).map_err(|_| INVALID_KEY)?;
        let groups: Vec<String> = okm
            .chunks_exact(4)
            .map(|chunk| format!("{:05}", u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]) % 100_000))
            .collect();
        Ok(groups.join(" "))
    }
}
