//! Vectors for the readings spec/session.md 1.1.0 decides (issue 14), and second witnesses for
//! rules that one case alone pinned (spec/misreadings/session.md): `add_device` of a member, a
//! header for a session whose peer was removed or terminated, a handshake with oneself and an
//! unpublished one-time prekey in the check order, send and seal to oneself, the status of a removed
//! device of a terminated account, SES-047's saturating sum near 2^64, and what `session.handshake`
//! reports when the responder is handed other init-message bytes.

use super::*;

/// Scenarios on the standard setup.
pub(super) fn lifecycle_readings() -> Vec<Sc> {
    let mut v = Vec::new();
    let (a, l, b, t, c) = ("alice-phone", "alice-laptop", "bob-phone", "bob-tablet", "carol-desktop");

    let mut s = sc(
        "add-member-again-closes-nothing",
        "bob-phone, a member with an open session, is added again: the step succeeds with closed 0 and changes \
         nothing, and alice's message still reaches it under the same session (SES-060).",
        &["SES-060", "SES-061"],
        &["Lifecycle"],
    );
    s.handshake(T0, a, b, Some(1)).ok();
    let m = s.send(T0 + 1, a, b);
    s.lifecycle(T0 + 2, "add_device", b).ok().output(json!({ "closed": 0 })).unchanged();
    s.receive(T0 + 3, b, &m).ok().output(json!({ "index": 0 }));
    v.push(s);

    let mut s = sc(
        "add-member-again-keeps-both-ends",
        "alice-laptop has sessions with carol-desktop and alice-phone; adding it again closes neither end, and both \
         peers can still send to it.",
        &["SES-060"],
        &["Lifecycle"],
    );
    s.handshake(T0, l, c, Some(1)).ok();
    s.handshake(T0 + 1, a, l, Some(2)).ok();
    s.lifecycle(T0 + 2, "add_device", l).ok().output(json!({ "closed": 0 })).unchanged();
    let from_carol = s.send(T0 + 3, c, l);
    s.receive(T0 + 4, l, &from_carol).ok().output(json!({ "index": 0 }));
    let from_phone = s.send(T0 + 5, a, l);
    s.receive(T0 + 6, l, &from_phone).ok().output(json!({ "index": 0 }));
    v.push(s);

    let mut s = sc(
        "header-after-peer-removed-is-closed",
        "carol-desktop holds a message bob-phone sent before bob-phone was removed: the header names a session \
         carol no longer holds, so its receive is session.closed (not revoked: a receive checks only the \
         receiving device, SES-062, SES-066).",
        &["SES-062", "SES-065", "SES-066"],
        &["Lifecycle", "RefusedStep"],
    );
    s.handshake(T0, c, b, Some(1)).ok();
    let late = s.send(T0 + 1, b, c);
    s.lifecycle(T0 + 2, "remove_device", b).ok().output(json!({ "closed": 2 }));
    s.receive(T0 + 3, c, &late).refused("session.closed");
    s.send(T0 + 4, c, b);
    s.refused("session.revoked");
    v.push(s);

    let mut s = sc(
        "header-after-peer-terminated-is-closed",
        "alice-laptop holds a message carol-desktop sent before carol was terminated: its receive is \
         session.closed, while a send to carol-desktop is session.terminated (SES-064, SES-066).",
        &["SES-064", "SES-065", "SES-066"],
        &["Lifecycle", "RefusedStep"],
    );
    s.handshake(T0, l, c, Some(1)).ok();
    let late = s.send(T0 + 1, c, l);
    s.lifecycle(T0 + 2, "terminate", "carol").ok().output(json!({ "closed": 2 }));
    s.receive(T0 + 3, l, &late).refused("session.closed");
    s.send(T0 + 4, l, c);
    s.refused("session.terminated");
    v.push(s);

    let mut s = sc(
        "self-handshake-before-unpublished-prekey",
        "alice-phone handshakes with itself naming one-time prekey 99, which it never published: the handshake with \
         oneself is found first (session.wrong_device, SES-030, SES-081).",
        &["SES-030", "SES-081"],
        &["RefusedStep"],
    );
    s.handshake(T0, a, a, Some(99)).refused("session.wrong_device");
    s.handshake(T0 + 1, l, l, Some(1)).refused("session.wrong_device");
    v.push(s);

    let mut s = sc(
        "self-handshake-after-lifecycle",
        "A pending device and a removed device handshaking with themselves: the lifecycle checks come first \
         (session.revoked), and a terminated one is session.terminated (SES-030, SES-066).",
        &["SES-030", "SES-066"],
        &["Lifecycle", "RefusedStep"],
    );
    s.handshake(T0, t, t, Some(99)).refused("session.revoked");
    s.lifecycle(T0 + 1, "remove_device", l).ok();
    s.handshake(T0 + 2, l, l, None).refused("session.revoked");
    s.lifecycle(T0 + 3, "terminate", "carol").ok();
    s.handshake(T0 + 4, c, c, None).refused("session.terminated");
    v.push(s);

    let mut s = sc(
        "unpublished-prekey-before-expired-signed-prekey",
        "After bob-phone's signed prekey has expired, a handshake naming its unpublished one-time prekey 99 is \
         session.unknown_prekey (the bundle is assembled before SES-025 checks it); with its published prekey 1 \
         it is session.expired.",
        &["SES-081", "SES-025", "SES-016"],
        &["RefusedStep"],
    );
    s.handshake(SPK_UNTIL + 10, a, b, Some(99)).refused("session.unknown_prekey");
    s.handshake(SPK_UNTIL + 10, a, b, Some(1)).refused("session.expired");
    v.push(s);

    let mut s = sc(
        "unpublished-prekey-before-expired-certificate",
        "After carol-desktop's certificate has expired, a handshake naming its unpublished one-time prekey 7 is \
         session.unknown_prekey; without a one-time prekey it is session.expired (SES-025 step 1).",
        &["SES-081", "SES-025", "SES-014"],
        &["RefusedStep"],
    );
    s.handshake(CERT_UNTIL + 10, a, c, Some(7)).refused("session.unknown_prekey");
    s.handshake(CERT_UNTIL + 10, a, c, None).refused("session.expired");
    v.push(s);

    let mut s = sc(
        "send-to-oneself-is-closed",
        "A member sends to itself: it passes the lifecycle checks and has no session with itself (session.closed, \
         SES-030, SES-065), also with sessions to others open.",
        &["SES-030", "SES-065"],
        &["RefusedStep"],
    );
    s.send(T0, a, a);
    s.refused("session.closed");
    s.handshake(T0 + 1, a, b, Some(1)).ok();
    s.send(T0 + 2, a, a);
    s.refused("session.closed");
    s.send_many(T0 + 3, b, b, 2);
    s.refused("session.closed");
    v.push(s);

    let mut s = sc(
        "seal-to-oneself-is-closed",
        "Sealing to oneself is session.closed, found before the envelope's checks: with bob-phone too, and with \
         oneself named twice (not envelope.duplicate_recipient); nothing changes.",
        &["SES-030", "SES-065", "SES-081"],
        &["RefusedStep"],
    );
    s.handshake(T0, a, b, Some(1)).ok();
    s.seal(T0 + 1, a, &[a], "self");
    s.refused("session.closed");
    s.seal(T0 + 2, a, &[b, a], "peer and self");
    s.refused("session.closed");
    s.seal(T0 + 3, a, &[a, a], "self twice");
    s.refused("session.closed");
    v.push(s);

    let mut s = sc(
        "removed-device-then-account-terminated",
        "alice-laptop is removed, then alice is terminated: the checkpoint gives alice-laptop status terminated \
         (3), and events naming it are session.terminated, no longer session.revoked (SES-060, SES-064, SES-080).",
        &["SES-060", "SES-064", "SES-080"],
        &["Lifecycle", "RefusedStep"],
    );
    s.handshake(T0, l, b, Some(1)).ok();
    s.lifecycle(T0 + 1, "remove_device", l).ok().output(json!({ "closed": 2 }));
    s.lifecycle(T0 + 2, "add_device", l).refused("session.revoked");
    s.lifecycle(T0 + 3, "terminate", "alice").ok().output(json!({ "closed": 0 })).changed();
    s.lifecycle(T0 + 4, "add_device", l).refused("session.terminated");
    s.lifecycle(T0 + 4, "remove_device", l).refused("session.terminated");
    s.handshake(T0 + 5, b, l, None).refused("session.terminated");
    v.push(s);

    let mut s = sc(
        "removed-and-pending-devices-then-account-terminated",
        "bob-phone is removed and bob-tablet never added; bob is terminated: both are terminated in the \
         checkpoint, and a handshake with either is session.terminated (SES-060, SES-064, SES-080).",
        &["SES-060", "SES-064", "SES-080"],
        &["Lifecycle", "RefusedStep"],
    );
    s.handshake(T0, a, b, Some(1)).ok();
    s.lifecycle(T0 + 1, "remove_device", b).ok();
    s.handshake(T0 + 2, a, b, Some(2)).refused("session.revoked");
    s.lifecycle(T0 + 3, "terminate", "bob").ok().output(json!({ "closed": 0 })).changed();
    s.handshake(T0 + 4, a, b, Some(2)).refused("session.terminated");
    s.handshake(T0 + 4, c, t, None).refused("session.terminated");
    v.push(s);
    v
}

