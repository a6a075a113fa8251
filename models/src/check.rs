//! Running a model: exhaustively to a depth, with counts and timing, and counterexamples as
//! vector scenarios.

use core::time::Duration;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use stateright::{Checker, Model, Property};

/// Feeds formatted text to a hasher: a state hashes a reference type that is not `Hash` by its
/// `Debug` text (`write!(HashWriter(hasher), "{value:?}")`).
pub(crate) struct HashWriter<'a, H: core::hash::Hasher>(pub(crate) &'a mut H);

impl<H: core::hash::Hasher> core::fmt::Write for HashWriter<'_, H> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0.write(s.as_bytes());
        Ok(())
    }
}

/// A path as stateright gives it: each state with the action that led out of it.
type Steps<M> = Vec<(<M as Model>::State, Option<<M as Model>::Action>)>;

/// A model that can turn a path into a vector scenario of its chapter.
pub trait Scenario: Model {
    /// The chapter part whose vector format the scenario uses (`expiry`, `retention`, `session`).
    const PART: &'static str;
    /// The `args` of a scenario test (in the chapter's vector format) for these actions, taken
    /// from the initial state `init`.
    fn scenario_args(&self, init: &Self::State, actions: &[Self::Action]) -> serde_json::Value;
    /// The expected steps as the reference computes them (the chapter's scenario runner).
    fn expected(&self, args: &serde_json::Value) -> serde_json::Value;
}

/// The outcome of one exhaustive run.
#[derive(Debug)]
pub struct Run {
    /// The depth bound (number of actions).
    pub depth: usize,
    /// States generated (including revisits).
    pub states: usize,
    /// Distinct states.
    pub unique: usize,
    /// Wall time.
    pub elapsed: Duration,
    /// Properties with a discovery, with the path's vector scenario. For an `always` property a
    /// discovery is a counterexample; for a `sometimes` one it is the example that shows the
    /// model reaches what the property names.
    pub discoveries: Vec<Discovery>,
    /// How many `sometimes` properties (examples) the model has.
    pub examples: usize,
}

/// One property's discovery.
#[derive(Debug)]
pub struct Discovery {
    /// The property.
    pub property: &'static str,
    /// Whether the property is an invariant (`always`): then the discovery is a failure.
    pub failure: bool,
    /// Number of actions in the path.
    pub length: usize,
    /// The path as a test case of the chapter's vector file.
    pub scenario: serde_json::Value,
}

impl Run {
    /// The invariants that failed, by name.
    #[must_use]
    pub fn failures(&self) -> Vec<&'static str> {
        self.discoveries.iter().filter(|d| d.failure).map(|d| d.property).collect()
    }

    /// States per second.
    #[must_use]
    pub fn rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 { self.states as f64 / secs } else { 0.0 }
    }
}

fn is_failure<M: Model>(property: &Property<M>) -> bool {
    matches!(property.expectation, stateright::Expectation::Always)
}

/// Checks `model` breadth-first on `threads`
/// threads: every state reachable within the model's own bound (its `within_boundary`, at most
/// `depth` actions) is generated and has every property checked — or, with
/// `until_first_failure`, until the first invariant fails. With one thread the search is
/// strictly breadth-first, so the distinct-state count is a function of the model and the bound
/// alone (spec/system.md states it); with more, a state first reached by a longer path can cut
/// the search short below it, so counts may vary a little from run to run. Every counterexample
/// is then shortened to a shortest one (by checking again at each smaller bound); the counts are
/// those of the main run, the time includes the shortening.
pub fn run<M>(model: M, depth: usize, threads: usize, until_first_failure: bool) -> Run
where
    M: Scenario + Send + Sync + Clone + 'static,
    M::State: core::fmt::Debug + core::hash::Hash + Send + Sync + Clone + PartialEq + 'static,
    M::Action: core::fmt::Debug + Send + Sync + Clone + PartialEq + 'static,
{
    run_with_progress(model, depth, threads, until_first_failure, None)
}

