//! The pipeline, stage by stage: load → parse → validate → plan, then per unit render →
//! check → serialise, each unit handing its files to a sink as soon as they are ready.
//! Problems are collected as diagnostics; nothing renders unless the inputs are valid.

use std::collections::BTreeMap;
use std::path::Path;

use rayon::prelude::*;

use crate::argocd;
use crate::check::{self, Checker};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Severity};
use crate::load::{self, Sources};
use crate::parse;
use crate::plan::pipeline::PipelinePlan;
use crate::plan::{self, TenantPlan};
use crate::render::{Object, Renderer};
use crate::unit::{self, Fingerprints, ObjectFact, Reusable, UnitOutput, UnitSpec};
pub use crate::unit::{Discard, Output, Sink};
use crate::validate::{self, Workspace};
use crate::yaml;

/// How far to run the pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Until {
    /// Load, validate and plan, keeping every plan's merged values and their
    /// provenance (`kiln explain`).
    Explain,
    /// Load, validate and plan lean plans, for a build to follow.
    Plan,
    /// Plan and build every unit, keeping nothing but the objects' facts.
    Check,
}

/// Everything a run produced, up to the stage it reached.
pub struct Compilation {
    pub sources: Sources,
    pub diagnostics: Diagnostics,
    pub workspace: Option<Workspace>,
    pub plans: Vec<TenantPlan>,
    pub pipelines: Vec<PipelinePlan>,
    /// The built output, when the whole pipeline succeeded.
    pub output: Option<Output>,
}

impl Compilation {
    pub fn ok(&self) -> bool {
        !self.diagnostics.has_errors()
    }
}

/// Loads, validates and plans; with `Until::Check`, also builds every unit and checks
/// it, keeping nothing but the objects' facts.
pub fn compile(root: &Path, until: Until) -> anyhow::Result<Compilation> {
    compile_sources(load::load(root)?, until)
}

/// [`compile`] on a workspace already read into memory.
pub fn compile_sources(sources: Sources, until: Until) -> anyhow::Result<Compilation> {
    let mut diagnostics = Diagnostics::new();
    diagnostics.extend(sources.problems.iter().cloned());
    let mut c = Compilation {
        sources,
        diagnostics,
        workspace: None,
        plans: Vec::new(),
        pipelines: Vec::new(),
        output: None,
    };
    let parsed = parse::parse(&c.sources, &mut c.diagnostics);
    let Some(ws) = validate::validate(parsed, &mut c.diagnostics)? else {
        return Ok(c);
    };
    c.diagnostics.extend(check::builtin_crds(
        &ws.settings.kubernetes_version,
        &ws.crds,
    ));
    // Tenants that validated are planned even when others did not, so one run reports
    // every problem; nothing renders unless everything is valid.
    let keep = if until == Until::Explain {
        plan::Keep::All
    } else {
        plan::Keep::Lean
    };
    c.plans = plan::plan(&ws, keep, &mut c.diagnostics);
    let (pipelines, problems) = plan::pipeline::plan(&ws, &c.plans);
    c.diagnostics.extend(problems);
    c.diagnostics
        .extend(plan::check_pipeline_namespaces(&ws, &pipelines));
    c.pipelines = pipelines;
    c.workspace = Some(ws);
    if until == Until::Check {
        build(&mut c, &Reusable::new(), "", &Discard)?;
    }
    Ok(c)
}

/// Fingerprints of every unit of a planned compilation, by key.
pub fn fingerprints(c: &Compilation, build_id: &str) -> BTreeMap<String, String> {
    let fps = Fingerprints::new(&c.sources, build_id);
    unit::units(&c.plans, &c.pipelines)
        .iter()
        .map(|u| (u.key(), fps.unit(&c.sources, u)))
        .collect()
}

/// What building one unit gave.
enum Built {
    Reused(UnitOutput),
    Fresh(UnitOutput),
    /// Templates failed: nothing was checked.
    RenderFailed(Vec<Diagnostic>),
    CheckFailed(Vec<Diagnostic>),
}

