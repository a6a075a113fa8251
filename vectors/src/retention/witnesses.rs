//! Second witnesses (spec/misreadings/retention.md): hand-written scenarios for rules that one case
//! alone pinned, or only the random walks did, and for the two readings spec/retention.md 1.1.0
//! decides (records in record order, RET-060; `terminate` does not move the last-use day, RET-050
//! and RET-054). Each function adds to the group of the same name.

use super::*;

fn rec(record: &str, at: u64, until: u64, held: bool, direct: u64, room: u64) -> Value {
    json!({ "record": record, "at": at, "until": until, "held": held, "direct": direct, "room": room })
}

pub(super) fn expiry_witnesses() -> Vec<Scenario> {
    let near = u64::MAX - 1000;
    let day = near / DAY * DAY;
    vec![
        sc(
            "clock-near-max-cap-saturates",
            "At a clock 1,000 s below 2^64 - 1 a 60 s message expires normally while its cap saturates (a wrapped \
             cap would be tiny); its message_counts record's at + 518,400 saturates too and goes only at 2^64 - 1.",
            &["RET-020", "RET-003", "RET-051"],
            &["Overflow"],
        )
        .base()
        .step(near, store("alice-phone", 1, "dm-ab", near, 60))
        .expect(outs(&[o_stored(1, DM, near + 60)]))
        .step(near + 60, Ev::Tick)
        .expect(all(&[outs(&[o_purged(1, "expiry")]), held(&[])]))
        .step(u64::MAX, Ev::Tick)
        .expect(outs(&[o_record("alice", "message_counts", day, "expired")])),
        sc(
            "arrival-at-expiry-behind-the-clock",
            "The clock is at T0 + 100 when a store comes with now T0 + 50, sent at T0 with ttl 100: its expiry is \
             exactly the clock, so it is not stored (RET-011 case 1).",
            &["RET-011", "RET-021", "RET-003"],
            &["At"],
        )
        .base()
        .step(T0 + 100, Ev::Tick)
        .step(T0 + 50, store("alice-phone", 1, "dm-ab", T0, 100))
        .expect(all(&[accepted(1), outs(&[o_not_stored(1, "expired")]), held(&[])])),
        sc(
            "stage1-purges-by-deadline",
            "Message 1 (deadline T0 + 3600) is stored before message 2 (deadline T0 + 61): one tick past both \
             purges 2 first, in deadline order, not store order.",
            &["RET-003", "RET-021"],
            &[],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 1, store("alice-phone", 2, "dm-ab", T0 + 1, 60))
        .step(T0 + 4000, Ev::Tick)
        .expect(all(&[outs(&[o_purged(2, "expiry"), o_purged(1, "expiry")]), held(&[])])),
        sc(
            "stage1-purges-by-deadline-in-a-refused-step",
            "As stage1-purges-by-deadline, but the step's event is an ack of message 1, refused since stage 1 \
             purged it: the purges are still the step's outputs, in deadline order.",
            &["RET-003", "RET-021"],
            &["RefusedStep"],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 1, store("alice-phone", 2, "dm-ab", T0 + 1, 60))
        .step(T0 + 4000, ack("bob-phone", 1))
        .expect(all(&[
            refused("retention.unknown_message"),
            outs(&[o_purged(2, "expiry"), o_purged(1, "expiry")]),
            held(&[]),
        ])),
        sc(
            "cap-counts-from-arrival",
            "A one-year message sent 1,000 s before it arrives: the cap counts from the store (clock + cap), \
             only the ttl from min(sent_at, clock); it is still held 1,000 s before T0 + cap.",
            &["RET-020"],
            &["Before"],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0 - 1000, MAX_TTL))
        .expect(outs(&[o_stored(1, DM, T0 + CONSUMER)]))
        .step(T0 + CONSUMER - 1000, Ev::Tick)
        .expect(all(&[outs(&[]), held(&[1])])),
        sc(
            "configured-cap-counts-from-arrival",
            "Under a configured cap of 3600 s, a one-day message sent 100 s before it arrives is held until \
             T0 + 3600, not T0 + 3500.",
            &["RET-001", "RET-020", "RET-021"],
            &["ConfiguredCap", "At"],
        )
        .cap(Some(3600))
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0 - 100, 86_400))
        .expect(outs(&[o_stored(1, DM, T0 + 3600)]))
        .step(T0 + 3500, Ev::Tick)
        .expect(all(&[outs(&[]), held(&[1])]))
        .step(T0 + 3600, Ev::Tick)
        .expect(all(&[outs(&[o_purged(1, "cap")]), held(&[])])),
    ]
}

