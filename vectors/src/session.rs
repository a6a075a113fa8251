//! Vectors for device sessions (spec/session.md): `vectors/session.json`.
//!
//! Parameters: none. Every key is derived from a label with [`filler`] (the file's header lists the
//! labels), every certificate and signed prekey is signed here with those keys, and the only
//! randomness of the protocol — the initiator's ephemeral secret, and the content key of the
//! end-to-end envelopes — is given in each test's arguments.
//!
//! Format: two adapter operations. `session.handshake` runs the initiator on a bundle and the
//! responder on the init message and reports every derived key; its invalid tests fault the bundle,
//! the responder's store or the init message, and some deliver earlier init messages first (a
//! tampered copy must use nothing up, SES-027; the genuine message twice is refused the second time). `session.scenario` runs a list of events (handshakes,
//! sends, receives, envelopes, lifecycle events) on a network of accounts and devices and reports,
//! for every step, its output or error code and the checkpoint of the public state (SES-080).
//!
//! Verification: every invalid handshake's error code, and the outputs, errors and "nothing
//! changed" facts of the scenario steps that matter, are written here by hand; the generator stops
//! if the reference disagrees. Keys, messages and checkpoints come from the reference and are
//! recomputed independently by `vectors/crosscheck/session.py`.

mod forge;
mod ops;
mod readings;

pub use ops::{
    HANDSHAKE_KEYS, Initiate, OpError, REFERENCE, Respond, ScenarioRun, Sides, handshake, handshake_with, scenario,
};

use cinder::session::{Certificate, Id, MAX_MESSAGES, REKEY_AFTER, SignedPrekey, SigningSecret, X25519Secret};
use serde_json::{Value, json};

use crate::builder::{Case, GenerateError, Group, file, filler};
use crate::format::VectorFile;

/// The `Version:` of spec/session.md these vectors test.
pub const SPEC_VERSION: &str = "1.1.0";

/// 2026-01-01T00:00:00Z, the time most cases happen at.
const T0: u64 = 1_767_225_600;
/// Certificates are in force from a day before T0 ...
const CERT_FROM: u64 = T0 - 86_400;
/// ... to a year after it.
const CERT_UNTIL: u64 = T0 + 31_536_000;
/// Signed prekeys are in force for 30 days after T0.
const SPK_UNTIL: u64 = T0 + 2_592_000;

const NOTES: &[(&str, &str)] = &[
    ("Boundary", "A time, length or index exactly at a bound the spec allows: it must be accepted."),
    ("PastBoundary", "A time, length or index one step past a bound: it must be refused."),
    ("OneTimePrekey", "The handshake uses a one-time prekey (DH4, flag bit 0)."),
    ("NoOneTimePrekey", "The handshake uses no one-time prekey."),
    ("Tampered", "Bytes of a valid certificate, signed prekey, init message, session header or envelope were changed."),
    ("SmallOrder", "A public key of small order, so that an X25519 output is all zero (SES-023)."),
    (
        "StrictSignature",
        "A signature that SES-012's strict rules refuse and a plain library verify may accept: S >= L, R or the key of small or mixed order, a non-canonical encoding.",
    ),
    ("Truncated", "An encoding cut short."),
    ("Trailing", "An encoding with bytes after its end."),
    ("WrongParty", "A certificate, prekey or message that is valid, but for another account or device."),
    (
        "RefusedStep",
        "At least one step of the scenario is refused with an error code; the scenario continues after it.",
    ),
    ("Lifecycle", "The scenario adds or removes a device, resets a password or terminates an account."),
    ("Envelope", "The scenario seals and opens envelopes with message keys as wrap keys (SES-049)."),
    ("Large", "The scenario sends tens of thousands of messages in one send_many step."),
    ("Walk", "Events chosen by a fixed-seed walk; expectations from the reference, recomputed by the Python model."),
];

const HEADER: &[&str] = &[
    "Device sessions (spec/session.md): handshakes with every derived key, and scenarios of events on a network \
     of accounts and devices with the output, error and checkpoint of every step.",
    "Bytes are lowercase hex; times are seconds and can be large, so read JSON integers as unsigned 64-bit.",
    "Keys: every secret is filler(label, 32) = HMAC-SHA256(key = \"cinder-vectors filler\", label || u32(0)) with \
     the labels \"session root <account>\" (root seed), \"session signing <device>\" (device signing seed), \
     \"session identity <device>\" (identity secret), \"session spk <device>\" (signed prekey, ID 1), \
     \"session opk <device> <id>\" (one-time prekeys, IDs 1 to 3), and ephemeral secrets as given in each test.",
    "Certificates are in force from 1767139200 to 1798761600, signed prekeys until 1769817600, unless a test \
     says otherwise; one-time prekeys are published with IDs 1, 2 and 3.",
    "Expected error codes and the steps that must change nothing were written by hand from the spec and checked \
     against the reference; keys, messages and checkpoints were recomputed independently by \
     vectors/crosscheck/session.py.",
];

fn key32(label: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&filler(label, 32));
    out
}

fn id(bytes: &[u8]) -> Id {
    match Id::new(bytes) {
        Ok(id) => id,
        Err(_) => unreachable!("fixture IDs are 1 to 64 bytes"),
    }
}

/// A small-order X25519 public key: the point u = 0, whose every X25519 output is zero.
const SMALL_ORDER: [u8; 32] = [0; 32];
/// Another small-order point, of order 8 (RFC 7748's list in the X25519 Wycheproof file).
const ORDER_EIGHT: [u8; 32] = [
    0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d,
    0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00,
];

/// A device of the fixtures, with every secret.
#[derive(Clone, Debug)]
struct Dev {
    account: Vec<u8>,
    device: Vec<u8>,
    root_seed: [u8; 32],
    /// A root key that is not `root_seed`'s public key: the forged keys of the signature-strictness
    /// cases, which the account's devices then hold as theirs.
    root_public: Option<[u8; 32]>,
    signing_seed: [u8; 32],
    identity: [u8; 32],
    spk_id: u32,
    spk_secret: [u8; 32],
    opks: Vec<(u32, [u8; 32])>,
    cert: Certificate,
    spk: SignedPrekey,
}

fn root_seed(account: &[u8]) -> [u8; 32] {
    key32(&format!("session root {}", String::from_utf8_lossy(account)))
}

fn root_key(account: &[u8]) -> [u8; 32] {
    SigningSecret::from_bytes(root_seed(account)).public_key()
}

fn public(secret: &[u8; 32]) -> [u8; 32] {
    X25519Secret::from_bytes(*secret).public_key()
}

/// A device of `account` with the standard validity periods.
fn dev(account: &str, device: &str) -> Dev {
    dev_with(account.as_bytes(), device.as_bytes(), CERT_FROM, CERT_UNTIL, SPK_UNTIL)
}

fn dev_with(account: &[u8], device: &[u8], not_before: u64, not_after: u64, spk_until: u64) -> Dev {
    let name = String::from_utf8_lossy(device).into_owned();
    let root = root_seed(account);
    let signing_seed = key32(&format!("session signing {name}"));
    let identity = key32(&format!("session identity {name}"));
    let spk_secret = key32(&format!("session spk {name}"));
    let signing = SigningSecret::from_bytes(signing_seed);
    let cert = Certificate::issue(
        &SigningSecret::from_bytes(root),
        &id(account),
        &id(device),
        public(&identity),
        signing.public_key(),
        not_before,
        not_after,
    );
    let spk = SignedPrekey::sign(&signing, &id(account), &id(device), 1, public(&spk_secret), spk_until);
    Dev {
        account: account.to_vec(),
        device: device.to_vec(),
        root_seed: root,
        root_public: None,
        signing_seed,
        identity,
        spk_id: 1,
        spk_secret,
        opks: (1..=3).map(|n| (n, key32(&format!("session opk {name} {n}")))).collect(),
        cert,
        spk,
    }
}

impl Dev {
    fn root_key(&self) -> [u8; 32] {
        self.root_public.unwrap_or_else(|| SigningSecret::from_bytes(self.root_seed).public_key())
    }

    fn signing(&self) -> SigningSecret {
        SigningSecret::from_bytes(self.signing_seed)
    }

    /// Re-issues the certificate with other contents, signed by `root`.
    fn recertify(&mut self, root: &[u8; 32], account: &[u8], device: &[u8], ik: [u8; 32], from: u64, until: u64) {
        self.cert = Certificate::issue(
            &SigningSecret::from_bytes(*root),
            &id(account),
            &id(device),
            ik,
            self.signing().public_key(),
            from,
            until,
        );
    }

    /// Signs a new signed prekey (ID, public key, expiry) with `signer`'s key, naming `account` and
    /// `device`.
    fn resign_spk(&mut self, signer: &Dev, account: &[u8], device: &[u8], spk_id: u32, key: [u8; 32], until: u64) {
        self.spk = SignedPrekey::sign(&signer.signing(), &id(account), &id(device), spk_id, key, until);
    }
}

/// What the initiator is handed for the responder.
#[derive(Clone, Debug)]
struct Bundle {
    account: Vec<u8>,
    device: Vec<u8>,
    root: [u8; 32],
    cert: Vec<u8>,
    spk: Vec<u8>,
    opk: Option<(u32, [u8; 32])>,
}

/// A `session.handshake` case.
#[derive(Clone, Debug)]
struct Hs {
    id: String,
    comment: String,
    reqs: Vec<&'static str>,
    flags: Vec<&'static str>,
    now: u64,
    received_at: u64,
    initiator: Dev,
    initiator_cert: Vec<u8>,
    responder: Dev,
    signed: Vec<(u32, [u8; 32], u64)>,
    one_time: Vec<(u32, [u8; 32])>,
    used: Vec<u32>,
    accepted: Vec<(u32, String)>,
    bundle: Bundle,
    ephemeral: [u8; 32],
    init_override: Option<Vec<u8>>,
    /// Init messages the responder handles before the one that counts (SES-027).
    earlier: Vec<Vec<u8>>,
    /// `None`: valid; `Some(code)`: must fail with `code`.
    expect: Option<&'static str>,
}

fn hs(id: &str, comment: &str, reqs: &[&'static str], flags: &[&'static str], a: &Dev, b: &Dev, opk: bool) -> Hs {
    let mut flags = flags.to_vec();
    flags.push(if opk { "OneTimePrekey" } else { "NoOneTimePrekey" });
    Hs {
        id: id.into(),
        comment: comment.into(),
        reqs: reqs.to_vec(),
        flags,
        now: T0,
        received_at: T0 + 60,
        initiator: a.clone(),
        initiator_cert: a.cert.to_vec(),
        responder: b.clone(),
        signed: vec![(b.spk_id, b.spk_secret, b.spk.not_after())],
        one_time: b.opks.clone(),
        used: Vec::new(),
        accepted: Vec::new(),
        bundle: Bundle {
            account: b.account.clone(),
            device: b.device.clone(),
            root: b.root_key(),
            cert: b.cert.to_vec(),
            spk: b.spk.to_vec(),
            opk: opk.then(|| (b.opks[0].0, public(&b.opks[0].1))),
        },
        ephemeral: key32(&format!("session ephemeral {id}")),
        init_override: None,
        earlier: Vec::new(),
        expect: None,
    }
}

impl Hs {
    fn fails(mut self, code: &'static str) -> Self {
        self.expect = Some(code);
        self
    }

    fn args(&self) -> Value {
        let mut args = json!({
            "now": self.now,
            "receivedAt": self.received_at,
            "initiator": {
                "rootKey": hex::encode(self.initiator.root_key()),
                "certificate": hex::encode(&self.initiator_cert),
                "identitySecret": hex::encode(self.initiator.identity),
            },
            "responder": {
                "rootKey": hex::encode(self.responder.root_key()),
                "certificate": hex::encode(self.responder.cert.to_vec()),
                "identitySecret": hex::encode(self.responder.identity),
                "signedPrekeys": self.signed.iter()
                    .map(|(id, secret, until)| json!({ "id": id, "secret": hex::encode(secret), "notAfter": until }))
                    .collect::<Vec<_>>(),
                "oneTimePrekeys": self.one_time.iter()
                    .map(|(id, secret)| json!({ "id": id, "secret": hex::encode(secret) }))
                    .collect::<Vec<_>>(),
                "usedOneTimePrekeys": self.used,
                "acceptedSessions": self.accepted.iter()
                    .map(|(spk, sid)| json!({ "signedPrekeyId": spk, "sessionId": sid }))
                    .collect::<Vec<_>>(),
            },
            "bundle": {
                "account": hex::encode(&self.bundle.account),
                "device": hex::encode(&self.bundle.device),
                "rootKey": hex::encode(self.bundle.root),
                "certificate": hex::encode(&self.bundle.cert),
                "signedPrekey": hex::encode(&self.bundle.spk),
                "oneTimePrekey": self.bundle.opk.map(|(id, key)| json!({ "id": id, "key": hex::encode(key) })),
            },
            "ephemeralSecret": hex::encode(self.ephemeral),
        });
        if !self.earlier.is_empty() {
            args["earlierInitMessages"] = self.earlier.iter().map(hex::encode).collect();
        }
        if let Some(init) = &self.init_override {
            args["initMessage"] = hex::encode(init).into();
        }
        args
    }

