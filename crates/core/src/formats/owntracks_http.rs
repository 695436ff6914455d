//! OwnTracks' HTTP mode, pure: the app POSTs the same JSON it would publish over MQTT, one
//! object a request; `location` objects are positions, anything else (and an empty body, which
//! the app sends when a friend is deleted) is answered `[]` and ignored.
//!
//! The vehicle is `user/device`: from the `X-Limit-U` / `X-Limit-D` headers, else `?u=&d=`, else
//! the Basic-auth user (the transport works that out); its label is the `tid`. `tst` is epoch
//! **seconds**, `vel` **km/h**, `cog` degrees; `acc`, `alt`, `batt`, `conn` go to attrs. The
//! fields are read by the OwnTracks feed format (`formats::owntracks`), the same reading a
//! Recorder's feed gets.

use serde_json::Value;

use crate::formats::owntracks::OwnTracks;
use crate::protocol::{DecodeLimits, FixBatch};

/// What a request carried.
#[derive(Debug)]
pub enum Posted {
    /// A location: its fix.
    Location(FixBatch),
    /// Nothing to place (an empty body, another `_type`): answered `[]`, not an error.
    Ignored,
}

/// The JSON body posted by `user`'s `device`; a location that cannot be used is refused with
/// the reason.
pub fn decode(
    body: &[u8],
    user: &str,
    device: &str,
    limits: &DecodeLimits,
) -> Result<Posted, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Posted::Ignored);
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Object(mut map) = value else {
        return Err("not a JSON object".into());
    };
    if map.get("_type").and_then(Value::as_str) != Some("location") {
        return Ok(Posted::Ignored);
    }
    if user.is_empty() || device.is_empty() {
        return Err("no user and device: send X-Limit-U and X-Limit-D (or ?u=&d=)".into());
    }
    // The vehicle is user/device, whatever topic the payload names.
    map.remove("topic");
    map.insert("username".into(), Value::String(user.to_owned()));
    map.insert("device".into(), Value::String(device.to_owned()));
    OwnTracks::new(limits.clone())
        .one_location(&map)
        .map(Posted::Location)
        .map_err(|(reason, detail)| format!("{reason}: {detail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The booklet's example location (its HTTP page records JJ at the Eiffel Tower).
    const JJ: &str = r#"{"_type":"location","acc":13,"alt":0,"batt":100,"conn":"w","lat":48.85833,"lon":2.29513,"t":"u","tid":"JJ","tst":1455959765,"vac":0,"vel":18}"#;

    fn fix(posted: Posted) -> FixBatch {
        match posted {
            Posted::Location(b) => b,
            Posted::Ignored => panic!("ignored"),
        }
    }

    #[test]
    fn a_location_is_user_slash_device_labelled_by_its_tid_with_its_units() {
        let batch =
            fix(decode(JJ.as_bytes(), "jane", "phone", &DecodeLimits::default()).expect("ok"));
        let f = batch.iter().next().expect("one fix");
        assert_eq!(f.id, "jane/phone");
        assert_eq!((f.lat, f.lon, f.ts), (48.85833, 2.29513, 1_455_959_765_000));
        assert_eq!(f.meta.label, Some("JJ"));
        assert_eq!(f.speed, Some(5.0), "18 km/h");
        assert!(f.meta.attrs.is_some_and(|a| a.contains("\"batt\":100")));
    }

    #[test]
    fn empty_bodies_and_other_types_are_ignored_and_bad_locations_refused() {
        let limits = DecodeLimits::default();
        assert!(matches!(
            decode(b"", "jane", "phone", &limits),
            Ok(Posted::Ignored)
        ));
        let lwt = br#"{"_type":"lwt","tst":1455959765}"#;
        assert!(matches!(
            decode(lwt, "jane", "phone", &limits),
            Ok(Posted::Ignored)
        ));
        let err = decode(
            br#"{"_type":"location","lat":"north","lon":2,"tst":1}"#,
            "jane",
            "phone",
            &limits,
        )
        .expect_err("bad lat");
        assert!(err.contains("lat"), "{err}");
        assert!(
            decode(JJ.as_bytes(), "", "phone", &limits).is_err(),
            "no user"
        );
        assert!(decode(b"{not json", "jane", "phone", &limits).is_err());
    }
}
