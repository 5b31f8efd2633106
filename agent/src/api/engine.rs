//! The API's [`Checker`] backed by the probe engine ([`crate::runner`]).

use super::state::{CheckFailure, Checker};
use crate::runner::{self, Env};
use futures::future::BoxFuture;
use mailport_shared::{CheckEvent, CheckOptions, Report};
use tokio::sync::mpsc;

/// Runs checks with [`runner::run`] in a fixed [`Env`]: the page chooses the
/// options, never the environment (DNS servers, private addresses...).
#[derive(Clone, Debug)]
pub struct EngineChecker {
    env: Env,
}

impl EngineChecker {
    /// Checks in `env`.
    pub fn new(env: Env) -> Self {
        EngineChecker { env }
    }
}

impl Checker for EngineChecker {
    fn check(
        &self,
        options: CheckOptions,
        events: mpsc::Sender<CheckEvent>,
    ) -> BoxFuture<'static, Result<Report, CheckFailure>> {
        let env = self.env.clone();
        Box::pin(async move {
            runner::run(options, &env, events)
                .await
                .map_err(|e| CheckFailure {
                    code: e.code(),
                    message: e.to_string(),
                })
        })
    }
}