/// The standard devices with certificates and signed prekeys in force until 2^64 - 1.
fn far_world() -> Vec<(Dev, bool)> {
    world()
        .into_iter()
        .map(|(d, member)| (dev_with(&d.account, &d.device, CERT_FROM, u64::MAX, u64::MAX), member))
        .collect()
}

pub(super) fn far_setup() -> Value {
    let mut setup = setup();
    setup["devices"] = far_world()
        .iter()
        .map(|(d, member)| json!({
            "certificate": hex::encode(d.cert.to_vec()),
            "identitySecret": hex::encode(d.identity),
            "signedPrekey": hex::encode(d.spk.to_vec()),
            "signedPrekeySecret": hex::encode(d.spk_secret),
            "oneTimePrekeys": d.opks.iter().map(|(id, s)| json!({ "id": id, "secret": hex::encode(s) })).collect::<Vec<_>>(),
            "member": member,
        }))
        .collect();
    setup
}

fn far_sc(id: &str, comment: &str, reqs: &[&'static str], flags: &[&'static str]) -> Sc {
    let mut s = sc(id, comment, reqs, flags);
    match ScenarioRun::new(&far_setup()) {
        Ok(run) => s.run = run,
        Err(e) => s.fail(format!("the far setup is not valid: {e}")),
    }
    s
}

