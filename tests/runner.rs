//! The execution stage's scheduling, against a server on 127.0.0.1 that counts
//! how many requests it holds at once: scenarios naming one `group:` never
//! overlap, while the others still run side by side.

// Each test binary uses a part of the shared constructors.
#[allow(dead_code)]
#[path = "support/build.rs"]
mod build;

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use tokio::net::TcpListener;

use upspec::baseline::Baseline;
use upspec::plan::PlannedScenario;
use upspec::report::Reporters;
use upspec::runner::{self, Options, Run, Shared};
use upspec::verdict::Verdict;

use build::{code, context, req, scenario};

/// Per tag: requests held now, and the most ever held at once.
#[derive(Clone, Default)]
struct Holds(Arc<Mutex<HashMap<String, (usize, usize)>>>);

impl Holds {
    fn most_at_once(&self, tag: &str) -> usize {
        self.0.lock().unwrap().get(tag).map_or(0, |&(_, most)| most)
    }
}

/// `GET /hold/{tag}`: holds the request 150 ms, counting it under `tag`.
async fn hold(State(holds): State<Holds>, Path(tag): Path<String>) -> &'static str {
    {
        let mut all = holds.0.lock().unwrap();
        let (now, most) = all.entry(tag.clone()).or_default();
        *now += 1;
        *most = (*most).max(*now);
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    holds.0.lock().unwrap().get_mut(&tag).unwrap().0 -= 1;
    "held"
}

/// A scenario of two requests to `/hold/{tag}`, in `group` if given.
fn holding(id: &str, tag: &str, group: Option<&str>) -> PlannedScenario {
    let request = || {
        req("GET", &format!("{{{{target}}}}hold/{tag}"))
            .status(&[code(200)])
            .step()
    };
    let mut scenario = scenario(vec![request(), request()]);
    scenario.id = id.into();
    scenario.group = group.map(str::to_owned);
    PlannedScenario {
        scenario: Arc::new(scenario),
        skip: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenarios_of_one_group_never_overlap_while_the_others_do() {
    let holds = Holds::default();
    let app = Router::new()
        .route("/hold/{tag}", get(hold))
        .with_state(holds.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let planned = vec![
        holding("grouped-1", "grouped", Some("one-at-a-time")),
        holding("free-1", "free", None),
        holding("grouped-2", "grouped", Some("one-at-a-time")),
        holding("free-2", "free", None),
        holding("grouped-3", "grouped", Some("one-at-a-time")),
        holding("free-3", "free", None),
    ];
    let shared = Shared {
        context: Arc::new(context(&format!("http://{addr}/"))),
        baseline: Arc::new(Baseline::default()),
    };
    let options = Options {
        concurrency: NonZeroUsize::new(6).unwrap(),
        pauses_outside_slots: false,
        slow_after: Duration::ZERO,
        max_connection_errors: 0,
        strict: false,
    };
    let executed = runner::execute(
        Run { planned, shared },
        &options,
        &Reporters::new(Vec::new()),
    )
    .await;

    for record in &executed.records {
        assert_eq!(
            record.verdict,
            Verdict::Passed,
            "{}: {:?}",
            record.scenario.id,
            record.result
        );
    }
    assert_eq!(
        holds.most_at_once("grouped"),
        1,
        "a group's scenarios overlapped"
    );
    assert_eq!(
        holds.most_at_once("free"),
        3,
        "scenarios outside any group ran one at a time"
    );
}
