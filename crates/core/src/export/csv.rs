//! CSV (RFC 4180, through the `csv` crate: CRLF line ends, a field quoted when it holds a
//! comma, a quote or a line break, quotes doubled): a header, then a row a fix; a field the fix
//! did not have is empty; `attrs` is the object's JSON text in one column.

use std::fmt::{Display, Write as _};
use std::io::{self, Write};

use super::iso::IsoTime;
use crate::protocol::FixRef;

/// The columns.
pub(super) const HEADER: [&str; 12] = [
    "id",
    "time",
    "ts",
    "lat",
    "lon",
    "speed_mps",
    "heading_deg",
    "label",
    "kind",
    "status",
    "route",
    "attrs",
];

/// The CSV writer (it buffers) and a scratch string for numbers.
pub(super) struct CsvOut<W: Write> {
    out: ::csv::Writer<W>,
    scratch: String,
}

impl<W: Write> CsvOut<W> {
    pub fn begin(out: W) -> io::Result<Self> {
        let mut out = ::csv::WriterBuilder::new()
            .terminator(::csv::Terminator::CRLF)
            .from_writer(out);
        out.write_record(HEADER)?;
        Ok(Self {
            out,
            scratch: String::new(),
        })
    }

    pub fn point(&mut self, fix: &FixRef<'_>) -> io::Result<()> {
        self.out.write_field(fix.id)?;
        self.out.write_field(IsoTime::new(fix.ts).as_str())?;
        self.number(fix.ts)?;
        self.number(fix.lat)?;
        self.number(fix.lon)?;
        self.optional(fix.speed)?;
        self.optional(fix.heading)?;
        let m = &fix.meta;
        for text in [m.label, m.kind, m.status, m.route, m.attrs] {
            self.out.write_field(text.unwrap_or_default())?;
        }
        self.out.write_record(None::<&[u8]>)?;
        Ok(())
    }

    pub fn end(self) -> io::Result<W> {
        let mut out = self.out.into_inner().map_err(|e| e.into_error())?;
        out.flush()?;
        Ok(out)
    }

    /// A number in its shortest form that reads back the same (Rust's `Display`, never an
    /// exponent).
    fn number(&mut self, n: impl Display) -> io::Result<()> {
        self.scratch.clear();
        // Writing to a String cannot fail.
        let _ = write!(self.scratch, "{n}");
        self.out.write_field(&self.scratch)?;
        Ok(())
    }

    fn optional(&mut self, n: Option<f32>) -> io::Result<()> {
        match n {
            Some(n) => self.number(n),
            None => Ok(self.out.write_field("")?),
        }
    }
}
