//! Known-answer vectors for identity hashing (spec/identity.md): `vectors/identity.json`.
//!
//! Parameters: none; every input is written below or derived from a label with
//! [`filler`].
//!
//! Format: groups per adapter operation (`identity.canonicalize` per kind, `identity.client_hash`,
//! `identity.server_hash`, `identity.contact_lookup`, `identity.verification_code`).
//!
//! Verification: canonical forms and error codes are written here by hand from the spec's rules
//! and only *checked* against the reference (a disagreement stops generation). Hash values and
//! verification codes come from the reference and are recomputed independently by
//! `vectors/crosscheck/identity.py` (Python `hashlib` and `cryptography`).

use cinder::identity::{
    self, ClientSalt, IdentifierKind, IdentityError, IdentityHash, LookupEntry, Rounds, ServerSecret,
};
use serde_json::{Value, json};

use crate::builder::{Case, GenerateError, Group, file, filler};
use crate::format::VectorFile;

/// The `Version:` of spec/identity.md these vectors test.
pub const SPEC_VERSION: &str = "1.1.0";

const NOTES: &[(&str, &str)] = &[
    ("Whitespace", "Leading or trailing ASCII whitespace (SP, HT, LF, CR) that canonicalisation removes (IDH-003)."),
    ("CaseFolding", "ASCII upper-case letters that canonicalisation lower-cases (IDH-005, IDH-010)."),
    ("Separator", "Phone separators (space, '-', '.', '(', ')') that canonicalisation removes (IDH-008)."),
    (
        "NonAscii",
        "The input holds a byte at or above 0x80. Text kinds are ASCII only; no Unicode normalisation or \
         case mapping is applied, so look-alikes and non-ASCII digits are rejected, not folded (IDH-004).",
    ),
    ("InvalidUtf8", "The input is not even valid UTF-8; it is rejected like any other non-ASCII input (IDH-004)."),
    ("Boundary", "A length, count or parameter exactly at a bound the spec allows: it must be accepted."),
    ("PastBoundary", "A length, count or parameter one step past a bound: it must be rejected."),
    ("DomainSeparation", "Same bytes under another kind, layer or salt: the hash must differ from its sibling test."),
    ("SameIdentifier", "Another spelling of an identifier in a sibling test: the result must be identical."),
    ("Slow", "Uses 1,000,000 rounds or a 1,000-entry batch: about a second of work in an optimised build."),
    ("Opaque", "Device IDs are opaque bytes: nothing is trimmed, folded or interpreted (IDH-013)."),
];

const HEADER: &[&str] = &[
    "Identity hashing (spec/identity.md): canonical forms, the client and server hash layers, contact-finder \
     look-ups and key-verification codes.",
    "Bytes are lowercase hex. `input` is the identifier exactly as the application received it.",
    "Canonical forms and error codes were written by hand from the spec; hashes and codes were recomputed \
     independently by vectors/crosscheck/identity.py (Python hashlib.pbkdf2_hmac and cryptography's HKDF).",
];

/// One canonicalisation case: the raw input and, if valid, its canonical form written by hand.
struct Canon {
    id: &'static str,
    comment: &'static str,
    requirements: &'static [&'static str],
    flags: &'static [&'static str],
    input: Vec<u8>,
    canonical: Option<Vec<u8>>,
}

fn ok(
    id: &'static str,
    comment: &'static str,
    requirements: &'static [&'static str],
    flags: &'static [&'static str],
    input: impl AsRef<[u8]>,
    canonical: impl AsRef<[u8]>,
) -> Canon {
    Canon {
        id,
        comment,
        requirements,
        flags,
        input: input.as_ref().to_vec(),
        canonical: Some(canonical.as_ref().to_vec()),
    }
}

fn bad(
    id: &'static str,
    comment: &'static str,
    requirements: &'static [&'static str],
    flags: &'static [&'static str],
    input: impl AsRef<[u8]>,
) -> Canon {
    Canon { id, comment, requirements, flags, input: input.as_ref().to_vec(), canonical: None }
}

