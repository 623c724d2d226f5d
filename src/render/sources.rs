//! Where each key of the template context comes from: the tenant's values and the
//! catalog entries it is computed from. `kiln explain` reads this to go from a field of
//! an output file back to the layers that set it; tests hold it equal to the context
//! that `context/` builds and to the tables of docs/templates.md.
//!
//! A source is a JSON pointer into the tenant's merged values (`/security/runAsUser`)
//! or, with `catalog:`, into the catalog (`catalog:/services/{service}/probes`).
//! `{service}` is the service of the object, `{pool}` its catalog `pool`. A source
//! ending in `/*` maps the context key's own keys one to one (`svc.rollout.maxSurge`
//! comes from `/rollout/maxSurge`).

/// The keys of `svc`, the context of one running copy of a service.
pub const SERVICE: &[(&str, &[&str])] = &[
    ("name", &["catalog:/services/{service}"]),
    ("namespace", &["/extraNamespaces"]),
    ("primary", &["/extraNamespaces"]),
    ("kind", &["catalog:/services/{service}/kind"]),
    ("class", &["catalog:/services/{service}/kind"]),
    ("description", &["catalog:/services/{service}/description"]),
    ("stage", &["catalog:/services/{service}/stage"]),
    (
        "wave",
        &["catalog:/services/{service}/stage", "catalog:/stages"],
    ),
    ("hook", &["catalog:/services/{service}/hook"]),
    ("gateway", &["catalog:/services/{service}/gateway"]),
    (
        "image",
        &[
            "catalog:/services/{service}/image",
            "/images/registry",
            "/services/{service}/image/repository",
            "/services/{service}/image/tag",
            "/services/{service}/image/digest",
        ],
    ),
    ("imagePullPolicy", &["/images/pullPolicy"]),
    ("imagePullSecrets", &["/images/pullSecrets"]),
    ("command", &["catalog:/services/{service}/command"]),
    (
        "args",
        &[
            "/services/{service}/args",
            "catalog:/services/{service}/args",
        ],
    ),
    ("ports", &["catalog:/services/{service}/ports"]),
    ("probes", &["catalog:/services/{service}/probes/*"]),
    ("resources", &["/services/{service}/resources/*"]),
    ("values", &["/services/{service}/*"]),
    (
        "env",
        &[
            "/services/{service}/env",
            "catalog:/services/{service}/credentials",
        ],
    ),
    ("labels", &["catalog:/platform"]),
    ("selector", &["catalog:/services/{service}"]),
    (
        "podAnnotations",
        &[
            "/services/{service}/podAnnotations/*",
            "/monitoring/enabled",
            "/monitoring/path",
            "catalog:/services/{service}/metricsPort",
            "catalog:/services/{service}/metricsPath",
        ],
    ),
    ("configName", &["catalog:/services/{service}"]),
    (
        "configData",
        &[
            "/config",
            "/services/{service}/config",
            "/logging",
            "/database",
            "/objectStorage",
            "/flags",
            "catalog:/services/{service}/reads",
        ],
    ),
    (
        "credentials",
        &[
            "/credentials",
            "/secretStore/prefix",
            "catalog:/services/{service}/credentials",
        ],
    ),
    ("secretStore", &["/secretStore/*"]),
    ("serviceAccount", &["catalog:/services/{service}/rbac"]),
    (
        "volumes",
        &[
            "catalog:/services/{service}/configPath",
            "catalog:/services/{service}/writablePaths",
            "catalog:/services/{service}/routesPath",
        ],
    ),
    (
        "replicas",
        &[
            "/services/{service}/replicas",
            "catalog:/services/{service}/fixedReplicas",
        ],
    ),
    ("autoscaling", &["/services/{service}/autoscaling/*"]),
    ("pdb", &["/services/{service}/pdb/*"]),
    (
        "storage",
        &[
            "/services/{service}/storage/*",
            "catalog:/services/{service}/dataPath",
        ],
    ),
    (
        "headlessName",
        &[
            "catalog:/services/{service}",
            "catalog:/services/{service}/kind",
        ],
    ),
    (
        "nodeSelector",
        &[
            "/services/{service}/nodeSelector",
            "/placement/{pool}/nodeSelector",
        ],
    ),
    (
        "tolerations",
        &[
            "/services/{service}/tolerations",
            "/placement/{pool}/tolerations",
        ],
    ),
    (
        "priorityClassName",
        &["catalog:/services/{service}/priorityClass"],
    ),
    ("runAsUser", &["/security/runAsUser"]),
    (
        "runAsGroup",
        &["/security/runAsGroup", "/security/runAsUser"],
    ),
    ("fsGroup", &["/security/fsGroup", "/security/runAsUser"]),
    ("strategy", &["catalog:/services/{service}/strategy"]),
    (
        "security",
        &["catalog:/services/{service}/securityExceptions"],
    ),
    ("rollout", &["/rollout/*"]),
    ("schedule", &["/services/{service}/schedule"]),
    ("timeZone", &["/services/{service}/timeZone"]),
    (
        "startingDeadlineSeconds",
        &["/services/{service}/startingDeadlineSeconds"],
    ),
    (
        "ttlSecondsAfterFinished",
        &["/services/{service}/ttlSecondsAfterFinished"],
    ),
    (
        "activeDeadlineSeconds",
        &["/services/{service}/activeDeadlineSeconds"],
    ),
    ("suspend", &["/services/{service}/suspend"]),
    ("backoffLimit", &["/services/{service}/backoffLimit"]),
    (
        "network",
        &[
            "catalog:/services/{service}/dependsOn",
            "catalog:/services/{service}/calls",
            "catalog:/services/{service}/allowFrom",
            "catalog:/services/{service}/external",
            "/network",
            "/ingress",
            "/monitoring",
        ],
    ),
];

