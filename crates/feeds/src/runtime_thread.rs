//! A named thread owning a single-threaded tokio runtime and running one future on it: how the
//! feeds thread and the embedded feed server run beside a window.

use std::future::Future;
use std::thread::JoinHandle;

/// Starts thread `name` and runs the future `make` returns on its own runtime. A runtime that
/// cannot start is logged and the thread ends (its owner sees its channels close).
pub fn spawn<F, Fut>(name: &'static str, make: F) -> std::io::Result<JoinHandle<()>>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime.block_on(make()),
                Err(e) => {
                    tracing::error!(error = %e, thread = name, "cannot start a tokio runtime")
                }
            }
        })
}
