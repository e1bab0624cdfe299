//! Deploy: `clusters`, each a server group as Deck writes it for the Kubernetes provider, with its
//! strategy (`strategy`: Highlander, Red/Black, Rolling Red/Black, Custom) and the strategy's
//! settings.

use std::collections::BTreeMap;

use crate::infrastructure::server_groups::{
    ContainerPort, EnvVar, Protocol, Resources, ServerGroupSpec,
};
use crate::pipelines::reader::Reader;

/// A deploy strategy (Deck's `strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    #[default]
    None,
    Highlander,
    RedBlack,
    RollingRedBlack,
    Custom,
}

impl Strategy {
    pub const ALL: [Strategy; 5] = [
        Strategy::None,
        Strategy::Highlander,
        Strategy::RedBlack,
        Strategy::RollingRedBlack,
        Strategy::Custom,
    ];

    /// Deck's value (`""` for none).
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::None => "",
            Strategy::Highlander => "highlander",
            Strategy::RedBlack => "redblack",
            Strategy::RollingRedBlack => "rollingredblack",
            Strategy::Custom => "custom",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Strategy::None => "None",
            Strategy::Highlander => "Highlander",
            Strategy::RedBlack => "Red/Black",
            Strategy::RollingRedBlack => "Rolling Red/Black",
            Strategy::Custom => "Custom",
        }
    }

    pub fn parse(text: &str) -> Option<Strategy> {
        match text.to_ascii_lowercase().as_str() {
            "" | "none" => Some(Strategy::None),
            "highlander" => Some(Strategy::Highlander),
            "redblack" => Some(Strategy::RedBlack),
            "rollingredblack" => Some(Strategy::RollingRedBlack),
            "custom" => Some(Strategy::Custom),
            _ => None,
        }
    }
}

/// One entry of a Deploy stage's `clusters`: a server group and how it replaces the others.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeployCluster {
    pub spec: ServerGroupSpec,
    pub strategy: Strategy,
    /// Red/Black: how many server groups the cluster keeps (older disabled ones are destroyed
    /// first); 0 keeps all.
    pub max_remaining: u64,
    /// Red/Black: resize the disabled server groups to 0 after `delay_before_scale_down`.
    pub scale_down: bool,
    pub delay_before_disable_sec: u64,
    pub delay_before_scale_down_sec: u64,
    /// Red/Black: when the new server group never gets healthy, disable it and put the
    /// previous one back.
    pub rollback_on_failure: bool,
    /// The image comes from a Find Image from Cluster stage (`imageDescription.fromContext`)
    /// with this `refId` (`stageId`), found when the stage starts.
    pub image_from_stage: Option<String>,
    /// The image is the one whose push started the execution (`imageDescription.fromTrigger`):
    /// the Docker Registry trigger's repository, tag and digest, found when the stage starts.
    pub image_from_trigger: bool,
    /// Rolling Red/Black: the shares of the replicas the new server group grows through
    /// (`targetPercentages`), ending at 100.
    pub target_percentages: Vec<u64>,
    /// Rolling Red/Black: seconds to wait after each growth (`delayBeforeCleanup`).
    pub delay_before_cleanup_sec: u64,
    /// Rolling Red/Black: a pipeline run after each growth, before traffic moves
    /// (`pipelineBeforeCleanup`); Custom: the strategy pipeline (`strategyApplication`,
    /// `strategyPipeline`, `pipelineParameters`).
    pub pipeline: Option<StrategyPipeline>,
}

/// A pipeline a strategy runs, with parameters of its own (values may be expressions).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StrategyPipeline {
    /// The application it belongs to; the execution's when empty.
    pub application: String,
    /// Its id.
    pub pipeline: String,
    pub parameters: Vec<(String, String)>,
}

/// Rolling Red/Black's steps when none are given (Deck's default).
pub const DEFAULT_PERCENTAGES: [u64; 2] = [50, 100];

pub(super) fn read(r: &mut Reader<'_>) -> Vec<DeployCluster> {
    if r.raw("clusters").is_none() {
        r.fail("clusters", "Add a cluster to deploy to.");
    }
    r.objects("clusters", deploy_cluster)
}

fn quantity(r: &mut Reader<'_>, key: &str, field: &str) -> String {
    r.object(key, |q| q.text(field).unwrap_or_default())
        .unwrap_or_default()
}

