//! Checks that need a tenant's merged values: flag prerequisites, extra namespaces,
//! and what each service on needs (a secret store, the configuration it reads, a
//! schedule, a database host); and the namespaces pipelines claim.

use super::pipeline::PipelinePlan;
use super::secrets::check_secret_scope;
use super::{MNode, MValue, Origin, TenantPlan};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::Service;
use crate::names;
use crate::validate::Workspace;
use crate::yaml::node::escape_token;

/// Checks that need the merged values (`merged`, with their origins).
pub(super) fn check(ws: &Workspace, plan: &TenantPlan, merged: &MNode) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let tenant_set_store = check_secret_scope(plan, merged, &mut out);
    flag_prerequisites(ws, plan, &mut out);
    extra_namespaces(ws, plan, merged, &mut out);
    for name in plan.enabled_services() {
        let Some(svc) = ws.catalog.services.get(name) else {
            continue;
        };
        let needs = Needs {
            ws,
            plan,
            name,
            svc,
        };
        needs.secret_store(tenant_set_store, &mut out);
        needs.configuration(&mut out);
        needs.schedule(&mut out);
        needs.database(&mut out);
    }
    out
}

/// Every flag on has the flags it requires on.
fn flag_prerequisites(ws: &Workspace, plan: &TenantPlan, out: &mut Vec<Diagnostic>) {
    for (name, (on, origin)) in &plan.flags {
        if !on {
            continue;
        }
        let Some(flag) = ws.catalog.flags.get(name) else {
            continue;
        };
        let missing: Vec<&String> = flag
            .requires
            .iter()
            .filter(|r| !plan.flags.get(*r).is_some_and(|f| f.0))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let list = crate::suggest::code_list(missing.iter());
        let message = if missing.len() == 1 {
            format!("flag `{name}` requires flag {list}, which is off")
        } else {
            format!("flag `{name}` requires flags {list}, which are off")
        };
        out.push(
            plan.at_origin(
                *origin,
                &format!("/flags/{name}"),
                Diagnostic::error(Code::FlagPrerequisite, message),
            )
            .hint(format!("turn on {list} in `flags`, or turn off `{name}`"))
            .note(format!("tenant `{}`", plan.name)),
        );
    }
}

/// No extra namespace is reserved or longer than a label.
fn extra_namespaces(ws: &Workspace, plan: &TenantPlan, merged: &MNode, out: &mut Vec<Diagnostic>) {
    let Some(extra) = merged.get("extraNamespaces") else {
        return;
    };
    let MValue::List(items) = &extra.value else {
        return;
    };
    for (i, item) in items.iter().enumerate() {
        let Some(ns) = plan.namespaces.get(i + 1) else {
            continue;
        };
        if let Some(why) = names::reserved_namespace(ns, &ws.platform_namespaces) {
            out.push(
                plan.at_origin(
                    item.origin,
                    &format!("/extraNamespaces/{i}"),
                    Diagnostic::error(
                        Code::ReservedNamespace,
                        format!("extra namespace `{ns}` is reserved: {why}"),
                    ),
                )
                .hint("extra namespaces are named `<tenant>-<name>`; choose another name"),
            );
        }
        if ns.len() > names::MAX_LABEL {
            out.push(
                plan.at_origin(
                    item.origin,
                    &format!("/extraNamespaces/{i}"),
                    Diagnostic::error(
                        Code::NameTooLong,
                        format!(
                            "namespace `{ns}` is {} characters long, over the limit of {}",
                            ns.len(),
                            names::MAX_LABEL
                        ),
                    ),
                )
                .hint("extra namespaces are named `<tenant>-<name>`; use a shorter name"),
            );
        }
    }
}

/// One service that is on, and what it needs of the tenant's merged values.
struct Needs<'a> {
    ws: &'a Workspace,
    plan: &'a TenantPlan,
    name: &'a str,
    svc: &'a Service,
}

