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