fn repeat(byte: u8, n: usize) -> Vec<u8> {
    vec![byte; n]
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn user_id_cases() -> Vec<Canon> {
    let max = cat(&[b"a", &repeat(b'b', 62), b"c"]);
    let max_upper = cat(&[b"A", &repeat(b'B', 62), b"C"]);
    vec![
        ok(
            "user-id-plain",
            "A plain lower-case user ID is already canonical.",
            &["IDH-001", "IDH-006"],
            &[],
            "alice",
            "alice",
        ),
        ok(
            "user-id-upper",
            "Upper-case ASCII letters are lower-cased.",
            &["IDH-005"],
            &["CaseFolding"],
            "ALICE",
            "alice",
        ),
        ok("user-id-mixed-case", "Mixed case folds to lower case.", &["IDH-005"], &["CaseFolding"], "AlIcE", "alice"),
        ok("user-id-digits", "Digits only.", &["IDH-006"], &[], "007", "007"),
        ok("user-id-punctuation", "'.', '_' and '-' inside the ID.", &["IDH-006"], &[], "a.b_c-d", "a.b_c-d"),
        ok(
            "user-id-double-punctuation",
            "Punctuation may repeat inside the ID.",
            &["IDH-006"],
            &[],
            "a..b__c--d",
            "a..b__c--d",
        ),
        ok(
            "user-id-spaces-around",
            "Spaces around the ID are removed.",
            &["IDH-003"],
            &["Whitespace"],
            "  alice  ",
            "alice",
        ),
        ok(
            "user-id-tab-crlf",
            "Tab before and CR LF after are removed.",
            &["IDH-003"],
            &["Whitespace"],
            "\talice\r\n",
            "alice",
        ),
        ok("user-id-min-length", "Three characters, the shortest allowed.", &["IDH-006"], &["Boundary"], "abc", "abc"),
        ok("user-id-max-length", "64 characters, the longest allowed.", &["IDH-006"], &["Boundary"], &max, &max),
        ok(
            "user-id-max-length-upper",
            "64 upper-case characters fold to the longest allowed ID.",
            &["IDH-005", "IDH-006"],
            &["Boundary", "CaseFolding"],
            &max_upper,
            &max,
        ),
        ok(
            "user-id-max-length-padded",
            "64 characters with whitespace around them: trimming happens before the length check.",
            &["IDH-003", "IDH-006"],
            &["Boundary", "Whitespace"],
            cat(&[b"   ", &max, b"   "]),
            &max,
        ),
        ok(
            "user-id-raw-input-at-limit",
            "512 bytes of raw input (a 3-character ID padded with spaces): the longest raw input allowed.",
            &["IDH-002"],
            &["Boundary", "Whitespace"],
            cat(&[&repeat(b' ', 254), b"abc", &repeat(b' ', 255)]),
            "abc",
        ),
        bad("user-id-too-short", "Two characters.", &["IDH-006"], &["PastBoundary"], "ab"),
        bad("user-id-too-long", "65 characters.", &["IDH-006"], &["PastBoundary"], cat(&[&max, b"d"])),
        bad(
            "user-id-raw-input-too-long",
            "513 bytes of raw input, even though trimming would leave a valid ID: the raw bound comes first.",
            &["IDH-002"],
            &["PastBoundary", "Whitespace"],
            cat(&[&repeat(b' ', 255), b"abc", &repeat(b' ', 255)]),
        ),
        bad("user-id-empty", "The empty string.", &["IDH-003", "IDH-006"], &[], ""),
        bad(
            "user-id-only-spaces",
            "Only whitespace: empty after trimming.",
            &["IDH-003"],
            &["Whitespace"],
            " \t \r\n ",
        ),
        bad("user-id-leading-dot", "Starts with '.'.", &["IDH-006"], &[], ".alice"),
        bad("user-id-trailing-dot", "Ends with '.'.", &["IDH-006"], &[], "alice."),
        bad("user-id-leading-underscore", "Starts with '_'.", &["IDH-006"], &[], "_alice"),
        bad("user-id-trailing-hyphen", "Ends with '-'.", &["IDH-006"], &[], "alice-"),
        bad(
            "user-id-inner-space",
            "A space inside the ID is not trimmed and is not allowed.",
            &["IDH-003", "IDH-006"],
            &[],
            "al ice",
        ),
        bad("user-id-at-sign", "'@' is not allowed in user IDs.", &["IDH-006"], &[], "alice@home"),
        bad("user-id-plus", "'+' is not allowed in user IDs.", &["IDH-006"], &[], "alice+1"),
        bad(
            "user-id-vertical-tab",
            "Vertical tab is not one of the four trimmed whitespace bytes.",
            &["IDH-003", "IDH-006"],
            &[],
            "\x0balice",
        ),
        bad("user-id-nul", "A NUL byte.", &["IDH-006"], &[], "ali\0ce"),
        bad(
            "user-id-latin-accent",
            "U+00E9 (e with acute) is not folded to 'e'.",
            &["IDH-004"],
            &["NonAscii"],
            "ren\u{e9}e",
        ),
        bad(
            "user-id-combining-accent",
            "'e' followed by U+0301 COMBINING ACUTE: no NFC/NFD is applied.",
            &["IDH-004"],
            &["NonAscii"],
            "rene\u{301}e",
        ),
        bad(
            "user-id-fullwidth",
            "Fullwidth letters (U+FF41...) are not mapped to ASCII (no NFKC).",
            &["IDH-004"],
            &["NonAscii"],
            "\u{ff41}\u{ff4c}\u{ff49}\u{ff43}\u{ff45}",
        ),
        bad(
            "user-id-kelvin-sign",
            "U+212A KELVIN SIGN, which Unicode lower-cases to 'k', is not folded.",
            &["IDH-004"],
            &["NonAscii"],
            "\u{212a}im",
        ),
        bad(
            "user-id-dotless-i",
            "U+0131 LATIN SMALL LETTER DOTLESS I (Turkish) is not folded to 'i'.",
            &["IDH-004"],
            &["NonAscii"],
            "al\u{131}ce",
        ),
        bad(
            "user-id-dotted-capital-i",
            "U+0130 LATIN CAPITAL LETTER I WITH DOT ABOVE is not folded.",
            &["IDH-004"],
            &["NonAscii"],
            "\u{130}stanbul",
        ),
        bad(
            "user-id-cyrillic-homoglyph",
            "Cyrillic U+0430 looks like 'a' and is rejected.",
            &["IDH-004"],
            &["NonAscii"],
            "\u{430}lice",
        ),
        bad(
            "user-id-nbsp-trailing",
            "U+00A0 NO-BREAK SPACE is not trimmed.",
            &["IDH-003", "IDH-004"],
            &["NonAscii"],
            "alice\u{a0}",
        ),
        bad(
            "user-id-zero-width-space",
            "U+200B ZERO WIDTH SPACE inside the ID.",
            &["IDH-004"],
            &["NonAscii"],
            "ali\u{200b}ce",
        ),
        bad(
            "user-id-bom",
            "A UTF-8 byte-order mark before the ID is not stripped.",
            &["IDH-004"],
            &["NonAscii"],
            "\u{feff}alice",
        ),
        bad("user-id-invalid-utf8", "A lone 0xFF byte.", &["IDH-004"], &["NonAscii", "InvalidUtf8"], b"alic\xffe"),
        bad(
            "user-id-overlong-utf8",
            "0xC1 0xA1, an overlong encoding of 'a'.",
            &["IDH-004"],
            &["NonAscii", "InvalidUtf8"],
            b"\xc1\xa1lice",
        ),
        bad(
            "user-id-too-long-upper",
            "65 upper-case characters: lower-casing does not shorten them.",
            &["IDH-005", "IDH-006"],
            &["PastBoundary", "CaseFolding"],
            cat(&[&max_upper, b"D"]),
        ),
        ok(
            "user-id-mixed-punctuation",
            "Three different punctuation bytes in a row inside the ID.",
            &["IDH-006"],
            &[],
            "a._-b",
            "a._-b",
        ),
    ]
}

fn phone_cases() -> Vec<Canon> {
    vec![
        ok("phone-canonical", "Already in E.164 form.", &["IDH-001", "IDH-009"], &[], "+15550109999", "+15550109999"),
        ok(
            "phone-spaces",
            "Spaces between digit groups.",
            &["IDH-008"],
            &["Separator", "SameIdentifier"],
            "+1 555 010 9999",
            "+15550109999",
        ),
        ok(
            "phone-dashes",
            "Dashes between digit groups.",
            &["IDH-008"],
            &["Separator", "SameIdentifier"],
            "+1-555-010-9999",
            "+15550109999",
        ),
        ok(
            "phone-dots",
            "Dots between digit groups.",
            &["IDH-008"],
            &["Separator", "SameIdentifier"],
            "+1.555.010.9999",
            "+15550109999",
        ),
        ok(
            "phone-parentheses",
            "Area code in parentheses.",
            &["IDH-008"],
            &["Separator", "SameIdentifier"],
            "+1 (555) 010-9999",
            "+15550109999",
        ),
        ok(
            "phone-parentheses-tight",
            "Parentheses without spaces.",
            &["IDH-008"],
            &["Separator", "SameIdentifier"],
            "+1(555)0109999",
            "+15550109999",
        ),
        ok(
            "phone-space-after-plus",
            "A separator straight after '+'.",
            &["IDH-008"],
            &["Separator", "SameIdentifier"],
            "+ 1 555 010 9999",
            "+15550109999",
        ),
        ok(
            "phone-mixed-separators",
            "Every separator at once.",
            &["IDH-008"],
            &["Separator", "SameIdentifier"],
            "+1 (555).010-99 99",
            "+15550109999",
        ),
        ok(
            "phone-repeated-separators",
            "Separators may repeat.",
            &["IDH-008"],
            &["Separator", "SameIdentifier"],
            "+1  555--010..9999",
            "+15550109999",
        ),
        ok(
            "phone-trailing-separator",
            "A separator at the end (before trimming would not remove it).",
            &["IDH-008"],
            &["Separator", "SameIdentifier"],
            "+1 555 010 9999-",
            "+15550109999",
        ),
        ok(
            "phone-whitespace-around",
            "Whitespace around the number is trimmed.",
            &["IDH-003"],
            &["Whitespace", "SameIdentifier"],
            " \t+15550109999\r\n",
            "+15550109999",
        ),
        ok("phone-uk", "A United Kingdom number.", &["IDH-009"], &["Separator"], "+44 20 7946 0000", "+442079460000"),
        ok("phone-germany", "A German number.", &["IDH-009"], &["Separator"], "+49 30 901820", "+4930901820"),
        ok(
            "phone-zero-after-country-code",
            "A 0 after the country code is a digit like any other: no numbering-plan rules apply.",
            &["IDH-009"],
            &["Separator"],
            "+39 06 6988 4857",
            "+390669884857",
        ),
        ok(
            "phone-min-digits",
            "Seven digits, the fewest allowed (as in +683 Niue).",
            &["IDH-009"],
            &["Boundary"],
            "+683 4002",
            "+6834002",
        ),
        ok(
            "phone-max-digits",
            "Fifteen digits, the most E.164 allows.",
            &["IDH-009"],
            &["Boundary"],
            "+123456789012345",
            "+123456789012345",
        ),
        ok(
            "phone-max-digits-separated",
            "Fifteen digits with separators.",
            &["IDH-008", "IDH-009"],
            &["Boundary", "Separator"],
            "+1 234-567.890 (123) 45",
            "+123456789012345",
        ),
        ok(
            "phone-raw-input-at-limit",
            "512 bytes of raw input: a number with 500 separator spaces inside it.",
            &["IDH-002", "IDH-008"],
            &["Boundary", "Separator"],
            cat(&[b"+1555010999", &repeat(b' ', 500), b"9"]),
            "+15550109999",
        ),
        bad("phone-missing-plus", "No leading '+': the country is unknown.", &["IDH-007"], &[], "15550109999"),
        bad(
            "phone-international-prefix-00",
            "The 00 dialling prefix is not a substitute for '+'.",
            &["IDH-007"],
            &[],
            "0015550109999",
        ),
        bad(
            "phone-national-format",
            "A national number without country code.",
            &["IDH-007"],
            &["Separator"],
            "(555) 010-9999",
        ),
        bad("phone-leading-zero", "A country code cannot start with 0.", &["IDH-009"], &[], "+05550109999"),
        bad(
            "phone-leading-zero-separated",
            "A country code cannot start with 0, even after a separator.",
            &["IDH-008", "IDH-009"],
            &["Separator"],
            "+ 0 555 010 9999",
        ),
        bad(
            "phone-trunk-prefix",
            "The '(0)' national trunk marker is refused, not dropped or kept.",
            &["IDH-008"],
            &["Separator"],
            "+44 (0)20 7946 0000",
        ),
        bad("phone-trunk-prefix-tight", "'(0)' without spaces.", &["IDH-008"], &[], "+44(0)2079460000"),
        bad("phone-too-short", "Six digits.", &["IDH-009"], &["PastBoundary"], "+683400"),
        bad("phone-too-long", "Sixteen digits.", &["IDH-009"], &["PastBoundary"], "+1234567890123456"),
        bad("phone-only-plus", "Only '+'.", &["IDH-009"], &[], "+"),
        bad("phone-empty", "The empty string.", &["IDH-003", "IDH-007"], &[], ""),
        bad("phone-only-separators", "'+' and separators, no digits.", &["IDH-009"], &["Separator"], "+ ( ) - ."),
        bad("phone-letters", "Letters (vanity numbers) are not translated.", &["IDH-008"], &[], "+1 555 CALL NOW"),
        bad(
            "phone-extension",
            "An extension is not part of an E.164 number.",
            &["IDH-008"],
            &["Separator"],
            "+1 555 010 9999 ext. 12",
        ),
        bad("phone-slash", "'/' is not a separator.", &["IDH-008"], &[], "+49/30/901820"),
        bad("phone-double-plus", "A second '+'.", &["IDH-008"], &[], "++15550109999"),
        bad("phone-inner-plus", "'+' inside the number.", &["IDH-008"], &[], "+1555+0109999"),
        bad("phone-tel-uri", "A tel: URI is not stripped.", &["IDH-007"], &[], "tel:+15550109999"),
        bad(
            "phone-inner-tab",
            "A tab inside the number is not a separator.",
            &["IDH-003", "IDH-008"],
            &[],
            "+1555\t0109999",
        ),
        bad(
            "phone-fullwidth-digits",
            "Fullwidth digits (U+FF11...) are not mapped to ASCII digits.",
            &["IDH-004"],
            &["NonAscii"],
            "+\u{ff11}\u{ff15}\u{ff15}\u{ff15}\u{ff10}\u{ff11}\u{ff10}\u{ff19}\u{ff19}\u{ff19}\u{ff19}",
        ),
        bad(
            "phone-arabic-indic-digits",
            "Arabic-Indic digits (U+0661...) are not mapped.",
            &["IDH-004"],
            &["NonAscii"],
            "+\u{661}\u{665}\u{665}\u{665}\u{660}\u{661}\u{660}\u{669}\u{669}\u{669}\u{669}",
        ),
        bad(
            "phone-fullwidth-plus",
            "U+FF0B FULLWIDTH PLUS SIGN is not '+'.",
            &["IDH-004"],
            &["NonAscii"],
            "\u{ff0b}15550109999",
        ),
        bad(
            "phone-non-breaking-hyphen",
            "U+2011 NON-BREAKING HYPHEN is not a separator.",
            &["IDH-004"],
            &["NonAscii"],
            "+1\u{2011}555\u{2011}010\u{2011}9999",
        ),
        bad(
            "phone-nbsp",
            "U+00A0 NO-BREAK SPACE is not a separator.",
            &["IDH-004"],
            &["NonAscii"],
            "+1\u{a0}5550109999",
        ),
        bad(
            "phone-invalid-utf8",
            "A 0x80 continuation byte with no lead byte.",
            &["IDH-004"],
            &["NonAscii", "InvalidUtf8"],
            b"+1555\x800109999",
        ),
        bad(
            "phone-raw-input-too-long",
            "513 bytes of raw input made of a valid number and separators.",
            &["IDH-002"],
            &["PastBoundary", "Separator"],
            cat(&[b"+1555010999", &repeat(b' ', 501), b"9"]),
        ),
        bad(
            "phone-international-prefix-00-separated",
            "The 00 dialling prefix, with separators after it.",
            &["IDH-007"],
            &["Separator"],
            "00 44 20 7946 0000",
        ),
        bad(
            "phone-tel-uri-separated",
            "A tel: URI with separators.",
            &["IDH-007"],
            &["Separator"],
            "tel:+1-555-010-9999",
        ),
        ok(
            "phone-trunk-marker-spaced",
            "'( 0 )' is not the three bytes '(0)': separators around a digit, so the zero is kept (IDH-008).",
            &["IDH-008"],
            &["Separator"],
            "+44 ( 0 ) 20 7946 0000",
            "+4402079460000",
        ),
        ok(
            "phone-trunk-marker-space-before-close",
            "'(0 )' is not the three bytes '(0)' either: the zero is kept.",
            &["IDH-008"],
            &["Separator"],
            "+44 (0 )20 7946 0000",
            "+4402079460000",
        ),
        ok(
            "phone-area-code-zero-parenthesised",
            "An Italian area code in parentheses: '(06)' is not '(0)'.",
            &["IDH-008", "IDH-009"],
            &["Separator"],
            "+39 (06) 6988 4857",
            "+390669884857",
        ),
        ok(
            "phone-area-code-020-parenthesised",
            "'(020)' is not '(0)': its zero is an ordinary digit.",
            &["IDH-008"],
            &["Separator"],
            "+44 (020) 7946 0000",
            "+4402079460000",
        ),
        bad(
            "phone-inner-newline",
            "A line feed inside the number is not a separator.",
            &["IDH-003", "IDH-008"],
            &[],
            "+1555\n0109999",
        ),
        bad(
            "phone-slash-area",
            "'/' after the area code is not a separator.",
            &["IDH-008"],
            &["Separator"],
            "+1 555/010-9999",
        ),
        bad(
            "phone-vanity-lower",
            "Lower-case letters are not translated to keypad digits either.",
            &["IDH-008"],
            &["Separator"],
            "+1-800-flowers",
        ),
        bad("phone-extension-x", "An extension written with 'x'.", &["IDH-008"], &["Separator"], "+1 555 010 9999 x12"),
        bad(
            "phone-too-short-separated",
            "Six digits with a separator.",
            &["IDH-009"],
            &["PastBoundary", "Separator"],
            "+683 400",
        ),
        bad(
            "phone-too-long-separated",
            "Sixteen digits with separators.",
            &["IDH-009"],
            &["PastBoundary", "Separator"],
            "+1 234 567 890 123 456",
        ),
        bad(
            "phone-form-feed-before",
            "A form feed before the number is not one of the four trimmed bytes.",
            &["IDH-003", "IDH-007"],
            &[],
            "\x0c+15550109999",
        ),
    ]
}

fn email_cases() -> Vec<Canon> {
    let local64 = repeat(b'l', 64);
    let label63 = repeat(b'd', 63);
    // 254 bytes: 64-byte local part, '@', then 189 bytes of domain: three 61-byte labels and "com".
    let label61 = repeat(b'e', 61);
    let long_domain = cat(&[&label61, b".", &label61, b".", &label61, b".com"]);
    let max_total = cat(&[&local64, b"@", &long_domain]);
    let over_total = cat(&[&local64, b"@", &long_domain, b"x"]);
    // A 252-byte domain (63+1+63+1+63+1+60), the longest that fits after "a@" in 254 bytes.
    let domain252 = cat(&[&label63, b".", &label63, b".", &label63, b".", &repeat(b'e', 60)]);
    vec![
        ok("email-plain", "A plain address.", &["IDH-001", "IDH-010"], &[], "alice@example.com", "alice@example.com"),
        ok(
            "email-upper-case",
            "The whole address is lower-cased, local part included.",
            &["IDH-010"],
            &["CaseFolding", "SameIdentifier"],
            "Alice@Example.COM",
            "alice@example.com",
        ),
        ok(
            "email-whitespace-around",
            "Whitespace around the address is trimmed.",
            &["IDH-003"],
            &["Whitespace", "SameIdentifier"],
            " alice@example.com\n",
            "alice@example.com",
        ),
        ok(
            "email-dots-in-local",
            "Dots between atoms of the local part.",
            &["IDH-011"],
            &[],
            "alice.b.smith@example.com",
            "alice.b.smith@example.com",
        ),
        ok(
            "email-plus-tag-kept",
            "A '+tag' is part of the address: no provider-specific rewriting.",
            &["IDH-011"],
            &[],
            "alice+news@example.com",
            "alice+news@example.com",
        ),
        ok(
            "email-apostrophe",
            "An apostrophe is atext.",
            &["IDH-011"],
            &[],
            "o'brien@example.ie",
            "o'brien@example.ie",
        ),
        ok(
            "email-all-atext",
            "Every RFC 5322 atext symbol.",
            &["IDH-011"],
            &[],
            "!#$%&'*+-/=?^_`{|}~@example.com",
            "!#$%&'*+-/=?^_`{|}~@example.com",
        ),
        ok(
            "email-one-char-local",
            "A one-character local part.",
            &["IDH-011"],
            &["Boundary"],
            "a@example.com",
            "a@example.com",
        ),
        ok(
            "email-subdomains",
            "Several domain labels.",
            &["IDH-012"],
            &[],
            "bob@mail.eu.example.co.uk",
            "bob@mail.eu.example.co.uk",
        ),
        ok(
            "email-hyphen-in-label",
            "Hyphens inside labels.",
            &["IDH-012"],
            &[],
            "bob@my-mail.ex-ample.com",
            "bob@my-mail.ex-ample.com",
        ),
        ok(
            "email-numeric-label",
            "An all-digit label other than the last.",
            &["IDH-012"],
            &[],
            "bob@123.example.com",
            "bob@123.example.com",
        ),
        ok(
            "email-digit-in-tld",
            "A top-level label with a digit and a letter.",
            &["IDH-012"],
            &[],
            "bob@example.x1",
            "bob@example.x1",
        ),
        ok(
            "email-a-label",
            "An internationalised domain given as its ASCII A-label.",
            &["IDH-012"],
            &[],
            "user@xn--bcher-kva.example",
            "user@xn--bcher-kva.example",
        ),
        ok(
            "email-a-label-upper",
            "A-labels fold to lower case like any ASCII.",
            &["IDH-012"],
            &["CaseFolding"],
            "user@XN--BCHER-KVA.EXAMPLE",
            "user@xn--bcher-kva.example",
        ),
        ok(
            "email-local-64",
            "A 64-byte local part, the longest allowed.",
            &["IDH-011"],
            &["Boundary"],
            cat(&[&local64, b"@example.com"]),
            cat(&[&local64, b"@example.com"]),
        ),
        ok(
            "email-label-63",
            "A 63-byte domain label, the longest allowed.",
            &["IDH-012"],
            &["Boundary"],
            cat(&[b"a@", &label63, b".com"]),
            cat(&[b"a@", &label63, b".com"]),
        ),
        ok(
            "email-total-254",
            "A 254-byte address, the longest allowed.",
            &["IDH-010"],
            &["Boundary"],
            &max_total,
            &max_total,
        ),
        ok(
            "email-domain-252",
            "A 252-byte domain after a one-byte local part: 254 bytes in all.",
            &["IDH-010", "IDH-012"],
            &["Boundary"],
            cat(&[b"a@", &domain252]),
            cat(&[b"a@", &domain252]),
        ),
        bad("email-no-at", "No '@'.", &["IDH-010"], &[], "alice.example.com"),
        bad("email-two-ats", "Two '@'.", &["IDH-010"], &[], "alice@home@example.com"),
        bad("email-empty-local", "Nothing before '@'.", &["IDH-011"], &[], "@example.com"),
        bad("email-empty-domain", "Nothing after '@'.", &["IDH-012"], &[], "alice@"),
        bad("email-empty", "The empty string.", &["IDH-003", "IDH-010"], &[], ""),
        bad("email-leading-dot", "The local part starts with '.'.", &["IDH-011"], &[], ".alice@example.com"),
        bad("email-trailing-dot-local", "The local part ends with '.'.", &["IDH-011"], &[], "alice.@example.com"),
        bad("email-double-dot-local", "Two dots in a row in the local part.", &["IDH-011"], &[], "al..ice@example.com"),
        bad("email-quoted-local", "Quoted local parts are not accepted.", &["IDH-011"], &[], "\"alice\"@example.com"),
        bad("email-comment", "RFC 5322 comments are not accepted.", &["IDH-011"], &[], "alice(home)@example.com"),
        bad("email-space-in-local", "A space in the local part.", &["IDH-011"], &[], "al ice@example.com"),
        bad(
            "email-local-65",
            "A 65-byte local part.",
            &["IDH-011"],
            &["PastBoundary"],
            cat(&[&local64, b"l@example.com"]),
        ),
        bad("email-single-label", "A domain with one label.", &["IDH-012"], &[], "alice@localhost"),
        bad("email-leading-hyphen-label", "A label that starts with '-'.", &["IDH-012"], &[], "alice@-example.com"),
        bad("email-trailing-hyphen-label", "A label that ends with '-'.", &["IDH-012"], &[], "alice@example-.com"),
        bad(
            "email-underscore-in-domain",
            "'_' is not allowed in a domain label.",
            &["IDH-012"],
            &[],
            "alice@ex_ample.com",
        ),
        bad("email-empty-label", "Two dots in a row in the domain.", &["IDH-012"], &[], "alice@example..com"),
        bad("email-leading-dot-domain", "The domain starts with '.'.", &["IDH-012"], &[], "alice@.example.com"),
        bad(
            "email-trailing-dot-domain",
            "A trailing root dot is not removed.",
            &["IDH-012"],
            &[],
            "alice@example.com.",
        ),
        bad("email-address-literal", "Address literals are not accepted.", &["IDH-012"], &[], "alice@[192.0.2.1]"),
        bad("email-numeric-tld", "A last label of digits only (an IP address).", &["IDH-012"], &[], "alice@192.0.2.1"),
        bad(
            "email-label-64",
            "A 64-byte domain label.",
            &["IDH-012"],
            &["PastBoundary"],
            cat(&[b"a@", &label63, b"d.com"]),
        ),
        bad("email-total-255", "A 255-byte address.", &["IDH-010"], &["PastBoundary"], &over_total),
        bad(
            "email-domain-253",
            "A 253-byte domain after a one-byte local part: 255 bytes in all.",
            &["IDH-010"],
            &["PastBoundary"],
            cat(&[b"a@", &domain252, b"e"]),
        ),
        bad(
            "email-u-label",
            "An internationalised domain as Unicode (U-label) instead of its A-label.",
            &["IDH-004"],
            &["NonAscii"],
            "user@b\u{fc}cher.example",
        ),
        bad(
            "email-unicode-local",
            "A non-ASCII local part (RFC 6531) is not accepted.",
            &["IDH-004"],
            &["NonAscii"],
            "j\u{f6}rg@example.com",
        ),
        bad(
            "email-fullwidth-at",
            "U+FF20 FULLWIDTH COMMERCIAL AT is not '@'.",
            &["IDH-004"],
            &["NonAscii"],
            "alice\u{ff20}example.com",
        ),
        bad(
            "email-zero-width-space",
            "U+200B ZERO WIDTH SPACE after the address.",
            &["IDH-004"],
            &["NonAscii"],
            "alice@example.com\u{200b}",
        ),
        bad(
            "email-kelvin-sign",
            "U+212A KELVIN SIGN in the local part is not folded to 'k'.",
            &["IDH-004"],
            &["NonAscii"],
            "\u{212a}ate@example.com",
        ),
        bad(
            "email-invalid-utf8",
            "A truncated UTF-8 sequence.",
            &["IDH-004"],
            &["NonAscii", "InvalidUtf8"],
            b"alice@exampl\xc3",
        ),
        ok(
            "email-total-254-padded",
            "A 254-byte address with whitespace around it: the bound applies after trimming (IDH-010).",
            &["IDH-003", "IDH-010"],
            &["Boundary", "Whitespace"],
            cat(&[b"  ", &max_total, b"\r\n"]),
            &max_total,
        ),
        ok(
            "email-domain-252-padded",
            "The 254-byte address of email-domain-252 with tabs around it.",
            &["IDH-003", "IDH-010", "IDH-012"],
            &["Boundary", "Whitespace"],
            cat(&[b"\t", b"a@", &domain252, b"\t"]),
            cat(&[b"a@", &domain252]),
        ),
        bad(
            "email-raw-input-too-long",
            "513 bytes of raw input, a valid address padded with spaces: the raw bound comes before trimming.",
            &["IDH-002"],
            &["PastBoundary", "Whitespace"],
            cat(&[&repeat(b' ', 248), b"alice@example.com", &repeat(b' ', 248)]),
        ),
        bad(
            "email-form-feed-after",
            "A form feed after the address is not one of the four trimmed bytes.",
            &["IDH-003", "IDH-012"],
            &[],
            "alice@example.com\x0c",
        ),
        bad(
            "email-bom",
            "A UTF-8 byte-order mark before the address is not stripped.",
            &["IDH-004"],
            &["NonAscii"],
            "\u{feff}alice@example.com",
        ),
        bad(
            "email-local-65-dotted",
            "A 65-byte local part made of two atoms.",
            &["IDH-011"],
            &["PastBoundary"],
            cat(&[&repeat(b'l', 32), b".", &repeat(b'l', 32), b"@example.com"]),
        ),
        bad(
            "email-quoted-local-space",
            "A quoted local part with a space inside.",
            &["IDH-011"],
            &[],
            "\"al ice\"@example.com",
        ),
        bad("email-comment-leading", "A comment before the local part.", &["IDH-011"], &[], "(work)alice@example.com"),
        bad("email-single-label-tld", "A bare top-level domain.", &["IDH-012"], &[], "bob@com"),
        bad(
            "email-label-64-inner",
            "A 64-byte label in the middle of the domain.",
            &["IDH-012"],
            &["PastBoundary"],
            cat(&[b"a@x.", &label63, b"d.com"]),
        ),
        bad(
            "email-underscore-subdomain",
            "A label starting with '_' (as in DNS service names).",
            &["IDH-012"],
            &[],
            "a@_dmarc.example.com",
        ),
        bad("email-numeric-tld-short", "A last label of three digits.", &["IDH-012"], &[], "a@example.123"),
        ok(
            "email-numeric-labels",
            "All-digit labels before the last one are allowed.",
            &["IDH-012"],
            &[],
            "a@1.2.example.io",
            "a@1.2.example.io",
        ),
        bad("email-address-literal-ipv6", "An IPv6 address literal.", &["IDH-012"], &[], "a@[IPv6:2001:db8::1]"),
        bad(
            "email-trailing-dot-upper",
            "A trailing root dot after an upper-case domain.",
            &["IDH-012"],
            &["CaseFolding"],
            "Alice@Example.COM.",
        ),
        ok(
            "email-digit-first-tld",
            "A last label that starts with a digit but is not all digits.",
            &["IDH-012"],
            &[],
            "bob@example.3com",
            "bob@example.3com",
        ),
    ]
}

fn device_id_cases() -> Vec<Canon> {
    let uuid_bytes = filler("device-id uuid", 16);
    let max = filler("device-id max", 128);
    vec![
        ok("device-id-one-byte", "A single zero byte.", &["IDH-013"], &["Boundary", "Opaque"], [0u8], [0u8]),
        ok(
            "device-id-raw-uuid",
            "Sixteen raw bytes, as a platform UUID.",
            &["IDH-001", "IDH-013"],
            &["Opaque"],
            &uuid_bytes,
            &uuid_bytes,
        ),
        ok(
            "device-id-uppercase-kept",
            "An upper-case textual UUID is not lower-cased.",
            &["IDH-013"],
            &["Opaque"],
            "6F9619FF-8B86-D011-B42D-00C04FC964FF",
            "6F9619FF-8B86-D011-B42D-00C04FC964FF",
        ),
        ok(
            "device-id-whitespace-kept",
            "Spaces around a device ID are kept: nothing is trimmed.",
            &["IDH-013"],
            &["Opaque"],
            " abc ",
            " abc ",
        ),
        ok(
            "device-id-high-bytes",
            "Bytes at and above 0x80 are allowed in device IDs.",
            &["IDH-013"],
            &["Opaque"],
            [0xff, 0x80, 0xc3],
            [0xff, 0x80, 0xc3],
        ),
        ok("device-id-max", "128 bytes, the longest allowed.", &["IDH-013"], &["Boundary", "Opaque"], &max, &max),
        bad("device-id-empty", "No bytes.", &["IDH-013"], &[], []),
        bad("device-id-too-long", "129 bytes.", &["IDH-013"], &["PastBoundary"], cat(&[&max, &[0]])),
        bad("device-id-raw-input-too-long", "513 bytes.", &["IDH-002", "IDH-013"], &["PastBoundary"], repeat(7, 513)),
        bad("device-id-too-long-text", "129 ASCII bytes.", &["IDH-013"], &["PastBoundary"], repeat(b'd', 129)),
    ]
}

fn canonicalize_group(kind: IdentifierKind, cases: Vec<Canon>) -> Result<Group, GenerateError> {
    let code = kind_error_code(kind);
    let mut group = Group::new(
        &format!("canonicalize-{}", kind.label().replace('_', "-")),
        "identity.canonicalize",
        &format!("Canonical form of {} identifiers, and inputs that have none ({code}).", kind.label()),
    );
    for c in cases {
        let case = Case { id: c.id, comment: c.comment, requirements: c.requirements, flags: c.flags };
        let args = json!({ "kind": kind.label(), "input": hex::encode(&c.input) });
        let got = identity::canonicalize(kind, &c.input);
        match (c.canonical, got) {
            (Some(want), Ok(got)) if got.as_bytes() == want.as_slice() => {
                group.valid(&case, args, json!({ "canonical": hex::encode(want) }));
            }
            (None, Err(err)) if err.code() == code => group.invalid(&case, args, code),
            (want, got) => {
                return Err(GenerateError(format!(
                    "{}: the case says {:?} but the reference gives {:?}",
                    c.id,
                    want.map(hex::encode),
                    got.map(|g| hex::encode(g.as_bytes())),
                )));
            }
        }
    }
    Ok(group)
}

fn kind_error_code(kind: IdentifierKind) -> &'static str {
    match kind {
        IdentifierKind::UserId => "identity.invalid_user_id",
        IdentifierKind::Phone => "identity.invalid_phone",
        IdentifierKind::Email => "identity.invalid_email",
        IdentifierKind::DeviceId => "identity.invalid_device_id",
    }
}

