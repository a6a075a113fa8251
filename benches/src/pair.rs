//! Two devices ready for a Cinder session handshake, shared by the `session` and `peers` benches:
//! Alice's phone initiates to Bob's phone, with Bob's bundle encoded as a directory hands it out.
//! Every key is derived from a fixed label, so runs are repeatable.

use cinder::primitives;
use cinder::session::{
    self, Certificate, Id, InitMessage, LocalIdentity, PeerBundle, PrekeyStore, Session, SignedPrekey, SigningSecret,
    X25519Secret,
};
use cinder::testing::ReplayRng;

/// The time every fixture operation runs at (2026-01-01), seconds since the epoch.
pub const T0: u64 = 1_767_225_600;

/// 32 bytes derived from a label and a number.
#[must_use]
pub fn seed(label: &str, n: u8) -> [u8; 32] {
    primitives::sha256(&[label.as_bytes(), &[n]])
}

fn id(bytes: &[u8]) -> Id {
    Id::new(bytes).expect("benchmark IDs are 1 to 64 bytes")
}

/// A device with its certificate, signed prekey and secrets.
#[derive(Debug)]
pub struct Dev {
    /// The account's root public key.
    pub root: [u8; 32],
    /// The device's X25519 identity secret.
    pub identity: X25519Secret,
    /// The secret of signed prekey 1.
    pub spk_secret: [u8; 32],
    /// The device certificate.
    pub cert: Certificate,
    /// Signed prekey 1.
    pub spk: SignedPrekey,
}

impl Dev {
    /// The device `device` of account `account`, valid around [`T0`] for a day.
    #[must_use]
    pub fn new(account: &str, device: &str) -> Self {
        let root = SigningSecret::from_bytes(seed(account, 0));
        let signing = SigningSecret::from_bytes(seed(device, 1));
        let identity = X25519Secret::from_bytes(seed(device, 2));
        let spk_secret = seed(device, 3);
        let (a, d) = (id(account.as_bytes()), id(device.as_bytes()));
        let cert = Certificate::issue(&root, &a, &d, identity.public_key(), signing.public_key(), T0 - 1, T0 + 86_400);
        let spk =
            SignedPrekey::sign(&signing, &a, &d, 1, X25519Secret::from_bytes(spk_secret).public_key(), T0 + 86_400);
        Self { root: root.public_key(), identity, spk_secret, cert, spk }
    }
}

/// Alice's phone (`alice-phone`) initiating to Bob's phone (`bob-phone`).
#[derive(Debug)]
pub struct Fixture {
    /// The initiator.
    pub alice: Dev,
    /// The responder.
    pub bob: Dev,
    cert: Vec<u8>,
    spk: Vec<u8>,
    opk: [u8; 32],
}

impl Default for Fixture {
    fn default() -> Self {
        Self::new()
    }
}

impl Fixture {
    /// The two devices and Bob's encoded bundle, with one-time prekey 1.
    #[must_use]
    pub fn new() -> Self {
        let (alice, bob) = (Dev::new("alice", "alice-phone"), Dev::new("bob", "bob-phone"));
        let (cert, spk) = (bob.cert.to_vec(), bob.spk.to_vec());
        let opk = X25519Secret::from_bytes(seed("opk", 1)).public_key();
        Self { alice, bob, cert, spk, opk }
    }

    /// Alice's `session::initiate`, with or without Bob's one-time prekey.
    #[must_use]
    pub fn initiate(&self, with_opk: bool) -> session::Initiated {
        let me = LocalIdentity {
            root_key: self.alice.root,
            certificate: &self.alice.cert,
            identity_secret: &self.alice.identity,
        };
        let bundle = PeerBundle {
            account: self.bob.cert.account(),
            device: self.bob.cert.device(),
            root_key: &self.bob.root,
            certificate: &self.cert,
            signed_prekey: &self.spk,
            one_time_prekey: with_opk.then_some((1, self.opk)),
        };
        session::initiate(&me, &bundle, &mut ReplayRng::new(&[0x42; 32]), T0).expect("a valid bundle")
    }

    /// Bob's prekeys as they stand before the handshake (building it is not measured).
    #[must_use]
    pub fn store(&self) -> PrekeyStore {
        let mut store = PrekeyStore::new();
        store.add_signed_prekey(1, X25519Secret::from_bytes(self.bob.spk_secret), T0 + 86_400);
        store.add_one_time_prekey(1, X25519Secret::from_bytes(seed("opk", 1)));
        store
    }

    /// Bob's `session::respond` to `message`.
    pub fn respond(&self, store: &mut PrekeyStore, message: &InitMessage) -> Session {
        let me =
            LocalIdentity { root_key: self.bob.root, certificate: &self.bob.cert, identity_secret: &self.bob.identity };
        session::respond(&me, store, message, &self.alice.root, T0).expect("a valid init message")
    }

    /// A fresh pair of session ends (initiator, responder), set up without a one-time prekey.
    #[must_use]
    pub fn pair(&self) -> (Session, Session) {
        let initiated = self.initiate(false);
        let responder = self.respond(&mut self.store(), &initiated.message);
        (initiated.session, responder)
    }
}
