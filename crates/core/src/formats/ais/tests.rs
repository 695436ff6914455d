use super::*;

/// 61 real AISHub sentences (see tests/fixtures/README.md).
const SAMPLE: &str = include_str!("../../../../../tests/fixtures/ais/AisHubSample.nmea");
const NOW: i64 = 1_764_000_000_000;

/// A fix as (id, lat, lon, label).
type Seen = (String, f64, f64, Option<String>);

fn decode(format: &mut Nmea, text: &str) -> (Vec<Seen>, Decoded) {
    let mut out = Decoded::default();
    format.decode(text, NOW, &mut out);
    let mut fixes = Vec::new();
    for event in &out.events {
        if let FeedEvent::Positions(batch) = event {
            for f in batch.iter() {
                fixes.push((
                    f.id.to_owned(),
                    f.lat,
                    f.lon,
                    f.meta.label.map(str::to_owned),
                ));
            }
        }
    }
    (fixes, out)
}

#[test]
fn the_aishub_sample_gives_ships_of_kind_ship_and_counts_what_it_cannot_use() {
    let mut f = Nmea::new(DecodeLimits::default());
    let (fixes, out) = decode(&mut f, SAMPLE);
    assert!(fixes.len() >= 40, "{} fixes", fixes.len());
    let batch = match &out.events[0] {
        FeedEvent::Positions(b) => b,
        other => panic!("{other:?}"),
    };
    assert!(batch.iter().all(|f| f.meta.kind == Some("ship")));
    assert!(
        batch.iter().all(|f| f.ts >= NOW && f.ts < NOW + 100),
        "no tag blocks: the time of reading"
    );
    // The type 8 binary broadcast is a type this side does not read.
    assert!(out.rejected.count(RejectReason::UnknownType) >= 1);
    // The ship at 91/181 (not available) is refused, not put at the pole.
    assert_eq!(out.rejected.count(RejectReason::BadCoordinates), 1);
    assert!(
        fixes
            .iter()
            .all(|(_, lat, lon, _)| lat.abs() <= 90.0 && lon.abs() <= 180.0)
    );
}

#[test]
fn a_name_from_a_static_message_reaches_a_ship_already_on_the_map() {
    let mut f = Nmea::new(DecodeLimits::default());
    let (fixes, _) = decode(&mut f, SAMPLE);
    // 366968860 reports positions, then its type 5 (two sentences) names it.
    let named: Vec<_> = fixes.iter().filter(|(id, ..)| id == "366968860").collect();
    assert!(named.len() >= 3, "{named:?}");
    assert_eq!(named[0].3, None);
    assert_eq!(
        named.last().and_then(|f| f.3.as_deref()),
        Some("JARRED GRIFFIN")
    );
}

#[test]
fn a_tag_block_gives_the_time_and_a_bad_one_is_refused() {
    let sentence = "!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23";
    let fields = "s:rORBCOMM000,c:1700000000";
    let sum = fields.bytes().fold(0u8, |a, b| a ^ b);
    let line = format!("\\{fields}*{sum:02X}\\{sentence}");
    let mut f = Nmea::new(DecodeLimits::default());
    let mut out = Decoded::default();
    f.decode(&line, NOW, &mut out);
    match out.events.as_slice() {
        [FeedEvent::Positions(b)] => assert_eq!(b.get(0).map(|f| f.ts), Some(1_700_000_000_000)),
        other => panic!("{other:?}"),
    }
    let bad = format!("\\{fields}*00\\{sentence}");
    let (fixes, out) = decode(&mut f, &bad);
    assert!(fixes.is_empty());
    assert_eq!(out.rejected.count(RejectReason::MalformedNmea), 1);
}

#[test]
fn a_bad_checksum_and_garbage_are_counted_and_the_good_lines_kept() {
    let text = "!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*24\n\
                \u{1}\u{2}garbage\n\
                !AIVDM,1,1,,A,133sVfPP00PD>hRMDH@jNOvN20S8,0*7F\n";
    let mut f = Nmea::new(DecodeLimits::default());
    let (fixes, out) = decode(&mut f, text);
    assert_eq!(fixes.len(), 1);
    assert_eq!(
        out.rejected.count(RejectReason::MalformedNmea),
        1,
        "the bad checksum"
    );
    assert_eq!(out.ignored, 1, "a line that is not a sentence");
}

#[test]
fn a_flood_of_first_halves_is_bounded() {
    let mut f = Nmea::new(DecodeLimits::default());
    let mut text = String::new();
    for i in 0..(MAX_UNFINISHED + 10) {
        let body = format!(
            "AIVDM,2,1,{},A,53nFBv01SJ<thHp6220H4heHTf2222222222221?50:454o<`9QSlUDp,0",
            i % 10
        );
        // Distinct channels and ids keep them apart in the parser.
        let body = body.replacen(",A,", &format!(",{},", i), 1);
        let sum = body.bytes().fold(0u8, |a, b| a ^ b);
        text.push_str(&format!("!{body}*{sum:02X}\n"));
    }
    let (_, out) = decode(&mut f, &text);
    assert!(f.unfinished <= MAX_UNFINISHED);
    assert!(out.rejected.count(RejectReason::MalformedNmea) > MAX_UNFINISHED as u64);
}

#[test]
fn a_long_range_report_reads_speed_and_course_from_their_own_bits() {
    // Type 27 from the sample: at anchor, 0 knots, course 37 (as pyais and gpsd read it).
    let sentence = "!AIVDM,1,1,,B,K9TJi5H@o9jiPP2D,0*3E";
    assert_eq!(long_range_motion(sentence), Some((Some(0.0), Some(37.0))));
    assert_eq!(
        long_range_motion("!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23"),
        None
    );
    let mut f = Nmea::new(DecodeLimits::default());
    let (fixes, out) = decode(&mut f, sentence);
    assert_eq!(fixes.len(), 1);
    match &out.events[0] {
        FeedEvent::Positions(b) => {
            let fix = b.get(0).expect("fix");
            assert_eq!((fix.speed, fix.heading), (Some(0.0), Some(37.0)));
        }
        other => panic!("{other:?}"),
    }
}