/// The outcome the reference gives for a set of arguments, as `expected` JSON or an error code.
type Answer = Result<Value, IdentityError>;

/// Adds a test whose outcome the case fixes in advance (`want_error`), checking the reference agrees.
fn add(
    group: &mut Group,
    case: &Case<'_>,
    args: Value,
    want_error: Option<&str>,
    got: Answer,
) -> Result<(), GenerateError> {
    match (want_error, got) {
        (None, Ok(expected)) => group.valid(case, args, expected),
        (Some(code), Err(err)) if err.code() == code => group.invalid(case, args, code),
        (want, got) => {
            return Err(GenerateError(format!(
                "{}: the case expects {want:?} but the reference gives {got:?}",
                case.id
            )));
        }
    }
    Ok(())
}

fn hash_hex(hash: IdentityHash) -> String {
    hex::encode(hash.0)
}

fn client_answer(kind: IdentifierKind, input: &[u8], salt: &[u8], rounds: u32) -> Answer {
    let salt = ClientSalt::new(salt)?;
    let rounds = Rounds::new(rounds)?;
    Ok(json!({ "hash": hash_hex(identity::client_hash(kind, input, &salt, rounds)?) }))
}

fn client_args(kind: IdentifierKind, input: &[u8], salt: &[u8], rounds: u32) -> Value {
    json!({ "kind": kind.label(), "input": hex::encode(input), "salt": hex::encode(salt), "rounds": rounds })
}

