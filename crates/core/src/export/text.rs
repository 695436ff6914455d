//! Text as each format needs it: JSON strings and numbers (through serde_json), a fix's raw
//! `attrs` embedded as JSON, and XML character data escaped. Device texts can hold anything;
//! none of them can break the document.

use std::io::{self, Write};

use serde_json::value::RawValue;

/// `s` as a JSON string, quoted and escaped.
pub(super) fn json_str(out: &mut impl Write, s: &str) -> io::Result<()> {
    serde_json::to_writer(&mut *out, s).map_err(io::Error::from)
}

/// A number in JSON's shortest form that reads back to the same value.
pub(super) fn json_num<N: serde::Serialize>(out: &mut impl Write, n: N) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &n).map_err(io::Error::from)
}

/// A fix's `attrs` (the raw text of a JSON object) embedded as that object; text that is not
/// one (the decoder never passes such, but a store might) goes out as a JSON string instead.
pub(super) fn json_attrs(out: &mut impl Write, attrs: &str) -> io::Result<()> {
    match serde_json::from_str::<&RawValue>(attrs) {
        Ok(raw) if raw.get().starts_with('{') => out.write_all(raw.get().as_bytes()),
        _ => json_str(out, attrs),
    }
}

/// `s` as XML character data: markup characters escaped, a carriage return kept as a
/// reference (parsers would fold it), and characters XML 1.0 cannot hold at all replaced by
/// U+FFFD.
pub(super) fn xml_text(out: &mut impl Write, s: &str) -> io::Result<()> {
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let replacement = match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '"' => "&quot;",
            '\'' => "&apos;",
            '\r' => "&#13;",
            c if !is_xml_char(c) => "\u{FFFD}",
            _ => continue,
        };
        out.write_all(s.get(start..i).unwrap_or_default().as_bytes())?;
        out.write_all(replacement.as_bytes())?;
        start = i + c.len_utf8();
    }
    out.write_all(s.get(start..).unwrap_or_default().as_bytes())
}

/// XML 1.0's `Char` production.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// `<name>text</name>` (or `<prefix:name>`), the text escaped.
pub(super) fn xml_element(out: &mut impl Write, name: &str, text: &str) -> io::Result<()> {
    write!(out, "<{name}>")?;
    xml_text(out, text)?;
    write!(out, "</{name}>")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xml(s: &str) -> String {
        let mut out = Vec::new();
        xml_text(&mut out, s).expect("to a Vec");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn markup_and_characters_xml_cannot_hold_are_escaped() {
        assert_eq!(xml(r#"a<b>&"c'"#), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(xml("bell\u{7}\r\nend"), "bell\u{FFFD}&#13;\nend");
        assert_eq!(xml("Ünïcödé 🚚"), "Ünïcödé 🚚");
    }

    #[test]
    fn attrs_that_are_not_a_json_object_go_out_as_a_string() {
        let mut out = Vec::new();
        json_attrs(&mut out, r#" {"a": [1, 2]} "#).expect("to a Vec");
        out.push(b' ');
        json_attrs(&mut out, "[1]").expect("to a Vec");
        out.push(b' ');
        json_attrs(&mut out, "{broken").expect("to a Vec");
        let text = String::from_utf8(out).expect("utf-8");
        assert_eq!(text, r#"{"a": [1, 2]} "[1]" "{broken""#);
    }
}
