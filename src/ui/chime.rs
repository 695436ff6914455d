//! A sound on a new alert, where the platform has a way to play one: `canberra-gtk-play` or
//! `paplay` on Linux, `afplay` on macOS, PowerShell's system sound on Windows. One named thread
//! plays them one at a time (a ring while one plays is dropped), each player given at most a
//! few seconds, so a missing sound device or a stuck player never hangs or crashes the window;
//! a platform with no player says so once in the log.

use std::process::{Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Sender, TrySendError};

use crate::alerts::{Alert, Severity};

/// The longest one sound may take before its player is stopped.
const PLAY_LIMIT: Duration = Duration::from_secs(4);

/// The players to try, in order, as (program, arguments).
fn players() -> &'static [(&'static str, &'static [&'static str])] {
    if cfg!(target_os = "macos") {
        &[("afplay", &["/System/Library/Sounds/Glass.aiff"])]
    } else if cfg!(target_os = "windows") {
        &[(
            "powershell",
            &[
                "-NoProfile",
                "-Command",
                "[System.Media.SystemSounds]::Exclamation.Play(); Start-Sleep -Milliseconds 600",
            ],
        )]
    } else {
        &[
            ("canberra-gtk-play", &["-i", "message-new-instant"]),
            (
                "paplay",
                &["/usr/share/sounds/freedesktop/stereo/message-new-instant.oga"],
            ),
        ]
    }
}

/// Owns the thread that plays the sounds; dropping it stops and joins it.
pub struct Chime {
    ring: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Chime {
    pub fn start() -> Self {
        let (ring, rings) = crossbeam_channel::bounded::<()>(1);
        let thread = std::thread::Builder::new()
            .name("fleetview-chime".into())
            .spawn(move || {
                let mut working = players().to_vec();
                while rings.recv().is_ok() {
                    working.retain(|(program, args)| play(program, args));
                    if working.is_empty() {
                        tracing::warn!(
                            "no sound player found (tried {:?}); alerts stay silent",
                            players()
                        );
                        // Keep taking rings so senders never block; play nothing.
                        while rings.recv().is_ok() {}
                    }
                }
            })
            .ok();
        Self {
            ring: Some(ring),
            thread,
        }
    }

    /// Plays the sound unless one is playing or waiting.
    pub fn ring(&self) {
        if let Some(ring) = &self.ring
            && let Err(TrySendError::Disconnected(())) = ring.try_send(())
        {
            tracing::debug!("the chime thread has stopped");
        }
    }
}

/// Whether new `alerts` sound: any of them with the sound on (`sound`); a critical one even
/// with it off, unless the dispatcher muted critical alerts.
pub fn sounds(alerts: &[Alert], sound: bool, critical_muted: bool) -> bool {
    let critical = alerts.iter().any(|a| a.severity == Severity::Critical);
    !alerts.is_empty() && (sound || (critical && !critical_muted))
}

/// Runs one player to its end (or the limit); false when it could not run at all.
fn play(program: &str, args: &[&str]) -> bool {
    let child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        return false;
    };
    let started = Instant::now();
    while started.elapsed() < PLAY_LIMIT {
        match child.try_wait() {
            Ok(Some(_)) | Err(_) => return true,
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    true
}

impl Drop for Chime {
    fn drop(&mut self) {
        self.ring = None;
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the chime thread panicked");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_player_is_no_sound_not_a_failure_and_drop_joins() {
        assert!(!play("fleetview-no-such-player", &[]));
        let chime = Chime::start();
        chime.ring();
        chime.ring();
        drop(chime);
    }

    fn alert(severity: Severity) -> Alert {
        Alert {
            seq: 1,
            at_ms: 0,
            rule: crate::alerts::Rule::Alarm,
            severity,
            feed: crate::fleet::FeedId(0),
            vehicle: "v".into(),
            label: "v".into(),
            geofence: None,
            detail: String::new(),
            lat: 0.0,
            lon: 0.0,
        }
    }

    #[test]
    fn a_critical_alert_sounds_even_with_the_sound_off_unless_muted() {
        let sos = [alert(Severity::Critical)];
        assert!(sounds(&sos, false, false), "on by default");
        assert!(!sounds(&sos, false, true), "muted");
        assert!(sounds(&sos, true, true), "the sound on every alert is on");
    }

    #[test]
    fn routine_alerts_sound_only_with_the_sound_on_and_nothing_new_never() {
        let routine = [alert(Severity::Warning), alert(Severity::Info)];
        assert!(!sounds(&routine, false, false));
        assert!(sounds(&routine, true, false));
        assert!(!sounds(&[], true, false));
    }
}
