//! A strict JSON scanner over a frame's bytes: whitespace, strings, numbers and nesting, read in
//! place with no tree and no copies. The decoders built on it (the compact form, and the fast
//! path for protocol v1 frames) read the shapes fleetview's server writes; what the scanner does
//! not accept it says so with where and why, and the v1 decoder then hands the frame to
//! serde_json, whose refusal rules stay the reference.
//!
//! The grammar is RFC 8259's: no leading zeros, no `+`, no trailing commas, no control bytes in
//! strings, nothing after the value but whitespace.

use std::borrow::Cow;

/// Deepest nesting skipped (serde_json's own limit is 128).
const MAX_DEPTH: usize = 128;

/// Where and why the scanner stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ScanError {
    pub(crate) at: usize,
    pub(crate) what: &'static str,
}

impl std::fmt::Display for ScanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at byte {}", self.what, self.at)
    }
}

pub(crate) type Scan<T> = Result<T, ScanError>;

/// A JSON number as written: its text, whether it has a fraction or exponent, and its value
/// when the scan could compute it exactly on the way.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Number<'a> {
    pub(crate) text: &'a str,
    pub(crate) integer: bool,
    exact: Option<f64>,
}

impl Number<'_> {
    /// The number's value as serde_json and Rust's parser give it (correctly rounded).
    pub(crate) fn to_f64(self) -> f64 {
        match self.exact {
            Some(v) => v,
            None => self.text.parse().unwrap_or(f64::NAN),
        }
    }
}

/// Powers of ten an f64 holds exactly.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Eight ASCII zeros, one per byte.
const ZEROS: u64 = 0x3030_3030_3030_3030;
const HIGH: u64 = 0x8080_8080_8080_8080;
const ONES: u64 = 0x0101_0101_0101_0101;

/// The 8 bytes at `i` as one word (the first byte lowest), when there are 8.
#[inline]
fn word8(b: &[u8], i: usize) -> Option<u64> {
    let bytes: [u8; 8] = b.get(i..i.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(bytes))
}

/// How many of a word's bytes, from the first, are ASCII digits (8 when all are). A byte is a
/// digit when subtracting '0' does not borrow and adding 0x46 does not reach 0x80; borrows and
/// carries only run upwards, from the first byte that is not a digit, so bytes before it read
/// true.
#[inline]
fn leading_digits(v: u64) -> usize {
    let below = v.wrapping_sub(ZEROS);
    let above = v.wrapping_add(0x4646_4646_4646_4646);
    ((below | above) & HIGH).trailing_zeros() as usize / 8
}

/// The value of a word of 8 ASCII digits, the first byte the most significant (the
/// fast_float crate's method: pairs, then quads, then the whole, in three multiplications).
#[inline]
fn eight_digits(v: u64) -> u64 {
    const MASK: u64 = 0x0000_00FF_0000_00FF;
    const MUL1: u64 = 100 + (1_000_000 << 32);
    const MUL2: u64 = 1 + (10_000 << 32);
    let v = v.wrapping_sub(ZEROS);
    let v = v.wrapping_mul(10).wrapping_add(v >> 8);
    let v1 = (v & MASK).wrapping_mul(MUL1);
    let v2 = ((v >> 16) & MASK).wrapping_mul(MUL2);
    u64::from(v1.wrapping_add(v2).wrapping_shr(32) as u32)
}

/// Where the run of ASCII digits starting at `i` ends (a word at a time).
#[inline]
fn digits(b: &[u8], mut i: usize) -> usize {
    while let Some(v) = word8(b, i) {
        let n = leading_digits(v);
        i += n;
        if n < 8 {
            return i;
        }
    }
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    i
}

/// The value of the digits `b[start..end]` (at most 19 of them).
#[inline]
fn run_value(b: &[u8], start: usize, end: usize) -> u64 {
    let mut acc = 0u64;
    let mut i = start;
    while end - i >= 8 {
        let Some(v) = word8(b, i) else { break };
        acc = acc.wrapping_mul(100_000_000).wrapping_add(eight_digits(v));
        i += 8;
    }
    let n = end - i;
    if n > 0
        && let Some(v) = word8(b, i)
    {
        // The n digits moved to the top of the word, '0's below them.
        let shift = 8 * (8 - n) as u32;
        let v = (v << shift) | (ZEROS >> (64 - shift));
        return acc.wrapping_mul(POW10_INT[n]).wrapping_add(eight_digits(v));
    }
    b[i..end].iter().fold(acc, |m, d| {
        m.wrapping_mul(10).wrapping_add(u64::from(d - b'0'))
    })
}

/// Powers of ten below 10^8, as integers.
const POW10_INT: [u64; 8] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000];

