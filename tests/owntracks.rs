//! An OwnTracks feed against a fake Recorder on loopback (`/ws/last` as http.c serves it: the
//! echo, LAST answered one object per device, live pushes of every type).

mod common;

use common::owntracks::{self, FakeRecorder};
use common::*;
use fleetview::feed::FeedSpec;
use fleetview::protocol::RejectReason;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorder_feed_shows_last_locations_then_live_ones() {
    let tst = fleetview::clock::now_ms() / 1000 - 20;
    let recorder = FakeRecorder::start(vec![
        owntracks::last_object("jane", "phone", "Jane Doe", -16.9187, 145.7781, tst),
        owntracks::last_object("bob", "van7", "Bob", -16.9201, 145.7702, tst),
    ])
    .await;
    // Basic credentials for the reverse proxy, from the URL's user info.
    let url = recorder.url.replace("ws://", "ws://proxy:pa%20ss@");
    let spec = FeedSpec::parse(&format!("phones=owntracks:{url}")).expect("spec");
    let mut viewer = Viewer::start(spec_config(spec));
    viewer.until("both phones", |v| v.fleet().len() == 2);
    let jane = viewer.get("owntracks/jane/phone").expect("jane");
    assert_eq!(jane.label(), Some("Jane Doe"));
    assert_eq!(jane.fix.ts, tst * 1000, "tst is seconds");
    assert_eq!(recorder.received.lock().expect("lock").as_slice(), ["LAST"]);
    assert_eq!(
        recorder.authorizations.lock().expect("lock").as_slice(),
        [Some("Basic cHJveHk6cGEgc3M=".to_owned())],
        "proxy:pa ss"
    );

    // Live: a location, a ping, a card, a transition, a location without tst.
    recorder.push(owntracks::live(
        "bob",
        "van7",
        -16.921,
        145.771,
        tst + 10,
        36,
    ));
    recorder.push("");
    recorder.push(
        r#"{"_type":"card","name":"Bob","face":"iVBORw0KGgo=","topic":"owntracks/bob/van7"}"#,
    );
    recorder.push(r#"{"_type":"transition","event":"leave","desc":"Depot","tst":1740820500,"topic":"owntracks/bob/van7"}"#);
    recorder.push(r#"{"_type":"location","lat":-16.9,"lon":145.7,"topic":"owntracks/bob/van7"}"#);
    viewer.until("the bad location is refused", |v| {
        v.status().rejected.count(RejectReason::BadTimestamp) == 1
    });
    let bob = viewer.get("owntracks/bob/van7").expect("bob");
    assert_eq!(bob.fix.lat, -16.921);
    assert!(
        (bob.fix.speed.expect("speed") - 10.0).abs() < 1e-3,
        "36 km/h"
    );
    assert_eq!(bob.heading, Some(270.0));
    assert!(bob.attrs().is_some_and(|a| a.contains("\"batt\":78")));
    assert_eq!(
        viewer.status().rejected.total(),
        1,
        "the echo, the ping, the card and the transition are ignored, not refused"
    );
}