    /// The init message the initiator writes for this case (faults of the responder's side aside).
    fn genuine_init(&self) -> Result<Vec<u8>, GenerateError> {
        let mut clean = self.clone();
        clean.init_override = None;
        clean.earlier.clear();
        clean.used.clear();
        clean.accepted.clear();
        clean.received_at = clean.now;
        let out =
            handshake(&clean.args()).map_err(|e| GenerateError(format!("{}: genuine handshake: {e}", self.id)))?;
        hex::decode(out["initMessage"].as_str().unwrap_or_default())
            .map_err(|e| GenerateError(format!("{}: init message: {e}", self.id)))
    }

    fn deliver(mut self, init: Vec<u8>) -> Self {
        self.init_override = Some(init);
        self
    }

    /// The length SES-020 gives the initiator's init message, worked out from the field sizes.
    fn expected_init_len(&self) -> usize {
        let cert = 2 + self.initiator.account.len() + self.initiator.device.len() + 32 + 32 + 8 + 8 + 64;
        3 + cert
            + 2
            + self.bundle.account.len()
            + self.bundle.device.len()
            + 4
            + 32
            + 32
            + if self.bundle.opk.is_some() { 4 } else { 0 }
    }
}

/// Byte offsets of the init message's fields (SES-020) for a case's genuine message.
struct InitLayout {
    cert_end: usize,
    responder_account: usize,
    responder_device: usize,
    spk_id: usize,
    ephemeral: usize,
    confirm: usize,
    len: usize,
}

fn layout(init: &[u8]) -> InitLayout {
    let acc = usize::from(init[3]);
    let dev = usize::from(init[4 + acc]);
    let cert_end = 3 + 2 + acc + dev + 32 + 32 + 16 + 64;
    let responder_account = cert_end;
    let responder_device = responder_account + 1 + usize::from(init[responder_account]);
    let spk_id = responder_device + 1 + usize::from(init[responder_device]);
    let opk = if init[2] & 1 == 1 { 4 } else { 0 };
    let ephemeral = spk_id + 4 + opk;
    InitLayout {
        cert_end,
        responder_account,
        responder_device,
        spk_id,
        ephemeral,
        confirm: ephemeral + 32,
        len: ephemeral + 64,
    }
}

fn flip(bytes: &[u8], at: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[at] ^= 0x01;
    out
}

fn cut(bytes: &[u8], len: usize) -> Vec<u8> {
    bytes[..len].to_vec()
}

fn valid_handshakes() -> Vec<Hs> {
    let alice = dev("alice", "alice-phone");
    let laptop = dev("alice", "alice-laptop");
    let bob = dev("bob", "bob-phone");
    let carol = dev("carol", "carol-desktop");
    let mut v = vec![
        hs(
            "basic-one-time-prekey",
            "alice-phone sets up a session with bob-phone using one-time prekey 1.",
            &[
                "SES-010", "SES-011", "SES-016", "SES-020", "SES-022", "SES-023", "SES-024", "SES-025", "SES-026",
                "SES-040",
            ],
            &[],
            &alice,
            &bob,
            true,
        ),
        hs(
            "basic-no-one-time-prekey",
            "alice-phone sets up a session with bob-phone without a one-time prekey: three DH values.",
            &["SES-020", "SES-022", "SES-023", "SES-024", "SES-025", "SES-026", "SES-040"],
            &[],
            &alice,
            &bob,
            false,
        ),
        hs(
            "same-account",
            "alice-phone sets up a session with alice-laptop, a device of the same account.",
            &["SES-025", "SES-026"],
            &[],
            &alice,
            &laptop,
            true,
        ),
        hs(
            "to-carol",
            "bob-phone sets up a session with carol-desktop.",
            &["SES-025", "SES-026"],
            &[],
            &bob,
            &carol,
            true,
        ),
    ];
    // ID bounds (SES-001).
    let short_a = dev_with(b"a", b"1", CERT_FROM, CERT_UNTIL, SPK_UNTIL);
    let short_b = dev_with(b"b", b"2", CERT_FROM, CERT_UNTIL, SPK_UNTIL);
    v.push(hs(
        "ids-one-byte",
        "One-byte account and device IDs on both sides.",
        &["SES-001", "SES-010", "SES-020"],
        &["Boundary"],
        &short_a,
        &short_b,
        true,
    ));
    let long_a = dev_with(&[b'A'; 64], &[b'a'; 64], CERT_FROM, CERT_UNTIL, SPK_UNTIL);
    let long_b = dev_with(&[b'B'; 64], &[b'b'; 64], CERT_FROM, CERT_UNTIL, SPK_UNTIL);
    v.push(hs(
        "ids-64-bytes",
        "64-byte account and device IDs on both sides: the longest init message.",
        &["SES-001", "SES-010", "SES-020"],
        &["Boundary"],
        &long_a,
        &long_b,
        true,
    ));
    // Validity boundaries (SES-013).
    let mut c = hs(
        "certificate-first-second",
        "now = not_before of bob-phone's certificate, and the responder reads it then too.",
        &["SES-013", "SES-014"],
        &["Boundary"],
        &alice,
        &bob,
        true,
    );
    (c.now, c.received_at) = (CERT_FROM, CERT_FROM);
    v.push(c);
    let mut c = hs(
        "certificate-last-second",
        "now = not_after - 1 of both certificates.",
        &["SES-013", "SES-014"],
        &["Boundary"],
        &alice,
        &bob,
        true,
    );
    (c.now, c.received_at) = (CERT_UNTIL - 1, CERT_UNTIL - 1);
    let spk_late = CERT_UNTIL;
    c.responder.resign_spk(&bob, b"bob", b"bob-phone", 1, public(&bob.spk_secret), spk_late);
    c.bundle.spk = c.responder.spk.to_vec();
    c.signed = vec![(1, bob.spk_secret, spk_late)];
    v.push(c);
    let mut c = hs(
        "signed-prekey-last-second",
        "The initiator and the responder both act one second before the signed prekey's not_after.",
        &["SES-013", "SES-015", "SES-026"],
        &["Boundary"],
        &alice,
        &bob,
        true,
    );
    (c.now, c.received_at) = (SPK_UNTIL - 1, SPK_UNTIL - 1);
    v.push(c);
    let mut c = hs(
        "responder-offline-for-29-days",
        "The responder processes the init message 29 days after it was written (asynchronous set-up).",
        &["SES-025", "SES-026"],
        &[],
        &alice,
        &bob,
        true,
    );
    c.received_at = T0 + 29 * 86_400;
    v.push(c);
    // Prekey IDs at their extremes, and a store with history.
    let mut c = hs(
        "prekey-ids-extreme",
        "Signed prekey ID 0 and one-time prekey ID 2^32 - 1.",
        &["SES-011", "SES-016", "SES-020"],
        &["Boundary"],
        &alice,
        &bob,
        true,
    );
    let opk_secret = key32("session opk bob-phone max");
    c.responder.resign_spk(&bob, b"bob", b"bob-phone", 0, public(&bob.spk_secret), SPK_UNTIL);
    c.bundle.spk = c.responder.spk.to_vec();
    c.signed = vec![(0, bob.spk_secret, SPK_UNTIL)];
    c.one_time = vec![(u32::MAX, opk_secret)];
    c.bundle.opk = Some((u32::MAX, public(&opk_secret)));
    v.push(c);
    let mut c = hs(
        "responder-with-history",
        "The responder has used other one-time prekeys, accepted other sessions and holds two signed prekeys.",
        &["SES-016", "SES-026", "SES-028"],
        &[],
        &alice,
        &bob,
        true,
    );
    c.one_time = bob.opks[..1].to_vec();
    c.used = vec![2, 3, 77];
    c.signed.push((2, key32("session spk bob-phone 2"), SPK_UNTIL));
    c.accepted = vec![(1, hex::encode([0x5a; 16])), (2, hex::encode([0xa5; 16]))];
    v.push(c);
    // Fixed-seed handshakes between fresh identities.
    for n in 0u64..12 {
        let a = dev_with(
            format!("account-a{n}").as_bytes(),
            format!("device-a{n}").as_bytes(),
            CERT_FROM,
            CERT_UNTIL,
            SPK_UNTIL,
        );
        let b = dev_with(
            format!("account-b{n}").as_bytes(),
            format!("device-b{n}").as_bytes(),
            CERT_FROM,
            CERT_UNTIL,
            SPK_UNTIL,
        );
        let mut c = hs(
            &format!("fixed-seed-{n:02}"),
            "A handshake between fresh identities, every key derived from a label.",
            &["SES-023", "SES-024", "SES-040"],
            &[],
            &a,
            &b,
            n % 3 != 0,
        );
        if n % 3 != 0 {
            let pick = usize::try_from(n % 3).unwrap_or(0);
            c.bundle.opk = Some((b.opks[pick].0, public(&b.opks[pick].1)));
        }
        c.received_at = T0 + 3_600 * n;
        v.push(c);
    }
    v
}

