//! The pipeline, stage by stage: load → parse → validate → plan → render → check. Each
//! stage hands a named type to the next; problems are collected as diagnostics and the
//! pipeline stops after the first stage that found an error.

use std::path::Path;

use crate::check;
use crate::diagnostic::Diagnostics;
use crate::emit::OutputTree;
use crate::load::{self, Sources};
use crate::parse;
use crate::plan::pipeline::PipelinePlan;
use crate::plan::{self, TenantPlan};
use crate::render::{self, Rendered};
use crate::validate::{self, Workspace};

/// How far to run the pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Until {
    Plan,
    Check,
}

/// Everything a run produced, up to the stage it reached.
pub struct Compilation {
    pub sources: Sources,
    pub diagnostics: Diagnostics,
    pub workspace: Option<Workspace>,
    pub plans: Vec<TenantPlan>,
    pub pipelines: Vec<PipelinePlan>,
    pub rendered: Option<Rendered>,
}

impl Compilation {
    pub fn ok(&self) -> bool {
        !self.diagnostics.has_errors()
    }

    /// The output tree, when the whole pipeline succeeded.
    pub fn tree(&self) -> Option<OutputTree> {
        match (&self.rendered, self.ok()) {
            (Some(r), true) => Some(OutputTree::from_rendered(r)),
            _ => None,
        }
    }
}

pub fn compile(root: &Path, until: Until) -> anyhow::Result<Compilation> {
    let sources = load::load(root)?;
    let mut diagnostics = Diagnostics::new();
    diagnostics.extend(sources.problems.iter().cloned());
    let mut c = Compilation {
        sources,
        diagnostics,
        workspace: None,
        plans: Vec::new(),
        pipelines: Vec::new(),
        rendered: None,
    };
    let parsed = parse::parse(&c.sources, &mut c.diagnostics);
    let Some(ws) = validate::validate(parsed, &mut c.diagnostics)? else {
        return Ok(c);
    };
    // Tenants that validated are planned even when others did not, so one run reports
    // every problem; nothing renders unless everything is valid.
    c.plans = plan::plan(&ws, &mut c.diagnostics);
    let (pipelines, problems) = plan::pipeline::plan(&ws, &c.plans);
    c.diagnostics.extend(problems);
    c.pipelines = pipelines;
    if until == Until::Plan || c.diagnostics.has_errors() {
        c.workspace = Some(ws);
        return Ok(c);
    }
    let rendered = render::render(&ws, &c.plans, &c.pipelines, &mut c.diagnostics);
    if !c.diagnostics.has_errors() {
        check::check(&ws, &rendered, &c.plans, &mut c.diagnostics)?;
    }
    c.rendered = Some(rendered);
    c.workspace = Some(ws);
    Ok(c)
}
