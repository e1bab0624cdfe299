//! Webhook: calls a URL (with an idempotency key, see `tasks::steps::webhook`) and, with
//! `waitForCompletion`, reads its status until it says the work ended.

use gennaker_core::pipelines::stages::Webhook;
use gennaker_core::tasks::model::{Step, StepAction, WebhookMonitor, WebhookRequest};

use super::{PlanError, Planning};

/// How often a webhook's status is read.
const WEBHOOK_POLL_SECONDS: u64 = 2;

/// The call, and the wait for its status when asked.
pub fn plan(_p: &Planning, webhook: Box<Webhook>) -> Result<Vec<Step>, PlanError> {
    let mut steps = vec![Step::new(
        format!("Call {} {}", webhook.method, webhook.url),
        StepAction::CallWebhook {
            request: Box::new(WebhookRequest {
                url: webhook.url.clone(),
                method: webhook.method.clone(),
                headers: webhook.headers.clone(),
                payload: webhook.payload.clone(),
                fail_fast_status_codes: webhook.fail_fast_status_codes.clone(),
                retry_status_codes: webhook.retry_status_codes.clone(),
            }),
        },
    )];
    if webhook.wait_for_completion {
        steps.push(Step::new(
            "Wait for the webhook's status",
            StepAction::MonitorWebhook {
                monitor: Box::new(WebhookMonitor {
                    status_url_resolution: webhook.status_url_resolution.clone(),
                    status_url_json_path: webhook.status_url_json_path.clone(),
                    status_json_path: webhook.status_json_path.clone().unwrap_or_default(),
                    success_statuses: webhook.success_statuses.clone(),
                    canceled_statuses: webhook.canceled_statuses.clone(),
                    terminal_statuses: webhook.terminal_statuses.clone(),
                    headers: webhook.headers.clone(),
                    poll_seconds: WEBHOOK_POLL_SECONDS,
                }),
            },
        ));
    }
    Ok(steps)
}