fn invalid_bundles() -> Vec<Hs> {
    let alice = dev("alice", "alice-phone");
    let bob = dev("bob", "bob-phone");
    let tablet = dev("bob", "bob-tablet");
    let mallory = dev("mallory", "mallory-phone");
    let base = || hs("x", "", &[], &[], &alice, &bob, true);
    let named = |id: &str, comment: &str, reqs: &[&'static str], flags: &[&'static str]| {
        let mut c = base();
        c.id = id.into();
        c.comment = comment.into();
        c.reqs = reqs.to_vec();
        c.flags.extend_from_slice(flags);
        c.ephemeral = key32(&format!("session ephemeral {id}"));
        c
    };
    let cert = bob.cert.to_vec();
    let spk = bob.spk.to_vec();
    let mut v = Vec::new();

    let mut c = named(
        "bundle-certificate-signature-flipped",
        "One bit of the certificate's signature is flipped.",
        &["SES-012", "SES-014"],
        &["Tampered"],
    );
    c.bundle.cert = flip(&cert, cert.len() - 1);
    v.push(c.fails("session.authentication_failed"));
    let mut c = named(
        "bundle-certificate-identity-key-changed",
        "One bit of the certified identity key is flipped.",
        &["SES-010", "SES-014"],
        &["Tampered"],
    );
    c.bundle.cert = flip(&cert, 2 + 3 + 2 + 9);
    v.push(c.fails("session.authentication_failed"));
    let mut c = named(
        "bundle-certificate-not-after-changed",
        "The certificate's not_after is moved a second later.",
        &["SES-010", "SES-014"],
        &["Tampered"],
    );
    c.bundle.cert = flip(&cert, cert.len() - 64 - 1);
    v.push(c.fails("session.authentication_failed"));
    let mut c = named(
        "bundle-certificate-signed-by-another-root",
        "bob-phone's certificate signed by mallory's root key, checked with bob's.",
        &["SES-012", "SES-014"],
        &["WrongParty"],
    );
    let mut forged = bob.clone();
    forged.recertify(&mallory.root_seed, b"bob", b"bob-phone", public(&bob.identity), CERT_FROM, CERT_UNTIL);
    c.bundle.cert = forged.cert.to_vec();
    v.push(c.fails("session.authentication_failed"));
    let mut c = named(
        "bundle-certificate-for-another-account",
        "The bundle for bob-phone carries mallory's valid certificate for mallory-phone.",
        &["SES-014"],
        &["WrongParty"],
    );
    c.bundle.cert = mallory.cert.to_vec();
    v.push(c.fails("session.wrong_account"));
    let mut c = named(
        "bundle-certificate-other-account-same-device-id",
        "A certificate by mallory's root for a device also named bob-phone, under account mallory.",
        &["SES-014"],
        &["WrongParty"],
    );
    let mut forged = bob.clone();
    forged.recertify(&mallory.root_seed, b"mallory", b"bob-phone", public(&bob.identity), CERT_FROM, CERT_UNTIL);
    c.bundle.cert = forged.cert.to_vec();
    v.push(c.fails("session.wrong_account"));
    let mut c = named(
        "bundle-certificate-for-another-device",
        "The bundle for bob-phone carries bob-tablet's valid certificate.",
        &["SES-014"],
        &["WrongParty"],
    );
    c.bundle.cert = tablet.cert.to_vec();
    v.push(c.fails("session.wrong_device"));
    let mut c = named(
        "bundle-certificate-expired",
        "now = the certificate's not_after.",
        &["SES-013", "SES-014"],
        &["PastBoundary"],
    );
    c.now = CERT_UNTIL;
    v.push(c.fails("session.expired"));
    let mut c = named(
        "bundle-certificate-not-yet-valid",
        "now = the certificate's not_before - 1.",
        &["SES-013", "SES-014"],
        &["PastBoundary"],
    );
    c.now = CERT_FROM - 1;
    v.push(c.fails("session.expired"));
    let mut c = named(
        "bundle-certificate-empty-validity",
        "A certificate with not_before = not_after is never in force.",
        &["SES-013"],
        &["PastBoundary"],
    );
    let mut empty = bob.clone();
    empty.recertify(&bob.root_seed, b"bob", b"bob-phone", public(&bob.identity), T0, T0);
    c.bundle.cert = empty.cert.to_vec();
    v.push(c.fails("session.expired"));
    let mut c = named(
        "bundle-signed-prekey-signature-flipped",
        "One bit of the signed prekey's signature is flipped.",
        &["SES-012", "SES-015"],
        &["Tampered"],
    );
    c.bundle.spk = flip(&spk, spk.len() - 1);
    v.push(c.fails("session.authentication_failed"));
    let mut c = named(
        "bundle-signed-prekey-key-changed",
        "One bit of the signed prekey's public key is flipped.",
        &["SES-011", "SES-015"],
        &["Tampered"],
    );
    c.bundle.spk = flip(&spk, 4);
    v.push(c.fails("session.authentication_failed"));
    let mut c = named(
        "bundle-signed-prekey-of-another-device",
        "bob-tablet's valid signed prekey in bob-phone's bundle.",
        &["SES-011", "SES-015"],
        &["WrongParty"],
    );
    c.bundle.spk = tablet.spk.to_vec();
    v.push(c.fails("session.authentication_failed"));
    let mut c = named(
        "bundle-signed-prekey-naming-another-device",
        "A prekey signed by bob-phone's key, but over a statement naming bob-tablet.",
        &["SES-011", "SES-015"],
        &["WrongParty"],
    );
    let mut moved = bob.clone();
    moved.resign_spk(&bob, b"bob", b"bob-tablet", 1, public(&bob.spk_secret), SPK_UNTIL);
    c.bundle.spk = moved.spk.to_vec();
    v.push(c.fails("session.authentication_failed"));
    let mut c = named(
        "bundle-signed-prekey-naming-another-account",
        "A prekey signed by bob-phone's key, over a statement naming account mallory.",
        &["SES-011", "SES-015"],
        &["WrongParty"],
    );
    let mut moved = bob.clone();
    moved.resign_spk(&bob, b"mallory", b"bob-phone", 1, public(&bob.spk_secret), SPK_UNTIL);
    c.bundle.spk = moved.spk.to_vec();
    v.push(c.fails("session.authentication_failed"));
    let mut c = named(
        "bundle-signed-prekey-expired",
        "now = the signed prekey's not_after.",
        &["SES-013", "SES-015"],
        &["PastBoundary"],
    );
    c.now = SPK_UNTIL;
    v.push(c.fails("session.expired"));
    let mut c = named(
        "bundle-signed-prekey-small-order",
        "bob-phone signs a signed prekey that is the point u = 0.",
        &["SES-023"],
        &["SmallOrder"],
    );
    let mut weak = bob.clone();
    weak.resign_spk(&bob, b"bob", b"bob-phone", 1, SMALL_ORDER, SPK_UNTIL);
    c.bundle.spk = weak.spk.to_vec();
    v.push(c.fails("session.invalid_key"));
    let mut c = named(
        "bundle-one-time-prekey-small-order",
        "The one-time prekey is a point of order 8.",
        &["SES-016", "SES-023"],
        &["SmallOrder"],
    );
    c.bundle.opk = Some((1, ORDER_EIGHT));
    v.push(c.fails("session.invalid_key"));
    let mut c = named(
        "bundle-identity-key-small-order",
        "bob's root certifies an identity key u = 0 for bob-phone.",
        &["SES-023"],
        &["SmallOrder"],
    );
    let mut weak = bob.clone();
    weak.recertify(&bob.root_seed, b"bob", b"bob-phone", SMALL_ORDER, CERT_FROM, CERT_UNTIL);
    c.bundle.cert = weak.cert.to_vec();
    v.push(c.fails("session.invalid_key"));
    // Encodings (SES-010, SES-011, SES-001).
    for (name, len, reqs) in [
        ("empty", 0usize, &["SES-010"][..]),
        ("in-account", 3, &["SES-010"]),
        ("in-identity-key", 12, &["SES-010"]),
        ("in-validity", cert.len() - 70, &["SES-010"]),
        ("one-byte-short", cert.len() - 1, &["SES-010"]),
    ] {
        let mut c = named(
            &format!("bundle-certificate-truncated-{name}"),
            &format!("The certificate cut to {len} bytes."),
            reqs,
            &["Truncated"],
        );
        c.bundle.cert = cut(&cert, len);
        v.push(c.fails("session.truncated"));
    }
    let mut c = named(
        "bundle-certificate-trailing-byte",
        "One byte after the certificate's signature.",
        &["SES-010"],
        &["Trailing"],
    );
    c.bundle.cert = [cert.clone(), vec![0]].concat();
    v.push(c.fails("session.trailing_data"));
    let mut c = named(
        "bundle-certificate-account-length-zero",
        "The certificate's account ID length is 0.",
        &["SES-001", "SES-010"],
        &["PastBoundary"],
    );
    c.bundle.cert = [&[0u8][..], &cert[4..]].concat();
    v.push(c.fails("session.length_out_of_range"));
    let mut c = named(
        "bundle-certificate-account-length-65",
        "The certificate's account ID length byte says 65.",
        &["SES-001", "SES-010"],
        &["PastBoundary"],
    );
    c.bundle.cert = [&[65u8][..], &[b'x'; 65][..], &cert[4..]].concat();
    v.push(c.fails("session.length_out_of_range"));
    for (name, len) in [("empty", 0usize), ("in-key", 20), ("one-byte-short", spk.len() - 1)] {
        let mut c = named(
            &format!("bundle-signed-prekey-truncated-{name}"),
            &format!("The signed prekey cut to {len} bytes."),
            &["SES-011"],
            &["Truncated"],
        );
        c.bundle.spk = cut(&spk, len);
        v.push(c.fails("session.truncated"));
    }
    let mut c = named(
        "bundle-signed-prekey-trailing-byte",
        "One byte after the signed prekey's signature.",
        &["SES-011"],
        &["Trailing"],
    );
    c.bundle.spk = [spk.clone(), vec![0xff]].concat();
    v.push(c.fails("session.trailing_data"));
    v
}

/// A handshake with an earlier delivery: id, comment, requirements, whether a one-time prekey is
/// used, the earlier message made from the genuine one, and the final message's refusal (if any).
type EarlierCase = (
    &'static str,
    &'static str,
    &'static [&'static str],
    bool,
    fn(&[u8], &InitLayout) -> Vec<u8>,
    Option<&'static str>,
);