/// Clinger's fast path: a mantissa below 2^53 (at most 15 significant digits here) and a power
/// of ten up to 22 give the correctly rounded value with one exact conversion and one rounded
/// division. The integer part is `b[int]`, the fraction `b[fraction]`.
fn exact(
    negative: bool,
    b: &[u8],
    int: std::ops::Range<usize>,
    fraction: std::ops::Range<usize>,
) -> Option<f64> {
    // JSON allows no leading zeros but the one of "0".
    let int = if b.get(int.start) == Some(&b'0') {
        int.end..int.end
    } else {
        int
    };
    let flen = fraction.len();
    let mantissa = if int.is_empty() {
        let zeros = b[fraction.clone()]
            .iter()
            .take_while(|&&d| d == b'0')
            .count();
        if flen - zeros > 15 || flen > 22 {
            return None;
        }
        run_value(b, fraction.start + zeros, fraction.end)
    } else {
        if int.len() + flen > 15 {
            return None;
        }
        let whole = run_value(b, int.start, int.end);
        if flen == 0 {
            whole
        } else {
            let scale = 10u64.pow(flen as u32);
            whole * scale + run_value(b, fraction.start, fraction.end)
        }
    };
    let v = mantissa as f64 / POW10[flen];
    Some(if negative { -v } else { v })
}

/// The high bit set in each byte of `v` that is a quote, a backslash or a control byte (exact
/// up to the first such byte, which is all a scan needs).
#[inline]
fn special(v: u64) -> u64 {
    let zero_at = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    zero_at(v ^ (0x22 * ONES))
        | zero_at(v ^ (0x5C * ONES))
        | (v.wrapping_sub(0x20 * ONES) & !v & HIGH)
}

/// Packs a short key (up to 8 bytes) into an integer, so matching it is one comparison; longer
/// keys give a value no short key has.
#[inline]
pub(crate) const fn word(key: &str) -> u64 {
    let b = key.as_bytes();
    if b.len() > 8 {
        return u64::MAX;
    }
    let mut w = 0u64;
    let mut i = 0;
    while i < b.len() {
        w |= (b[i] as u64) << (8 * i);
        i += 1;
    }
    w
}

