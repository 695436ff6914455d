//! GT06 frames from real devices.