/// [`run`], printing the counts to stderr every `progress` while it runs.
pub fn run_with_progress<M>(
    model: M,
    depth: usize,
    threads: usize,
    until_first_failure: bool,
    progress: Option<Duration>,
) -> Run
where
    M: Scenario + Send + Sync + Clone + 'static,
    M::State: core::fmt::Debug + core::hash::Hash + Send + Sync + Clone + PartialEq + 'static,
    M::Action: core::fmt::Debug + Send + Sync + Clone + PartialEq + 'static,
{
    let start = Instant::now();
    let properties = model.properties();
    let mut builder = model.clone().checker().threads(threads);
    if until_first_failure {
        builder = builder.finish_when(stateright::HasDiscoveries::AnyFailures);
    }
    let checker = builder.spawn_bfs();
    if let Some(every) = progress {
        // Polls often, so a short run is not rounded up to a whole period; prints every period.
        let mut printed = start;
        while !checker.is_done() {
            std::thread::sleep(Duration::from_millis(20));
            if printed.elapsed() < every {
                continue;
            }
            printed = Instant::now();
            let secs = start.elapsed().as_secs_f64();
            eprintln!(
                "  {:>11} states, {:>10} distinct, depth {:>2}, {:>9.0} states/s",
                checker.state_count(),
                checker.unique_state_count(),
                checker.max_depth().saturating_sub(1),
                checker.state_count() as f64 / secs.max(1e-9)
            );
        }
    }
    let checker = checker.join();
    let (states, unique) = (checker.state_count(), checker.unique_state_count());
    let mut paths: BTreeMap<&'static str, Steps<M>> =
        checker.discoveries().into_iter().map(|(name, path)| (name, path.into_vec())).collect();
    // Stateright keeps the last path it met for a property, not the first, so a path may be
    // longer than the shortest. Each failure is shortened by checking again at every smaller
    // bound, from 1 action up: the first bound at which the property fails gives a shortest
    // counterexample (every state of that bound has been checked, and none of a smaller one
    // failed).
    for k in 1.. {
        let unresolved: BTreeSet<&'static str> = paths
            .iter()
            .filter(|(name, path)| {
                properties.iter().any(|p| p.name == **name && is_failure(p)) && path.len().saturating_sub(1) > k
            })
            .map(|(name, _)| *name)
            .collect();
        if unresolved.is_empty() {
            break;
        }
        let shorter = model
            .clone()
            .checker()
            .threads(threads)
            .target_max_depth(k + 2)
            .finish_when(stateright::HasDiscoveries::AllOf(unresolved.clone()))
            .spawn_bfs()
            .join();
        for (name, path) in shorter.discoveries() {
            if unresolved.contains(name) {
                paths.insert(name, path.into_vec());
            }
        }
    }
    let elapsed = start.elapsed();
    let mut discoveries: Vec<Discovery> = paths
        .into_iter()
        .map(|(name, steps)| {
            let failure = properties.iter().find(|p| p.name == name).is_some_and(is_failure);
            let init = steps[0].0.clone();
            let actions: Vec<M::Action> = steps.into_iter().filter_map(|(_, action)| action).collect();
            let args = model.scenario_args(&init, &actions);
            let expected = model.expected(&args);
            let scenario = serde_json::json!({
                "id": format!("model-{}-{}", M::PART, slug(name)),
                "comment": format!(
                    "Shortest path found by the {} model for property {name}{}.",
                    M::PART,
                    if failure { " (a counterexample)" } else { " (an example)" }
                ),
                "requirements": [],
                "flags": [],
                "args": args,
                "result": "valid",
                "expected": expected,
            });
            Discovery { property: name, failure, length: actions.len(), scenario }
        })
        .collect();
    discoveries.sort_by_key(|d| d.property);
    let examples = properties.iter().filter(|p| !is_failure(p)).count();
    Run { depth, states, unique, elapsed, discoveries, examples }
}

/// A property name as a stable, lower-case vector case ID fragment.
fn slug(name: &str) -> String {
    let words: Vec<String> = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    words.join("-")
}