fn client_hash_group() -> Result<Group, GenerateError> {
    let mut g = Group::new(
        "client-hash",
        "identity.client_hash",
        "The client layer: canonicalise, then PBKDF2-HMAC-SHA256 under the deployment's public salt (IDH-023..IDH-025).",
    );
    let salt16 = filler("client salt 16", 16);
    let salt32 = filler("client salt 32", 32);
    let salt64 = filler("client salt 64", 64);
    let salt65 = [salt64.as_slice(), &[0]].concat();
    let dflt = Rounds::DEFAULT_CLIENT.get();
    let min = Rounds::MIN.get();
    let max = Rounds::MAX.get();
    let k_user = IdentifierKind::UserId;
    let k_phone = IdentifierKind::Phone;
    let k_email = IdentifierKind::Email;
    let k_dev = IdentifierKind::DeviceId;
    let rows: Vec<(&str, &str, &[&str], &[&str], IdentifierKind, Vec<u8>, &[u8], u32, Option<&str>)> = vec![
        (
            "client-user-id-default",
            "A user ID at the default rounds.",
            &["IDH-022", "IDH-024", "IDH-025"],
            &[],
            k_user,
            b"alice".to_vec(),
            &salt32,
            dflt,
            None,
        ),
        (
            "client-user-id-upper",
            "Another spelling of the same user ID gives the same hash.",
            &["IDH-005", "IDH-025"],
            &["SameIdentifier"],
            k_user,
            b" ALICE ".to_vec(),
            &salt32,
            dflt,
            None,
        ),
        (
            "client-phone-default",
            "A phone number at the default rounds.",
            &["IDH-024", "IDH-025"],
            &[],
            k_phone,
            b"+15550109999".to_vec(),
            &salt32,
            dflt,
            None,
        ),
        (
            "client-phone-spelled",
            "Another spelling of the same phone number gives the same hash.",
            &["IDH-008", "IDH-025"],
            &["SameIdentifier", "Separator"],
            k_phone,
            b"+1 (555) 010-9999".to_vec(),
            &salt32,
            dflt,
            None,
        ),
        (
            "client-email-default",
            "An e-mail address at the default rounds.",
            &["IDH-024", "IDH-025"],
            &[],
            k_email,
            b"alice@example.com".to_vec(),
            &salt32,
            dflt,
            None,
        ),
        (
            "client-email-upper",
            "Another spelling of the same address gives the same hash.",
            &["IDH-010", "IDH-025"],
            &["SameIdentifier", "CaseFolding"],
            k_email,
            b"ALICE@EXAMPLE.COM".to_vec(),
            &salt32,
            dflt,
            None,
        ),
        (
            "client-device-id-default",
            "A device hardware ID at the default rounds.",
            &["IDH-024", "IDH-025"],
            &["Opaque"],
            k_dev,
            filler("device-id uuid", 16),
            &salt32,
            dflt,
            None,
        ),
        (
            "client-email-dots-kept",
            "Dots in the local part are part of the address: hashed with them (no provider rewriting).",
            &["IDH-010", "IDH-011", "IDH-025"],
            &[],
            k_email,
            b"First.M.Last@Example.org".to_vec(),
            &salt32,
            min,
            None,
        ),
        (
            "client-device-id-spaces-kept",
            "A device ID with spaces around it is hashed as it is: opaque bytes are never trimmed.",
            &["IDH-013", "IDH-025"],
            &["Opaque"],
            k_dev,
            b" device 7\t".to_vec(),
            &salt32,
            min,
            None,
        ),
        (
            "client-separation-user-id",
            "The bytes 'abc1234' as a user ID.",
            &["IDH-001", "IDH-023"],
            &["DomainSeparation"],
            k_user,
            b"abc1234".to_vec(),
            &salt32,
            min,
            None,
        ),
        (
            "client-separation-device-id",
            "The bytes 'abc1234' as a device ID: differs from the user ID hash.",
            &["IDH-001", "IDH-023"],
            &["DomainSeparation"],
            k_dev,
            b"abc1234".to_vec(),
            &salt32,
            min,
            None,
        ),
        (
            "client-separation-salt16",
            "The same phone under a different salt gives a different hash.",
            &["IDH-020", "IDH-024"],
            &["DomainSeparation", "Boundary"],
            k_phone,
            b"+15550109999".to_vec(),
            &salt16,
            min,
            None,
        ),
        (
            "client-salt-min",
            "A 16-byte salt, the shortest allowed.",
            &["IDH-020"],
            &["Boundary"],
            k_user,
            b"alice".to_vec(),
            &salt16,
            min,
            None,
        ),
        (
            "client-salt-max",
            "A 64-byte salt, the longest allowed.",
            &["IDH-020"],
            &["Boundary"],
            k_user,
            b"alice".to_vec(),
            &salt64,
            min,
            None,
        ),
        (
            "client-rounds-min",
            "1,000 rounds, the fewest allowed.",
            &["IDH-022"],
            &["Boundary"],
            k_email,
            b"alice@example.com".to_vec(),
            &salt32,
            min,
            None,
        ),
        (
            "client-rounds-min-plus-one",
            "1,001 rounds: one more round changes the hash.",
            &["IDH-022", "IDH-024"],
            &["DomainSeparation"],
            k_email,
            b"alice@example.com".to_vec(),
            &salt32,
            min + 1,
            None,
        ),
        (
            "client-rounds-max",
            "1,000,000 rounds, the most allowed.",
            &["IDH-022"],
            &["Boundary", "Slow"],
            k_phone,
            b"+15550109999".to_vec(),
            &salt32,
            max,
            None,
        ),
        (
            "client-email-max-length",
            "A 254-byte address: the longest hash message.",
            &["IDH-010", "IDH-023"],
            &["Boundary"],
            k_email,
            email_cases().into_iter().find(|c| c.id == "email-total-254").map(|c| c.input).unwrap_or_default(),
            &salt32,
            min,
            None,
        ),
        (
            "client-device-id-max",
            "A 128-byte device ID.",
            &["IDH-013", "IDH-023"],
            &["Boundary", "Opaque"],
            k_dev,
            filler("device-id max", 128),
            &salt32,
            min,
            None,
        ),
        (
            "client-salt-too-short",
            "A 15-byte salt.",
            &["IDH-020"],
            &["PastBoundary"],
            k_user,
            b"alice".to_vec(),
            &salt16[..15],
            min,
            Some("identity.invalid_salt"),
        ),
        (
            "client-salt-too-long",
            "A 65-byte salt.",
            &["IDH-020"],
            &["PastBoundary"],
            k_user,
            b"alice".to_vec(),
            &salt65,
            min,
            Some("identity.invalid_salt"),
        ),
        (
            "client-salt-empty",
            "An empty salt.",
            &["IDH-020"],
            &[],
            k_user,
            b"alice".to_vec(),
            &[],
            min,
            Some("identity.invalid_salt"),
        ),
        (
            "client-rounds-too-few",
            "999 rounds.",
            &["IDH-022"],
            &["PastBoundary"],
            k_user,
            b"alice".to_vec(),
            &salt32,
            min - 1,
            Some("identity.invalid_rounds"),
        ),
        (
            "client-rounds-too-many",
            "1,000,001 rounds.",
            &["IDH-022"],
            &["PastBoundary"],
            k_user,
            b"alice".to_vec(),
            &salt32,
            max + 1,
            Some("identity.invalid_rounds"),
        ),
        (
            "client-rounds-zero",
            "Zero rounds.",
            &["IDH-022"],
            &[],
            k_user,
            b"alice".to_vec(),
            &salt32,
            0,
            Some("identity.invalid_rounds"),
        ),
        (
            "client-rounds-one",
            "One round: PBKDF2 allows it, this spec does not.",
            &["IDH-022"],
            &[],
            k_user,
            b"alice".to_vec(),
            &salt32,
            1,
            Some("identity.invalid_rounds"),
        ),
        (
            "client-invalid-user-id",
            "An input with no canonical form is never hashed.",
            &["IDH-025", "IDH-006"],
            &[],
            k_user,
            b"ab".to_vec(),
            &salt32,
            min,
            Some("identity.invalid_user_id"),
        ),
        (
            "client-invalid-phone",
            "A phone number without '+' is never hashed.",
            &["IDH-025", "IDH-007"],
            &[],
            k_phone,
            b"5550109999".to_vec(),
            &salt32,
            min,
            Some("identity.invalid_phone"),
        ),
        (
            "client-invalid-email",
            "An address without '@' is never hashed.",
            &["IDH-025", "IDH-010"],
            &[],
            k_email,
            b"alice".to_vec(),
            &salt32,
            min,
            Some("identity.invalid_email"),
        ),
        (
            "client-invalid-device-id",
            "An empty device ID is never hashed.",
            &["IDH-025", "IDH-013"],
            &[],
            k_dev,
            Vec::new(),
            &salt32,
            min,
            Some("identity.invalid_device_id"),
        ),
    ];
    for (id, comment, requirements, flags, kind, input, salt, rounds, want) in rows {
        let case = Case { id, comment, requirements, flags };
        add(&mut g, &case, client_args(kind, &input, salt, rounds), want, client_answer(kind, &input, salt, rounds))?;
    }
    Ok(g)
}

