use super::*;

#[test]
fn a_string_without_escapes_is_borrowed_and_one_with_them_is_unescaped() {
    let mut c = Cursor::new(r#" "bus-1" "Caf\u00e9 \"7\"" "#);
    assert!(matches!(c.string(), Ok(Cow::Borrowed("bus-1"))));
    assert_eq!(c.string().as_deref(), Ok("Café \"7\""));
    assert!(c.end().is_ok());
}

#[test]
fn a_control_byte_or_an_unended_string_is_refused_with_where() {
    assert_eq!(
        Cursor::new("\"a\nb\"").string().map_err(|e| e.what),
        Err("a control character in a string")
    );
    let err = Cursor::new("\"abc").string().expect_err("unended");
    assert_eq!(err.what, "a string that does not end");
    assert_eq!(err.at, 4);
}

#[test]
fn numbers_follow_json_grammar_and_parse_as_serde_json_does() {
    for text in [
        "0",
        "-0",
        "12",
        "-16.9234567",
        "145.7712345",
        "1764000000000",
        "1e3",
        "-2.5E-3",
        "0.1",
        "123456789012345678",
        "1.7976931348623157e308",
        "4.9e-324",
        "0.30000000000000004",
    ] {
        let n = Cursor::new(text).number().expect(text);
        let theirs: f64 = serde_json::from_str(text).expect(text);
        assert_eq!(n.to_f64(), theirs, "{text}");
        assert_eq!(n.text, text);
    }
    for bad in ["01", "+1", "1.", ".5", "1e", "-", "1.e5"] {
        let mut c = Cursor::new(bad);
        assert!(c.number().and_then(|_| c.end()).is_err(), "{bad}");
    }
}

#[test]
fn an_integer_refuses_fractions_leading_zeros_and_overflow() {
    assert_eq!(Cursor::new("-169234567").int(), Ok(-169_234_567));
    assert_eq!(Cursor::new("0").int(), Ok(0));
    for bad in ["1.5", "1e3", "007", "-", "99999999999999999999", "x"] {
        assert!(Cursor::new(bad).int().is_err(), "{bad}");
    }
}

#[test]
fn skipping_steps_over_any_value_and_gives_its_text() {
    let text = r#"{"a":[1,{"b":"x]}"},[],{}],"c":null} , 7"#;
    let mut c = Cursor::new(text);
    assert_eq!(c.skip(), Ok(r#"{"a":[1,{"b":"x]}"},[],{}],"c":null}"#));
    assert_eq!(c.next_item(b']'), Ok(true));
    assert_eq!(c.skip(), Ok("7"));
    for bad in [r#"{"a" 1}"#, "[1,]", "[1 2]", r#"{"a":}"#, "[", "tru"] {
        assert!(Cursor::new(bad).skip().is_err(), "{bad}");
    }
}

#[test]
fn nesting_past_the_limit_is_refused_not_overflowed() {
    let deep = "[".repeat(100_000);
    assert_eq!(
        Cursor::new(&deep).skip().map_err(|e| e.what),
        Err("nested too deeply")
    );
}

#[test]
fn a_word_at_a_time_reads_digits_and_finds_string_ends_as_a_byte_at_a_time_does() {
    let mut rng = fastrand::Rng::with_seed(8);
    for _ in 0..20_000 {
        let len = rng.usize(0..24);
        let pool = b"0123456789\"\\ \x01a.-e\xc3\xa9";
        let text: Vec<u8> = (0..len).map(|_| pool[rng.usize(..pool.len())]).collect();
        let start = rng.usize(0..=len);
        let naive_end = start
            + text[start..]
                .iter()
                .take_while(|d| d.is_ascii_digit())
                .count();
        assert_eq!(digits(&text, start), naive_end, "{text:?} from {start}");
        let run = &text[start..naive_end.min(start + 18)];
        let naive: u64 = run.iter().fold(0, |v, d| v * 10 + u64::from(d - b'0'));
        assert_eq!(
            run_value(&text, start, start + run.len()),
            naive,
            "{text:?}"
        );
        if let Some(v) = word8(&text, start) {
            let first = text[start..start + 8]
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(8);
            let found = match special(v) {
                0 => 8,
                m => m.trailing_zeros() as usize / 8,
            };
            assert_eq!(found, first, "{text:?} from {start}");
        }
    }
    assert_eq!(eight_digits(u64::from_le_bytes(*b"12345678")), 12_345_678);
    assert_eq!(leading_digits(u64::from_le_bytes(*b"123,5678")), 3);
}