pub(super) fn delivery_witnesses() -> Vec<Scenario> {
    let bob = acct("bob");
    vec![
        sc(
            "empty-fetch-moves-last-use",
            "A fetch that returns nothing is still an accepted event of bob's device: bob's last-use day moves.",
            &["RET-026", "RET-050"],
            &[],
        )
        .base()
        .step(T0 + 2 * DAY, fetch("bob-phone"))
        .expect(messages(&[]))
        .step(T0 + 2 * DAY + 1, Ev::Disclose(bob))
        .expect(json!({ "reply": { "facts": { "lastUseDay": (T0 + 2 * DAY) / DAY } } })),
        sc(
            "fetch-moves-last-use",
            "bob-laptop fetches a held message three days after it was stored: bob's last-use day is the fetch's.",
            &["RET-026", "RET-050"],
            &[],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 604_800))
        .step(T0 + 3 * DAY, fetch("bob-laptop"))
        .expect(messages(&[1]))
        .step(T0 + 3 * DAY + 1, Ev::Disclose(bob))
        .expect(json!({ "reply": { "facts": { "lastUseDay": (T0 + 3 * DAY) / DAY, "received": 1 } } })),
    ]
}

pub(super) fn devices_witnesses() -> Vec<Scenario> {
    let (alice, bob) = (acct("alice"), acct("bob"));
    vec![
        sc(
            "readded-device-holds-no-delivery",
            "bob-phone is removed and added again: it is not pending for the older message, so bob-laptop's ack is \
             the last one and purges it.",
            &["RET-031", "RET-033", "RET-022"],
            &[],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 1, Ev::RemoveDevice(bob, dev("bob-phone")))
        .expect(outs(&[o_dropped(1, "bob-phone")]))
        .step(T0 + 2, Ev::AddDevice(bob, dev("bob-phone"), Platform::Android))
        .step(T0 + 3, ack("bob-laptop", 1))
        .expect(all(&[reply("acked"), outs(&[o_purged(1, "delivered")]), held(&[])])),
        sc(
            "removal-ends-three-deliveries",
            "bob-phone is pending for messages 1, 2 and 3; bob-laptop has acked 1 and 3. Removing bob-phone drops \
             and at once purges 1, drops 2, then drops and purges 3.",
            &["RET-033", "RET-025"],
            &[],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 1, store("alice-phone", 2, "dm-ab", T0 + 1, 3600))
        .step(T0 + 2, store("alice-phone", 3, "dm-ab", T0 + 2, 3600))
        .step(T0 + 3, ack("bob-laptop", 1))
        .step(T0 + 4, ack("bob-laptop", 3))
        .step(T0 + 5, Ev::RemoveDevice(bob, dev("bob-phone")))
        .expect(all(&[
            outs(&[
                o_dropped(1, "bob-phone"),
                o_purged(1, "dropped"),
                o_dropped(2, "bob-phone"),
                o_dropped(3, "bob-phone"),
                o_purged(3, "dropped"),
            ]),
            held(&[2]),
        ])),
        sc(
            "removal-forgets-acknowledged-dm-device",
            "bob-phone acks a direct message and is removed: alice's disclosure lists only bob-laptop as a recipient.",
            &["RET-030", "RET-033", "RET-060"],
            &[],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 1, ack("bob-phone", 1))
        .step(T0 + 2, Ev::RemoveDevice(bob, dev("bob-phone")))
        .expect(all(&[outs(&[]), held(&[1])]))
        .step(T0 + 3, Ev::Disclose(alice))
        .expect(json!({ "reply": { "messages": [message_view(
            1, "alice", "alice-phone", "dm-ab", T0, 3600, &[("bob-laptop", false)],
        )] } })),
        sc(
            "platforms-in-enumeration-order",
            "alice adds a web device, then an android one: her platforms are listed ios, android, web (RET-002's \
             order), not in the order added.",
            &["RET-002", "RET-050"],
            &[],
        )
        .base()
        .step(T0, Ev::AddDevice(alice, dev("alice-browser"), Platform::Web))
        .step(T0 + 1, Ev::AddDevice(alice, dev("alice-tablet"), Platform::Android))
        .step(T0 + 2, Ev::Disclose(alice))
        .expect(json!({ "reply": { "facts": { "platforms": ["ios", "android", "web"] } } })),
        sc(
            "platforms-kept-after-removal",
            "bob adds a web device and an ios one, then removes the ios one: ios stays among his platforms, listed \
             first.",
            &["RET-002", "RET-050", "RET-062"],
            &[],
        )
        .base()
        .step(T0, Ev::AddDevice(bob, dev("bob-browser"), Platform::Web))
        .step(T0 + 1, Ev::AddDevice(bob, dev("bob-ipad"), Platform::Ios))
        .step(T0 + 2, Ev::RemoveDevice(bob, dev("bob-ipad")))
        .step(T0 + 3, Ev::Disclose(bob))
        .expect(json!({ "reply": { "facts": { "platforms": ["ios", "android", "desktop", "web"] } } })),
        sc(
            "remove-device-makes-a-record",
            "remove_device makes a device_removed record, deleted 6 days later.",
            &["RET-051"],
            &["At"],
        )
        .base()
        .step(T0, Ev::RemoveDevice(bob, dev("bob-phone")))
        .step(T0 + 1, Ev::Disclose(bob))
        .expect(json!({ "reply": { "records": [rec("device_removed", T0, T0 + SIX_DAYS, false, 0, 0)] } }))
        .step(T0 + SIX_DAYS, Ev::Tick)
        .expect(outs(&[o_record("bob", "device_removed", T0, "expired")])),
    ]
}