/// A `clusters[]` entry as Deck writes it for the Kubernetes provider.
fn deploy_cluster(r: &mut Reader<'_>) -> DeployCluster {
    let strategy_text = r.text("strategy").unwrap_or_default();
    let strategy = Strategy::parse(&strategy_text).unwrap_or_else(|| {
        r.fail(
            "strategy",
            format!("{strategy_text:?} is not a strategy Gennaker runs: use none, highlander, redblack, rollingredblack or custom."),
        );
        Strategy::None
    });
    let mut image_from_stage = None;
    let containers = r.objects("containers", |c| {
        let from_stage = c
            .object("imageDescription", |d| {
                if d.flag("fromContext") != Some(true) {
                    return None;
                }
                let stage = d.text("stageId").filter(|s| !s.is_empty());
                if stage.is_none() {
                    d.fail(
                        "stageId",
                        "Choose the Find Image from Cluster stage the image comes from.",
                    );
                }
                stage
            })
            .flatten();
        let from_trigger = c
            .object("imageDescription", |d| d.flag("fromTrigger") == Some(true))
            .unwrap_or(false);
        let image = c
            .object("imageDescription", |d| {
                let image_id = d.text("imageId").filter(|i| !i.is_empty());
                image_id.unwrap_or_else(|| {
                    let registry = d.text("registry").unwrap_or_default();
                    let repository = d.text("repository").unwrap_or_default();
                    let tag = d.text("tag").unwrap_or_default();
                    let name = if registry.is_empty() {
                        repository
                    } else {
                        format!("{registry}/{repository}")
                    };
                    if tag.is_empty() {
                        name
                    } else {
                        format!("{name}:{tag}")
                    }
                })
            })
            .unwrap_or_default();
        let env = c.objects("envVars", |e| EnvVar {
            name: e.text("name").unwrap_or_default(),
            value: e.text("value").unwrap_or_default(),
        });
        let ports = c.objects("ports", |p| ContainerPort {
            name: p.text("name").unwrap_or_default(),
            container_port: p.count("containerPort").map_or(0, |n| n as i64),
            protocol: p
                .text("protocol")
                .and_then(|t| Protocol::parse(&t))
                .unwrap_or_default(),
        });
        let resources = Resources {
            cpu_request: quantity(c, "requests", "cpu"),
            cpu_limit: quantity(c, "limits", "cpu"),
            memory_request: quantity(c, "requests", "memory"),
            memory_limit: quantity(c, "limits", "memory"),
        };
        (
            (image, from_stage, from_trigger),
            c.texts("command"),
            c.texts("args"),
            env,
            ports,
            resources,
        )
    });
    let namespace = r
        .text("namespace")
        .or_else(|| r.text("region"))
        .unwrap_or_default();
    let mut spec = ServerGroupSpec {
        application: r.text("application").unwrap_or_default(),
        account: r.text("account").unwrap_or_default(),
        namespace,
        stack: r.text("stack").unwrap_or_default(),
        detail: r.text("freeFormDetails").unwrap_or_default(),
        replicas: r.count("targetSize").map_or(1, |n| n as i64),
        load_balancers: r.texts("loadBalancers"),
        node_selector: r
            .text_map("nodeSelector")
            .into_iter()
            .collect::<BTreeMap<_, _>>(),
        ..ServerGroupSpec::default()
    };
    let mut image_from_trigger = false;
    if let Some(((image, from_stage, from_trigger), command, args, env, ports, resources)) =
        containers.into_iter().next()
    {
        if from_stage.is_none() && !from_trigger {
            spec.image = image;
        }
        image_from_stage = from_stage;
        image_from_trigger = from_trigger && image_from_stage.is_none();
        spec.command = command;
        spec.args = args;
        spec.env = env;
        spec.ports = ports;
        spec.resources = resources;
    }
    let rollback_on_failure = r
        .object("rollback", |b| b.flag("onFailure").unwrap_or(false))
        .unwrap_or(false);
    let mut target_percentages = Vec::new();
    let mut pipeline = None;
    match strategy {
        Strategy::RollingRedBlack => {
            target_percentages = r.numbers("targetPercentages");
            if target_percentages.is_empty() {
                target_percentages = DEFAULT_PERCENTAGES.to_vec();
            }
            let rising = target_percentages.windows(2).all(|w| w[0] < w[1]);
            if !rising || target_percentages.iter().any(|p| !(1..=100).contains(p)) {
                r.fail(
                    "targetPercentages",
                    "Give rising percentages from 1 to 100, such as 25, 50, 100.",
                );
            }
            if target_percentages.last() != Some(&100) {
                target_percentages.push(100);
            }
            pipeline = r
                .object("pipelineBeforeCleanup", |p| StrategyPipeline {
                    application: p.text("application").unwrap_or_default(),
                    pipeline: p.text("pipelineId").unwrap_or_default(),
                    parameters: p.text_map("pipelineParameters"),
                })
                .filter(|p| !p.pipeline.is_empty());
        }
        Strategy::Custom => {
            let chosen = r.required_text("strategyPipeline", "the strategy pipeline to run");
            pipeline = Some(StrategyPipeline {
                application: r.text("strategyApplication").unwrap_or_default(),
                pipeline: chosen.unwrap_or_default(),
                parameters: r.text_map("pipelineParameters"),
            });
        }
        _ => {}
    }
    DeployCluster {
        spec,
        strategy,
        max_remaining: r.count("maxRemainingAsgs").unwrap_or(0),
        scale_down: r.flag("scaleDown").unwrap_or(false),
        delay_before_disable_sec: r.count("delayBeforeDisableSec").unwrap_or(0),
        delay_before_scale_down_sec: r.count("delayBeforeScaleDownSec").unwrap_or(0),
        rollback_on_failure,
        image_from_stage,
        image_from_trigger,
        target_percentages,
        delay_before_cleanup_sec: r.count("delayBeforeCleanup").unwrap_or(0),
        pipeline,
    }
}