fn server_hash_group() -> Result<Group, GenerateError> {
    let mut g = Group::new(
        "server-hash",
        "identity.server_hash",
        "The server layer: PBKDF2-HMAC-SHA256 of a client hash under the server's secret (IDH-021..IDH-026).",
    );
    let salt = filler("client salt 32", 32);
    let secret32 = filler("server secret 32", 32);
    let secret64 = filler("server secret 64", 64);
    let secret65 = [secret64.as_slice(), &[1]].concat();
    let min = Rounds::MIN.get();
    let dflt = Rounds::DEFAULT_SERVER.get();
    let client = |kind: IdentifierKind, input: &[u8]| -> Result<IdentityHash, GenerateError> {
        let salt = ClientSalt::new(&salt).map_err(|e| GenerateError(e.to_string()))?;
        identity::client_hash(kind, input, &salt, Rounds::MIN).map_err(|e| GenerateError(e.to_string()))
    };
    let phone = client(IdentifierKind::Phone, b"+15550109999")?;
    let user = client(IdentifierKind::UserId, b"alice")?;
    let device = client(IdentifierKind::DeviceId, &filler("device-id uuid", 16))?;
    let email = client(IdentifierKind::Email, b"alice@example.com")?;
    let k_user = IdentifierKind::UserId;
    let k_phone = IdentifierKind::Phone;
    let k_email = IdentifierKind::Email;
    let rows: Vec<(&str, &str, &[&str], &[&str], IdentifierKind, [u8; 32], &[u8], u32, Option<&str>)> = vec![
        (
            "server-user-id",
            "A user ID's client hash, at the default server rounds.",
            &["IDH-022", "IDH-026"],
            &[],
            k_user,
            user.0,
            &secret32,
            dflt,
            None,
        ),
        ("server-phone", "A phone number's client hash.", &["IDH-026"], &[], k_phone, phone.0, &secret32, dflt, None),
        (
            "server-email",
            "An e-mail address's client hash.",
            &["IDH-026"],
            &[],
            IdentifierKind::Email,
            email.0,
            &secret32,
            dflt,
            None,
        ),
        (
            "server-device-id",
            "A device ID's client hash.",
            &["IDH-026"],
            &[],
            IdentifierKind::DeviceId,
            device.0,
            &secret32,
            dflt,
            None,
        ),
        (
            "server-separation-kind",
            "The phone's client hash presented as a user ID: the kind byte changes the result.",
            &["IDH-023"],
            &["DomainSeparation"],
            k_user,
            phone.0,
            &secret32,
            dflt,
            None,
        ),
        (
            "server-secret-max",
            "A 64-byte secret, the longest allowed.",
            &["IDH-021"],
            &["Boundary", "DomainSeparation"],
            k_phone,
            phone.0,
            &secret64,
            min,
            None,
        ),
        (
            "server-secret-min",
            "A 32-byte secret, the shortest allowed.",
            &["IDH-021"],
            &["Boundary"],
            k_phone,
            phone.0,
            &secret32,
            min,
            None,
        ),
        (
            "server-rounds-min-plus-one",
            "1,001 rounds.",
            &["IDH-022"],
            &["DomainSeparation"],
            k_phone,
            phone.0,
            &secret32,
            min + 1,
            None,
        ),
        (
            "server-all-zero-client-hash",
            "The server layer takes any 32 bytes.",
            &["IDH-026"],
            &[],
            k_user,
            [0u8; 32],
            &secret32,
            min,
            None,
        ),
        (
            "server-secret-too-short",
            "A 31-byte secret.",
            &["IDH-021"],
            &["PastBoundary"],
            k_phone,
            phone.0,
            &secret32[..31],
            min,
            Some("identity.invalid_salt"),
        ),
        (
            "server-secret-client-sized",
            "A 16-byte secret (long enough for a public client salt, not for the server).",
            &["IDH-021"],
            &[],
            k_phone,
            phone.0,
            &secret32[..16],
            min,
            Some("identity.invalid_salt"),
        ),
        (
            "server-secret-too-long",
            "A 65-byte secret.",
            &["IDH-021"],
            &["PastBoundary"],
            k_phone,
            phone.0,
            &secret65,
            min,
            Some("identity.invalid_salt"),
        ),
        (
            "server-rounds-too-few",
            "999 rounds.",
            &["IDH-022"],
            &["PastBoundary"],
            k_phone,
            phone.0,
            &secret32,
            min - 1,
            Some("identity.invalid_rounds"),
        ),
        (
            "server-rounds-too-many",
            "1,000,001 rounds.",
            &["IDH-022"],
            &["PastBoundary"],
            k_phone,
            phone.0,
            &secret32,
            Rounds::MAX.get() + 1,
            Some("identity.invalid_rounds"),
        ),
        (
            "server-secret-too-short-email",
            "A 31-byte secret under another kind: the bound does not depend on the kind.",
            &["IDH-021"],
            &["PastBoundary"],
            k_email,
            email.0,
            &secret64[..31],
            dflt,
            Some("identity.invalid_salt"),
        ),
        (
            "server-secret-too-long-user-id",
            "A 65-byte secret for a user ID's client hash.",
            &["IDH-021"],
            &["PastBoundary"],
            k_user,
            user.0,
            &secret65,
            dflt,
            Some("identity.invalid_salt"),
        ),
        (
            "server-secret-max-email",
            "A 64-byte secret for an address's client hash.",
            &["IDH-021", "IDH-026"],
            &["Boundary"],
            k_email,
            email.0,
            &secret64,
            dflt,
            None,
        ),
        (
            "server-rounds-max",
            "1,000,000 rounds, the most allowed, in the server layer too.",
            &["IDH-022", "IDH-026"],
            &["Boundary", "Slow"],
            k_phone,
            phone.0,
            &secret32,
            Rounds::MAX.get(),
            None,
        ),
    ];
    for (id, comment, requirements, flags, kind, client_hash, secret, rounds, want) in rows {
        let case = Case { id, comment, requirements, flags };
        let args = json!({
            "kind": kind.label(),
            "clientHash": hex::encode(client_hash),
            "secret": hex::encode(secret),
            "rounds": rounds,
        });
        let answer = (|| -> Answer {
            let secret = ServerSecret::new(secret)?;
            let rounds = Rounds::new(rounds)?;
            Ok(json!({ "hash": hash_hex(identity::server_hash(kind, &IdentityHash(client_hash), &secret, rounds)) }))
        })();
        add(&mut g, &case, args, want, answer)?;
    }
    Ok(g)
}

