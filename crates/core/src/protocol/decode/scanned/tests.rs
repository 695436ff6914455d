//! The scanner must answer as the serde path does, whenever it answers at all.

use super::super::serde_server;
use super::*;
use crate::protocol::{RejectReason, Rejection};

fn both(
    text: &str,
) -> Option<(
    ServerFrame,
    RejectTally,
    Result<ServerFrame, Rejection>,
    RejectTally,
)> {
    let limits = DecodeLimits::default();
    let mut ours = RejectTally::default();
    let scanned = positions_frame(text, &limits, &mut ours)?;
    let mut theirs = RejectTally::default();
    let reference = serde_server(text, &limits, &mut theirs);
    Some((scanned, ours, reference, theirs))
}

fn counts(t: &RejectTally) -> Vec<u64> {
    RejectReason::ALL.iter().map(|r| t.count(*r)).collect()
}

/// Equal, allowing the last bit of a float the serde path reads with best-effort precision.
fn same(a: &ServerFrame, b: &ServerFrame) -> bool {
    let (ServerFrame::Positions(x) | ServerFrame::Snapshot(x) | ServerFrame::SnapshotPart(x)) = a
    else {
        return false;
    };
    let (ServerFrame::Positions(y) | ServerFrame::Snapshot(y) | ServerFrame::SnapshotPart(y)) = b
    else {
        return false;
    };
    let close = |p: f64, q: f64| p == q || (p - q).abs() <= p.abs().max(q.abs()) * 1e-15;
    std::mem::discriminant(a) == std::mem::discriminant(b)
        && x.len() == y.len()
        && x.iter().zip(y.iter()).all(|(f, g)| {
            f.id == g.id
                && close(f.lat, g.lat)
                && close(f.lon, g.lon)
                && f.ts == g.ts
                && f.heading == g.heading
                && f.speed == g.speed
                && f.meta == g.meta
        })
}

const SAMPLES: &[&str] = &[
    r#"{"type":"positions","positions":[{"id":"bus-1","lat":-16.9234567,"lon":145.7712345,"ts":1764000000000,"heading":90.5,"speed":8.5,"label":"Bus 1","kind":"bus","status":"in_service","route":"110","attrs":{"driver":"Ana","n":[1,{"x":null}]}}]}"#,
    r#"{"type":"snapshot","more":true,"positions":[{"id":"a","lat":1,"lon":2,"ts":3},{"id":"b","lat":-1e1,"lon":-2.5E-3,"ts":4.0}]}"#,
    r#"{"type":"snapshot","more":false,"positions":[]}"#,
    r#" { "positions" : [ { "ts" : 1 , "id" : "z" , "lon" : 0 , "lat" : -0 , "extra" : [true,false,null] } ] , "type" : "positions" } "#,
    r#"{"type":"positions","positions":[{"id":"","lat":1,"lon":2,"ts":3},{"lat":1,"lon":2,"ts":3},{"id":"x","lat":91,"lon":2,"ts":3}]}"#,
    r#"{"type":"positions","positions":[{"id":"x","lat":1,"lon":200,"ts":-1},{"id":"y","lat":1,"lon":2,"ts":1e300},{"id":"w","lat":1,"lon":2,"ts":5,"speed":-1,"heading":720}]}"#,
    r#"{"type":"positions","positions":[{"id":"n","lat":null,"lon":2,"ts":3,"label":null,"attrs":null},{"id":"m","lat":0.1,"lon":0.2,"ts":3,"attrs":{}}]}"#,
    r#"{"type":"positions","positions":[{"id":"s","lat":"north","lon":2,"ts":3}]}"#,
    r#"{"type":"positions","positions":[{"id":"d","lat":1,"lat":2,"lon":2,"ts":3}]}"#,
    r#"{"type":"positions","positions":[{"id":"e\u0041","lat":1,"lon":2,"ts":3}]}"#,
    r#"{"type":"positions","positions":[{"id":"big","lat":123456789012345678901234567890,"lon":2,"ts":3}]}"#,
    r#"{"type":"remove","ids":["a"]}"#,
    r#"{"type":"positions","positions":[{"id":"p","lat":1.00000000000000000001,"lon":2,"ts":3,"route":"R","status":"S","kind":"K"}]}"#,
];

#[test]
fn the_scanner_answers_for_the_frames_servers_write() {
    for text in &SAMPLES[..7] {
        assert!(
            positions_frame(text, &DecodeLimits::default(), &mut RejectTally::default()).is_some(),
            "{text}"
        );
    }
}

#[test]
fn the_scanner_steps_aside_from_what_it_cannot_be_sure_of() {
    for text in &SAMPLES[7..12] {
        assert!(
            positions_frame(text, &DecodeLimits::default(), &mut RejectTally::default()).is_none(),
            "{text}"
        );
    }
}

#[test]
fn whenever_the_scanner_answers_it_answers_as_the_serde_path() {
    let mut rng = fastrand::Rng::with_seed(3);
    let mut answered = 0;
    for round in 0..40_000 {
        let base = SAMPLES[round % SAMPLES.len()].as_bytes();
        let mut m = base.to_vec();
        if round >= SAMPLES.len() {
            for _ in 0..rng.usize(1..4) {
                let pool = b"{}[]\",:0-e9.\\u ntf1";
                match rng.u8(0..3) {
                    0 if !m.is_empty() => {
                        let i = rng.usize(..m.len());
                        m[i] = pool[rng.usize(..pool.len())];
                    }
                    1 => {
                        let i = rng.usize(..=m.len());
                        m.insert(i, pool[rng.usize(..pool.len())]);
                    }
                    _ if !m.is_empty() => {
                        let i = rng.usize(..m.len());
                        m.remove(i);
                    }
                    _ => {}
                }
            }
        }
        let Ok(text) = std::str::from_utf8(&m) else {
            continue;
        };
        let Some((scanned, ours, reference, theirs)) = both(text) else {
            continue;
        };
        answered += 1;
        let reference =
            reference.unwrap_or_else(|e| panic!("{text}: scanner answered, serde refused: {e}"));
        assert!(
            same(&scanned, &reference),
            "{text}:\n{scanned:?}\n{reference:?}"
        );
        assert_eq!(counts(&ours), counts(&theirs), "{text}");
    }
    assert!(answered > 2_000, "answered {answered}");
}