/// The keys of the context every template of a tenant sees. `values` is the merged
/// values themselves: `values.quota` comes from `/quota`.
pub const TENANT: &[(&str, &[&str])] = &[
    ("kiln", &["catalog:/platform"]),
    ("tenant", &["/extraNamespaces"]),
    ("labels", &["catalog:/platform"]),
    ("values", &["/*"]),
    ("flags", &["/flags/*"]),
    ("routes", &["catalog:/services"]),
    ("endpoints", &["catalog:/services"]),
    ("gateway", &["catalog:/services"]),
    ("ingress", &["/ingress/*"]),
    ("registryWave", &["catalog:/stages"]),
];

/// Context keys below a key mapped one to one (`ingress` from `/ingress/*`) that kiln
/// makes rather than reads: a source `derived:<how>` says how.
pub const DERIVED: &[(&str, &str)] = &[
    (
        "ingress.tlsSecret",
        "derived:the tenant's name, as `<tenant>-tls`",
    ),
    (
        "pipeline.webui.tlsSecret",
        "derived:the pipeline's name, as `<pipeline>-webui-tls`",
    ),
    (
        "pipeline.serviceAccount",
        "derived:the pipeline's name, as `pipeline` in a namespace of its own, else `<pipeline>-pipeline`",
    ),
    (
        "node.name",
        "derived:the node's name in the blueprint, as `<node>` in a namespace of its own, else `<pipeline>-<node>`",
    ),
];

/// The keys of `pipeline` in the pipeline and node scopes, by dotted path below it
/// (`orchestrator.image`). `pipeline:` is a pointer into the pipeline's `pipeline.yaml`
/// and `settings:` one into `kiln.yaml`, each above its section of kiln's defaults
/// (`pipeline`, `settings`); `blueprint:` is one into its `blueprint.json`, where
/// `{node}` is the node's place in `nodes`.
pub const PIPELINE: &[(&str, &[&str])] = &[
    (
        "name",
        &["derived:the pipeline's folder under `blueprints/`"],
    ),
    ("namespace", &["pipeline:/namespace", "pipeline:/tenant"]),
    ("ownNamespace", &["pipeline:/namespace", "pipeline:/tenant"]),
    ("tenant", &["pipeline:/tenant"]),
    ("imagePullSecrets", &["pipeline:/imagePullSecrets"]),
    (
        "orchestrator.image",
        &[
            "pipeline:/orchestrator/image",
            "settings:/pipelines/orchestratorImage",
        ],
    ),
    (
        "orchestrator.resources",
        &["pipeline:/orchestrator/resources/*"],
    ),
    (
        "starter.image",
        &[
            "pipeline:/starter/image",
            "settings:/pipelines/starterImage",
        ],
    ),
    (
        "starter.command",
        &[
            "pipeline:/starter/command",
            "settings:/pipelines/starterCommand",
        ],
    ),
    ("starter.args", &["pipeline:/starter/args"]),
    ("starter.backoffLimit", &["pipeline:/starter/backoffLimit"]),
    (
        "starter.ttlSecondsAfterFinished",
        &["pipeline:/starter/ttlSecondsAfterFinished"],
    ),
    (
        "starter.activeDeadlineSeconds",
        &["pipeline:/starter/activeDeadlineSeconds"],
    ),
    ("sharedFolders.size", &["pipeline:/sharedFolder/size"]),
    (
        "sharedFolders.storageClassName",
        &["pipeline:/sharedFolder/storageClassName"],
    ),
    ("webui.host", &["pipeline:/webui/host"]),
    ("webui.className", &["pipeline:/webui/className"]),
    ("webui.tls", &["pipeline:/webui/tls/enabled"]),
    (
        "webui.clusterIssuer",
        &["pipeline:/webui/tls/clusterIssuer"],
    ),
];