fn lookup_group() -> Result<Group, GenerateError> {
    let mut g = Group::new(
        "contact-lookup",
        "identity.contact_lookup",
        "Contact-finder batches: every entry canonicalised and client-hashed, sorted, duplicates removed (IDH-030..IDH-032).",
    );
    let salt = filler("client salt 32", 32);
    let min = Rounds::MIN.get();
    let p = IdentifierKind::Phone;
    let e = IdentifierKind::Email;
    let entries = |list: &[(IdentifierKind, &str)]| -> Vec<(IdentifierKind, Vec<u8>)> {
        list.iter().map(|(k, s)| (*k, s.as_bytes().to_vec())).collect()
    };
    let many: Vec<(IdentifierKind, Vec<u8>)> =
        (0..1000u32).map(|i| (p, format!("+1 555 {:03} {:04}", i / 100, 1000 + i).into_bytes())).collect();
    let too_many: Vec<(IdentifierKind, Vec<u8>)> =
        (0..1001u32).map(|i| (p, format!("+1555{:07}", 1_000_000 + i).into_bytes())).collect();
    // `n` entries, each one of five spellings of +15550109999 or +442079460000.
    let spellings = |n: usize| -> Vec<(IdentifierKind, Vec<u8>)> {
        let forms = ["+15550109999", "+1 555 010 9999", "+44 20 7946 0000", "+1 (555) 010-9999", "+44.20.7946.0000"];
        (0..n).map(|i| (p, forms[i % forms.len()].as_bytes().to_vec())).collect()
    };
    let salt64 = filler("client salt 64", 64);
    let salt65 = [salt64.as_slice(), &[0]].concat();
    let rows: Vec<(&str, &str, &[&str], &[&str], Vec<(IdentifierKind, Vec<u8>)>, &[u8], u32, Option<&str>)> = vec![
        (
            "lookup-one-phone",
            "A single phone number.",
            &["IDH-030", "IDH-031"],
            &["Boundary"],
            entries(&[(p, "+15550109999")]),
            &salt,
            min,
            None,
        ),
        (
            "lookup-phone-and-email",
            "A phone number and an address.",
            &["IDH-031", "IDH-032"],
            &[],
            entries(&[(p, "+15550109999"), (e, "alice@example.com")]),
            &salt,
            min,
            None,
        ),
        (
            "lookup-order-independent-a",
            "Three entries in one order.",
            &["IDH-032"],
            &["SameIdentifier"],
            entries(&[(p, "+442079460000"), (e, "bob@example.org"), (p, "+15550109999")]),
            &salt,
            min,
            None,
        ),
        (
            "lookup-order-independent-b",
            "The same three entries in another order: the same sorted output.",
            &["IDH-032"],
            &["SameIdentifier"],
            entries(&[(p, "+15550109999"), (p, "+442079460000"), (e, "bob@example.org")]),
            &salt,
            min,
            None,
        ),
        (
            "lookup-duplicate-spellings",
            "Two spellings of one number and one of an address: two hashes.",
            &["IDH-031", "IDH-032"],
            &["SameIdentifier", "Separator"],
            entries(&[(p, "+1 (555) 010-9999"), (e, "Alice@Example.com"), (p, "+15550109999")]),
            &salt,
            min,
            None,
        ),
        (
            "lookup-exact-duplicates",
            "The same entry three times: one hash.",
            &["IDH-032"],
            &[],
            entries(&[(e, "carol@example.net"), (e, "carol@example.net"), (e, "carol@example.net")]),
            &salt,
            min,
            None,
        ),
        (
            "lookup-same-bytes-two-kinds",
            "An address and a phone number never collide, even in one batch.",
            &["IDH-023", "IDH-031"],
            &["DomainSeparation"],
            entries(&[(e, "a1234567@example.com"), (p, "+1234567")]),
            &salt,
            min,
            None,
        ),
        (
            "lookup-max-entries",
            "1,000 entries, the most allowed.",
            &["IDH-030"],
            &["Boundary", "Slow"],
            many,
            &salt,
            min,
            None,
        ),
        ("lookup-empty", "No entries.", &["IDH-030"], &[], Vec::new(), &salt, min, Some("identity.invalid_batch")),
        (
            "lookup-too-many",
            "1,001 entries.",
            &["IDH-030"],
            &["PastBoundary"],
            too_many,
            &salt,
            min,
            Some("identity.invalid_batch"),
        ),
        (
            "lookup-user-id-entry",
            "A user ID is not something contact finder looks up.",
            &["IDH-030"],
            &[],
            entries(&[(p, "+15550109999"), (IdentifierKind::UserId, "alice")]),
            &salt,
            min,
            Some("identity.invalid_batch"),
        ),
        (
            "lookup-device-id-entry",
            "A device ID is not something contact finder looks up.",
            &["IDH-030"],
            &[],
            entries(&[(IdentifierKind::DeviceId, "abc")]),
            &salt,
            min,
            Some("identity.invalid_batch"),
        ),
        (
            "lookup-invalid-phone",
            "One phone number without '+' rejects the whole batch.",
            &["IDH-031", "IDH-007"],
            &[],
            entries(&[(e, "alice@example.com"), (p, "5550109999")]),
            &salt,
            min,
            Some("identity.invalid_phone"),
        ),
        (
            "lookup-invalid-email",
            "One address with no domain rejects the whole batch.",
            &["IDH-031", "IDH-012"],
            &[],
            entries(&[(p, "+15550109999"), (e, "alice@")]),
            &salt,
            min,
            Some("identity.invalid_email"),
        ),
        (
            "lookup-salt-too-short",
            "A 15-byte salt.",
            &["IDH-020"],
            &["PastBoundary"],
            entries(&[(p, "+15550109999")]),
            &salt[..15],
            min,
            Some("identity.invalid_salt"),
        ),
        (
            "lookup-rounds-too-few",
            "999 rounds.",
            &["IDH-022"],
            &["PastBoundary"],
            entries(&[(p, "+15550109999")]),
            &salt,
            min - 1,
            Some("identity.invalid_rounds"),
        ),
        (
            "lookup-too-many-duplicates",
            "1,001 copies of one number: the bound counts entries, not distinct hashes.",
            &["IDH-030", "IDH-032"],
            &["PastBoundary"],
            vec![(p, b"+15550109999".to_vec()); 1001],
            &salt,
            min,
            Some("identity.invalid_batch"),
        ),
        (
            "lookup-too-many-spellings",
            "1,001 entries that spell two numbers in several ways.",
            &["IDH-030", "IDH-032"],
            &["PastBoundary", "SameIdentifier"],
            spellings(1001),
            &salt,
            min,
            Some("identity.invalid_batch"),
        ),
        (
            "lookup-max-entries-duplicates",
            "1,000 entries that spell two numbers in several ways: two hashes.",
            &["IDH-030", "IDH-032"],
            &["Boundary", "SameIdentifier"],
            spellings(1000),
            &salt,
            min,
            None,
        ),
        (
            "lookup-empty-max-salt",
            "No entries, under the longest salt.",
            &["IDH-030"],
            &[],
            Vec::new(),
            &salt64,
            min,
            Some("identity.invalid_batch"),
        ),
        (
            "lookup-bad-phone-then-user-id",
            "Two faults, and the order IDH-031 makes binding decides: the kinds of the whole batch are checked \
             before any entry is canonicalised, so a user ID after a bad phone number gives invalid_batch.",
            &["IDH-030", "IDH-031"],
            &[],
            entries(&[(p, "5550109999"), (IdentifierKind::UserId, "alice")]),
            &salt,
            min,
            Some("identity.invalid_batch"),
        ),
        (
            "lookup-bad-email-then-device-id",
            "Two faults (binding order, IDH-031): a device ID after a bad address gives invalid_batch.",
            &["IDH-030", "IDH-031"],
            &[],
            entries(&[(e, "alice@"), (IdentifierKind::DeviceId, "abc")]),
            &salt,
            min,
            Some("identity.invalid_batch"),
        ),
        (
            "lookup-bad-phone-then-bad-email",
            "Two bad entries (binding order, IDH-031): the first in batch order decides.",
            &["IDH-031"],
            &[],
            entries(&[(p, "5550109999"), (e, "alice@")]),
            &salt,
            min,
            Some("identity.invalid_phone"),
        ),
        (
            "lookup-bad-email-then-bad-phone",
            "The same two bad entries the other way round: the address decides.",
            &["IDH-031"],
            &[],
            entries(&[(e, "alice@"), (p, "5550109999")]),
            &salt,
            min,
            Some("identity.invalid_email"),
        ),
        (
            "lookup-case-duplicates",
            "One address in three cases: duplicates are removed after canonicalisation, one hash.",
            &["IDH-031", "IDH-032"],
            &["CaseFolding", "SameIdentifier"],
            entries(&[(e, "Alice@Example.com"), (e, "alice@example.com"), (e, "ALICE@EXAMPLE.COM")]),
            &salt,
            min,
            None,
        ),
        (
            "lookup-salt-max",
            "A 64-byte salt, the longest allowed.",
            &["IDH-020"],
            &["Boundary"],
            entries(&[(p, "+15550109999")]),
            &salt64,
            min,
            None,
        ),
        (
            "lookup-salt-too-long",
            "A 65-byte salt.",
            &["IDH-020"],
            &["PastBoundary"],
            entries(&[(p, "+15550109999")]),
            &salt65,
            min,
            Some("identity.invalid_salt"),
        ),
    ];
    for (id, comment, requirements, flags, list, salt, rounds, want) in rows {
        let case = Case { id, comment, requirements, flags };
        let args = json!({
            "entries": list.iter().map(|(k, input)| json!({ "kind": k.label(), "input": hex::encode(input) })).collect::<Vec<_>>(),
            "salt": hex::encode(salt),
            "rounds": rounds,
        });
        let answer = (|| -> Answer {
            let salt = ClientSalt::new(salt)?;
            let rounds = Rounds::new(rounds)?;
            let lookups: Vec<LookupEntry<'_>> =
                list.iter().map(|(kind, input)| LookupEntry { kind: *kind, input }).collect();
            let mut out = vec![IdentityHash([0; 32]); list.len()];
            let hashes = identity::contact_lookup(&lookups, &salt, rounds, &mut out)?;
            Ok(json!({ "hashes": hashes.iter().map(|h| hash_hex(*h)).collect::<Vec<_>>() }))
        })();
        add(&mut g, &case, args, want, answer)?;
    }
    Ok(g)
}