/// SES-047 near 2^64: `established_at + 604,800` saturates (the setup's certificates and signed
/// prekeys are in force until 2^64 - 1).
pub(super) fn rekey_near_max() -> Vec<Sc> {
    let (a, b) = ("alice-phone", "bob-phone");
    let mut v = Vec::new();

    let mut s = far_sc(
        "rekey-limit-saturates",
        "A session established 1,000 s before 2^64 - 1: established_at + 604,800 saturates at 2^64 - 1, so a send \
         at 2^64 - 2 works and one at 2^64 - 1 is session.rekey_required (a wrapped sum would refuse both); \
         receiving is not limited (SES-047).",
        &["SES-047"],
        &["RefusedStep"],
    );
    s.handshake(u64::MAX - 1000, a, b, Some(1)).ok();
    let first = s.send(u64::MAX - 1, a, b);
    s.output(json!({ "index": 0 }));
    s.send(u64::MAX, a, b);
    s.refused("session.rekey_required");
    s.receive(u64::MAX, b, &first).ok().output(json!({ "index": 0 }));
    let back = s.send(u64::MAX - 1, b, a);
    s.output(json!({ "index": 0 }));
    s.receive(u64::MAX, a, &back).ok();
    v.push(s);

    let mut s = far_sc(
        "rekey-limit-sum-one-past-max",
        "A session established at 2^64 - 604,799: the sum is 2^64, one past the largest time, and saturates to \
         2^64 - 1; send_many at 2^64 - 2 works, at 2^64 - 1 it is refused before any send (SES-047, SES-046).",
        &["SES-047", "SES-046"],
        &["RefusedStep"],
    );
    s.handshake(u64::MAX - 604_799, b, a, None).ok();
    s.send_many(u64::MAX - 1, b, a, 3);
    s.output(json!({ "index": 2 }));
    s.send_many(u64::MAX, b, a, 3);
    s.refused("session.rekey_required");
    v.push(s);
    v
}