/// Builds every unit of a planned compilation: units in `reusable` whose fingerprint
/// is unchanged are taken as they are; the others are rendered, checked, serialised
/// and handed to `sink`. Then the Argo CD unit, always. Sets `c.output` on success.
pub fn build(
    c: &mut Compilation,
    reusable: &Reusable,
    build_id: &str,
    sink: &dyn Sink,
) -> anyhow::Result<()> {
    let Some(ws) = c.workspace.as_ref() else {
        return Ok(());
    };
    if c.diagnostics.has_errors() {
        return Ok(());
    }
    let renderer = match Renderer::new(ws) {
        Ok(r) => r,
        Err(problems) => {
            c.diagnostics.extend(problems);
            return Ok(());
        }
    };
    let checker = Checker::new(ws, &c.plans)?;
    let fps = Fingerprints::new(&c.sources, build_id);
    let tools = Tools {
        renderer: &renderer,
        checker: &checker,
        sink,
        reusable,
        fps: &fps,
    };
    let (mut outputs, render_problems, mut check_problems) = build_units(c, &tools)?;
    // Checks are only worth reading once every template renders.
    if !render_problems.is_empty() {
        c.diagnostics
            .extend(crate::diagnostic::collapse_repeats(render_problems));
        return Ok(());
    }
    let argocd = match argocd_unit(c, ws, &tools, &outputs, &mut check_problems)? {
        Built::Reused(u) | Built::Fresh(u) => u,
        failed => {
            c.diagnostics.extend(stopped(failed, check_problems));
            return Ok(());
        }
    };
    outputs.push(argocd);
    outputs.sort_by(|a, b| a.key.cmp(&b.key));
    check_problems.extend(check::identities(
        outputs.iter().flat_map(|u| u.objects.iter()),
    ));
    c.diagnostics
        .extend(crate::diagnostic::collapse_repeats(check_problems));
    if !c.diagnostics.has_errors() {
        c.output = Some(Output { units: outputs });
    }
    Ok(())
}

/// What building a unit uses: one renderer and checker for the build, the sink, the
/// units that may be reused and the fingerprints to tell.
struct Tools<'a> {
    renderer: &'a Renderer<'a>,
    checker: &'a Checker<'a>,
    sink: &'a dyn Sink,
    reusable: &'a Reusable,
    fps: &'a Fingerprints,
}

/// Builds (or reuses) every unit but the Argo CD one, in parallel: their outputs, the
/// problems of their templates and the problems of their checks.
fn build_units(
    c: &Compilation,
    t: &Tools,
) -> anyhow::Result<(Vec<UnitOutput>, Vec<Diagnostic>, Vec<Diagnostic>)> {
    let units = unit::units(&c.plans, &c.pipelines);
    let sources = &c.sources;
    let built: Vec<anyhow::Result<Built>> = units
        .par_iter()
        .map(|u| {
            let key = u.key();
            let fingerprint = t.fps.unit(sources, u);
            if let Some(r) = t
                .reusable
                .get(&key)
                .filter(|r| r.fingerprint == fingerprint)
            {
                return Ok(Built::Reused(r.clone()));
            }
            build_unit(t.renderer, t.checker, t.sink, key, fingerprint, u)
        })
        .collect();
    let mut outputs = Vec::new();
    let mut render_problems = Vec::new();
    let mut check_problems = Vec::new();
    for b in built {
        match b? {
            Built::Reused(u) | Built::Fresh(u) => outputs.push(u),
            Built::RenderFailed(ds) => render_problems.extend(ds),
            Built::CheckFailed(ds) => check_problems.extend(ds),
        }
    }
    Ok((outputs, render_problems, check_problems))
}

/// The Argo CD unit, from what every other unit holds: reused when its fingerprint is
/// unchanged, else built (its checks' findings go to `check_problems`).
fn argocd_unit(
    c: &Compilation,
    ws: &Workspace,
    t: &Tools,
    outputs: &[UnitOutput],
    check_problems: &mut Vec<Diagnostic>,
) -> anyhow::Result<Built> {
    let facts: Vec<&ObjectFact> = outputs.iter().flat_map(|u| u.objects.iter()).collect();
    let fingerprint = t.fps.argocd(facts.iter().copied(), &c.plans, &c.pipelines);
    let reused = t.reusable.get(unit::ARGOCD);
    Ok(match reused.filter(|r| r.fingerprint == fingerprint) {
        Some(r) => Built::Reused(r.clone()),
        None => {
            let (built, checks) =
                build_argocd(c, ws, t.renderer, t.checker, t.sink, &facts, fingerprint)?;
            check_problems.extend(checks);
            built
        }
    })
}

