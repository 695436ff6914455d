//! Teltonika frames from real devices.