/// The keys of `argocd` in the Argo CD scope: `kiln.yaml`'s, above kiln's defaults.
pub const ARGOCD: &[(&str, &[&str])] = &[
    ("namespace", &["settings:/argocd/namespace"]),
    ("server", &["settings:/argocd/server"]),
    ("repoURL", &["settings:/repoURL"]),
    ("targetRevision", &["settings:/targetRevision"]),
];

/// The keys of `node`, one model container of a pipeline, by dotted path below it.
pub const NODE: &[(&str, &[&str])] = &[
    ("image", &["blueprint:/nodes/{node}/image"]),
    ("containerName", &["blueprint:/nodes/{node}/container_name"]),
    ("type", &["blueprint:/nodes/{node}/node_type"]),
    (
        "resources",
        &[
            "pipeline:/nodes/{container}/resources/*",
            "pipeline:/resources/*",
        ],
    ),
];

/// The keys of `namespace` in the namespace scope.
pub const NAMESPACE: &[(&str, &[&str])] = &[
    ("name", &["/extraNamespaces"]),
    ("primary", &["/extraNamespaces"]),
    ("extra", &["/extraNamespaces"]),
    ("podSecurity", &["catalog:/services"]),
    ("secretStore", &["/secretStore/*"]),
];

/// Where a context path (`svc.autoscaling.minReplicas`, `values.quota`) comes from:
/// the sources of its longest known prefix, with the rest of the path appended to
/// the sources that map keys one to one. `None` for a name no scope defines.
pub fn of(path: &[&str]) -> Option<Vec<String>> {
    let dotted = path.join(".");
    if let Some((_, how)) = DERIVED.iter().find(|(key, _)| *key == dotted) {
        return Some(vec![(*how).to_string()]);
    }
    let (table, rest): (&[(&str, &[&str])], &[&str]) = match path {
        ["pipeline", rest @ ..] => return by_dotted_key(PIPELINE, rest),
        ["node", rest @ ..] => return by_dotted_key(NODE, rest),
        ["argocd", rest @ ..] => return by_dotted_key(ARGOCD, rest),
        ["svc", rest @ ..] => (SERVICE, rest),
        ["namespace", rest @ ..] => (NAMESPACE, rest),
        rest => (TENANT, rest),
    };
    let (key, below) = rest.split_first()?;
    let sources = table.iter().find(|(k, _)| k == key).map(|(_, s)| *s)?;
    Some(expand(sources, below))
}

/// The sources of the longest key of `table` (dotted: `orchestrator.image`) that the
/// path starts with.
fn by_dotted_key(table: &[(&str, &[&str])], path: &[&str]) -> Option<Vec<String>> {
    let (key, sources) = table
        .iter()
        .filter(|(k, _)| {
            let parts: Vec<&str> = k.split('.').collect();
            path.starts_with(&parts)
        })
        .max_by_key(|(k, _)| k.len())?;
    let below = path.get(key.split('.').count()..).unwrap_or_default();
    Some(expand(sources, below))
}

/// The sources, with the rest of the path appended to those that map keys one to one
/// (`/*`).
fn expand(sources: &[&str], below: &[&str]) -> Vec<String> {
    sources
        .iter()
        .map(|s| match s.strip_suffix("/*") {
            Some(base) => {
                let tail: String = below.iter().map(|t| format!("/{t}")).collect();
                format!("{base}{tail}")
            }
            None => (*s).to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests;