pub(super) fn rooms_witnesses() -> Vec<Scenario> {
    let alice = acct("alice");
    vec![
        sc(
            "one-member-unstored-counts-as-room",
            "alice, alone in `solo` with no other device, stores to it: nothing is stored (no recipients), and the \
             message still counts, as a room message.",
            &["RET-011", "RET-034", "RET-051"],
            &[],
        )
        .base()
        .step(T0, Ev::Join(alice, dev("solo")))
        .step(T0 + 1, store("alice-phone", 1, "solo", T0 + 1, 3600))
        .expect(all(&[accepted(1), outs(&[o_not_stored(1, "no_recipients")]), held(&[])]))
        .step(T0 + 2, Ev::Disclose(alice))
        .expect(json!({ "reply": {
            "facts": { "sent": 1 },
            "records": [rec("message_counts", T0, T0 + SIX_DAYS, false, 0, 1)],
        } })),
    ]
}

pub(super) fn blocks_witnesses() -> Vec<Scenario> {
    let (alice, bob, carol) = (acct("alice"), acct("bob"), acct("carol"));
    vec![
        sc(
            "blocking-member-received-unchanged-room",
            "bob blocks alice; her room message is stored for carol only: carol's received count grows, bob's does \
             not.",
            &["RET-041", "RET-011"],
            &[],
        )
        .base()
        .step(T0, Ev::Block(bob, alice))
        .step(T0 + 1, store("alice-phone", 1, "room-1", T0 + 1, 3600))
        .expect(outs(&[o_stored(1, &["carol-phone"], T0 + 3601)]))
        .step(T0 + 2, Ev::Disclose(bob))
        .expect(json!({ "reply": { "facts": { "received": 0 } } }))
        .step(T0 + 3, Ev::Disclose(carol))
        .expect(json!({ "reply": { "facts": { "received": 1 } } })),
        sc(
            "blocking-member-received-unchanged-own-device",
            "bob blocks alice; her direct message is stored for her own other device only: bob's received count \
             stays 0.",
            &["RET-041", "RET-011", "RET-030"],
            &[],
        )
        .base()
        .step(T0, Ev::AddDevice(alice, dev("alice-laptop"), Platform::Desktop))
        .step(T0, Ev::Block(bob, alice))
        .step(T0 + 1, store("alice-phone", 1, "dm-ab", T0 + 1, 3600))
        .expect(outs(&[o_stored(1, &["alice-laptop"], T0 + 3601)]))
        .step(T0 + 2, Ev::Disclose(bob))
        .expect(json!({ "reply": { "facts": { "received": 0 } } })),
        sc(
            "unblock-self",
            "An account's own identifier is never on its block list: unblocking it changes nothing (it is not a \
             field fault: only block checks for oneself).",
            &["RET-040", "RET-004"],
            &["RefusedStep"],
        )
        .base()
        .step(T0, Ev::Unblock(alice, alice))
        .expect(refused("retention.no_change")),
        sc(
            "unblock-self-with-a-list",
            "alice blocks bob, then unblocks herself: no change, and bob stays listed.",
            &["RET-040", "RET-004"],
            &["RefusedStep"],
        )
        .base()
        .step(T0, Ev::Block(alice, bob))
        .step(T0 + 1, Ev::Unblock(alice, alice))
        .expect(refused("retention.no_change"))
        .step(T0 + 2, Ev::Disclose(alice))
        .expect(json!({ "reply": { "blockList": [ha("bob")] } })),
        sc(
            "block-twice-one-record",
            "A second block of the same identifier is refused and makes no second record.",
            &["RET-040", "RET-051"],
            &["RefusedStep"],
        )
        .base()
        .step(T0, Ev::Block(bob, alice))
        .step(T0 + 1, Ev::Block(bob, alice))
        .expect(refused("retention.no_change"))
        .step(T0 + 2, Ev::Disclose(bob))
        .expect(json!({ "reply": { "records": [rec("block_list_changed", T0, T0 + SIX_DAYS, false, 0, 0)] } })),
    ]
}