/// A position in a frame's text.
pub(crate) struct Cursor<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pub(crate) at: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Self {
            text,
            bytes: text.as_bytes(),
            at: 0,
        }
    }

    pub(crate) fn fail<T>(&self, what: &'static str) -> Scan<T> {
        Err(ScanError { at: self.at, what })
    }

    /// Skips whitespace; the next byte, if any.
    #[inline]
    pub(crate) fn peek(&mut self) -> Option<u8> {
        while let Some(&b) = self.bytes.get(self.at) {
            if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(b);
            }
            self.at += 1;
        }
        None
    }

    /// Expects `byte` (after whitespace) and steps over it.
    #[inline]
    pub(crate) fn eat(&mut self, byte: u8, what: &'static str) -> Scan<()> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            self.fail(what)
        }
    }

    /// After a value in an array or object: `true` when a `,` follows, `false` at `close`.
    #[inline]
    pub(crate) fn next_item(&mut self, close: u8) -> Scan<bool> {
        match self.peek() {
            Some(b',') => {
                self.at += 1;
                Ok(true)
            }
            Some(b) if b == close => {
                self.at += 1;
                Ok(false)
            }
            _ => self.fail("expected ',' or the end of the array or object"),
        }
    }

    /// Right after `[` or `{`: `true` when the array or object is empty (and steps over `close`).
    #[inline]
    pub(crate) fn empty(&mut self, close: u8) -> bool {
        if self.peek() == Some(close) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    /// Only whitespace is left.
    pub(crate) fn end(&mut self) -> Scan<()> {
        match self.peek() {
            None => Ok(()),
            Some(_) => self.fail("text after the end of the message"),
        }
    }

    /// An object's key and the `:` after it. Keys with escapes come back unescaped.
    #[inline]
    pub(crate) fn key(&mut self) -> Scan<Cow<'a, str>> {
        let key = self.string()?;
        self.eat(b':', "expected ':' after a key")?;
        Ok(key)
    }

    /// A string, borrowed from the text when it has no escapes.
    #[inline]
    pub(crate) fn string(&mut self) -> Scan<Cow<'a, str>> {
        self.eat(b'"', "expected a string")?;
        let start = self.at;
        // A word at a time up to the first quote, backslash or control byte.
        while let Some(v) = word8(self.bytes, self.at) {
            let stop = special(v);
            if stop != 0 {
                self.at += stop.trailing_zeros() as usize / 8;
                break;
            }
            self.at += 8;
        }
        loop {
            match self.bytes.get(self.at) {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(Cow::Borrowed(&self.text[start..self.at - 1]));
                }
                Some(b'\\') => return self.escaped(start),
                Some(&b) if b < 0x20 => return self.fail("a control character in a string"),
                Some(_) => self.at += 1,
                None => return self.fail("a string that does not end"),
            }
        }
    }

    /// The rest of a string that has escapes, unescaped by serde_json.
    #[cold]
    fn escaped(&mut self, start: usize) -> Scan<Cow<'a, str>> {
        loop {
            match self.bytes.get(self.at) {
                Some(b'"') => break,
                Some(b'\\') => self.at += 2,
                Some(&b) if b < 0x20 => return self.fail("a control character in a string"),
                Some(_) => self.at += 1,
                None => return self.fail("a string that does not end"),
            }
        }
        self.at += 1;
        let quoted = self.text.get(start - 1..self.at).unwrap_or_default();
        match serde_json::from_str::<String>(quoted) {
            Ok(s) => Ok(Cow::Owned(s)),
            Err(_) => self.fail("a bad escape in a string"),
        }
    }

    /// A number, checked against JSON's grammar, its value worked out on the way when that
    /// can be done exactly.
    #[inline]
    pub(crate) fn number(&mut self) -> Scan<Number<'a>> {
        self.peek();
        let start = self.at;
        let b = self.bytes;
        let negative = b.get(start) == Some(&b'-');
        let int_start = start + usize::from(negative);
        let mut i = int_start;
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => i = digits(b, i),
            _ => return self.fail("expected a number"),
        }
        let int_end = i;
        let mut fraction = int_end..int_end;
        if b.get(i) == Some(&b'.') {
            let end = digits(b, i + 1);
            if end == i + 1 {
                self.at = end;
                return self.fail("a number with no digits after its point");
            }
            fraction = i + 1..end;
            i = end;
        }
        let mut exponent = false;
        if matches!(b.get(i), Some(b'e' | b'E')) {
            exponent = true;
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let end = digits(b, i);
            if end == i {
                self.at = end;
                return self.fail("a number with no digits in its exponent");
            }
            i = end;
        }
        self.at = i;
        let exact = if exponent {
            None
        } else {
            exact(negative, b, int_start..int_end, fraction.clone())
        };
        Ok(Number {
            text: &self.text[start..i],
            integer: fraction.is_empty() && !exponent,
            exact,
        })
    }

    /// An integer that fits in an i64 (no fraction, no exponent, at most 18 digits).
    #[inline]
    pub(crate) fn int(&mut self) -> Scan<i64> {
        self.peek();
        let b = self.bytes;
        let negative = b.get(self.at) == Some(&b'-');
        let first = self.at + usize::from(negative);
        let end = digits(b, first);
        let run = &b[first..end];
        if run.is_empty() || (run[0] == b'0' && run.len() > 1) {
            self.at = end;
            return self.fail("expected an integer");
        }
        if matches!(b.get(end), Some(b'.' | b'e' | b'E')) {
            self.at = end;
            return self.fail("expected an integer, not a fraction");
        }
        if run.len() > 18 {
            self.at = end;
            return self.fail("an integer too large");
        }
        self.at = end;
        let value = run.iter().fold(0i64, |v, d| v * 10 + i64::from(d - b'0'));
        Ok(if negative { -value } else { value })
    }

    /// `true`, `false` or `null`: the literal's bytes, when one is next.
    pub(crate) fn literal(&mut self) -> Option<&'static str> {
        self.peek();
        let rest = &self.bytes[self.at..];
        for word in ["true", "false", "null"] {
            if rest.starts_with(word.as_bytes()) {
                self.at += word.len();
                return Some(word);
            }
        }
        None
    }

    /// Steps over any one value; its text.
    pub(crate) fn skip(&mut self) -> Scan<&'a str> {
        self.peek();
        let start = self.at;
        // Bit d is set when the bracket open at depth d (from 1) is an object's.
        let mut objects: u128 = 0;
        let mut depth = 0usize;
        loop {
            match self.peek() {
                Some(b'"') => {
                    self.string()?;
                }
                Some(open @ (b'[' | b'{')) => {
                    self.at += 1;
                    let close = if open == b'[' { b']' } else { b'}' };
                    if !self.empty(close) {
                        if depth + 1 >= MAX_DEPTH {
                            return self.fail("nested too deeply");
                        }
                        depth += 1;
                        objects = (objects & !(1 << depth)) | (u128::from(open == b'{') << depth);
                        if open == b'{' {
                            self.key()?;
                        }
                        continue;
                    }
                }
                Some(b'-' | b'0'..=b'9') => {
                    self.number()?;
                }
                Some(_) => {
                    if self.literal().is_none() {
                        return self.fail("expected a value");
                    }
                }
                None => return self.fail("the message ends inside a value"),
            }
            // After a value: close what ends here, or go on to the next item.
            loop {
                if depth == 0 {
                    return Ok(&self.text[start..self.at]);
                }
                let object = objects & (1 << depth) != 0;
                if self.next_item(if object { b'}' } else { b']' })? {
                    if object {
                        self.key()?;
                    }
                    break;
                }
                depth -= 1;
            }
        }
    }
}

#[cfg(test)]
mod tests;
