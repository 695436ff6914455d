//! Reading the tokens file again without a restart: on SIGHUP (Unix) and whenever its
//! modification time or length changes (looked at every few seconds, on every platform). A
//! file that no longer reads is logged and the tokens in force stay; a good one replaces them,
//! and the hub re-scopes its viewers (a `remove` for what a viewer may no longer see, the
//! vehicles it now may, and a revoked token's viewers told so and disconnected).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::{mpsc, watch};

use super::{Tokens, TokensFile};
use crate::HubMsg;
use crate::registry::Registry;

/// What the file looked like when last read.
fn stamp(file: &TokensFile) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(&file.path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// Watches `file` until `shutdown`, telling the hub of every new load.
pub(crate) async fn run(
    file: Arc<TokensFile>,
    registry: Option<Arc<Registry>>,
    every: Duration,
    hub: mpsc::Sender<HubMsg>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut generation = file.current().generation();
    let mut seen = stamp(&file);
    let mut poll = tokio::time::interval(every);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut hangups = hangups();
    loop {
        let why = tokio::select! {
            _ = shutdown.changed() => return,
            _ = poll.tick() => {
                let now = stamp(&file);
                if now == seen {
                    continue;
                }
                seen = now;
                "changed"
            }
            _ = next_hangup(&mut hangups) => "SIGHUP",
        };
        generation += 1;
        match Tokens::load(&file.path, registry.as_deref(), generation) {
            Ok(tokens) => {
                let tokens = Arc::new(tokens);
                tracing::info!(
                    why,
                    viewers = tokens.viewers(),
                    publishers = tokens.publishers(),
                    "tokens file read again"
                );
                file.replace(tokens.clone());
                if hub.send(HubMsg::Rescope(tokens)).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                tracing::error!(why, error = %e, "tokens file not reloaded: the tokens in force stay")
            }
        }
    }
}

#[cfg(unix)]
type Hangups = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangups = ();

#[cfg(unix)]
fn hangups() -> Hangups {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok()
}
#[cfg(not(unix))]
fn hangups() -> Hangups {}

#[cfg(unix)]
async fn next_hangup(h: &mut Hangups) {
    match h {
        Some(signal) => {
            signal.recv().await;
        }
        None => std::future::pending().await,
    }
}
#[cfg(not(unix))]
async fn next_hangup(_: &mut Hangups) {
    std::future::pending().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, token: &str) -> String {
        let hash = hex::encode(super::super::hash_token(token));
        format!("[[viewer]]\nname = \"{name}\"\nhash = \"sha256:{hash}\"\nall = true\n")
    }

    #[tokio::test]
    async fn an_edited_file_is_read_again_and_a_broken_one_leaves_the_tokens_in_force() {
        let dir = std::env::temp_dir().join(format!("fv-reload-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("tokens.toml");
        std::fs::write(&path, entry("a", "one")).expect("write");
        let file = Arc::new(TokensFile::open(path.clone(), None).expect("opens"));
        let (hub, mut inbox) = mpsc::channel(4);
        let (stop, shutdown) = watch::channel(false);
        let every = Duration::from_millis(20);
        tokio::spawn(run(file.clone(), None, every, hub, shutdown));
        tokio::time::sleep(Duration::from_millis(100)).await;
        std::fs::write(&path, entry("a", "one") + &entry("b", "two")).expect("edit");
        let message = tokio::time::timeout(Duration::from_secs(5), inbox.recv()).await;
        let Ok(Some(HubMsg::Rescope(tokens))) = message else {
            panic!("no rescope");
        };
        assert_eq!(tokens.viewers(), 2);
        assert!(tokens.generation() > 1);
        assert!(file.current().viewer("two").is_some());
        std::fs::write(&path, "[[viewer]]\nname = \"broken\"\n").expect("break");
        let nothing = tokio::time::timeout(Duration::from_millis(300), inbox.recv()).await;
        assert!(nothing.is_err(), "a broken file is not loaded");
        assert!(
            file.current().viewer("two").is_some(),
            "the tokens in force stay"
        );
        let _ = stop.send(true);
        let _ = std::fs::remove_dir_all(dir);
    }
}