pub(super) fn recall_witnesses() -> Vec<Scenario> {
    let alice = acct("alice");
    vec![
        sc(
            "recall-purges-every-copy",
            "Two copies of message 1 are held; one recall by the sending device purges both, in store order.",
            &["RET-024", "RET-012"],
            &[],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 1, store("alice-phone", 1, "dm-ab", T0 + 1, 3600))
        .expect(held(&[1, 1]))
        .step(T0 + 2, recall("alice-phone", 1))
        .expect(all(&[recalled(1), outs(&[o_purged(1, "recalled"), o_purged(1, "recalled")]), held(&[])])),
        sc(
            "recall-after-readd-room",
            "In a room: alice-phone, removed and added again by alice, recalls what it sent before.",
            &["RET-024", "RET-031"],
            &[],
        )
        .base()
        .step(T0, store("alice-phone", 1, "room-1", T0, 3600))
        .step(T0 + 1, Ev::RemoveDevice(alice, dev("alice-phone")))
        .step(T0 + 2, Ev::AddDevice(alice, dev("alice-phone"), Platform::Ios))
        .step(T0 + 3, recall("alice-phone", 1))
        .expect(all(&[recalled(1), outs(&[o_purged(1, "recalled")]), held(&[])])),
    ]
}

pub(super) fn records_witnesses() -> Vec<Scenario> {
    let (alice, bob) = (acct("alice"), acct("bob"));
    let setup_day = SETUP / DAY;
    let mut eight = sc(
        "external-ids-eight-after-unlink",
        "Eight linked, one unlinked, one linked again (eight): accepted; one more is the ninth and is refused.",
        &["RET-050"],
        &["RefusedStep"],
    )
    .base();
    for _ in 0..MAX_EXTERNAL_IDS {
        eight = eight.step(T0, Ev::Setting(alice, SettingChange::LinkExternalId));
    }
    vec![
        eight
            .step(T0 + 1, Ev::Setting(alice, SettingChange::UnlinkExternalId))
            .step(T0 + 2, Ev::Setting(alice, SettingChange::LinkExternalId))
            .expect(reply("setting_changed"))
            .step(T0 + 3, Ev::Setting(alice, SettingChange::LinkExternalId))
            .expect(refused("retention.invalid_event"))
            .step(T0 + 4, Ev::Disclose(alice))
            .expect(json!({ "reply": { "facts": { "externalIds": MAX_EXTERNAL_IDS } } })),
        sc(
            "refused-events-keep-last-use",
            "bob's refused ack (two days on) and refused join (three days on) do not move his last-use day.",
            &["RET-050", "RET-003"],
            &["RefusedStep"],
        )
        .base()
        .step(T0 + 2 * DAY, ack("bob-phone", 1))
        .expect(refused("retention.unknown_message"))
        .step(T0 + 3 * DAY, Ev::Join(bob, dev("dm-ab")))
        .expect(refused("retention.no_change"))
        .step(T0 + 3 * DAY + 1, Ev::Disclose(bob))
        .expect(json!({ "reply": { "facts": { "lastUseDay": setup_day } } })),
        sc(
            "refused-setting-keeps-last-use",
            "alice's refused remove_avatar a day on does not move her last-use day.",
            &["RET-050", "RET-003"],
            &["RefusedStep"],
        )
        .base()
        .step(T0 + DAY, Ev::Setting(alice, SettingChange::RemoveAvatar))
        .expect(refused("retention.no_change"))
        .step(T0 + DAY + 1, Ev::Disclose(alice))
        .expect(json!({ "reply": { "facts": { "lastUseDay": setup_day }, "records": [] } })),
    ]
}