fn invalid_responses() -> Result<Vec<Hs>, GenerateError> {
    let alice = dev("alice", "alice-phone");
    let laptop = dev("alice", "alice-laptop");
    let bob = dev("bob", "bob-phone");
    let tablet = dev("bob", "bob-tablet");
    let carol = dev("carol", "carol-desktop");
    let mallory = dev("mallory", "mallory-phone");
    let named = |id: &str, comment: &str, reqs: &[&'static str], flags: &[&'static str], opk: bool| {
        let mut c = hs(id, comment, reqs, flags, &alice, &bob, opk);
        c.ephemeral = key32(&format!("session ephemeral {id}"));
        c
    };
    let mut v = Vec::new();
    let proto = named("init-proto", "", &[], &[], true);
    let init = proto.genuine_init()?;
    let at = layout(&init);
    if at.len != init.len() {
        return Err(GenerateError(format!("init message layout: {} bytes computed, {} written", at.len, init.len())));
    }
    let responder_fault = |c: Hs| -> Result<Hs, GenerateError> {
        let genuine = c.genuine_init()?;
        Ok(c.deliver(genuine))
    };
    // Structure (SES-020, SES-021).
    for (name, len) in [
        ("empty", 0usize),
        ("after-version", 1),
        ("after-suite", 2),
        ("after-flags", 3),
        ("in-certificate", 60),
        ("after-certificate", at.cert_end),
        ("in-responder-device", at.responder_device + 3),
        ("in-signed-prekey-id", at.spk_id + 2),
        ("in-one-time-prekey-id", at.spk_id + 6),
        ("in-ephemeral-key", at.ephemeral + 16),
        ("before-confirm", at.confirm),
        ("one-byte-short", init.len() - 1),
    ] {
        let c = named(
            &format!("init-truncated-{name}"),
            &format!("The init message cut to {len} bytes."),
            &["SES-020", "SES-021"],
            &["Truncated"],
            true,
        );
        v.push(c.deliver(cut(&init, len)).fails("session.truncated"));
    }
    let c = named("init-trailing-byte", "One byte after confirm.", &["SES-021"], &["Trailing"], true);
    v.push(c.deliver([init.clone(), vec![0]].concat()).fails("session.trailing_data"));
    let c = named("init-trailing-block", "32 bytes after confirm.", &["SES-021"], &["Trailing"], true);
    v.push(c.deliver([init.clone(), vec![0x42; 32]].concat()).fails("session.trailing_data"));
    for (name, byte) in [("version-0", 0u8), ("version-2", 2), ("version-ff", 0xff)] {
        let mut bad = init.clone();
        bad[0] = byte;
        let c = named(
            &format!("init-unknown-{name}"),
            &format!("Version byte 0x{byte:02x}."),
            &["SES-020", "SES-021"],
            &["Tampered"],
            true,
        );
        v.push(c.deliver(bad).fails("session.unknown_version"));
    }
    for (name, byte) in [("suite-0", 0u8), ("suite-2", 2)] {
        let mut bad = init.clone();
        bad[1] = byte;
        let c = named(
            &format!("init-unknown-{name}"),
            &format!("Suite byte 0x{byte:02x}."),
            &["SES-020", "SES-021"],
            &["Tampered"],
            true,
        );
        v.push(c.deliver(bad).fails("session.unknown_suite"));
    }
    for byte in [0x02u8, 0x03, 0x80, 0xff] {
        let mut bad = init.clone();
        bad[2] = byte;
        let c = named(
            &format!("init-reserved-bits-{byte:02x}"),
            &format!("Flags byte 0x{byte:02x}: a reserved bit is set."),
            &["SES-020", "SES-021"],
            &["Tampered"],
            true,
        );
        v.push(c.deliver(bad).fails("session.reserved_bits"));
    }
    let mut bad = init.clone();
    bad[3] = 0;
    let c = named(
        "init-certificate-account-length-zero",
        "The initiator certificate's account length byte is 0.",
        &["SES-001", "SES-021"],
        &["PastBoundary"],
        true,
    );
    v.push(c.deliver(bad).fails("session.length_out_of_range"));
    let mut bad = init.clone();
    bad[at.responder_device] = 65;
    let c = named(
        "init-responder-device-length-65",
        "The responder device's length byte says 65.",
        &["SES-001", "SES-021"],
        &["PastBoundary"],
        true,
    );
    v.push(c.deliver(bad).fails("session.length_out_of_range"));
    // The flag cleared and the one-time prekey ID removed: a well-formed message whose transcript
    // no longer matches.
    let stripped = [&init[..2], &[0u8][..], &init[3..at.spk_id + 4], &init[at.spk_id + 8..]].concat();
    let c = named(
        "init-one-time-prekey-removed",
        "Flag bit 0 cleared and the one-time prekey ID taken out.",
        &["SES-022", "SES-024", "SES-026"],
        &["Tampered"],
        true,
    );
    v.push(c.deliver(stripped).fails("session.authentication_failed"));
    let mut swapped = init.clone();
    swapped[at.spk_id + 7] = 2;
    let c = named(
        "init-one-time-prekey-id-changed",
        "The one-time prekey ID changed from 1 to 2, which the responder also holds.",
        &["SES-022", "SES-026"],
        &["Tampered"],
        true,
    );
    v.push(c.deliver(swapped).fails("session.authentication_failed"));
    let mut c = named(
        "init-signed-prekey-id-changed",
        "The signed prekey ID changed from 1 to 2, which the responder also holds.",
        &["SES-022", "SES-026"],
        &["Tampered"],
        true,
    );
    c.signed.push((2, key32("session spk bob-phone 2"), SPK_UNTIL));
    let mut other = init.clone();
    other[at.spk_id + 3] = 2;
    v.push(c.deliver(other).fails("session.authentication_failed"));
    let c =
        named("init-confirm-flipped", "One bit of confirm is flipped.", &["SES-024", "SES-026"], &["Tampered"], true);
    v.push(c.deliver(flip(&init, at.confirm + 31)).fails("session.authentication_failed"));
    let c = named(
        "init-ephemeral-flipped",
        "One bit of the ephemeral key is flipped: other DH values, so confirm fails.",
        &["SES-024", "SES-026"],
        &["Tampered"],
        true,
    );
    v.push(c.deliver(flip(&init, at.ephemeral + 5)).fails("session.authentication_failed"));
    let mut zero = init.clone();
    zero[at.ephemeral..at.confirm].copy_from_slice(&SMALL_ORDER);
    let c = named(
        "init-ephemeral-small-order",
        "The ephemeral key replaced by u = 0: DH2 is zero at the responder.",
        &["SES-023", "SES-026"],
        &["SmallOrder"],
        true,
    );
    v.push(c.deliver(zero).fails("session.invalid_key"));
    let mut eight = init.clone();
    eight[at.ephemeral..at.confirm].copy_from_slice(&ORDER_EIGHT);
    let c = named(
        "init-ephemeral-order-eight",
        "The ephemeral key replaced by a point of order 8.",
        &["SES-023", "SES-026"],
        &["SmallOrder"],
        true,
    );
    v.push(c.deliver(eight).fails("session.invalid_key"));
    // Another valid certificate in place of the initiator's: it verifies, but confirm does not.
    let swapped = [&init[..3], &laptop.cert.to_vec()[..], &init[at.cert_end..]].concat();
    let c = named(
        "init-initiator-certificate-swapped",
        "alice-laptop's valid certificate in place of alice-phone's.",
        &["SES-022", "SES-024", "SES-026"],
        &["WrongParty"],
        true,
    );
    v.push(c.deliver(swapped).fails("session.authentication_failed"));
    // Addressing (SES-026 step 2).
    let mut c = named(
        "init-for-another-device",
        "alice-phone writes to bob-tablet; the message reaches bob-phone.",
        &["SES-026"],
        &["WrongParty"],
        true,
    );
    c.bundle = hs("x", "", &[], &[], &alice, &tablet, true).bundle;
    v.push(c.fails("session.wrong_device"));
    let mut c = named(
        "init-for-another-account",
        "alice-phone writes to carol-desktop; the message reaches bob-phone.",
        &["SES-026"],
        &["WrongParty"],
        true,
    );
    c.bundle = hs("x", "", &[], &[], &alice, &carol, true).bundle;
    v.push(c.fails("session.wrong_device"));
    let c = named(
        "init-responder-account-changed",
        "One byte of the responder's account ID in the message is changed.",
        &["SES-026"],
        &["Tampered"],
        true,
    );
    v.push(c.deliver(flip(&init, at.responder_account + 1)).fails("session.wrong_device"));
    let c = named(
        "init-responder-device-changed",
        "One byte of the responder's device ID in the message is changed.",
        &["SES-026"],
        &["Tampered"],
        true,
    );
    v.push(c.deliver(flip(&init, at.responder_device + 1)).fails("session.wrong_device"));
    // The initiator's certificate (SES-026 step 3).
    let mut c = named(
        "init-initiator-certificate-signature-flipped",
        "The initiator's own certificate has a flipped signature bit.",
        &["SES-012", "SES-026"],
        &["Tampered"],
        true,
    );
    let cert = alice.cert.to_vec();
    c.initiator_cert = flip(&cert, cert.len() - 2);
    v.push(c.fails("session.authentication_failed"));
    let mut c = named(
        "init-initiator-certificate-by-another-root",
        "alice-phone's certificate signed by mallory's root.",
        &["SES-012", "SES-026"],
        &["WrongParty"],
        true,
    );
    let mut forged = alice.clone();
    forged.recertify(&mallory.root_seed, b"alice", b"alice-phone", public(&alice.identity), CERT_FROM, CERT_UNTIL);
    c.initiator_cert = forged.cert.to_vec();
    v.push(c.fails("session.authentication_failed"));
    let mut c = named(
        "init-initiator-certificate-expired",
        "The responder reads the message at the initiator certificate's not_after.",
        &["SES-013", "SES-026"],
        &["PastBoundary"],
        true,
    );
    let mut short = alice.clone();
    short.recertify(&alice.root_seed, b"alice", b"alice-phone", public(&alice.identity), CERT_FROM, T0 + 3_600);
    c.initiator_cert = short.cert.to_vec();
    c.received_at = T0 + 3_600;
    v.push(c.fails("session.expired"));
    let mut c = named(
        "init-initiator-identity-key-small-order",
        "alice's root certifies identity key u = 0 for alice-phone: DH1 is zero at the responder.",
        &["SES-023", "SES-026"],
        &["SmallOrder"],
        true,
    );
    let mut weak = alice.clone();
    weak.recertify(&alice.root_seed, b"alice", b"alice-phone", SMALL_ORDER, CERT_FROM, CERT_UNTIL);
    c.initiator_cert = weak.cert.to_vec();
    v.push(c.fails("session.invalid_key"));
    // The responder's store (SES-026 steps 4 and 5, SES-016, SES-028).
    let mut c =
        named("init-unknown-signed-prekey", "The responder holds signed prekey 2 only.", &["SES-026"], &[], true);
    c.signed = vec![(2, bob.spk_secret, SPK_UNTIL)];
    v.push(c.fails("session.unknown_prekey"));
    let mut c = named(
        "init-signed-prekey-expired-at-responder",
        "The responder reads the message at the signed prekey's not_after.",
        &["SES-013", "SES-026"],
        &["PastBoundary"],
        true,
    );
    c.received_at = SPK_UNTIL;
    v.push(c.fails("session.expired"));
    let mut c = named(
        "init-signed-prekey-retired-early",
        "The responder's record says its signed prekey ended an hour after T0; the message arrives then.",
        &["SES-026"],
        &["PastBoundary"],
        true,
    );
    c.signed = vec![(1, bob.spk_secret, T0 + 3_600)];
    c.received_at = T0 + 3_600;
    v.push(c.fails("session.expired"));
    let mut c = named(
        "init-unknown-one-time-prekey",
        "The responder never issued one-time prekey 1.",
        &["SES-016", "SES-026"],
        &[],
        true,
    );
    c.one_time = bob.opks[1..].to_vec();
    v.push(c.fails("session.unknown_prekey"));
    let mut c = named(
        "init-one-time-prekey-reused",
        "One-time prekey 1 was used by an earlier handshake.",
        &["SES-016", "SES-026"],
        &[],
        true,
    );
    c.one_time = bob.opks[1..].to_vec();
    c.used = vec![1];
    v.push(c.fails("session.prekey_reused"));
    let mut c = named(
        "init-replayed-without-one-time-prekey",
        "The same init message, without a one-time prekey, arrives a second time.",
        &["SES-028"],
        &[],
        false,
    );
    let replayed = handshake(&c.args()).map_err(|e| GenerateError(format!("replay case: {e}")))?;
    c.accepted = vec![(1, replayed["sessionId"].as_str().unwrap_or_default().to_owned())];
    v.push(c.fails("session.replay"));
    let mut c = named(
        "init-replayed-with-one-time-prekey",
        "The same init message with a one-time prekey arrives again: the prekey is used.",
        &["SES-016", "SES-028"],
        &[],
        true,
    );
    c.one_time = bob.opks[1..].to_vec();
    c.used = vec![1];
    v.push(c.fails("session.prekey_reused"));
    let mut c = named(
        "init-responder-identity-secret-wrong",
        "The responder's identity secret is not the one its certificate names.",
        &["SES-024", "SES-026"],
        &[],
        true,
    );
    c.responder.identity = key32("session identity someone-else");
    v.push(c.fails("session.authentication_failed"));
    // A refused handshake changes nothing (SES-027): the genuine message is still accepted after
    // refused ones that name the same one-time prekey, and an accepted one is remembered.
    let earlier_cases: [EarlierCase; 5] = [
        (
            "init-accepted-after-refused-confirm-flipped",
            "A copy with one bit of confirm flipped arrives first and is refused; the genuine message, naming \
             the same one-time prekey, is then accepted: the refusal used nothing up.",
            &["SES-024", "SES-027"],
            true,
            |init, at| flip(init, at.confirm + 31),
            None,
        ),
        (
            "init-accepted-after-refused-ephemeral-flipped",
            "A copy with one bit of the ephemeral key flipped (other DH values, so confirm fails) arrives \
             first; the genuine message is then accepted.",
            &["SES-024", "SES-027"],
            true,
            |init, at| flip(init, at.ephemeral + 5),
            None,
        ),
        (
            "init-accepted-after-refused-for-another-device",
            "A copy addressed to another device arrives first and is refused before any prekey is looked at; \
             the genuine message is then accepted.",
            &["SES-026", "SES-027"],
            true,
            |init, at| {
                let mut other = init.to_vec();
                other[at.spk_id - 1] ^= 0x01;
                other
            },
            None,
        ),
        (
            "init-delivered-twice-with-one-time-prekey",
            "The genuine message arrives twice: the first is accepted and uses one-time prekey 1, so the \
             second is refused. (An adapter that ignores earlierInitMessages fails here.)",
            &["SES-016", "SES-027"],
            true,
            |init, _| init.to_vec(),
            Some("session.prekey_reused"),
        ),
        (
            "init-delivered-twice-without-one-time-prekey",
            "The genuine message, without a one-time prekey, arrives twice: the first is accepted and its \
             session ID recorded, so the second is a replay.",
            &["SES-027", "SES-028"],
            false,
            |init, _| init.to_vec(),
            Some("session.replay"),
        ),
    ];
    for (id, comment, reqs, opk, earlier, expect) in earlier_cases {
        let mut c = named(id, comment, reqs, &[], opk);
        let genuine = c.genuine_init()?;
        c.earlier = vec![earlier(&genuine, &layout(&genuine))];
        let c = c.deliver(genuine);
        v.push(match expect {
            Some(code) => c.fails(code),
            None => c,
        });
    }
    let c = responder_fault(named(
        "init-genuine-bytes-delivered",
        "Control: the genuine message given explicitly as initMessage is accepted.",
        &["SES-021", "SES-026"],
        &[],
        true,
    ))?;
    // A control case that must pass, kept with the faults it is a control for.
    v.push(c);
    Ok(v)
}

/// The labels of the certificate and signed-prekey statements (SES-010, SES-011), as the spec writes
/// them: the forged signatures are made here, not by the reference.
const DEVICE_STATEMENT_LABEL: &[u8] = b"cinder-ses-v1 device";
const PREKEY_STATEMENT_LABEL: &[u8] = b"cinder-ses-v1 prekey";

/// Which signature of a handshake a signature-strictness case forges.
#[derive(Clone, Copy, Debug)]
enum Signed {
    /// The responder's certificate in the bundle, under its account's root key (SES-014 step 3).
    BundleCertificate,
    /// The responder's signed prekey in the bundle, under the device signing key (SES-015).
    BundleSignedPrekey,
    /// The initiator's certificate in the init message, checked by the responder (SES-026 step 3).
    InitiatorCertificate,
}

/// Replaces the signature (the last 64 bytes) of a certificate or signed prekey encoding.
fn with_signature(mut bytes: Vec<u8>, signature: &[u8; 64]) -> Vec<u8> {
    let at = bytes.len() - 64;
    bytes[at..].copy_from_slice(signature);
    bytes
}

/// A certificate of `d` signed by `forgery` under its root seed, valid until `until`: the forged
/// encoding and the key to check it with.
fn forged_certificate(d: &Dev, forgery: forge::Forgery, until: u64) -> Option<([u8; 32], Vec<u8>)> {
    let genuine = Certificate::issue(
        &SigningSecret::from_bytes(d.root_seed),
        &id(&d.account),
        &id(&d.device),
        public(&d.identity),
        d.signing().public_key(),
        CERT_FROM,
        until,
    )
    .to_vec();
    let statement = [DEVICE_STATEMENT_LABEL, &genuine[..genuine.len() - 64]].concat();
    let (key, signature) = forge::forge(forgery, &d.root_seed, &statement)?;
    Some((key, with_signature(genuine, &signature)))
}

/// A signed prekey of `d` signed by `forgery` under its signing seed, valid until `until`: the
/// forged encoding and the device signing key to check it with.
fn forged_prekey(d: &Dev, forgery: forge::Forgery, until: u64) -> Option<([u8; 32], Vec<u8>)> {
    let genuine =
        SignedPrekey::sign(&d.signing(), &id(&d.account), &id(&d.device), d.spk_id, public(&d.spk_secret), until)
            .to_vec();
    let ids = [
        [u8::try_from(d.account.len()).ok()?].as_slice(),
        &d.account,
        &[u8::try_from(d.device.len()).ok()?],
        &d.device,
    ]
    .concat();
    let statement = [PREKEY_STATEMENT_LABEL, &ids, &genuine[..genuine.len() - 64]].concat();
    let (key, signature) = forge::forge(forgery, &d.signing_seed, &statement)?;
    Some((key, with_signature(genuine, &signature)))
}

/// The first validity end at or below `until` (a second earlier at a time) whose statement suits
/// `forgery`, and what `make` forges with it.
fn first_suitable(
    until: u64,
    forgery: forge::Forgery,
    make: impl Fn(u64) -> Option<([u8; 32], Vec<u8>)>,
) -> Result<(u64, [u8; 32], Vec<u8>), GenerateError> {
    (0..1024u64)
        .find_map(|back| make(until - back).map(|(key, bytes)| (until - back, key, bytes)))
        .ok_or_else(|| GenerateError(format!("{}: no statement in 1024 suits the forgery", forgery.name())))
}

fn decoded(bytes: &[u8], what: &str) -> Result<Certificate, GenerateError> {
    Certificate::decode(bytes)
        .map_err(|e| GenerateError(format!("{what}: the forged certificate does not decode: {e}")))
}

