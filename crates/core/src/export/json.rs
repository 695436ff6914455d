//! JSON: `{"id":"van-7","fixes":[{...},...]}`, one object a fix with the fields as protocol v1
//! names them (`id`, `lat`, `lon`, `ts`, `heading`, `speed`, `label`, `kind`, `status`,
//! `route`, `attrs` as an object; absent ones left out) plus `time`, ISO 8601.

use std::io::{self, Write};

use super::iso::IsoTime;
use super::text::{json_attrs, json_num, json_str};
use crate::protocol::FixRef;

pub(super) fn begin(out: &mut impl Write, id: &str) -> io::Result<()> {
    out.write_all(b"{\"id\":")?;
    json_str(out, id)?;
    out.write_all(b",\"fixes\":[")
}

pub(super) fn point(out: &mut impl Write, fix: &FixRef<'_>, first: bool) -> io::Result<()> {
    out.write_all(if first { b"\n{" } else { b",\n{" })?;
    members(out, fix, true)?;
    out.write_all(b"}")
}

pub(super) fn end(out: &mut impl Write) -> io::Result<()> {
    out.write_all(b"\n]}\n")
}

/// A fix's fields as the members of a JSON object (no braces); `lat` and `lon` only
/// `with_position` (GeoJSON has them in its geometry).
pub(super) fn members(
    out: &mut impl Write,
    fix: &FixRef<'_>,
    with_position: bool,
) -> io::Result<()> {
    out.write_all(b"\"id\":")?;
    json_str(out, fix.id)?;
    if with_position {
        out.write_all(b",\"lat\":")?;
        json_num(out, fix.lat)?;
        out.write_all(b",\"lon\":")?;
        json_num(out, fix.lon)?;
    }
    write!(
        out,
        ",\"ts\":{},\"time\":\"{}\"",
        fix.ts,
        IsoTime::new(fix.ts)
    )?;
    for (name, value) in [("heading", fix.heading), ("speed", fix.speed)] {
        if let Some(v) = value {
            write!(out, ",\"{name}\":")?;
            json_num(out, v)?;
        }
    }
    let m = &fix.meta;
    for (name, value) in [
        ("label", m.label),
        ("kind", m.kind),
        ("status", m.status),
        ("route", m.route),
    ] {
        if let Some(v) = value {
            write!(out, ",\"{name}\":")?;
            json_str(out, v)?;
        }
    }
    if let Some(attrs) = m.attrs {
        out.write_all(b",\"attrs\":")?;
        json_attrs(out, attrs)?;
    }
    Ok(())
}