pub(super) fn holds_witnesses() -> Vec<Scenario> {
    let alice = acct("alice");
    let until = T0 + 20 + NINETY_DAYS;
    vec![
        sc(
            "hold-on-tombstone-after-earlier-hold",
            "A held account is terminated; a second hold then finds a tombstone and is refused.",
            &["RET-053", "RET-055"],
            &["RefusedStep"],
        )
        .base()
        .step(T0, Ev::Hold(alice))
        .step(T0 + 1, Ev::Terminate(alice))
        .step(T0 + 2, Ev::Hold(alice))
        .expect(all(&[refused("retention.account_terminated"), outs(&[])])),
        sc(
            "held-counts-closed-new-record-expires",
            "A held message_counts record is closed; the day's later message opens a new, unheld record, which is \
             deleted 6 days after the day's start while the held one stays.",
            &["RET-051", "RET-053"],
            &["At"],
        )
        .base()
        .step(T0 + 10, store("alice-phone", 1, "dm-ab", T0 + 10, 60))
        .step(T0 + 20, Ev::Hold(alice))
        .step(T0 + 30, store("alice-phone", 2, "dm-ab", T0 + 30, 60))
        .step(T0 + 100, Ev::Tick)
        .expect(outs(&[o_purged(1, "expiry"), o_purged(2, "expiry")]))
        .step(T0 + SIX_DAYS, Ev::Tick)
        .expect(outs(&[o_record("alice", "message_counts", T0, "expired")]))
        .step(T0 + SIX_DAYS + 1, Ev::Disclose(alice))
        .expect(json!({ "reply": { "records": [rec("message_counts", T0, until, true, 1, 0)] } })),
    ]
}