/// SES-012 rule by rule: for each of the three signatures a handshake checks, every forgery of
/// [`forge::Forgery`]. Whoever holds the forged key holds it as its own (the responder its forged
/// certificate and root key, the initiator likewise), so that an implementation with a lenient
/// verifier completes the handshake and reports keys where the case expects
/// `session.authentication_failed`.
fn signature_strictness() -> Result<Vec<Hs>, GenerateError> {
    let alice = dev("alice", "alice-phone");
    let bob = dev("bob", "bob-phone");
    let mut v = Vec::new();
    for signed in [Signed::BundleCertificate, Signed::BundleSignedPrekey, Signed::InitiatorCertificate] {
        for forgery in forge::Forgery::all() {
            let (target, reqs): (&str, &[&'static str]) = match signed {
                Signed::BundleCertificate => ("bundle-certificate", &["SES-012", "SES-014", "SES-025"]),
                Signed::BundleSignedPrekey => ("bundle-signed-prekey", &["SES-012", "SES-015", "SES-025"]),
                Signed::InitiatorCertificate => ("initiator-certificate", &["SES-012", "SES-014", "SES-026"]),
            };
            let case_id = format!("{target}-{}", forgery.name());
            let mut c = hs(&case_id, "", reqs, &["StrictSignature"], &alice, &bob, true);
            let (what, until) = match signed {
                Signed::BundleCertificate => {
                    let (until, key, bytes) =
                        first_suitable(CERT_UNTIL, forgery, |u| forged_certificate(&bob, forgery, u))?;
                    c.bundle.cert = bytes.clone();
                    c.bundle.root = key;
                    c.responder.cert = decoded(&bytes, &case_id)?;
                    c.responder.root_public = Some(key);
                    ("bob-phone's certificate in the bundle", until)
                }
                Signed::BundleSignedPrekey => {
                    let (until, key, bytes) = first_suitable(SPK_UNTIL, forgery, |u| forged_prekey(&bob, forgery, u))?;
                    // The device signing key is the forged one, in a certificate the root key signs.
                    let cert = Certificate::issue(
                        &SigningSecret::from_bytes(bob.root_seed),
                        &id(b"bob"),
                        &id(b"bob-phone"),
                        public(&bob.identity),
                        key,
                        CERT_FROM,
                        CERT_UNTIL,
                    );
                    c.bundle.cert = cert.to_vec();
                    c.bundle.spk = bytes;
                    c.responder.cert = cert;
                    c.signed = vec![(bob.spk_id, bob.spk_secret, until)];
                    (
                        "bob-phone's signed prekey in the bundle, under the device signing key its certificate names,",
                        until,
                    )
                }
                Signed::InitiatorCertificate => {
                    let (until, key, bytes) =
                        first_suitable(CERT_UNTIL, forgery, |u| forged_certificate(&alice, forgery, u))?;
                    c.initiator.cert = decoded(&bytes, &case_id)?;
                    c.initiator_cert = bytes;
                    c.initiator.root_public = Some(key);
                    ("alice-phone's certificate in the init message, checked by the responder,", until)
                }
            };
            c.comment = format!(
                "SES-012 {}: {what} carries {} (not_after {until}). Strict verification refuses it; the key is the signer's own on both sides, so a lenient verifier completes the handshake.",
                forgery.rules(),
                forgery.describe()
            );
            v.push(c.fails("session.authentication_failed"));
        }
    }
    Ok(v)
}

fn handshake_group(name: &str, description: &str, cases: Vec<Hs>) -> Result<Group, GenerateError> {
    let mut g = Group::new(name, "session.handshake", description);
    for c in cases {
        let args = c.args();
        let case = Case { id: &c.id, comment: &c.comment, requirements: &c.reqs, flags: &c.flags };
        match (handshake(&args), c.expect) {
            (Ok(out), None) => {
                let init_len = out["initMessage"].as_str().map_or(0, |s| s.len() / 2);
                let want_len = if c.init_override.is_some() { init_len } else { c.expected_init_len() };
                let want_dh = if c.bundle.opk.is_some() { 4 } else { 3 };
                let dh = out["dh"].as_array().map_or(0, Vec::len);
                if init_len != want_len || dh != want_dh {
                    return Err(GenerateError(format!(
                        "{}: init message of {init_len} bytes and {dh} DH values; SES-020 and SES-023 give {want_len} and {want_dh}",
                        c.id
                    )));
                }
                g.valid(&case, args, out);
            }
            (Err(OpError::Code(got)), Some(want)) if got == want => g.invalid(&case, args, want),
            (got, want) => {
                return Err(GenerateError(format!(
                    "{}: the case expects {want:?} but the reference gives {got:?}",
                    c.id
                )));
            }
        }
    }
    Ok(g)
}

// ------------------------------------------------------------------------------------------------
// Scenarios
// ------------------------------------------------------------------------------------------------

/// The devices of every scenario, in setup order: (fixture, starts as a member).
fn world() -> Vec<(Dev, bool)> {
    vec![
        (dev("alice", "alice-phone"), true),
        (dev("alice", "alice-laptop"), true),
        (dev("bob", "bob-phone"), true),
        (dev("bob", "bob-tablet"), false),
        (dev("carol", "carol-desktop"), true),
    ]
}

const ACCOUNTS: [&str; 3] = ["alice", "bob", "carol"];

fn setup() -> Value {
    json!({
        "accounts": ACCOUNTS.iter().map(|a| json!({
            "account": hex::encode(a), "rootKey": hex::encode(root_key(a.as_bytes())),
        })).collect::<Vec<_>>(),
        "devices": world().iter().map(|(d, member)| json!({
            "certificate": hex::encode(d.cert.to_vec()),
            "identitySecret": hex::encode(d.identity),
            "signedPrekey": hex::encode(d.spk.to_vec()),
            "signedPrekeySecret": hex::encode(d.spk_secret),
            "oneTimePrekeys": d.opks.iter().map(|(id, s)| json!({ "id": id, "secret": hex::encode(s) })).collect::<Vec<_>>(),
            "member": member,
        })).collect::<Vec<_>>(),
    })
}

fn h(name: &str) -> String {
    hex::encode(name)
}

/// A scenario being written: events are run as they are added, so later events can use earlier
/// outputs (headers, envelopes), and hand-written expectations are checked as they are stated.
struct Sc {
    id: String,
    comment: String,
    reqs: Vec<&'static str>,
    flags: Vec<&'static str>,
    run: ScenarioRun,
    events: Vec<Value>,
    steps: Vec<Value>,
    problem: Option<String>,
}

fn sc(id: impl Into<String>, comment: impl Into<String>, reqs: &[&'static str], flags: &[&'static str]) -> Sc {
    let run = match ScenarioRun::new(&setup()) {
        Ok(run) => run,
        Err(e) => unreachable!("the fixture setup is valid: {e}"),
    };
    Sc {
        id: id.into(),
        comment: comment.into(),
        reqs: reqs.to_vec(),
        flags: flags.to_vec(),
        run,
        events: Vec::new(),
        steps: Vec::new(),
        problem: None,
    }
}

impl Sc {
    fn fail(&mut self, message: String) {
        if self.problem.is_none() {
            self.problem = Some(format!("{}: step {}: {message}", self.id, self.steps.len().saturating_sub(1)));
        }
    }

    fn event(&mut self, event: Value) -> Value {
        match self.run.step(&event) {
            Ok(step) => {
                self.events.push(event);
                self.steps.push(step.clone());
                step
            }
            Err(e) => {
                self.fail(format!("the event {event} cannot be run: {e}"));
                Value::Null
            }
        }
    }

    fn last(&self) -> Value {
        self.steps.last().cloned().unwrap_or(Value::Null)
    }

    /// The last step succeeded.
    fn ok(&mut self) -> &mut Self {
        let step = self.last();
        if !step["error"].is_null() {
            self.fail(format!("expected success, the reference refuses with {}", step["error"]));
        }
        self
    }

    /// The last step was refused with `code` and changed nothing (SES-027, SES-044).
    fn refused(&mut self, code: &str) -> &mut Self {
        let step = self.last();
        if step["error"] != code {
            self.fail(format!("expected {code}, the reference gives {}", step["error"]));
        }
        self.unchanged()
    }

    /// The last step's checkpoint equals the one before it.
    fn unchanged(&mut self) -> &mut Self {
        let n = self.steps.len();
        if n >= 2 && self.steps[n - 1]["checkpoint"] != self.steps[n - 2]["checkpoint"] {
            self.fail("expected the checkpoint to stay as it was".into());
        }
        self
    }

    /// The last step's checkpoint differs from the one before it.
    fn changed(&mut self) -> &mut Self {
        let n = self.steps.len();
        if n >= 2 && self.steps[n - 1]["checkpoint"] == self.steps[n - 2]["checkpoint"] {
            self.fail("expected the checkpoint to change".into());
        }
        self
    }

    /// The last step's output has these fields with these values.
    fn output(&mut self, fields: Value) -> &mut Self {
        let step = self.last();
        for (key, value) in fields.as_object().into_iter().flatten() {
            if step["output"].get(key) != Some(value) {
                self.fail(format!("expected output {key} = {value}, the reference gives {}", step["output"]));
            }
        }
        self
    }

    /// The last step's output field `key` equals the value of field `other_key` of step `index`.
    fn same_as(&mut self, key: &str, index: usize, other_key: &str) -> &mut Self {
        let step = self.last();
        let other = self.steps.get(index).map_or(Value::Null, |s| s["output"][other_key].clone());
        if step["output"][key] != other || other.is_null() {
            self.fail(format!("expected {key} to equal step {index}'s {other_key} ({other})"));
        }
        self
    }

    fn handshake(&mut self, at: u64, initiator: &str, responder: &str, opk: Option<u32>) -> &mut Self {
        let n = self.events.len();
        let ephemeral = key32(&format!("session ephemeral {} {n}", self.id));
        self.handshake_with(at, initiator, responder, opk, ephemeral)
    }

    fn handshake_with(&mut self, at: u64, i: &str, r: &str, opk: Option<u32>, ephemeral: [u8; 32]) -> &mut Self {
        self.event(json!({
            "at": at, "event": "handshake", "initiator": h(i), "responder": h(r),
            "ephemeralSecret": hex::encode(ephemeral), "oneTimePrekey": opk,
        }));
        self
    }

    /// Sends one message; returns its header (empty when refused).
    fn send(&mut self, at: u64, from: &str, to: &str) -> String {
        let step = self.event(json!({ "at": at, "event": "send", "from": h(from), "to": h(to) }));
        step["output"]["header"].as_str().unwrap_or_default().to_owned()
    }

    fn send_many(&mut self, at: u64, from: &str, to: &str, count: u32) -> String {
        let step = self.event(json!({ "at": at, "event": "send_many", "from": h(from), "to": h(to), "count": count }));
        step["output"]["header"].as_str().unwrap_or_default().to_owned()
    }

    fn receive(&mut self, at: u64, to: &str, header: &str) -> &mut Self {
        self.event(json!({ "at": at, "event": "receive", "to": h(to), "header": header }));
        self
    }

    fn lifecycle(&mut self, at: u64, event: &str, name: &str) -> &mut Self {
        let field = if event.ends_with("device") { "device" } else { "account" };
        self.event(json!({ "at": at, "event": event, field: h(name) }));
        self
    }

    fn seal(&mut self, at: u64, from: &str, to: &[&str], label: &str) -> Value {
        self.seal_burning(at, from, to, label, 30)
    }

    /// [`Sc::seal`] with burn-on-read after `bor` seconds.
    fn seal_burning(&mut self, at: u64, from: &str, to: &[&str], label: &str, bor: u32) -> Value {
        let mut message_id = [0u8; 16];
        message_id.copy_from_slice(&filler(&format!("session message id {} {label}", self.id), 16));
        self.event(json!({
            "at": at, "event": "seal", "from": h(from), "to": to.iter().map(|d| h(d)).collect::<Vec<_>>(),
            "messageId": hex::encode(message_id), "conversationId": h("room-1"), "sentAt": at, "ttl": 86_400,
            "padded": true, "bor": bor, "contentType": 1, "content": hex::encode(format!("{label}: hello from {from}")),
            "contentKey": hex::encode(key32(&format!("session content key {} {label}", self.id))),
        }))
    }

    fn open(&mut self, at: u64, to: &str, header: &str, envelope: &str) -> &mut Self {
        self.event(json!({ "at": at, "event": "open", "to": h(to), "header": header, "envelope": envelope }));
        self
    }
}

/// A header with the same session ID and another index.
fn with_index(header: &str, index: u32) -> String {
    format!("{}{}", &header[..32], hex::encode(index.to_be_bytes()))
}

fn ratchet_scenarios() -> Vec<Sc> {
    let mut v = Vec::new();
    let (a, b) = ("alice-phone", "bob-phone");

    let mut s = sc(
        "in-order-both-directions",
        "Three messages each way, received in order; both ends compute the same keys.",
        &["SES-040", "SES-042", "SES-043", "SES-080"],
        &[],
    );
    s.handshake(T0, a, b, Some(1)).ok().output(json!({ "replaced": false }));
    let hs: Vec<String> = (0..3).map(|_| s.send(T0 + 1, a, b)).collect();
    for (n, header) in hs.iter().enumerate() {
        s.receive(T0 + 2, b, header).ok().output(json!({ "index": n })).same_as("messageKey", 1 + n, "messageKey");
    }
    let back: Vec<String> = (0..3).map(|_| s.send(T0 + 3, b, a)).collect();
    for (n, header) in back.iter().enumerate() {
        s.receive(T0 + 4, a, header).ok().output(json!({ "index": n })).same_as("messageKey", 7 + n, "messageKey");
    }
    v.push(s);

    let mut s = sc(
        "out-of-order",
        "Five messages received in the order 3, 0, 4, 1, 2: skipped keys are kept and used.",
        &["SES-043", "SES-045"],
        &[],
    );
    s.handshake(T0, a, b, Some(1)).ok();
    let hs: Vec<String> = (0..5).map(|_| s.send(T0 + 1, a, b)).collect();
    for n in [3usize, 0, 4, 1, 2] {
        s.receive(T0 + 2, b, &hs[n]).ok().output(json!({ "index": n })).same_as("messageKey", 1 + n, "messageKey");
    }
    v.push(s);

    let mut s = sc(
        "duplicate",
        "Message 0 delivered twice: the second is a replay and changes nothing.",
        &["SES-043", "SES-044"],
        &["RefusedStep"],
    );
    s.handshake(T0, a, b, Some(1)).ok();
    let m0 = s.send(T0 + 1, a, b);
    s.receive(T0 + 2, b, &m0).ok();
    s.receive(T0 + 3, b, &m0).refused("session.replay");
    v.push(s);

    let mut s = sc(
        "duplicate-skipped",
        "Message 2 received after 5, then again: the replay of an out-of-order message.",
        &["SES-043"],
        &["RefusedStep"],
    );
    s.handshake(T0, a, b, None).ok();
    let hs: Vec<String> = (0..6).map(|_| s.send(T0 + 1, a, b)).collect();
    s.receive(T0 + 2, b, &hs[5]).ok();
    s.receive(T0 + 3, b, &hs[2]).ok();
    s.receive(T0 + 4, b, &hs[2]).refused("session.replay");
    s.receive(T0 + 5, b, &hs[5]).refused("session.replay");
    s.receive(T0 + 6, b, &hs[4]).ok().output(json!({ "index": 4 }));
    v.push(s);

    let mut s = sc(
        "ahead-63",
        "With next = 0, index 63 is accepted (63 skipped keys), then index 0 from the stored keys.",
        &["SES-043", "SES-045"],
        &["Boundary"],
    );
    s.handshake(T0, a, b, Some(1)).ok();
    let first = s.send(T0 + 1, a, b);
    let last = s.send_many(T0 + 1, a, b, 63);
    s.receive(T0 + 2, b, &last).ok().output(json!({ "index": 63 }));
    s.receive(T0 + 3, b, &first).ok().output(json!({ "index": 0 })).same_as("messageKey", 1, "messageKey");
    v.push(s);

    let mut s = sc(
        "ahead-64",
        "With next = 0, index 64 is too far ahead; 63 is then accepted.",
        &["SES-043"],
        &["PastBoundary", "RefusedStep"],
    );
    s.handshake(T0, a, b, Some(1)).ok();
    let h63 = s.send_many(T0 + 1, a, b, 64);
    let h64 = s.send(T0 + 1, a, b);
    s.receive(T0 + 2, b, &h64).refused("session.too_far_ahead");
    s.receive(T0 + 3, b, &h63).ok().output(json!({ "index": 63 }));
    s.receive(T0 + 4, b, &h64).ok().output(json!({ "index": 64 }));
    v.push(s);

    let mut s = sc(
        "ahead-64-after-one",
        "After index 0 arrives (next = 1), index 65 is too far ahead; 64 (63 skipped keys) and then 65 are accepted.",
        &["SES-043", "SES-045"],
        &["Boundary", "PastBoundary", "RefusedStep"],
    );
    s.handshake(T0, a, b, Some(1)).ok();
    let h0 = s.send(T0 + 1, a, b);
    let h64 = s.send_many(T0 + 1, a, b, 64);
    let h65 = s.send(T0 + 1, a, b);
    s.receive(T0 + 2, b, &h0).ok().output(json!({ "index": 0 }));
    s.receive(T0 + 3, b, &h65).refused("session.too_far_ahead");
    s.receive(T0 + 4, b, &h64).ok().output(json!({ "index": 64 }));
    s.receive(T0 + 5, b, &h65).ok().output(json!({ "index": 65 }));
    v.push(s);

    let mut s = sc(
        "window-edges",
        "After 63 and 127 arrive, 64 (= next - 64) is still in the window and 62 and 63 are too old.",
        &["SES-043", "SES-045"],
        &["Boundary", "PastBoundary", "RefusedStep"],
    );
    s.handshake(T0, a, b, Some(1)).ok();
    let h62 = s.send_many(T0 + 1, a, b, 63);
    let h63 = s.send(T0 + 1, a, b);
    let h64 = s.send(T0 + 1, a, b);
    let h127 = s.send_many(T0 + 1, a, b, 63);
    s.receive(T0 + 2, b, &h63).ok().output(json!({ "index": 63 }));
    s.receive(T0 + 3, b, &h127).ok().output(json!({ "index": 127 }));
    s.receive(T0 + 4, b, &h64).ok().output(json!({ "index": 64 }));
    s.receive(T0 + 5, b, &h63).refused("session.too_old");
    s.receive(T0 + 6, b, &h62).refused("session.too_old");
    v.push(s);

    let mut s = sc(
        "window-floor-keeps-an-older-skipped-key",
        "Index 9 arrives first (keys 0..8 kept), then 70 (next = 71): the window's floor is 7, so the kept keys \
         of 7 and 8 stay and open their messages, and 6 is too old.",
        &["SES-043", "SES-045"],
        &["Boundary", "PastBoundary", "RefusedStep"],
    );
    s.handshake(T0, a, b, Some(1)).ok();
    let h6 = s.send_many(T0 + 1, a, b, 7);
    let h7 = s.send(T0 + 1, a, b);
    let h8 = s.send(T0 + 1, a, b);
    let h9 = s.send(T0 + 1, a, b);
    let h70 = s.send_many(T0 + 1, a, b, 61);
    s.receive(T0 + 2, b, &h9).ok().output(json!({ "index": 9 }));
    s.receive(T0 + 3, b, &h70).ok().output(json!({ "index": 70 }));
    s.receive(T0 + 4, b, &h7).ok().output(json!({ "index": 7 }));
    s.receive(T0 + 5, b, &h8).ok().output(json!({ "index": 8 }));
    s.receive(T0 + 6, b, &h6).refused("session.too_old");
    v.push(s);

    let mut s = sc(
        "far-ahead-and-beyond-the-chain",
        "Indices 100, 65,536 and 2^32 - 1 with next = 0 are all too far ahead.",
        &["SES-043", "SES-046"],
        &["PastBoundary", "RefusedStep"],
    );
    s.handshake(T0, a, b, Some(1)).ok();
    let h0 = s.send(T0 + 1, a, b);
    for index in [100u32, MAX_MESSAGES, u32::MAX] {
        s.receive(T0 + 2, b, &with_index(&h0, index)).refused("session.too_far_ahead");
    }
    s.receive(T0 + 3, b, &h0).ok();
    v.push(s);

    let mut s = sc(
        "malformed-session-headers",
        "Session headers of 19 and 21 bytes, and one naming no session.",
        &["SES-041", "SES-065"],
        &["Truncated", "Trailing", "RefusedStep"],
    );
    s.handshake(T0, a, b, Some(1)).ok();
    let h0 = s.send(T0 + 1, a, b);
    s.receive(T0 + 2, b, &h0[..38]).refused("session.truncated");
    s.receive(T0 + 2, b, &format!("{h0}00")).refused("session.trailing_data");
    s.receive(T0 + 2, b, "").refused("session.truncated");
    s.receive(T0 + 2, b, &format!("{}{}", "ab".repeat(16), &h0[32..])).refused("session.closed");
    s.receive(T0 + 3, b, &h0).ok();
    v.push(s);

    let mut s = sc(
        "sender-exhausts-the-chain",
        "65,535 messages, then index 65,535, the last; the next send needs a rekey, which works.",
        &["SES-046", "SES-048"],
        &["Boundary", "PastBoundary", "RefusedStep", "Large"],
    );
    s.handshake(T0, a, b, Some(1)).ok();
    s.send_many(T0 + 1, a, b, MAX_MESSAGES - 1);
    s.ok().output(json!({ "index": MAX_MESSAGES - 2 }));
    s.send(T0 + 2, a, b);
    s.ok().output(json!({ "index": MAX_MESSAGES - 1 }));
    s.send(T0 + 3, a, b);
    s.refused("session.rekey_required");
    s.send(T0 + 4, b, a);
    s.ok().output(json!({ "index": 0 }));
    s.handshake(T0 + 5, a, b, Some(2)).ok().output(json!({ "replaced": true }));
    s.send(T0 + 6, a, b);
    s.ok().output(json!({ "index": 0 }));
    v.push(s);

    let established = T0 + 1_000;
    let mut s = sc(
        "rekey-after-seven-days",
        "Sending works until established_at + 604,799 and is refused from established_at + 604,800 on both ends; receiving still works.",
        &["SES-047"],
        &["Boundary", "PastBoundary", "RefusedStep"],
    );
    s.handshake(established, a, b, Some(1)).ok();
    let late = s.send(established + REKEY_AFTER - 1, a, b);
    s.send(established + REKEY_AFTER, a, b);
    s.refused("session.rekey_required");
    s.send(established + REKEY_AFTER, b, a);
    s.refused("session.rekey_required");
    s.receive(established + REKEY_AFTER + 86_400, b, &late).ok().output(json!({ "index": 0 }));
    s.handshake(established + REKEY_AFTER + 86_400, b, a, Some(1)).ok().output(json!({ "replaced": true }));
    s.send(established + REKEY_AFTER + 86_401, a, b);
    s.ok();
    v.push(s);

    let mut s = sc(
        "rekey-closes-the-old-session",
        "A second handshake replaces the session: a header of the old one is refused, the new one works.",
        &["SES-030", "SES-048", "SES-065"],
        &["RefusedStep"],
    );
    s.handshake(T0, a, b, Some(1)).ok();
    let old = s.send(T0 + 1, a, b);
    let old_back = s.send(T0 + 1, b, a);
    s.handshake(T0 + 2, a, b, Some(2)).ok().output(json!({ "replaced": true }));
    s.receive(T0 + 3, b, &old).refused("session.closed");
    s.receive(T0 + 3, a, &old_back).refused("session.closed");
    let new = s.send(T0 + 4, a, b);
    s.ok().output(json!({ "index": 0 }));
    s.receive(T0 + 5, b, &new).ok().output(json!({ "index": 0 }));
    v.push(s);

    let mut s = sc(
        "rekey-by-the-responder",
        "The responder of the first handshake initiates the second: the roles swap.",
        &["SES-030", "SES-048"],
        &[],
    );
    s.handshake(T0, a, b, Some(1)).ok();
    s.handshake(T0 + 10, b, a, Some(1)).ok().output(json!({ "replaced": true }));
    let m = s.send(T0 + 11, a, b);
    s.receive(T0 + 12, b, &m).ok();
    v.push(s);

    let mut s = sc(
        "one-time-prekey-reused",
        "A rekey that names a one-time prekey already used is refused; with another one it works.",
        &["SES-016", "SES-027"],
        &["RefusedStep"],
    );
    s.handshake(T0, a, b, Some(1)).ok();
    s.handshake(T0 + 10, a, b, Some(1)).refused("session.prekey_reused");
    s.handshake(T0 + 11, "alice-laptop", b, Some(1)).refused("session.prekey_reused");
    s.handshake(T0 + 12, a, b, Some(3)).ok().output(json!({ "replaced": true }));
    v.push(s);

    let mut s = sc(
        "init-message-replayed",
        "The same ephemeral secret and no one-time prekey give the same init message: its second arrival is a replay.",
        &["SES-028"],
        &["RefusedStep"],
    );
    let ephemeral = key32("session ephemeral init-message-replayed");
    s.handshake_with(T0, a, b, None, ephemeral).ok();
    let m = s.send(T0 + 1, a, b);
    s.receive(T0 + 2, b, &m).ok();
    s.handshake_with(T0 + 3, a, b, None, ephemeral).refused("session.replay");
    s.receive(T0 + 4, b, &m).refused("session.replay");
    v.push(s);

    let mut s = sc(
        "handshake-at-signed-prekey-expiry",
        "A handshake one second before bob-phone's signed prekey expires works; at its not_after it is refused.",
        &["SES-013", "SES-015"],
        &["Boundary", "PastBoundary", "RefusedStep"],
    );
    s.handshake(SPK_UNTIL - 1, a, b, None).ok();
    s.handshake(SPK_UNTIL, "carol-desktop", b, None).refused("session.expired");
    v.push(s);

    let mut s =
        sc("handshake-with-itself", "A device cannot set up a session with itself.", &["SES-030"], &["RefusedStep"]);
    s.handshake(T0, a, a, None).refused("session.wrong_device");
    v.push(s);

    let mut s = sc(
        "send-without-a-session",
        "Sending to a member device without a session is refused.",
        &["SES-065"],
        &["RefusedStep"],
    );
    s.send(T0, a, "carol-desktop");
    s.refused("session.closed");
    v.push(s);
    v
}

fn lifecycle_scenarios() -> Vec<Sc> {
    let mut v = Vec::new();
    let (a, b, t, c) = ("alice-phone", "bob-phone", "bob-tablet", "carol-desktop");

    let mut s = sc(
        "device-added-reads-nothing-earlier",
        "bob-tablet is added after alice wrote to bob-phone: it has no session for those messages, only for new ones.",
        &["SES-060", "SES-061", "SES-066"],
        &["Lifecycle", "RefusedStep"],
    );
    s.handshake(T0, a, b, Some(1)).ok();
    let early = s.send(T0 + 1, a, b);
    s.handshake(T0 + 2, a, t, Some(1)).refused("session.revoked");
    s.lifecycle(T0 + 3, "add_device", t).ok().output(json!({ "closed": 0 })).changed();
    s.receive(T0 + 4, t, &early).refused("session.closed");
    s.handshake(T0 + 5, a, t, Some(1)).ok().output(json!({ "replaced": false }));
    let late = s.send(T0 + 6, a, t);
    s.receive(T0 + 7, t, &late).ok().output(json!({ "index": 0 }));
    s.receive(T0 + 8, b, &early).ok();
    s.lifecycle(T0 + 9, "add_device", t).ok().output(json!({ "closed": 0 })).unchanged();
    v.push(s);

    let mut s = sc(
        "pending-device-cannot-act",
        "A device not yet added cannot initiate, send or receive.",
        &["SES-060", "SES-066"],
        &["Lifecycle", "RefusedStep"],
    );
    s.handshake(T0, t, a, None).refused("session.revoked");
    s.send(T0, t, a);
    s.refused("session.revoked");
    s.receive(T0, t, &"00".repeat(20)).refused("session.revoked");
    s.lifecycle(T0 + 1, "remove_device", t).ok().output(json!({ "closed": 0 })).changed();
    s.lifecycle(T0 + 2, "add_device", t).refused("session.revoked");
    v.push(s);

    let mut s = sc(
        "device-removed",
        "Removing bob-phone closes its two sessions on both ends; it can do nothing more, and nothing can be done with it.",
        &["SES-060", "SES-062", "SES-065", "SES-066"],
        &["Lifecycle", "RefusedStep"],
    );
    s.handshake(T0, a, b, Some(1)).ok();
    s.handshake(T0 + 1, c, b, Some(2)).ok();
    s.handshake(T0 + 2, a, c, Some(1)).ok();
    let pending = s.send(T0 + 3, a, b);
    let back = s.send(T0 + 3, b, a);
    s.lifecycle(T0 + 4, "remove_device", b).ok().output(json!({ "closed": 4 }));
    s.send(T0 + 5, a, b);
    s.refused("session.revoked");
    s.receive(T0 + 5, b, &pending).refused("session.revoked");
    s.receive(T0 + 5, a, &back).refused("session.closed");
    s.handshake(T0 + 6, a, b, Some(3)).refused("session.revoked");
    s.handshake(T0 + 6, b, c, None).refused("session.revoked");
    s.lifecycle(T0 + 7, "remove_device", b).refused("session.revoked");
    s.lifecycle(T0 + 7, "add_device", b).refused("session.revoked");
    let m = s.send(T0 + 8, a, c);
    s.receive(T0 + 9, c, &m).ok();
    v.push(s);

    let mut s = sc(
        "password-reset",
        "A reset of bob closes every session of bob-phone and bob-tablet on both ends; new handshakes work, used one-time prekeys stay used.",
        &["SES-016", "SES-060", "SES-063", "SES-065"],
        &["Lifecycle", "RefusedStep"],
    );
    s.lifecycle(T0, "add_device", t).ok();
    s.handshake(T0 + 1, a, b, Some(1)).ok();
    s.handshake(T0 + 2, a, t, Some(1)).ok();
    s.handshake(T0 + 3, c, b, Some(2)).ok();
    s.handshake(T0 + 4, b, t, Some(2)).ok();
    s.handshake(T0 + 5, a, c, Some(1)).ok();
    let old = s.send(T0 + 6, a, b);
    let skip = s.send_many(T0 + 6, b, a, 5);
    s.receive(T0 + 7, a, &skip).ok().output(json!({ "index": 4 }));
    s.lifecycle(T0 + 8, "password_reset", "bob").ok().output(json!({ "closed": 8 }));
    s.receive(T0 + 9, b, &old).refused("session.closed");
    s.send(T0 + 9, a, b);
    s.refused("session.closed");
    s.handshake(T0 + 10, a, b, Some(1)).refused("session.prekey_reused");
    s.handshake(T0 + 11, a, b, Some(3)).ok().output(json!({ "replaced": false }));
    let m = s.send(T0 + 12, a, c);
    s.receive(T0 + 13, c, &m).ok();
    v.push(s);

    let mut s = sc(
        "password-reset-of-the-initiating-account",
        "alice resets her password: both of her devices lose their sessions.",
        &["SES-063"],
        &["Lifecycle", "RefusedStep"],
    );
    s.handshake(T0, a, b, Some(1)).ok();
    s.handshake(T0 + 1, "alice-laptop", a, Some(1)).ok();
    s.lifecycle(T0 + 2, "password_reset", "alice").ok().output(json!({ "closed": 4 }));
    s.lifecycle(T0 + 3, "password_reset", "alice").ok().output(json!({ "closed": 0 })).unchanged();
    s.send(T0 + 4, b, a);
    s.refused("session.closed");
    v.push(s);

    let mut s = sc(
        "account-terminated",
        "bob is terminated: every session with its devices closes, and every later event naming bob or its devices is refused, for ever.",
        &["SES-060", "SES-064", "SES-066"],
        &["Lifecycle", "RefusedStep"],
    );
    s.lifecycle(T0, "add_device", t).ok();
    s.handshake(T0 + 1, a, b, Some(1)).ok();
    s.handshake(T0 + 2, c, t, Some(1)).ok();
    s.handshake(T0 + 3, a, c, Some(2)).ok();
    let in_flight = s.send(T0 + 4, b, a);
    s.lifecycle(T0 + 5, "terminate", "bob").ok().output(json!({ "closed": 4 }));
    s.receive(T0 + 6, a, &in_flight).refused("session.closed");
    s.handshake(T0 + 6, a, b, Some(2)).refused("session.terminated");
    s.handshake(T0 + 6, t, c, None).refused("session.terminated");
    s.send(T0 + 6, b, a);
    s.refused("session.terminated");
    s.lifecycle(T0 + 7, "add_device", t).refused("session.terminated");
    s.lifecycle(T0 + 7, "remove_device", b).refused("session.terminated");
    s.lifecycle(T0 + 7, "password_reset", "bob").refused("session.terminated");
    s.lifecycle(T0 + 7, "terminate", "bob").refused("session.terminated");
    s.handshake(T0 + 31_536_000, c, b, None).refused("session.terminated");
    let m = s.send(T0 + 8, a, c);
    s.receive(T0 + 9, c, &m).ok();
    v.push(s);

    let mut s = sc(
        "pending-device-of-a-terminated-account",
        "bob-tablet was never added; after bob is terminated it can never be.",
        &["SES-060", "SES-064"],
        &["Lifecycle", "RefusedStep"],
    );
    s.lifecycle(T0, "terminate", "bob").ok().output(json!({ "closed": 0 })).changed();
    s.lifecycle(T0 + 1, "add_device", t).refused("session.terminated");
    v.push(s);

    let mut s = sc(
        "removed-device-keeps-no-skipped-keys",
        "bob-phone holds skipped keys when it is removed; carol's session with alice is untouched.",
        &["SES-045", "SES-062", "SES-065"],
        &["Lifecycle"],
    );
    s.handshake(T0, a, b, Some(1)).ok();
    s.handshake(T0 + 1, a, c, Some(1)).ok();
    let h = s.send_many(T0 + 2, a, b, 10);
    s.receive(T0 + 3, b, &h).ok().output(json!({ "index": 9 }));
    s.lifecycle(T0 + 4, "remove_device", b).ok().output(json!({ "closed": 2 }));
    v.push(s);
    v
}

fn envelope_scenarios() -> Result<Vec<Sc>, GenerateError> {
    let mut v = Vec::new();
    let (a, b, t, c) = ("alice-phone", "bob-phone", "bob-tablet", "carol-desktop");

    let mut s = sc(
        "end-to-end-three-devices",
        "alice-phone sets up sessions with bob-phone, bob-tablet (added) and carol-desktop, exchanges messages, then seals one envelope to all three with one message key each; each opens it.",
        &["SES-024", "SES-040", "SES-042", "SES-044", "SES-049", "SES-061"],
        &["Envelope", "Lifecycle", "RefusedStep"],
    );
    s.lifecycle(T0, "add_device", t).ok();
    s.handshake(T0 + 1, a, b, Some(1)).ok();
    s.handshake(T0 + 2, a, t, Some(1)).ok();
    s.handshake(T0 + 3, c, a, Some(1)).ok();
    for n in 0..3u64 {
        let x = s.send(T0 + 10 + n, a, b);
        s.receive(T0 + 20 + n, b, &x).ok();
        let y = s.send(T0 + 10 + n, c, a);
        s.receive(T0 + 20 + n, a, &y).ok();
    }
    let x = s.send(T0 + 30, a, t);
    s.receive(T0 + 31, t, &x).ok();
    let sealed = s.seal(T0 + 40, a, &[b, t, c], "first");
    s.ok().changed();
    let envelope = sealed["output"]["envelope"].as_str().unwrap_or_default().to_owned();
    let recipients = sealed["output"]["recipients"].as_array().cloned().unwrap_or_default();
    let headers: Vec<String> = recipients.iter().map(|r| r["header"].as_str().unwrap_or_default().to_owned()).collect();
    if headers.len() != 3 {
        return Err(GenerateError("end-to-end: three recipients expected".into()));
    }
    for (device, header, index) in [(b, &headers[0], 3), (t, &headers[1], 1), (c, &headers[2], 0)] {
        s.open(T0 + 50, device, header, &envelope)
            .ok()
            .output(json!({ "index": index, "bor": 30, "contentType": 1, "content": hex::encode(format!("first: hello from {a}")) }));
    }
    s.open(T0 + 51, b, &headers[0], &envelope).refused("session.replay");
    s.open(T0 + 51, b, &headers[1], &envelope).refused("session.closed");
    let reply = s.seal(T0 + 60, c, &[a], "reply");
    let reply_env = reply["output"]["envelope"].as_str().unwrap_or_default().to_owned();
    let reply_header = reply["output"]["recipients"][0]["header"].as_str().unwrap_or_default().to_owned();
    s.open(T0 + 61, a, &reply_header, &reply_env).ok().output(json!({ "index": 3 }));
    v.push(s);

    let mut s = sc(
        "seal-burn-limit",
        "A burn time of 31,536,000 s, the largest, is sealed and opened; one second more is refused before any \
         message key is taken, so nothing changes.",
        &["SES-042", "SES-049"],
        &["Envelope", "Boundary", "PastBoundary", "RefusedStep"],
    );
    s.handshake(T0, a, b, Some(1)).ok();
    let sealed = s.seal_burning(T0 + 1, a, &[b], "longest burn", 31_536_000);
    s.ok().changed();
    let envelope = sealed["output"]["envelope"].as_str().unwrap_or_default().to_owned();
    let header = sealed["output"]["recipients"][0]["header"].as_str().unwrap_or_default().to_owned();
    s.open(T0 + 2, b, &header, &envelope).ok().output(json!({ "index": 0, "bor": 31_536_000 }));
    s.seal_burning(T0 + 3, a, &[b], "too long a burn", 31_536_001);
    s.refused("envelope.invalid_sealed");
    let next = s.seal(T0 + 4, a, &[b], "after the refusal");
    s.ok();
    let next_header = next["output"]["recipients"][0]["header"].as_str().unwrap_or_default().to_owned();
    if next_header != with_index(&header, 1) {
        return Err(GenerateError("seal-burn-limit: the refused seal took a message key".into()));
    }
    v.push(s);

    let mut s = sc(
        "forged-envelope-changes-nothing",
        "A tampered envelope and a header with another index fail to open and change nothing; the genuine one then opens.",
        &["SES-041", "SES-044"],
        &["Envelope", "Tampered", "RefusedStep"],
    );
    s.handshake(T0, a, b, Some(1)).ok();
    let sealed = s.seal(T0 + 1, a, &[b], "tamper");
    let envelope = sealed["output"]["envelope"].as_str().unwrap_or_default().to_owned();
    let header = sealed["output"]["recipients"][0]["header"].as_str().unwrap_or_default().to_owned();
    let mut bytes = hex::decode(&envelope).map_err(|e| GenerateError(format!("envelope hex: {e}")))?;
    let last = bytes.len() - 1;
    bytes[last] ^= 0x80;
    s.open(T0 + 2, b, &header, &hex::encode(&bytes)).refused("envelope.authentication_failed");
    s.open(T0 + 3, b, &with_index(&header, 1), &envelope).refused("envelope.authentication_failed");
    s.open(T0 + 4, b, &with_index(&header, 63), &envelope).refused("envelope.authentication_failed");
    s.open(T0 + 5, b, &header, &envelope).ok().output(json!({ "index": 0 }));
    v.push(s);

    let mut s = sc(
        "envelope-from-another-device",
        "An envelope that opens with alice-phone's message key but names alice-laptop as its sender is refused, and changes nothing.",
        &["SES-049"],
        &["Envelope", "WrongParty", "RefusedStep"],
    );
    s.handshake(T0, a, b, Some(1)).ok();
    let step = s.event(json!({ "at": T0 + 1, "event": "send", "from": h(a), "to": h(b) }));
    let header = step["output"]["header"].as_str().unwrap_or_default().to_owned();
    let key: [u8; 32] = hex::decode(step["output"]["messageKey"].as_str().unwrap_or_default())
        .ok()
        .and_then(|k| k.try_into().ok())
        .ok_or_else(|| GenerateError("envelope-from-another-device: no key".into()))?;
    let forged = seal_by_hand(b"alice-laptop", b"bob-phone", &key, "forged")?;
    let genuine = seal_by_hand(b"alice-phone", b"bob-phone", &key, "genuine")?;
    s.open(T0 + 2, b, &header, &forged).refused("session.wrong_device");
    s.open(T0 + 3, b, &header, &genuine).ok().output(json!({ "index": 0, "content": hex::encode("genuine") }));
    v.push(s);

    let mut s = sc(
        "seal-needs-every-session",
        "An envelope to a device without a session, or naming a device twice, is refused before any key is used.",
        &["SES-049", "SES-065"],
        &["Envelope", "RefusedStep"],
    );
    s.handshake(T0, a, b, Some(1)).ok();
    s.seal(T0 + 1, a, &[b, c], "missing");
    s.refused("session.closed");
    s.seal(T0 + 1, a, &[b, b], "twice");
    s.refused("envelope.duplicate_recipient");
    s.seal(T0 + 1, a, &[b, t], "pending");
    s.refused("session.revoked");
    s.seal(T0 + 1, a, &[], "nobody");
    s.refused("envelope.length_out_of_range");
    let ok = s.seal(T0 + 2, a, &[b], "fine");
    s.ok();
    let header = ok["output"]["recipients"][0]["header"].as_str().unwrap_or_default().to_owned();
    if !header.ends_with("00000000") {
        s.fail(format!("the first envelope should use index 0, header {header}"));
    }
    v.push(s);
    Ok(v)
}

/// An envelope sealed outside the scenario, with `sender` in its header and `key` as `recipient`'s
/// wrap key.
fn seal_by_hand(sender: &[u8], recipient: &[u8], key: &[u8; 32], body: &str) -> Result<String, GenerateError> {
    use cinder::envelope::{self, Content, ContentType, Header, Recipient};
    let header = Header {
        message_id: [0x33; 16],
        conversation_id: b"room-1",
        sender_device: sender,
        sent_at: T0,
        ttl: 3_600,
        padded: false,
    };
    let content = Content { bor: 0, content_type: ContentType::Text, body: body.as_bytes() };
    let mut list = [Recipient { device: recipient, wrap_key: key }];
    let len = envelope::sealed_len(&header, &list, body.len()).map_err(|e| GenerateError(format!("seal: {e}")))?;
    let mut out = vec![0u8; len];
    let content_key = key32(&format!("session hand-sealed {body}"));
    let mut rng = cinder::testing::ReplayRng::new(&content_key);
    envelope::seal(&header, &content, &mut list, &mut rng, &mut out)
        .map_err(|e| GenerateError(format!("seal: {e}")))?;
    Ok(hex::encode(out))
}

/// Fixed-seed walks over every event kind, to cover combinations no one wrote by hand.
fn walk_scenarios(count: usize) -> Vec<Sc> {
    let devices = ["alice-phone", "alice-laptop", "bob-phone", "bob-tablet", "carol-desktop"];
    let bytes = filler("session walks", count * 96);
    let mut v = Vec::new();
    for (n, chunk) in bytes.chunks(96).enumerate().take(count) {
        let mut s = sc(
            format!("walk-{n:03}"),
            "A fixed-seed walk over handshakes, sends, receives and lifecycle events.",
            &["SES-043", "SES-060", "SES-080", "SES-081"],
            &["Walk"],
        );
        let mut at = T0;
        let mut headers: Vec<(String, String)> = Vec::new();
        let steps = 8 + usize::from(chunk[0] % 8);
        for i in 0..steps {
            let r = &chunk[1 + i * 5..1 + i * 5 + 5];
            at += u64::from(r[0]) * u64::from(r[1] % 4 + 1);
            let (x, y) = (devices[usize::from(r[2]) % 5], devices[usize::from(r[3]) % 5]);
            match r[4] % 16 {
                0..=2 => {
                    let opk = if r[1] % 3 == 0 { None } else { Some(u32::from(r[1] % 3) + u32::from(r[0] % 2)) };
                    s.handshake(at, x, y, opk);
                }
                3..=6 => {
                    let header = s.send(at, x, y);
                    if !header.is_empty() {
                        headers.push((y.to_owned(), header));
                    }
                }
                7 => {
                    let header = s.send_many(at, x, y, 1 + u32::from(r[0] % 70));
                    if !header.is_empty() {
                        headers.push((y.to_owned(), header));
                    }
                }
                8..=11 if !headers.is_empty() => {
                    let (to, header) = headers[usize::from(r[0]) % headers.len()].clone();
                    s.receive(at, &to, &header);
                }
                8..=11 => {
                    s.receive(at, y, &"11".repeat(20));
                }
                12 => {
                    s.lifecycle(at, "add_device", x);
                }
                13 if r[0] % 4 == 0 => {
                    s.lifecycle(at, "remove_device", x);
                }
                14 if r[0] % 3 == 0 => {
                    s.lifecycle(at, "password_reset", ACCOUNTS[usize::from(r[1]) % 3]);
                }
                15 if r[0] % 8 == 0 => {
                    s.lifecycle(at, "terminate", ACCOUNTS[usize::from(r[1]) % 3]);
                }
                _ => {
                    let header = s.send(at, y, x);
                    if !header.is_empty() {
                        headers.push((x.to_owned(), header));
                    }
                }
            }
        }
        v.push(s);
    }
    v
}

fn scenario_group(name: &str, description: &str, scenarios: Vec<Sc>) -> Result<Group, GenerateError> {
    scenario_group_on(name, description, scenarios, &setup())
}

/// [`scenario_group`] for scenarios whose [`Sc`] runs on `base` instead of the standard setup.
fn scenario_group_on(name: &str, description: &str, scenarios: Vec<Sc>, base: &Value) -> Result<Group, GenerateError> {
    let mut g = Group::new(name, "session.scenario", description);
    for s in scenarios {
        if let Some(problem) = s.problem {
            return Err(GenerateError(problem));
        }
        let mut args = base.clone();
        args["events"] = Value::Array(s.events);
        // The whole scenario again, from its arguments, as an adapter runs it.
        let expected = scenario(&args).map_err(|e| GenerateError(format!("{}: {e}", s.id)))?;
        if expected["steps"] != Value::Array(s.steps) {
            return Err(GenerateError(format!("{}: running the scenario again gives other steps", s.id)));
        }
        let case = Case { id: &s.id, comment: &s.comment, requirements: &s.reqs, flags: &s.flags };
        g.valid(&case, args, expected);
    }
    Ok(g)
}

/// Builds `vectors/session.json`.
///
/// # Errors
/// When the reference disagrees with a hand-written expectation.
pub fn generate() -> Result<VectorFile, GenerateError> {
    let groups = vec![
        handshake_group(
            "handshake",
            "Valid handshakes: every derived key, the init message, and the first message keys each way (SES-020..SES-026, SES-040).",
            valid_handshakes(),
        )?
        .finish(),
        handshake_group(
            "bundle-faults",
            "The initiator refuses a faulty bundle: certificate and signed prekey signatures, bindings, validity, encodings and small-order keys (SES-010..SES-016, SES-023, SES-025).",
            invalid_bundles(),
        )?
        .finish(),
        handshake_group(
            "init-faults",
            "The responder refuses a faulty init message or one it cannot accept: structure, addressing, the initiator's certificate, its prekeys, replays and key confirmation (SES-020, SES-021, SES-026..SES-028).",
            invalid_responses()?,
        )?
        .finish(),
        scenario_group(
            "ratchet",
            "Sending and receiving: order, duplicates, the window's edges, counters, rekeying (SES-040..SES-048).",
            ratchet_scenarios(),
        )?
        .finish(),
        scenario_group(
            "lifecycle",
            "Devices added and removed, password resets, terminated accounts (SES-060..SES-066).",
            lifecycle_scenarios(),
        )?
        .finish(),
        scenario_group(
            "envelopes",
            "Message keys as envelope wrap keys, end to end: sealing to several devices, opening, forgeries (SES-044, SES-049).",
            envelope_scenarios()?,
        )?
        .finish(),
        scenario_group("walks", "Fixed-seed walks over every event kind (SES-081).", walk_scenarios(40))?.finish(),
        handshake_group(
            "signature-strictness",
            "Each of the three signatures a handshake checks, forged to break SES-012's strict rules (S >= L, small-order R, small-order, non-canonical and mixed-order keys), one case per forgery: every one is session.authentication_failed.",
            signature_strictness()?,
        )?
        .finish(),
        scenario_group(
            "lifecycle-readings",
            "Readings spec/session.md 1.1.0 decides: add_device of a member, a header for a session whose peer is gone, a handshake, send or seal with oneself, the check order of an unpublished one-time prekey, a removed device of a terminated account (SES-030, SES-060..SES-066, SES-080, SES-081).",
            readings::lifecycle_readings(),
        )?
        .finish(),
        scenario_group_on(
            "rekey-near-max",
            "SES-047's saturating sum near 2^64 - 1, on a setup whose certificates and signed prekeys are in force until then.",
            readings::rekey_near_max(),
            &readings::far_setup(),
        )?
        .finish(),
        handshake_group(
            "init-replaced",
            "session.handshake with initMessage: another valid init message of the same initiator is accepted; the result reports the initiator's bytes and keys and the responder's receiving keys.",
            readings::init_replaced()?,
        )?
        .finish(),
        handshake_group(
            "handshake-witnesses",
            "Second cases for handshake rules one case alone pinned: ID lengths, trailing bytes, validity bounds, and the check orders of SES-014, SES-015 and SES-026 pinned by cases with two faults (each comment says which).",
            readings::handshake_witnesses()?,
        )?
        .finish(),
        scenario_group(
            "scenario-witnesses",
            "Second cases for scenario rules one case alone pinned, or only the walks: oneself, the sender checked first, seal's order, headers, forged and tampered envelopes, rekeys, a send_many refused part-way.",
            readings::scenario_witnesses()?,
        )?
        .finish(),
    ];
    Ok(file("session", SPEC_VERSION, HEADER, NOTES, groups))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn committed() -> Value {
        let path = crate::default_dir().join("session.json");
        serde_json::from_str(&std::fs::read_to_string(path).expect("session.json exists")).expect("JSON")
    }

    fn schema_problems(file: &Value) -> usize {
        let path = crate::default_dir().join("schema").join("session.schema.json");
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("schema")).expect("JSON");
        jsonschema::draft202012::new(&schema).expect("a valid schema").iter_errors(file).count()
    }

    #[test]
    fn schema_accepts_the_file_and_rejects_broken_ones() {
        let good = committed();
        assert_eq!(schema_problems(&good), 0);
        type Mutation = (&'static str, fn(&mut Value));
        let mutations: [Mutation; 8] = [
            ("an unknown error code", |f| f["testGroups"][1]["tests"][0]["error"] = "session.nonsense".into()),
            ("a short key", |f| f["testGroups"][0]["tests"][0]["args"]["ephemeralSecret"] = "00".into()),
            ("an unknown event", |f| f["testGroups"][3]["tests"][0]["args"]["events"][0]["event"] = "teleport".into()),
            ("an extra step field", |f| f["testGroups"][3]["tests"][0]["expected"]["steps"][0]["extra"] = 1.into()),
            ("a step with output and error", |f| {
                f["testGroups"][3]["tests"][0]["expected"]["steps"][0]["error"] = "session.closed".into();
            }),
            ("an empty device ID", |f| f["testGroups"][3]["tests"][0]["args"]["events"][1]["from"] = "".into()),
            ("a requirement of another chapter", |f| {
                f["testGroups"][0]["tests"][0]["requirements"] = serde_json::json!([format!("{}-001", "ENV")]);
            }),
            ("an invalid scenario", |f| {
                let t = &mut f["testGroups"][3]["tests"][0];
                t["result"] = "invalid".into();
                t["error"] = "session.closed".into();
                t.as_object_mut().expect("object").remove("expected");
            }),
        ];
        for (what, mutate) in mutations {
            let mut bad = good.clone();
            mutate(&mut bad);
            assert!(schema_problems(&bad) > 0, "the session schema accepts a file with {what}");
        }
    }

    #[test]
    fn generator_stops_on_a_wrong_expectation() {
        let mut s = sc("wrong", "", &["SES-043"], &[]);
        s.handshake(T0, "alice-phone", "bob-phone", None).ok();
        let h0 = s.send(T0 + 1, "alice-phone", "bob-phone");
        s.receive(T0 + 2, "bob-phone", &h0).refused("session.replay");
        assert!(s.problem.is_some(), "a receive that succeeds was expected to be refused, and nothing noticed");
        let mut s = sc("wrong-count", "", &["SES-062"], &[]);
        s.lifecycle(T0, "remove_device", "bob-phone").output(json!({ "closed": 1 }));
        assert!(s.problem.is_some());
        let c = hs("x", "", &["SES-025"], &[], &dev("alice", "alice-phone"), &dev("bob", "bob-phone"), true)
            .fails("session.expired");
        assert!(handshake_group("g", "", vec![c]).is_err());
    }

    #[test]
    fn operations_refuse_arguments_they_cannot_read() {
        let c = hs("x", "", &["SES-025"], &[], &dev("alice", "alice-phone"), &dev("bob", "bob-phone"), true);
        let good = c.args();
        assert!(handshake(&good).is_ok());
        let mut extra = good.clone();
        extra["surprise"] = 1.into();
        let mut upper = good.clone();
        upper["ephemeralSecret"] = hex::encode_upper([0xab_u8; 32]).into();
        let mut short = good.clone();
        short["bundle"]["rootKey"] = "00".into();
        let mut missing = good.clone();
        missing.as_object_mut().expect("object").remove("now");
        for bad in [extra, upper, short, missing] {
            assert!(matches!(handshake(&bad), Err(OpError::BadRequest(_))), "{bad}");
        }
        let mut args = setup();
        args["events"] = json!([{ "at": T0, "event": "teleport" }]);
        assert!(matches!(scenario(&args), Err(OpError::BadRequest(_))));
        args["events"] =
            json!([{ "at": T0, "event": "send_many", "from": h("alice-phone"), "to": h("bob-phone"), "count": 0 }]);
        assert!(matches!(scenario(&args), Err(OpError::BadRequest(_))));
        let mut duplicate = setup();
        let first = duplicate["devices"][0].clone();
        duplicate["devices"].as_array_mut().expect("array").push(first);
        duplicate["events"] = json!([]);
        assert!(matches!(scenario(&duplicate), Err(OpError::BadRequest(_))));
    }

    #[test]
    fn file_has_every_kind_of_case() {
        let file = generate().expect("generation succeeds");
        let tests = || file.test_groups.iter().flat_map(|g| &g.tests);
        let invalid = tests().filter(|t| t.result == crate::format::Outcome::Invalid).count();
        assert!(invalid >= 60, "{invalid} invalid handshakes");
        assert!(tests().count() - invalid >= 80, "{} valid tests", tests().count() - invalid);
        let text = file.to_pretty_json().expect("json");
        for code in cinder::session::SessionError::CODES {
            assert!(text.contains(&format!("\"{code}\"")), "no vector expects {code}");
        }
    }
}