impl Needs<'_> {
    /// A value missing for the service, located at `field` of its catalog entry.
    fn missing(&self, field: &str, message: String) -> Diagnostic {
        crate::validate::located(
            &self.ws.catalog_doc,
            &format!("/services/{}{field}", escape_token(self.name)),
            Diagnostic::error(Code::MissingValue, message),
        )
    }

    /// A service that reads credentials needs a secret store (unless a tenant layer set
    /// one, which is refused already).
    fn secret_store(&self, tenant_set_store: bool, out: &mut Vec<Diagnostic>) {
        let (plan, name) = (self.plan, self.name);
        let store = plan.values.secret_store.as_ref();
        let has_store = store.is_some_and(|s| s.name.is_some() && s.vault.is_some());
        if !self.svc.credentials.is_empty() && !has_store && !tenant_set_store {
            let d = self.missing("/credentials", format!(
                "service `{name}` reads credentials, and no layer sets `secretStore.name` and `secretStore.vault`"
            ));
            out.push(
                d.hint("set the secret store in the catalog's `defaults`: `secretStore: {name: tenant-secrets, prefix: <prefix>, vault: {server: <url>, path: secret, version: v2, authMountPath: kubernetes}}`")
                    .note(format!("tenant `{}`", plan.name)),
            );
        }
    }

    /// Every configuration key the service reads is set, and not removed by a layer.
    fn configuration(&self, out: &mut Vec<Diagnostic>) {
        let (plan, name) = (self.plan, self.name);
        let config = plan.values.config.as_ref();
        for (i, key) in self.svc.reads.iter().enumerate() {
            if key == "*" || config.and_then(|c| c.get(key)).is_some() {
                continue;
            }
            let pointer = format!("/config/{}", escape_token(key));
            // The last layer that removed it with `null`, if one did.
            let removed = plan.layers.iter().enumerate().rev().find_map(|(l, layer)| {
                let found = layer.root.locate(&pointer);
                (found.complete && found.node.is_null()).then_some((l, found.node.span))
            });
            let d = match removed {
                Some((layer, span)) => plan
                    .at_origin(
                        Origin { layer, span },
                        &pointer,
                        Diagnostic::error(Code::RemovedConfigKey, format!(
                            "configuration key `{key}` is removed here, and service `{name}` reads it"
                        )),
                    )
                    .hint(format!("keep a value for `config.{key}`, or turn `{name}` off")),
                None => {
                    self.missing(&format!("/reads/{i}"), format!("service `{name}` reads configuration key `{key}`, which no layer sets"))
                    .hint(format!("set `config.{key}` in the catalog's `defaults` or an environment overlay"))
                }
            };
            out.push(d.note(format!("tenant `{}`", plan.name)));
        }
    }

    /// A CronJob has a schedule.
    fn schedule(&self, out: &mut Vec<Diagnostic>) {
        let (plan, name) = (self.plan, self.name);
        if self.svc.kind == crate::model::WorkloadKind::CronJob
            && plan
                .values
                .service(name)
                .and_then(|v| v.schedule.as_ref())
                .is_none()
        {
            let d = self.missing("", format!("CronJob `{name}` has no schedule"));
            out.push(
                d.hint(format!(
                    "set `services.{name}.schedule` in the service's `defaults`"
                ))
                .note(format!("tenant `{}`", plan.name)),
            );
        }
    }

    /// A service with a database has a database host.
    fn database(&self, out: &mut Vec<Diagnostic>) {
        let (plan, name) = (self.plan, self.name);
        if self.svc.database.name(name).is_some()
            && plan
                .values
                .database
                .as_ref()
                .and_then(|d| d.host.as_ref())
                .is_none()
        {
            let d = self.missing(
                "/database",
                format!("service `{name}` needs a database, and no layer sets `database.host`"),
            );
            out.push(d.note(format!("tenant `{}`", plan.name)));
        }
    }
}

/// No pipeline of its own namespace may claim a reserved one (see
/// [`names::reserved_namespace`]).
pub fn check_pipeline_namespaces(ws: &Workspace, pipelines: &[PipelinePlan]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for p in pipelines.iter().filter(|p| p.own_namespace) {
        let Some(why) = names::reserved_namespace(&p.namespace, &ws.platform_namespaces) else {
            continue;
        };
        let source = ws.pipelines.iter().find(|x| x.name == p.name);
        let settings = source.and_then(|s| {
            s.settings.namespace.as_ref()?;
            s.settings_file.clone()
        });
        let d = Diagnostic::error(
            Code::ReservedNamespace,
            format!(
                "pipeline `{}` would claim a reserved namespace: {why}",
                p.name
            ),
        )
        .hint("give the pipeline another `namespace` in its `pipeline.yaml`, or rename its folder");
        out.push(match settings {
            Some(file) => d.in_file(file).pointer("/namespace"),
            None => d.in_file(&p.file),
        });
    }
    out
}