pub(super) fn termination_witnesses() -> Vec<Scenario> {
    let alice = acct("alice");
    let until = T0 + 10 + NINETY_DAYS;
    vec![
        sc(
            "terminate-keeps-last-use-day",
            "alice last used her account on T0's day; held, then terminated three days later: the preserved facts \
             say T0's day, not the termination's (RET-054).",
            &["RET-050", "RET-053", "RET-054", "RET-060"],
            &[],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 10, Ev::Hold(alice))
        .step(T0 + 3 * DAY, Ev::Terminate(alice))
        .expect(all(&[reply("terminated"), outs(&[o_purged(1, "expiry"), o_tombstoned("alice")])]))
        .step(T0 + 3 * DAY + 1, Ev::Disclose(alice))
        .expect(json!({ "reply": {
            "terminated": true,
            "facts": { "createdDay": SETUP / DAY, "lastUseDay": T0 / DAY, "sent": 1 },
            "holdUntil": until,
            "records": [rec("message_counts", T0, until, true, 1, 0)],
        } })),
        sc(
            "terminate-keeps-last-use-day-enterprise",
            "On an enterprise server: alice sets an avatar on day T0 + 1, is held on day T0 + 2 and terminated on \
             day T0 + 5; four days later the preserved facts still say day T0 + 1.",
            &["RET-050", "RET-053", "RET-054"],
            &["Enterprise"],
        )
        .profile(Profile::Enterprise)
        .base()
        .step(T0 + DAY, Ev::Setting(alice, SettingChange::SetAvatar))
        .step(T0 + 2 * DAY, Ev::Hold(alice))
        .step(T0 + 5 * DAY, Ev::Terminate(alice))
        .expect(reply("terminated"))
        .step(T0 + 9 * DAY, Ev::Disclose(alice))
        .expect(json!({ "reply": {
            "terminated": true,
            "facts": { "lastUseDay": (T0 + DAY) / DAY, "avatar": true },
            "holdUntil": T0 + 2 * DAY + NINETY_DAYS,
        } })),
        sc(
            "terminate-purges-before-own-devices",
            "alice's message is pending for her own alice-laptop too. Termination purges it (sender_terminated) \
             before it removes her devices, so no dropped output comes first.",
            &["RET-054", "RET-025"],
            &[],
        )
        .base()
        .step(T0, Ev::AddDevice(alice, dev("alice-laptop"), Platform::Desktop))
        .step(T0 + 1, store("alice-phone", 1, "dm-ab", T0 + 1, 3600))
        .expect(outs(&[o_stored(1, &["alice-laptop", "bob-laptop", "bob-phone"], T0 + 3601)]))
        .step(T0 + 2, Ev::Terminate(alice))
        .expect(all(&[
            outs(&[
                o_purged(1, "sender_terminated"),
                o_record("alice", "device_added", T0, "terminated"),
                o_record("alice", "message_counts", T0, "terminated"),
                o_tombstoned("alice"),
            ]),
            held(&[]),
        ])),
        sc(
            "terminate-purges-before-own-devices-solo",
            "alice's message in `solo` is pending for her alice-laptop only: termination purges it as \
             sender_terminated, not dropped.",
            &["RET-054", "RET-025"],
            &[],
        )
        .base()
        .step(T0, Ev::AddDevice(alice, dev("alice-laptop"), Platform::Desktop))
        .step(T0, Ev::Join(alice, dev("solo")))
        .step(T0 + 1, store("alice-phone", 1, "solo", T0 + 1, 3600))
        .expect(outs(&[o_stored(1, &["alice-laptop"], T0 + 3601)]))
        .step(T0 + 2, Ev::Terminate(alice))
        .expect(all(&[
            outs(&[
                o_purged(1, "sender_terminated"),
                o_record("alice", "device_added", T0, "terminated"),
                o_record("alice", "message_counts", T0, "terminated"),
                o_tombstoned("alice"),
            ]),
            held(&[]),
        ])),
    ]
}

