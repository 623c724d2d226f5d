//! Stage 5: render the object templates for every scope and parse what they produce as
//! real YAML documents, one Kubernetes object each.
//!
//! Templates live under `templates/objects/<scope>/`, where the scope says how often a
//! template renders: `cluster` (once), `tenant` (once per tenant), `namespace` (once per
//! namespace of a tenant) and `service` (once per running copy of an enabled service).
//! A template may produce any number of documents, including none. Pipelines have two
//! scopes of their own: `pipeline` (once per pipeline) and `node` (once per running
//! node of a pipeline).

pub mod checksum;
pub mod context;
mod engine;
pub mod gitops;
pub mod guard;
pub mod object;
pub mod pipeline;
pub mod sources;

use rayon::prelude::*;
use std::collections::BTreeMap;

use crate::argocd::ArgocdPlan;
use crate::diagnostic::Diagnostic;
use crate::plan::pipeline::PipelinePlan;
use crate::plan::TenantPlan;
use crate::unit::UnitSpec;
use crate::validate::Workspace;

pub use engine::{environment, Engine};
pub use object::{Object, Provenance};

/// The scopes a template can render in, in the order they render.
pub const SCOPES: [&str; 7] = [
    "cluster",
    "tenant",
    "namespace",
    "service",
    "pipeline",
    "node",
    "argocd",
];

/// Renders the units of a build: one `Renderer` (one template environment) for all of
/// them, used from several threads.
pub struct Renderer<'a> {
    ws: &'a Workspace,
    engine: engine::Engine,
    by_scope: BTreeMap<&'static str, Vec<&'a str>>,
}

impl<'a> Renderer<'a> {
    /// Fails with diagnostics when a template does not compile.
    pub fn new(ws: &'a Workspace) -> Result<Renderer<'a>, Vec<Diagnostic>> {
        let engine = engine::Engine::new(&ws.templates, ws.scopes.clone())?;
        Ok(Renderer {
            ws,
            engine,
            by_scope: templates_by_scope(ws),
        })
    }

    fn template_path(&self, name: &str) -> String {
        self.ws
            .templates
            .get(name)
            .map(|f| f.path.clone())
            .unwrap_or_default()
    }

    /// Renders one unit: its objects, sorted by output path, and the problems found.
    pub fn unit(&self, unit: &UnitSpec) -> (Vec<Object>, Vec<Diagnostic>) {
        let mut objects = Vec::new();
        let mut problems = Vec::new();
        match unit {
            UnitSpec::Cluster => {
                let ctx = engine::value(&context::cluster_context(self.ws));
                for name in self.by_scope.get("cluster").into_iter().flatten() {
                    let job = engine::Job {
                        template: name,
                        context: &ctx,
                        provenance: Provenance::cluster(self.template_path(name)),
                    };
                    engine::render_one(&self.engine, &job, &mut objects, &mut problems);
                }
            }
            UnitSpec::Tenant { plan, pipelines } => {
                render_tenant(
                    self.ws,
                    plan,
                    &self.engine,
                    &self.by_scope,
                    &mut objects,
                    &mut problems,
                );
                for p in pipelines {
                    render_pipeline(
                        self.ws,
                        p,
                        &self.engine,
                        &self.by_scope,
                        &mut objects,
                        &mut problems,
                    );
                }
            }
            UnitSpec::Pipeline(p) => {
                render_pipeline(
                    self.ws,
                    p,
                    &self.engine,
                    &self.by_scope,
                    &mut objects,
                    &mut problems,
                );
            }
        }
        checksum::annotate(&mut objects);
        guard::protect(&mut objects);
        objects.sort_by(|a, b| a.path.cmp(&b.path));
        (objects, problems)
    }

    /// Renders the Argo CD objects of a plan (`crate::argocd::plan`): those that deliver
    /// the objects of every other unit.
    pub fn argocd(&self, plan: &ArgocdPlan) -> (Vec<Object>, Vec<Diagnostic>) {
        let mut objects = Vec::new();
        let mut problems = Vec::new();
        if !plan.applications.is_empty() {
            let ctx = engine::value(&gitops::context(self.ws, plan));
            let names: Vec<&&str> = self.by_scope.get("argocd").into_iter().flatten().collect();
            // Each template renders every application or project: one per thread.
            let rendered: Vec<(Vec<Object>, Vec<Diagnostic>)> = names
                .par_iter()
                .map(|name| {
                    let job = engine::Job {
                        template: name,
                        context: &ctx,
                        provenance: Provenance::argocd(self.template_path(name)),
                    };
                    let (mut objects, mut problems) = (Vec::new(), Vec::new());
                    engine::render_one(&self.engine, &job, &mut objects, &mut problems);
                    (objects, problems)
                })
                .collect();
            for (o, p) in rendered {
                objects.extend(o);
                problems.extend(p);
            }
        }
        objects.sort_by(|a, b| a.path.cmp(&b.path));
        (objects, problems)
    }
}

fn templates_by_scope(ws: &Workspace) -> BTreeMap<&'static str, Vec<&str>> {
    let mut by_scope: BTreeMap<&'static str, Vec<&str>> = BTreeMap::new();
    for name in ws.templates.keys() {
        for scope in SCOPES {
            if name.starts_with(&format!("objects/{scope}/")) {
                by_scope.entry(scope).or_default().push(name);
            }
        }
    }
    by_scope
}

