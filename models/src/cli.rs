//! The `cinder-models` command line: `check --depth N [--model M] [--bug B] [--threads T]`.

use core::time::Duration;

use crate::check::{self, Scenario};
use crate::{expiry, retention, session, system};

const USAGE: &str =
    "usage: cinder-models check --depth N [--model expiry|retention|session|system] [--bug NAME] [--threads T]";

struct Options {
    depth: usize,
    model: Option<String>,
    bug: Option<String>,
    threads: usize,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut it = args.iter();
    if it.next().map(String::as_str) != Some("check") {
        return Err(USAGE.to_owned());
    }
    let mut options = Options { depth: 5, model: None, bug: None, threads: 2 };
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        match flag.as_str() {
            "--depth" => options.depth = value.parse().map_err(|_| format!("--depth {value:?} is not a number"))?,
            "--threads" => {
                options.threads = value.parse().map_err(|_| format!("--threads {value:?} is not a number"))?;
            }
            "--model" => options.model = Some(value.clone()),
            "--bug" => options.bug = Some(value.clone()),
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    Ok(options)
}

/// Runs the command; `Ok(true)` when every invariant held.
///
/// # Errors
/// A usage message for arguments that cannot be read, an unknown model or bug.
pub fn main(args: &[String]) -> Result<bool, String> {
    let options = parse(args)?;
    // With a bug and no model, the bug's part names the model.
    let wanted = |name: &str| match (&options.model, &options.bug) {
        (Some(m), _) => m == name,
        (None, Some(bug)) => bug.starts_with(&format!("{name}-")),
        (None, None) => true,
    };
    let mut ok = true;
    let mut any = false;
    if wanted("expiry") {
        any = true;
        let model = match &options.bug {
            None => expiry::ExpiryModel::new(options.depth),
            Some(name) => {
                let bug = expiry::Bug::ALL.into_iter().find(|b| b.name() == name);
                let bug = bug.ok_or_else(|| format!("{name} is not an expiry bug of this model"))?;
                expiry::ExpiryModel::with_bug(options.depth, bug)
            }
        };
        ok &= report("expiry", model, options.depth, options.threads, options.bug.is_some());
    }
    if wanted("retention") {
        any = true;
        let model = match &options.bug {
            None => retention::RetentionModel::new(options.depth),
            Some(name) => {
                let bug = retention::Bug::ALL.into_iter().find(|b| b.name() == name);
                let bug = bug.ok_or_else(|| format!("{name} is not a retention bug of this model"))?;
                retention::RetentionModel::with_bug(options.depth, bug)
            }
        };
        ok &= report("retention", model, options.depth, options.threads, options.bug.is_some());
    }
    if wanted("session") {
        any = true;
        let model = match &options.bug {
            None => session::SessionModel::new(options.depth),
            Some(name) => {
                let bug = session::Bug::ALL.into_iter().find(|b| b.name() == name);
                let bug = bug.ok_or_else(|| format!("{name} is not a session bug of this model"))?;
                session::SessionModel::with_bug(options.depth, bug)
            }
        };
        ok &= report("session", model, options.depth, options.threads, options.bug.is_some());
    }
    if wanted("system") && options.bug.is_none() {
        any = true;
        ok &= report("system", system::SystemModel::new(options.depth), options.depth, options.threads, false);
    }
    if !any {
        return Err(format!(
            "unknown model {:?} (expiry, retention, session, system)",
            options.model.unwrap_or_default()
        ));
    }
    Ok(ok)
}

/// Checks one model with progress on stderr, then prints its counts and any discovery.
fn report<M>(name: &str, model: M, depth: usize, threads: usize, until_first_failure: bool) -> bool
where
    M: Scenario + Send + Sync + Clone + 'static,
    M::State: core::fmt::Debug + core::hash::Hash + Send + Sync + Clone + PartialEq + 'static,
    M::Action: core::fmt::Debug + Send + Sync + Clone + PartialEq + 'static,
{
    let run = check::run_with_progress(model, depth, threads, until_first_failure, Some(Duration::from_secs(1)));
    println!(
        "{name}: depth {depth}: {} states explored, {} distinct, {:.2} s, {:.0} states/s",
        run.states,
        run.unique,
        run.elapsed.as_secs_f64(),
        run.rate()
    );
    for d in &run.discoveries {
        if d.failure {
            println!("COUNTEREXAMPLE for {} ({} actions), as a vector scenario:", d.property, d.length);
            println!("{}", serde_json::to_string_pretty(&d.scenario).unwrap_or_default());
        } else {
            println!("reached {} ({} actions)", d.property, d.length);
        }
    }
    run.failures().is_empty()
}