pub(super) fn disclosure_witnesses() -> Vec<Scenario> {
    let (alice, bob, carol) = (acct("alice"), acct("bob"), acct("carol"));
    vec![
        sc(
            "disclose-blocked-only-identifier",
            "mallory is on alice's block list but never registered: disclosing mallory is refused.",
            &["RET-060", "RET-040"],
            &["RefusedStep"],
        )
        .base()
        .step(T0, Ev::Block(alice, acct("mallory")))
        .step(T0 + 1, Ev::Disclose(acct("mallory")))
        .expect(refused("retention.unknown_account")),
        sc(
            "disclose-received-own-device-pending",
            "Both of bob's devices acked a direct message still pending for alice's other device: bob's disclosure \
             lists it, with both acks.",
            &["RET-060", "RET-030"],
            &[],
        )
        .base()
        .step(T0, Ev::AddDevice(alice, dev("alice-laptop"), Platform::Desktop))
        .step(T0 + 1, store("alice-phone", 1, "dm-ab", T0 + 1, 3600))
        .step(T0 + 2, ack("bob-phone", 1))
        .step(T0 + 3, ack("bob-laptop", 1))
        .expect(all(&[reply("acked"), outs(&[]), held(&[1])]))
        .step(T0 + 4, Ev::Disclose(bob))
        .expect(json!({ "reply": { "messages": [message_view(
            1, "alice", "alice-phone", "dm-ab", T0 + 1, 3600,
            &[("alice-laptop", false), ("bob-laptop", true), ("bob-phone", true)],
        )] } })),
        sc(
            "disclose-rooms-in-byte-order-bob",
            "bob joins room-9, then room-0: his rooms are listed by their IDs' bytes.",
            &["RET-060"],
            &[],
        )
        .base()
        .step(T0, Ev::Join(bob, dev("room-9")))
        .step(T0 + 1, Ev::Join(bob, dev("room-0")))
        .step(T0 + 2, Ev::Disclose(bob))
        .expect(json!({ "reply": { "rooms": [hx("dm-ab"), hx("room-0"), hx("room-1"), hx("room-9")] } })),
        // alice's identifier (f3a3…) is above bob's (e1d9…).
        sc(
            "disclose-block-list-in-byte-order-carol",
            "carol blocks alice, then bob: her block list is listed bob first (byte order).",
            &["RET-040", "RET-060"],
            &[],
        )
        .base()
        .step(T0, Ev::Block(carol, alice))
        .step(T0 + 1, Ev::Block(carol, bob))
        .step(T0 + 2, Ev::Disclose(carol))
        .expect(json!({ "reply": { "blockList": [ha("bob"), ha("alice")] } })),
        sc(
            "disclose-records-in-record-order",
            "alice adds a device at T0 + 100, then sends at T0 + 200: the message_counts record (at T0, the day's \
             start) was made second and is listed second, not first by its earlier at (RET-060).",
            &["RET-060", "RET-051"],
            &[],
        )
        .base()
        .step(T0 + 100, Ev::AddDevice(alice, dev("alice-laptop"), Platform::Desktop))
        .step(T0 + 200, store("alice-phone", 1, "dm-ab", T0 + 200, 3600))
        .step(T0 + 300, Ev::Disclose(alice))
        .expect(json!({ "reply": { "records": [
            rec("device_added", T0 + 100, T0 + 100 + SIX_DAYS, false, 0, 0),
            rec("message_counts", T0, T0 + SIX_DAYS, false, 1, 0),
        ] } })),
        sc(
            "disclose-records-in-record-order-held",
            "bob blocks mallory at T0 + 50 and sends at T0 + 60, then is held: both records are held and still \
             listed in the order they were made.",
            &["RET-060", "RET-051", "RET-053"],
            &[],
        )
        .base()
        .step(T0 + 50, Ev::Block(bob, acct("mallory")))
        .step(T0 + 60, store("bob-phone", 1, "dm-ab", T0 + 60, 3600))
        .step(T0 + 70, Ev::Hold(bob))
        .step(T0 + 80, Ev::Disclose(bob))
        .expect(json!({ "reply": { "records": [
            rec("block_list_changed", T0 + 50, T0 + 70 + NINETY_DAYS, true, 0, 0),
            rec("message_counts", T0, T0 + 70 + NINETY_DAYS, true, 1, 0),
        ] } })),
    ]
}

pub(super) fn bounds_witnesses() -> Vec<Scenario> {
    vec![
        field_fault(
            "store-ttl-above-max-unknown-device",
            "Field bounds come before the device: ttl 31,536,001 from an unknown device.",
            bad_store("zed-phone", "dm-ab", MAX_TTL + 1, ciphertext(1)),
        ),
        field_fault(
            "store-ciphertext-empty-not-a-member",
            "Field bounds come before membership: an empty ciphertext from carol to dm-ab.",
            bad_store("carol-phone", "dm-ab", 60, Vec::new()),
        ),
    ]
}
