//! A sound on a new alert, where the platform has a way to play one: `canberra-gtk-play` or
//! `paplay` on Linux, `afplay` on macOS, PowerShell's system sound on Windows. One named thread
//! plays them one at a time (a ring while one plays is dropped), each player given at most a
//! few seconds, so a missing sound device or a stuck player never hangs or crashes the window;
//! a platform with no player says so once in the log.

use std::process::{Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Sender, TrySendError};

use crate::alerts::{Alert, Rules, Severity};

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

/// What the dispatcher asked to hear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listening {
    /// The panel's Sound: every alert.
    pub every_alert: bool,
    /// Critical alerts (on unless muted).
    pub critical: bool,
}

/// Whether new `alerts` sound: any of them with Sound on; a critical one unless muted; one of a
/// rule whose table says `sound = true`, whatever the panel says.
pub fn sounds(alerts: &[Alert], listening: Listening, rules: Option<&Rules>) -> bool {
    alerts.iter().any(|a| {
        listening.every_alert
            || (listening.critical && a.severity == Severity::Critical)
            || rules.is_some_and(|r| r.sounds(a.rule))
    })
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

    const DEFAULT: Listening = Listening {
        every_alert: false,
        critical: true,
    };
    const MUTED: Listening = Listening {
        every_alert: false,
        critical: false,
    };
    const EVERY: Listening = Listening {
        every_alert: true,
        critical: false,
    };

    #[test]
    fn a_critical_alert_sounds_even_with_the_sound_off_unless_muted() {
        let sos = [alert(Severity::Critical)];
        assert!(sounds(&sos, DEFAULT, None), "on by default");
        assert!(!sounds(&sos, MUTED, None), "muted");
        assert!(sounds(&sos, EVERY, None), "the sound on every alert is on");
    }

    #[test]
    fn routine_alerts_sound_only_with_the_sound_on_or_when_their_rule_says_so() {
        let routine = [alert(Severity::Warning), alert(Severity::Info)];
        assert!(!sounds(&routine, DEFAULT, None));
        assert!(sounds(&routine, EVERY, None));
        assert!(!sounds(&[], EVERY, None), "nothing new, no sound");
        let quiet = Rules::parse("[overspeed]\nenabled = true\n", "r").expect("rules");
        assert!(!sounds(&routine, DEFAULT, Some(&quiet)));
        let loud = Rules::parse("[alarms]\nsound = true\n", "r").expect("rules");
        assert!(
            sounds(&routine, MUTED, Some(&loud)),
            "the alarms' table asks for it"
        );
        let other = Rules::parse("[overspeed]\nsound = true\n", "r").expect("rules");
        assert!(
            !sounds(&routine, DEFAULT, Some(&other)),
            "another rule's sound"
        );
    }
}