/// `session.handshake` with `initMessage`: the responder is handed another valid init message from
/// the same initiator (another ephemeral secret). It accepts it; the result's init message, session ID
/// and derived keys are the initiator's, and `initiatorToResponder` the responder's, so the two
/// directions disagree.
pub(super) fn init_replaced() -> Result<Vec<Hs>, GenerateError> {
    let (alice, bob) = (dev("alice", "alice-phone"), dev("bob", "bob-phone"));
    let mut v = Vec::new();
    for (id, opk) in [
        ("init-replaced-by-another-valid-message", false),
        ("init-replaced-by-another-valid-message-with-one-time-prekey", true),
    ] {
        let c = hs(
            id,
            "The responder handles another valid init message of the same initiator (another ephemeral secret): it \
             accepts it. initMessage, sessionId, the transcript hash, DH values, chain and confirmation keys and \
             responderToInitiator are the initiator's own; initiatorToResponder are the keys of the session the \
             responder made from the bytes it handled (conformance/ADAPTER.md).",
            &["SES-025", "SES-026", "SES-003"],
            &[],
            &alice,
            &bob,
            opk,
        );
        let mut other = c.clone();
        other.ephemeral = key32(&format!("session ephemeral {id} other"));
        let bytes = other.genuine_init()?;
        if bytes == c.genuine_init()? {
            return Err(GenerateError(format!("{id}: two ephemeral secrets gave one init message")));
        }
        v.push(c.deliver(bytes));
    }
    Ok(v)
}

