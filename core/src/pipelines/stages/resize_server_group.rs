//! Resize Server Group: which server group, and `action` scale_exact (`capacity.desired`), or
//! scale_up / scale_down by `scaleNum` (`resizeType` incr) or `scalePct` (pct).

use super::targets::{ClusterTarget, cluster_target};
use crate::pipelines::reader::Reader;
use crate::tasks::model::Resize;

/// Resize Server Group's change: `action` scale_exact (`capacity.desired`), or scale_up /
/// scale_down by `scaleNum` (`resizeType` incr) or `scalePct` (pct).
pub(super) fn resize(r: &mut Reader<'_>) -> Resize {
    let action = r.text("action").unwrap_or_else(|| "scale_exact".into());
    let sign = match action.as_str() {
        "scale_exact" => {
            let desired = r.object("capacity", |c| {
                let desired = c.count("desired");
                if c.raw("desired").is_none() {
                    c.fail("desired", "Give the number of replicas.");
                }
                desired
            });
            if desired.is_none() {
                r.fail(
                    "capacity",
                    "Give the number of replicas (capacity.desired).",
                );
            }
            let replicas = desired.flatten().map_or(0, |n| n as i64);
            return Resize::Exact { replicas };
        }
        "scale_up" => 1,
        "scale_down" => -1,
        other => {
            r.fail(
                "action",
                format!("{other:?} is not a resize: use scale_exact, scale_up or scale_down."),
            );
            return Resize::Exact { replicas: 0 };
        }
    };
    let kind = r.text("resizeType").unwrap_or_else(|| "pct".into());
    let (key, what) = match kind.as_str() {
        "pct" => ("scalePct", "the percentage"),
        "incr" => ("scaleNum", "the number of replicas"),
        other => {
            r.fail(
                "resizeType",
                format!(
                    "{other:?} is not a resize type: use pct (a percentage) or incr (a number)."
                ),
            );
            return Resize::By { delta: 0 };
        }
    };
    let amount = r.count(key);
    if r.raw(key).is_none() {
        r.fail(key, format!("Give {what} to scale by."));
    }
    let amount = amount.map_or(0, |n| n as i64) * sign;
    if kind == "pct" {
        Resize::Percent { percent: amount }
    } else {
        Resize::By { delta: amount }
    }
}

pub(super) fn read(r: &mut Reader<'_>) -> (ClusterTarget, Resize) {
    let target = cluster_target(r);
    (target, resize(r))
}