fn render_pipeline(
    ws: &Workspace,
    plan: &PipelinePlan,
    engine: &engine::Engine,
    by_scope: &BTreeMap<&'static str, Vec<&str>>,
    objects: &mut Vec<Object>,
    problems: &mut Vec<Diagnostic>,
) {
    let template_path = |name: &str| {
        ws.templates
            .get(name)
            .map(|f| f.path.clone())
            .unwrap_or_default()
    };
    let provenance = |name: &str, node: Option<&str>| Provenance {
        template: template_path(name),
        input: Some(plan.file.clone()),
        tenant: plan.tenant.clone(),
        pipeline: Some(plan.name.clone()),
        service: node.map(str::to_string),
        namespace: Some(plan.namespace.clone()),
        argocd: false,
    };
    let ctx = engine::value(&pipeline::pipeline_context(ws, plan));
    for name in by_scope.get("pipeline").into_iter().flatten() {
        let job = engine::Job {
            template: name,
            context: &ctx,
            provenance: provenance(name, None),
        };
        engine::render_one(engine, &job, objects, problems);
    }
    for node in &plan.nodes {
        let node_ctx = minijinja::context! {
            node => engine::value(&pipeline::node_context(plan, node)),
            ..ctx.clone()
        };
        for name in by_scope.get("node").into_iter().flatten() {
            let job = engine::Job {
                template: name,
                context: &node_ctx,
                provenance: provenance(name, Some(&node.container_name)),
            };
            engine::render_one(engine, &job, objects, problems);
        }
    }
}

fn render_tenant(
    ws: &Workspace,
    plan: &TenantPlan,
    engine: &engine::Engine,
    by_scope: &BTreeMap<&'static str, Vec<&str>>,
    objects: &mut Vec<Object>,
    problems: &mut Vec<Diagnostic>,
) {
    let instances = context::instances(ws, plan);
    let tenant_json = context::tenant_context(ws, plan, &instances);
    let tenant_ctx = engine::value(&tenant_json);
    let template_path = |name: &str| {
        ws.templates
            .get(name)
            .map(|f| f.path.clone())
            .unwrap_or_default()
    };
    let provenance = |name: &str, service: Option<&str>, namespace: Option<&str>| Provenance {
        template: template_path(name),
        input: Some(plan.file.clone()),
        tenant: Some(plan.name.clone()),
        pipeline: None,
        service: service.map(str::to_string),
        namespace: namespace.map(str::to_string),
        argocd: false,
    };
    for name in by_scope.get("tenant").into_iter().flatten() {
        let job = engine::Job {
            template: name,
            context: &tenant_ctx,
            provenance: provenance(name, None, None),
        };
        engine::render_one(engine, &job, objects, problems);
    }
    for (i, ns) in plan.namespaces.iter().enumerate() {
        let ctx = minijinja::context! {
            namespace => engine::value(&context::namespace_value(ws, plan, i)),
            ..tenant_ctx.clone()
        };
        for name in by_scope.get("namespace").into_iter().flatten() {
            let job = engine::Job {
                template: name,
                context: &ctx,
                provenance: provenance(name, None, Some(ns)),
            };
            engine::render_one(engine, &job, objects, problems);
        }
    }
    for inst in &instances {
        let ctx = minijinja::context! {
            svc => engine::value(&context::instance_context(ws, plan, inst, &instances)),
            namespace => engine::value(&serde_json::json!({"name": inst.namespace, "primary": inst.primary})),
            ..tenant_ctx.clone()
        };
        for name in by_scope.get("service").into_iter().flatten() {
            let job = engine::Job {
                template: name,
                context: &ctx,
                provenance: provenance(name, Some(inst.name), Some(&inst.namespace)),
            };
            engine::render_one(engine, &job, objects, problems);
        }
    }
}