fn verification_group() -> Result<Group, GenerateError> {
    let mut g = Group::new(
        "verification-code",
        "identity.verification_code",
        "Key-verification codes: 8 groups of 5 digits from both identity keys, the same on both sides (IDH-040..IDH-042).",
    );
    let alice = filler("identity key alice", 32);
    let bob = filler("identity key bob", 32);
    let carol = filler("identity key carol", 32);
    let mut alice_flip = alice.clone();
    alice_flip[31] ^= 1;
    let rows: Vec<(&str, &str, &[&str], &[&str], Vec<u8>, Vec<u8>, Option<&str>)> = vec![
        (
            "code-alice-bob",
            "Alice's key first.",
            &["IDH-041", "IDH-042"],
            &["SameIdentifier"],
            alice.clone(),
            bob.clone(),
            None,
        ),
        (
            "code-bob-alice",
            "Bob's key first: the same code as code-alice-bob.",
            &["IDH-041", "IDH-042"],
            &["SameIdentifier"],
            bob.clone(),
            alice.clone(),
            None,
        ),
        (
            "code-alice-carol",
            "Another pair: a different code.",
            &["IDH-041"],
            &["DomainSeparation"],
            alice.clone(),
            carol.clone(),
            None,
        ),
        ("code-bob-carol", "A third pair.", &["IDH-041"], &["DomainSeparation"], carol.clone(), bob.clone(), None),
        (
            "code-one-bit-apart",
            "Two keys that differ in one bit.",
            &["IDH-041"],
            &[],
            alice.clone(),
            alice_flip.clone(),
            None,
        ),
        (
            "code-one-bit-apart-swapped",
            "The same two keys swapped.",
            &["IDH-042"],
            &["SameIdentifier"],
            alice_flip.clone(),
            alice.clone(),
            None,
        ),
        (
            "code-extreme-keys",
            "All-zero and all-0xFF keys: codes compare bytes, not points.",
            &["IDH-040", "IDH-041"],
            &[],
            vec![0; 32],
            vec![0xff; 32],
            None,
        ),
        (
            "code-extreme-keys-swapped",
            "The same two keys swapped.",
            &["IDH-042"],
            &["SameIdentifier"],
            vec![0xff; 32],
            vec![0; 32],
            None,
        ),
        (
            "code-same-key",
            "Both keys equal.",
            &["IDH-040"],
            &[],
            alice.clone(),
            alice.clone(),
            Some("identity.invalid_key"),
        ),
        (
            "code-short-key-a",
            "A 31-byte first key.",
            &["IDH-040"],
            &["PastBoundary"],
            alice[..31].to_vec(),
            bob.clone(),
            Some("identity.invalid_key"),
        ),
        (
            "code-long-key-b",
            "A 33-byte second key.",
            &["IDH-040"],
            &["PastBoundary"],
            alice.clone(),
            [bob.as_slice(), &[0]].concat(),
            Some("identity.invalid_key"),
        ),
        ("code-empty-key", "An empty key.", &["IDH-040"], &[], Vec::new(), bob.clone(), Some("identity.invalid_key")),
        (
            "code-64-byte-key",
            "Both keys concatenated as one.",
            &["IDH-040"],
            &[],
            [alice.as_slice(), &bob].concat(),
            carol.clone(),
            Some("identity.invalid_key"),
        ),
        (
            "code-same-key-zero",
            "Both keys all zero.",
            &["IDH-040"],
            &[],
            vec![0; 32],
            vec![0; 32],
            Some("identity.invalid_key"),
        ),
        (
            "code-short-key-b",
            "A 31-byte second key.",
            &["IDH-040"],
            &["PastBoundary"],
            alice.clone(),
            bob[..31].to_vec(),
            Some("identity.invalid_key"),
        ),
        (
            "code-long-key-a",
            "A 33-byte first key.",
            &["IDH-040"],
            &["PastBoundary"],
            [alice.as_slice(), &[0]].concat(),
            bob.clone(),
            Some("identity.invalid_key"),
        ),
    ];
    for (id, comment, requirements, flags, a, b, want) in rows {
        let case = Case { id, comment, requirements, flags };
        let args = json!({ "keyA": hex::encode(&a), "keyB": hex::encode(&b) });
        let answer = identity::verification_code(&a, &b).map(|code| json!({ "code": code.as_str() }));
        add(&mut g, &case, args, want, answer)?;
    }
    Ok(g)
}

/// Builds `vectors/identity.json`.
///
/// # Errors
/// When the reference disagrees with a hand-written case.
pub fn generate() -> Result<VectorFile, GenerateError> {
    let groups = vec![
        canonicalize_group(IdentifierKind::UserId, user_id_cases())?.finish(),
        canonicalize_group(IdentifierKind::Phone, phone_cases())?.finish(),
        canonicalize_group(IdentifierKind::Email, email_cases())?.finish(),
        canonicalize_group(IdentifierKind::DeviceId, device_id_cases())?.finish(),
        client_hash_group()?.finish(),
        server_hash_group()?.finish(),
        lookup_group()?.finish(),
        verification_group()?.finish(),
    ];
    Ok(file("identity", SPEC_VERSION, HEADER, NOTES, groups))
}