/// Second witnesses for scenario rules (spec/misreadings/session.md): each pins a reading that one
/// case alone pinned before, or only the walks did.
pub(super) fn scenario_witnesses() -> Result<Vec<Sc>, GenerateError> {
    let mut v = Vec::new();
    let (a, l, b, t, c) = ("alice-phone", "alice-laptop", "bob-phone", "bob-tablet", "carol-desktop");

    let mut s = sc(
        "self-handshake-before-unpublished-prekey-laptop",
        "alice-laptop handshakes with itself naming a one-time prekey it never published: session.wrong_device, \
         found before the prekey (SES-030, SES-081).",
        &["SES-030", "SES-081"],
        &["RefusedStep"],
    );
    s.handshake(T0, l, l, Some(42)).refused("session.wrong_device");
    v.push(s);

    let mut s = sc(
        "self-handshake-of-a-removed-device",
        "A removed device handshaking with itself is session.revoked: the lifecycle checks come before the \
         handshake with oneself (SES-030, SES-066).",
        &["SES-030", "SES-066"],
        &["Lifecycle", "RefusedStep"],
    );
    s.lifecycle(T0, "remove_device", b).ok();
    s.handshake(T0 + 1, b, b, None).refused("session.revoked");
    v.push(s);

    let mut s = sc(
        "send-checks-the-sender-first",
        "carol is terminated; pending bob-tablet sends to carol-desktop: the sender is checked first \
         (session.revoked), and carol-desktop sending to bob-tablet is session.terminated (SES-066).",
        &["SES-066"],
        &["Lifecycle", "RefusedStep"],
    );
    s.lifecycle(T0, "terminate", "carol").ok();
    s.send(T0 + 1, t, c);
    s.refused("session.revoked");
    s.send(T0 + 2, c, t);
    s.refused("session.terminated");
    v.push(s);

    let mut s = sc(
        "send-checks-the-sender-first-removed",
        "alice-laptop is removed and bob terminated: alice-laptop sending to bob-phone is session.revoked (the \
         sender first), bob-phone sending to it session.terminated (SES-066).",
        &["SES-066"],
        &["Lifecycle", "RefusedStep"],
    );
    s.lifecycle(T0, "remove_device", l).ok();
    s.lifecycle(T0 + 1, "terminate", "bob").ok();
    s.send(T0 + 2, l, b);
    s.refused("session.revoked");
    s.send(T0 + 3, b, l);
    s.refused("session.terminated");
    v.push(s);

    let mut s = sc(
        "seal-closed-before-burn-limit",
        "alice-phone seals to carol-desktop, with which it has no session, with a burn time over the limit: the \
         missing session is found first (session.closed, SES-081).",
        &["SES-081", "SES-049"],
        &["Envelope", "RefusedStep"],
    );
    s.handshake(T0, a, b, Some(1)).ok();
    s.seal_burning(T0 + 1, a, &[c], "closed first", 31_536_001);
    s.refused("session.closed");
    s.seal_burning(T0 + 2, a, &[b, c], "closed first again", 31_536_001);
    s.refused("session.closed");
    v.push(s);

    let mut s = sc(
        "header-with-trailing-byte",
        "A session header with one byte after its index is session.trailing_data and changes nothing; the header \
         itself is then received (SES-041).",
        &["SES-041"],
        &["RefusedStep"],
    );
    s.handshake(T0, c, a, Some(1)).ok();
    let m = s.send(T0 + 1, c, a);
    s.receive(T0 + 2, a, &format!("{m}00")).refused("session.trailing_data");
    s.receive(T0 + 3, a, &m).ok().output(json!({ "index": 0 }));
    v.push(s);

    let mut s = sc(
        "tampered-envelope-keeps-the-window",
        "carol-desktop's envelope to alice-phone is tampered with: it fails to open and moves nothing, so the \
         genuine one opens afterwards at index 0 (SES-044).",
        &["SES-044"],
        &["Envelope", "Tampered", "RefusedStep"],
    );
    s.handshake(T0, c, a, Some(2)).ok();
    let sealed = s.seal(T0 + 1, c, &[a], "tamper again");
    let envelope = sealed["output"]["envelope"].as_str().unwrap_or_default().to_owned();
    let header = sealed["output"]["recipients"][0]["header"].as_str().unwrap_or_default().to_owned();
    let mut bytes = hex::decode(&envelope).map_err(|e| GenerateError(format!("envelope hex: {e}")))?;
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    s.open(T0 + 2, a, &header, &hex::encode(&bytes)).refused("envelope.authentication_failed");
    s.open(T0 + 3, a, &header, &envelope).ok().output(json!({ "index": 0 }));
    v.push(s);

    let mut s = sc(
        "envelope-from-another-device-to-carol",
        "An envelope that opens with bob-phone's message key for carol-desktop but names alice-phone as its \
         sender is session.wrong_device and changes nothing; the genuine one then opens at index 0 (SES-049).",
        &["SES-049", "SES-044"],
        &["Envelope", "WrongParty", "RefusedStep"],
    );
    s.handshake(T0, b, c, Some(3)).ok();
    let step = s.event(json!({ "at": T0 + 1, "event": "send", "from": h(b), "to": h(c) }));
    let header = step["output"]["header"].as_str().unwrap_or_default().to_owned();
    let key: [u8; 32] = hex::decode(step["output"]["messageKey"].as_str().unwrap_or_default())
        .ok()
        .and_then(|k| k.try_into().ok())
        .ok_or_else(|| GenerateError("envelope-from-another-device-to-carol: no key".into()))?;
    let forged = seal_by_hand(b"alice-phone", b"carol-desktop", &key, "forged for carol")?;
    let genuine = seal_by_hand(b"bob-phone", b"carol-desktop", &key, "genuine for carol")?;
    s.open(T0 + 2, c, &header, &forged).refused("session.wrong_device");
    s.open(T0 + 3, c, &header, &genuine).ok().output(json!({ "index": 0 }));
    v.push(s);

    let mut s = sc(
        "rekey-by-the-responder-closes-the-old-session",
        "carol-desktop and alice-phone rekey: a message alice sent under the old session is session.closed at \
         carol, and the new session works (SES-048, SES-065).",
        &["SES-048", "SES-065"],
        &["RefusedStep"],
    );
    s.handshake(T0, a, c, Some(1)).ok();
    let old = s.send(T0 + 1, a, c);
    s.handshake(T0 + 2, c, a, Some(1)).ok().output(json!({ "replaced": true }));
    s.receive(T0 + 3, c, &old).refused("session.closed");
    let new = s.send(T0 + 4, a, c);
    s.receive(T0 + 5, c, &new).ok().output(json!({ "index": 0 }));
    v.push(s);

    for (id, from, to, opk) in
        [("send-many-refused-part-way", a, b, Some(1)), ("send-many-refused-part-way-responder", b, a, None)]
    {
        let mut s = sc(
            id,
            "A chain two messages from exhaustion: send_many of 3 sends two (indices 65,534 and 65,535) and is then \
             refused, keeping both (SES-081); a header with index 65,536 is beyond any chain \
             (session.too_far_ahead, SES-046).",
            &["SES-081", "SES-046", "SES-043"],
            &["Large", "RefusedStep"],
        );
        if from == a {
            s.handshake(T0, from, to, opk).ok();
        } else {
            s.handshake(T0, to, from, opk).ok();
        }
        let sid = s.last()["output"]["sessionId"].as_str().unwrap_or_default().to_owned();
        s.send_many(T0 + 1, from, to, 65_534);
        s.output(json!({ "index": 65_533 }));
        s.send_many(T0 + 2, from, to, 3);
        if s.last()["error"] != "session.rekey_required" {
            s.fail("expected the part-way send_many to be refused".into());
        }
        s.changed();
        s.send(T0 + 3, from, to);
        s.refused("session.rekey_required");
        s.receive(T0 + 4, to, &format!("{sid}{}", hex::encode(65_536u32.to_be_bytes())))
            .refused("session.too_far_ahead");
        v.push(s);
    }
    Ok(v)
}

