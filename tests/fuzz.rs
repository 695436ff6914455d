//! The decoders against generated hostile input: random bytes, mutated valid messages, deep
//! nesting, huge numbers, invalid UTF-8, and for the compact form wild indices and changes
//! through one dictionary. No input may panic, and valid messages interleaved with the garbage
//! must still decode exactly.
//!
//! CI runs 30,000 inputs (a debug build); the full run is a million or more:
//!     FLEETVIEW_FUZZ_CASES=1000000 cargo test --release --test fuzz -- --nocapture

use fleetview::protocol::{
    DecodeLimits, Dictionary, RejectTally, ServerFrame, decode_frame, decode_report, decode_server,
};

fn cases() -> usize {
    std::env::var("FLEETVIEW_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30_000)
}

const VALID: &[&str] = &[
    r#"{"type":"positions","positions":[{"id":"bus-1","lat":-16.92,"lon":145.77,"ts":1764000000000,"heading":90,"speed":8.5,"label":"Bus 1","kind":"bus","status":"in_service","route":"110","attrs":{"driver":"Ana"}}]}"#,
    r#"{"type":"snapshot","positions":[{"id":"a","lat":1,"lon":2,"ts":3},{"id":"b","lat":-1,"lon":-2,"ts":4}]}"#,
    r#"{"type":"remove","ids":["a","b"]}"#,
    r#"{"type":"error","code":"unauthorized","message":"no"}"#,
    r#"{"type":"report","positions":[{"id":"t","lat":0,"lon":0,"ts":1}]}"#,
];

/// What a valid message decodes to, in a form cheap to compare.
fn digest(text: &str) -> String {
    let limits = DecodeLimits::default();
    let mut refused = RejectTally::default();
    if text.contains(r#""type":"report""#) {
        return match decode_report(text, &limits, &mut refused) {
            Ok(b) => format!("report {}", b.len()),
            Err(e) => format!("refused {e}"),
        };
    }
    match decode_server(text, &limits, &mut refused) {
        Ok(ServerFrame::Positions(b)) => format!(
            "positions {} {:?}",
            b.len(),
            b.get(0).map(|f| (f.id, f.lat))
        ),
        Ok(ServerFrame::Snapshot(b)) | Ok(ServerFrame::SnapshotPart(b)) => {
            format!("snapshot {}", b.len())
        }
        Ok(ServerFrame::Remove(ids)) => format!("remove {ids:?}"),
        Ok(ServerFrame::Error { code, .. }) => format!("error {code}"),
        Err(e) => format!("refused {e}"),
    }
}

/// Flips, inserts or cuts bytes of `m` one to five times; flipped bytes come from `pool` when
/// given (any byte otherwise), inserted ones always do.
fn mutate(rng: &mut fastrand::Rng, m: &mut Vec<u8>, pool: Option<&[u8]>) {
    let inserted: &[u8] = pool.unwrap_or(b"{}[]\",:0-e9.\\u");
    for _ in 0..rng.usize(1..6) {
        match rng.u8(0..3) {
            0 if !m.is_empty() => {
                let i = rng.usize(..m.len());
                m[i] = match pool {
                    Some(p) => p[rng.usize(..p.len())],
                    None => rng.u8(..),
                };
            }
            1 => {
                let i = rng.usize(..=m.len());
                m.insert(i, inserted[rng.usize(..inserted.len())]);
            }
            _ if !m.is_empty() => m.truncate(rng.usize(..m.len())),
            _ => {}
        }
    }
}

fn hostile(rng: &mut fastrand::Rng) -> Vec<u8> {
    match rng.u8(0..8) {
        // Random bytes, any length.
        0 => (0..rng.usize(0..300)).map(|_| rng.u8(..)).collect(),
        // A valid message with bytes flipped, inserted or cut.
        1 | 2 => {
            let mut m = VALID[rng.usize(..VALID.len())].as_bytes().to_vec();
            mutate(rng, &mut m, None);
            m
        }
        // Deep nesting, in the envelope or inside a field.
        3 => {
            let depth = rng.usize(100..20_000);
            let open = if rng.bool() { "[" } else { r#"{"a":"# };
            let close = if open == "[" { "]" } else { "}" };
            let nest = format!("{}1{}", open.repeat(depth), close.repeat(depth));
            match rng.u8(0..3) {
                0 => nest.into_bytes(),
                1 => format!(r#"{{"type":"positions","positions":[{{"id":"x","lat":1,"lon":1,"ts":1,"attrs":{nest}}}]}}"#).into_bytes(),
                _ => format!(r#"{{"type":"positions","positions":{nest}}}"#).into_bytes(),
            }
        }
        // Huge, tiny and odd numbers where numbers go.
        4 => {
            let n = [
                "1e400",
                "-1e400",
                "1e-400",
                "123456789012345678901234567890",
                "-0",
                "0e0",
                "NaN",
                "Infinity",
                "9007199254740993",
                "1.7976931348623157e308",
            ][rng.usize(..10)];
            let field = ["lat", "lon", "ts", "heading", "speed"][rng.usize(..5)];
            format!(r#"{{"type":"positions","positions":[{{"id":"n","lat":1,"lon":1,"ts":1,"{field}":{n}}}]}}"#).into_bytes()
        }
        // Invalid UTF-8 spliced into a valid message.
        5 => {
            let mut m = VALID[rng.usize(..VALID.len())].as_bytes().to_vec();
            let i = rng.usize(..m.len());
            m.splice(
                i..i,
                [0xff, 0xfe, 0xc3, 0x28][..rng.usize(1..5)].iter().copied(),
            );
            m
        }
        // Huge strings and many positions.
        6 => {
            let id = "x".repeat(rng.usize(0..5_000));
            format!(
                r#"{{"type":"positions","positions":[{{"id":"{id}","lat":1,"lon":1,"ts":1}}]}}"#
            )
            .into_bytes()
        }
        _ => {
            let n = rng.usize(0..2_000);
            let p = r#"{"id":"p","lat":1,"lon":1,"ts":1},"#.repeat(n);
            format!(
                r#"{{"type":"positions","positions":[{}{{"id":"q","lat":1,"lon":1,"ts":2}}]}}"#,
                p
            )
            .into_bytes()
        }
    }
}

#[test]
fn no_generated_input_panics_and_every_valid_message_still_decodes() {
    let expected: Vec<String> = VALID.iter().map(|v| digest(v)).collect();
    assert!(
        expected.iter().all(|d| !d.starts_with("refused")),
        "{expected:?}"
    );
    let mut rng = fastrand::Rng::with_seed(0xf1ee7);
    let limits = DecodeLimits::default();
    let n = cases();
    let (mut refused_whole, mut decoded, mut invalid_utf8) = (0u64, 0u64, 0u64);
    for i in 0..n {
        let bytes = hostile(&mut rng);
        // A WebSocket text frame is valid UTF-8 (tungstenite refuses the rest), so the decoder
        // sees text; invalid UTF-8 must never get that far.
        let text = match std::str::from_utf8(&bytes) {
            Ok(t) => t.to_owned(),
            Err(_) => {
                invalid_utf8 += 1;
                String::from_utf8_lossy(&bytes).into_owned()
            }
        };
        let mut tally = RejectTally::default();
        match decode_server(&text, &limits, &mut tally) {
            Ok(_) => decoded += 1,
            Err(_) => refused_whole += 1,
        }
        let _ = decode_report(&text, &limits, &mut tally);
        // Every so often, a valid message must decode exactly as it does alone.
        if i % 97 == 0 {
            let k = rng.usize(..VALID.len());
            assert_eq!(digest(VALID[k]), expected[k], "after input #{i}");
        }
    }
    eprintln!(
        "{n} generated inputs: {decoded} decoded (in part or whole), {refused_whole} refused whole, {invalid_utf8} with invalid UTF-8; no panic"
    );
    assert!(refused_whole > 0 && decoded > 0 && invalid_utf8 > 0);
}

const COMPACT_SNAPSHOT: &str = r#"{"type":"s","t":1764000000000,"def":[[0,"bus-1"],[1,"van-2"]],"rows":[[0,-169234567,1457712345,-250,900,85,{"label":"Bus 1","attrs":{"driver":"Ana"}}],[1,10,-20,0]]}"#;
const COMPACT_VALID: &[&str] = &[
    COMPACT_SNAPSHOT,
    r#"{"type":"p","t":1764000001000,"def":[[2,"car-3"]],"rows":[[0,-100,250,-5,905,80],[1,-10,20,0,null,3],[2,5,6,0]]}"#,
    r#"{"type":"r","ids":[1,2]}"#,
    r#"{"type":"s","t":1,"part":1,"def":[[0,"a"]],"rows":[[0,1,1,0]],"more":true}"#,
];

/// Hostile compact frames: valid ones mutated, wild indices and changes, deep fields, long rows.
fn hostile_compact(rng: &mut fastrand::Rng) -> String {
    let int = |rng: &mut fastrand::Rng| -> String {
        match rng.u8(0..6) {
            0 => rng.i64(..).to_string(),
            1 => rng.i64(-3..300_000).to_string(),
            2 => "99999999999999999999999".into(),
            3 => "-0".into(),
            4 => "1.5".into(),
            _ => rng.i32(-2_000_000_000..2_000_000_000).to_string(),
        }
    };
    match rng.u8(0..5) {
        0 | 1 => {
            let mut m = COMPACT_VALID[rng.usize(..COMPACT_VALID.len())]
                .as_bytes()
                .to_vec();
            mutate(rng, &mut m, Some(b"{}[]\",:0-e9.\\u n1"));
            String::from_utf8_lossy(&m).into_owned()
        }
        2 => {
            let kind = ["s", "p", "r"][rng.usize(..3)];
            let defs: Vec<String> = (0..rng.usize(0..4))
                .map(|_| format!(r#"[{},"v{}"]"#, int(rng), rng.u8(..)))
                .collect();
            let rows: Vec<String> = (0..rng.usize(0..6))
                .map(|_| {
                    let items: Vec<String> = (0..rng.usize(0..9)).map(|_| int(rng)).collect();
                    format!("[{}]", items.join(","))
                })
                .collect();
            format!(
                r#"{{"type":"{kind}","t":{},"def":[{}],"rows":[{}],"ids":[{}]}}"#,
                int(rng),
                defs.join(","),
                rows.join(","),
                int(rng)
            )
        }
        3 => {
            let depth = rng.usize(100..20_000);
            format!(
                r#"{{"type":"p","t":0,"def":[],"rows":[[0,1,1,0,1,1,{}1{}]]}}"#,
                r#"{"a":"#.repeat(depth),
                "}".repeat(depth)
            )
        }
        _ => {
            let rows = "[0,1,-1,0],".repeat(rng.usize(0..3_000));
            format!(r#"{{"type":"p","t":0,"def":[],"rows":[{rows}[0,0,0,0]]}}"#)
        }
    }
}

#[test]
fn no_compact_input_panics_the_dictionary_stays_bounded_and_a_snapshot_brings_it_back() {
    let limits = DecodeLimits::default();
    let bound = 1_000;
    let mut dict = Dictionary::new(bound);
    let mut rng = fastrand::Rng::with_seed(0xc0);
    let (mut decoded, mut refused_whole) = (0u64, 0u64);
    let n = cases();
    for i in 0..n {
        let text = hostile_compact(&mut rng);
        let mut tally = RejectTally::default();
        match decode_frame(&text, &mut dict, &limits, &mut tally) {
            Ok(_) => decoded += 1,
            Err(_) => refused_whole += 1,
        }
        assert!(dict.len() <= bound, "after input #{i}: {}", dict.len());
        let _ = dict.take_resync();
        if i % 97 == 0 {
            // Whatever came before, a snapshot starts over and the stream reads exactly.
            let mut tally = RejectTally::default();
            let Ok(ServerFrame::Snapshot(b)) =
                decode_frame(COMPACT_SNAPSHOT, &mut dict, &limits, &mut tally)
            else {
                panic!("the snapshot after input #{i}");
            };
            let Ok(ServerFrame::Positions(p)) =
                decode_frame(COMPACT_VALID[1], &mut dict, &limits, &mut tally)
            else {
                panic!("the positions after input #{i}");
            };
            assert!(tally.is_empty(), "after input #{i}: {tally:?}");
            assert_eq!(
                b.get(0).map(|f| (f.id, f.lat)),
                Some(("bus-1", -16.923_456_7))
            );
            assert_eq!(
                p.iter().map(|f| (f.id, f.lat)).collect::<Vec<_>>(),
                [("bus-1", -16.923_466_7), ("van-2", 0.0), ("car-3", 5e-7)]
            );
        }
    }
    eprintln!("{n} compact inputs: {decoded} decoded, {refused_whole} refused whole; no panic");
    assert!(decoded > 0 && refused_whole > 0);
}
