//! Scenario event lists changed (expiry, session and retention scenarios): events lost, gained,
//! repeated and reordered, and moved to times on and around the case's deadlines, its other
//! events and its bounds; sometimes the clock goes back.

use serde_json::Value;

use super::Rng;

/// The time of an event.
fn at(event: &Value) -> Option<u64> {
    event.get("at").and_then(Value::as_u64)
}

fn set_at(event: &mut Value, time: u64) {
    if let Some(map) = event.as_object_mut() {
        map.insert("at".into(), Value::from(time));
    }
}

/// A time near one of `interesting` (the case's deadlines and times) or near another event.
fn time_near(list: &[Value], interesting: &[u64], rng: &mut Rng) -> u64 {
    let times: Vec<u64> = interesting.iter().copied().filter(|&t| t >= 1_000_000_000).collect();
    let base = if rng.chance(1, 3) {
        rng.pick(list).and_then(at).unwrap_or(0)
    } else {
        rng.pick(&times).copied().or_else(|| rng.pick(list).and_then(at)).unwrap_or(0)
    };
    u64::try_from((i128::from(base) + rng.delta()).max(0)).unwrap_or(0)
}

/// Puts the events back in time order (a stable sort), unless the clock is to go back.
fn maybe_sort(list: &mut [Value], rng: &mut Rng) {
    if rng.chance(4, 5) {
        list.sort_by_key(|event| at(event).unwrap_or(0));
    }
}

/// One mutation of an event list; `pool` holds events of other cases of the same operation.
pub fn mutate(list: &mut Vec<Value>, interesting: &[u64], pool: &[Value], rng: &mut Rng) {
    match rng.below(8) {
        0 | 1 if !list.is_empty() => {
            let time = time_near(list, interesting, rng);
            let index = rng.below(list.len());
            set_at(&mut list[index], time);
            maybe_sort(list, rng);
        }
        2 => {
            // An event of this case or another, at a time that matters.
            let source = if rng.chance(1, 2) { rng.pick(list) } else { rng.pick(pool) };
            if let Some(mut event) = source.cloned() {
                let time = time_near(list, interesting, rng);
                set_at(&mut event, time);
                list.push(event);
                maybe_sort(list, rng);
            }
        }
        3 if !list.is_empty() => {
            list.remove(rng.below(list.len()));
        }
        4 if !list.is_empty() => {
            // The same event again, at once or a second later.
            let index = rng.below(list.len());
            let mut copy = list[index].clone();
            if rng.chance(1, 2)
                && let Some(time) = at(&copy)
            {
                set_at(&mut copy, time + 1);
            }
            list.insert(index + 1, copy);
        }
        5 if list.len() > 1 => {
            let index = rng.below(list.len() - 1);
            list.swap(index, index + 1);
        }
        6 if list.len() > 1 => {
            // From some event on, the clock is set back (or forward).
            let from = 1 + rng.below(list.len() - 1);
            let shift = *rng.pick(&[-1_i128, -2, -60, -3600, 1, 3600]).unwrap_or(&-1);
            for event in &mut list[from..] {
                if let Some(time) = at(event) {
                    set_at(event, u64::try_from((i128::from(time) + shift).max(0)).unwrap_or(0));
                }
            }
        }
        _ => {
            // The list cut after some event.
            let keep = 1 + rng.below(list.len().max(1));
            list.truncate(keep);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn events_move_onto_the_deadlines() {
        let list = vec![json!({"at": 100, "event": "receive"}), json!({"at": 200, "event": "tick"})];
        let mut rng = Rng::new(5);
        let mut on_deadline = 0;
        for _ in 0..300 {
            let mut copy = list.clone();
            mutate(&mut copy, &[1_000_000_500], &[], &mut rng);
            on_deadline +=
                usize::from(copy.iter().any(|e| (1_000_000_499..=1_000_000_501).contains(&at(e).unwrap_or(0))));
        }
        assert!(on_deadline > 15, "{on_deadline}");
    }
}