/// Second witnesses for `session.handshake` rules: encodings, validity bounds, and the orders of
/// SES-014, SES-015 and SES-026 that a case with two faults pins (each comment says which).
pub(super) fn handshake_witnesses() -> Result<Vec<Hs>, GenerateError> {
    let alice = dev("alice", "alice-phone");
    let bob = dev("bob", "bob-phone");
    let tablet = dev("bob", "bob-tablet");
    let mallory = dev("mallory", "mallory-phone");
    let cert = bob.cert.to_vec();
    let spk = bob.spk.to_vec();
    let with_byte = |bytes: &[u8], at: usize, value: u8| {
        let mut out = bytes.to_vec();
        out[at] = value;
        out
    };
    let longer = |bytes: &[u8], n: usize| {
        let mut out = bytes.to_vec();
        out.extend(core::iter::repeat_n(0u8, n));
        out
    };
    let mut v = Vec::new();
    // bob's certificate: u8(3) "bob" u8(9) "bob-phone" ...: the account length at 0, the device's at 4.
    for (id, comment, at, value) in [
        (
            "bundle-certificate-account-length-zero-in-place",
            "The certificate's account ID length byte is set to 0, the bytes after it left as they are.",
            0,
            0u8,
        ),
        ("bundle-certificate-device-length-zero", "The certificate's device ID length byte is set to 0.", 4, 0),
        (
            "bundle-certificate-account-length-past-end",
            "The certificate's account ID length is 200, more than the bytes left: the length is refused when it is \
             read, before the bytes it announces (length_out_of_range, not truncated).",
            0,
            200,
        ),
        (
            "bundle-certificate-device-length-past-end",
            "The certificate's device ID length is 255: refused when read, before the bytes it announces.",
            4,
            255,
        ),
    ] {
        let mut c = hs(id, comment, &["SES-001", "SES-010"], &["Tampered"], &alice, &bob, true);
        c.bundle.cert = with_byte(&cert, at, value);
        v.push(c.fails("session.length_out_of_range"));
    }
    for (id, opk, extra) in [
        ("bundle-certificate-trailing-block", true, 32),
        ("bundle-certificate-trailing-byte-no-one-time-prekey", false, 1),
    ] {
        let mut c = hs(id, "Bytes after the certificate's signature.", &["SES-010"], &["Trailing"], &alice, &bob, opk);
        c.bundle.cert = longer(&cert, extra);
        v.push(c.fails("session.trailing_data"));
    }
    for (id, opk, extra) in [
        ("bundle-signed-prekey-trailing-block", true, 64),
        ("bundle-signed-prekey-trailing-byte-no-one-time-prekey", false, 1),
    ] {
        let mut c =
            hs(id, "Bytes after the signed prekey's signature.", &["SES-011"], &["Trailing"], &alice, &bob, opk);
        c.bundle.spk = longer(&spk, extra);
        v.push(c.fails("session.trailing_data"));
    }
    for (id, opk, received) in [
        ("bundle-certificate-at-not-before", true, CERT_FROM),
        ("bundle-certificate-at-not-before-no-one-time-prekey", false, CERT_FROM + 1),
    ] {
        let mut c = hs(
            id,
            "now = both certificates' not_before: they are in force (not_before is inclusive), at the initiator and \
             at the responder.",
            &["SES-013", "SES-014"],
            &["Boundary"],
            &alice,
            &bob,
            opk,
        );
        c.now = CERT_FROM;
        c.received_at = received;
        v.push(c);
    }
    let mut c = hs(
        "bundle-certificate-of-another-device-for-tablet",
        "The bundle for bob-tablet carries bob-phone's valid certificate (same account).",
        &["SES-014"],
        &["WrongParty"],
        &alice,
        &tablet,
        true,
    );
    c.bundle.cert = cert.clone();
    v.push(c.fails("session.wrong_device"));
    let mut c = hs(
        "bundle-certificate-for-another-account-expired",
        "Two faults, and the case pins SES-014's order: mallory's certificate in bob-phone's bundle, at its not_after. \
         The account it names is checked before its validity: session.wrong_account.",
        &["SES-014", "SES-013"],
        &["WrongParty", "PastBoundary"],
        &alice,
        &bob,
        true,
    );
    c.bundle.cert = mallory.cert.to_vec();
    c.now = CERT_UNTIL;
    v.push(c.fails("session.wrong_account"));
    let mut c = hs(
        "bundle-certificate-signature-flipped-expired",
        "Two faults, and the case pins SES-014's order: a flipped signature bit, at the certificate's not_after. The \
         signature is checked before the validity: session.authentication_failed.",
        &["SES-014", "SES-013"],
        &["Tampered", "PastBoundary"],
        &alice,
        &bob,
        false,
    );
    c.bundle.cert = flip(&cert, cert.len() - 1);
    c.now = CERT_UNTIL;
    v.push(c.fails("session.authentication_failed"));
    let mut c = hs(
        "bundle-signed-prekey-at-not-after-no-one-time-prekey",
        "now = the signed prekey's not_after, without a one-time prekey.",
        &["SES-015", "SES-013"],
        &["PastBoundary"],
        &alice,
        &bob,
        false,
    );
    c.now = SPK_UNTIL;
    v.push(c.fails("session.expired"));
    for (id, at) in [
        ("bundle-signed-prekey-signature-flipped-expired", spk.len() - 1),
        ("bundle-signed-prekey-key-changed-expired", 4),
    ] {
        let mut c = hs(
            id,
            "Two faults, and the case pins SES-015's order: a flipped bit of the signed prekey, at its not_after. The \
             signature is checked before the expiry: session.authentication_failed.",
            &["SES-015"],
            &["Tampered", "PastBoundary"],
            &alice,
            &bob,
            true,
        );
        c.bundle.spk = flip(&spk, at);
        c.now = SPK_UNTIL;
        v.push(c.fails("session.authentication_failed"));
    }
    for (id, field) in
        [("init-for-another-account-initiator-expired", 0), ("init-for-another-device-initiator-expired", 1)]
    {
        let mut c = hs(
            id,
            "Two faults, and the case pins SES-026's order: the init message names another responder, and the \
             responder reads it after the initiator's certificate (and its own signed prekey) expired. Step 2 comes \
             first: session.wrong_device.",
            &["SES-026"],
            &["WrongParty", "PastBoundary"],
            &alice,
            &bob,
            true,
        );
        c.received_at = CERT_UNTIL;
        let init = c.genuine_init()?;
        let at = layout(&init);
        let place = if field == 0 { at.responder_account + 1 } else { at.responder_device + 1 };
        v.push(c.deliver(flip(&init, place)).fails("session.wrong_device"));
    }
    for (id, opk) in
        [("init-replayed-with-bad-confirm", false), ("init-replayed-with-bad-confirm-one-time-prekey", true)]
    {
        let mut c = hs(
            id,
            "Two faults, and the case pins SES-026's order: the genuine message, whose session ID the responder has \
             accepted before, arrives with its confirm flipped. Step 7 (confirm) comes before step 8 (replay): \
             session.authentication_failed.",
            &["SES-026", "SES-028"],
            &["Tampered"],
            &alice,
            &bob,
            opk,
        );
        let genuine = c.genuine_init()?;
        let out = handshake(&c.clone().deliver(genuine.clone()).args())
            .map_err(|e| GenerateError(format!("{id}: genuine handshake: {e}")))?;
        let sid = out["sessionId"].as_str().unwrap_or_default().to_owned();
        c.accepted = vec![(bob.spk_id, sid)];
        let last = genuine.len() - 1;
        v.push(c.deliver(flip(&genuine, last)).fails("session.authentication_failed"));
    }
    Ok(v)
}
