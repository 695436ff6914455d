//! GPX 1.1: one `<trk>` named by the vehicle id, one `<trkseg>`, a `<trkpt lat lon>` a fix with
//! its `<time>`; everything GPX 1.1 has no element for (speed in m/s, course in degrees, label,
//! kind, status, route, attrs as JSON text) in the trkpt's `<extensions>`, in the fleetview
//! namespace ([`NAMESPACE`], prefix `fleetview`). Elements in the order the GPX schema wants.

use std::io::{self, Write};

use super::iso::IsoTime;
use super::text::{xml_element, xml_text};
use crate::protocol::FixRef;

/// The namespace of fleetview's GPX extension elements (a name, not a place to fetch).
pub const NAMESPACE: &str = "https://fleetview.invalid/xmlns/gpx/1";

pub(super) fn begin(out: &mut impl Write, id: &str) -> io::Result<()> {
    write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <gpx version=\"1.1\" creator=\"fleetview\" \
         xmlns=\"http://www.topografix.com/GPX/1/1\" xmlns:fleetview=\"{NAMESPACE}\">\n\
         <trk><name>"
    )?;
    xml_text(out, id)?;
    out.write_all(b"</name><trkseg>\n")
}

pub(super) fn point(out: &mut impl Write, fix: &FixRef<'_>) -> io::Result<()> {
    write!(
        out,
        "<trkpt lat=\"{}\" lon=\"{}\"><time>{}</time>",
        fix.lat,
        fix.lon,
        IsoTime::new(fix.ts)
    )?;
    let m = &fix.meta;
    let texts = [
        ("fleetview:label", m.label),
        ("fleetview:kind", m.kind),
        ("fleetview:status", m.status),
        ("fleetview:route", m.route),
        ("fleetview:attrs", m.attrs),
    ];
    let any_text = texts.iter().any(|(_, v)| v.is_some());
    if fix.speed.is_some() || fix.heading.is_some() || any_text {
        out.write_all(b"<extensions>")?;
        if let Some(speed) = fix.speed {
            write!(out, "<fleetview:speed>{speed}</fleetview:speed>")?;
        }
        if let Some(course) = fix.heading {
            write!(out, "<fleetview:course>{course}</fleetview:course>")?;
        }
        for (name, value) in texts {
            if let Some(v) = value {
                xml_element(out, name, v)?;
            }
        }
        out.write_all(b"</extensions>")?;
    }
    out.write_all(b"</trkpt>\n")
}

pub(super) fn end(out: &mut impl Write) -> io::Result<()> {
    out.write_all(b"</trkseg></trk>\n</gpx>\n")
}