/// The Argo CD unit: planned (`argocd::plan`) from the facts of every other unit's
/// objects, rendered, checked and serialised. `RenderFailed` holds the problems of the
/// plan and of the templates; `CheckFailed` a unit too large. The findings of its
/// checks come apart, to be reported with the other units'.
fn build_argocd(
    c: &Compilation,
    ws: &Workspace,
    renderer: &Renderer,
    checker: &Checker,
    sink: &dyn Sink,
    facts: &[&ObjectFact],
    fingerprint: String,
) -> anyhow::Result<(Built, Vec<Diagnostic>)> {
    let (plan, mut problems) = argocd::plan(ws, &c.plans, &c.pipelines, facts);
    let (objects, render_problems) = renderer.argocd(&plan);
    problems.extend(render_problems);
    if !problems.is_empty() {
        return Ok((Built::RenderFailed(problems), Vec::new()));
    }
    let checks = checker.unit(&objects);
    let built = match finish(unit::ARGOCD.to_string(), fingerprint, &objects, sink)? {
        Ok(u) => Built::Fresh(u),
        Err(too_big) => Built::CheckFailed(too_big),
    };
    Ok((built, checks))
}

/// What a build that stops at the Argo CD unit reports: the checks so far, then the
/// problems of its plan and templates; or, for a unit too large, the checks and that.
fn stopped(built: Built, mut checks: Vec<Diagnostic>) -> Vec<Diagnostic> {
    match built {
        Built::RenderFailed(problems) => {
            checks.extend(crate::diagnostic::collapse_repeats(problems));
            checks
        }
        Built::CheckFailed(too_big) => {
            checks.extend(too_big);
            crate::diagnostic::collapse_repeats(checks)
        }
        Built::Reused(_) | Built::Fresh(_) => checks,
    }
}

fn build_unit(
    renderer: &Renderer,
    checker: &Checker,
    sink: &dyn Sink,
    key: String,
    fingerprint: String,
    unit: &UnitSpec,
) -> anyhow::Result<Built> {
    let (objects, problems) = renderer.unit(unit);
    if !problems.is_empty() {
        return Ok(Built::RenderFailed(problems));
    }
    let problems = checker.unit(&objects);
    if problems.iter().any(|d| d.severity == Severity::Error) {
        return Ok(Built::CheckFailed(problems));
    }
    Ok(match finish(key, fingerprint, &objects, sink)? {
        Ok(u) => Built::Fresh(u),
        Err(too_big) => Built::CheckFailed(too_big),
    })
}

/// Serialises a unit's objects, hands the files to the sink, keeps the facts. An
/// object over [`unit::MAX_OBJECT_BYTES`], or a unit over [`unit::MAX_UNIT_BYTES`], is
/// a diagnostic, and nothing reaches the sink.
fn finish(
    key: String,
    fingerprint: String,
    objects: &[Object],
    sink: &dyn Sink,
) -> anyhow::Result<Result<UnitOutput, Vec<Diagnostic>>> {
    // In parallel too: the Argo CD unit is built alone, after the others.
    let files: Vec<(String, Vec<u8>)> = objects
        .par_iter()
        .map(|o| (o.path.clone(), yaml::to_string(&o.value).into_bytes()))
        .collect();
    let mut too_big: Vec<Diagnostic> = objects
        .iter()
        .zip(&files)
        .filter(|(_, (_, bytes))| bytes.len() > unit::MAX_OBJECT_BYTES)
        .map(|(o, (_, bytes))| {
            o.diagnostic(Code::TooLarge, format!(
                "`{}` `{}` is {} bytes, over the limit of {} bytes for one object",
                o.kind(),
                o.name(),
                bytes.len(),
                unit::MAX_OBJECT_BYTES
            ))
            .hint("the API server stores objects of about 1.5 MiB at most, a ConfigMap's data 1 MiB; split the object or keep the data elsewhere")
        })
        .collect();
    let total: usize = files.iter().map(|(_, b)| b.len()).sum();
    if total > unit::MAX_UNIT_BYTES {
        too_big.push(
            Diagnostic::error(Code::TooLarge, format!(
                "the objects of `{key}` are {total} bytes, over the limit of {} bytes for one tenant or pipeline",
                unit::MAX_UNIT_BYTES
            ))
            .note(format!("{} objects", objects.len())),
        );
    }
    if !too_big.is_empty() {
        return Ok(Err(too_big));
    }
    let facts = objects
        .par_iter()
        .zip(&files)
        .map(|(o, (_, bytes))| o.fact(bytes))
        .collect();
    debug_assert!(files.iter().all(|(p, _)| p != crate::emit::INDEX_FILE));
    let unit = UnitOutput {
        key,
        fingerprint,
        objects: facts,
    };
    sink.unit(&unit, files)?;
    Ok(Ok(unit))
}
