//! The command line: argument parsing and dispatch. Each subcommand lives in its own
//! file; they share the way they report diagnostics.

mod build;
mod check;
mod defaults;
mod diff;
mod explain;
mod explain_object;
mod publish;
mod report;
mod schema;
mod status;
mod timings;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use status::Status;

use clap::{Parser, Subcommand, ValueEnum};

use crate::compile::{self, Compilation, Sink, Until};
use crate::diagnostic;
use crate::emit::cache::{self, Previous};
use crate::emit::journal::Recovered;
use crate::emit::lock::{self, Access, Guard};

/// Most threads `-j` may ask for: more only costs memory and start-up time.
pub const MAX_JOBS: i64 = 256;

/// kiln compiles tenant specs and pipeline blueprints into validated, deterministic
/// Kubernetes and Argo CD manifests.
#[derive(Debug, Parser)]
#[command(name = "kiln", version, about, long_about = None)]
pub struct Cli {
    /// The workspace to work on (the directory holding kiln.yaml)
    #[arg(
        short = 'C',
        long,
        global = true,
        default_value = ".",
        value_name = "DIR"
    )]
    pub workspace: PathBuf,

    /// Output format: `text` for people (on stderr), `json` for machines (on stdout),
    /// `markdown` for a pull-request comment (`kiln diff` only)
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Number of threads, 1 to 256 (default: one per core); output is the same for any
    /// number
    #[arg(short = 'j', long, global = true, value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=MAX_JOBS))]
    pub jobs: Option<u16>,

    /// Print how long each stage took, on stderr
    #[arg(long, global = true)]
    pub timings: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate the workspace and everything it compiles to; write nothing
    Check,
    /// Compile the workspace into the output directory
    Build(build::Args),
    /// Show what a build would change, object by object, against a git ref or a directory
    Diff(diff::Args),
    /// Commit the build into a branch of the rendered repository, and push it
    Publish(publish::Args),
    /// Show where a value or a service of a tenant comes from
    Explain(explain::Args),
    /// Print the JSON Schema of an input kind
    Schema(schema::Args),
    /// Print kiln's own defaults, the lowest layer of every tenant's values
    Defaults,
}

/// Exit codes: 0 ok, 1 problems in the input (or a difference found where asked),
/// 2 kiln itself failed.
pub fn main() -> ExitCode {
    run(&Cli::parse()).into()
}

fn run(cli: &Cli) -> Status {
    if let Some(n) = cli.jobs {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(usize::from(n))
            .build_global();
    }
    if cli.format == Format::Markdown && !matches!(cli.command, Command::Diff(_)) {
        eprintln!("error: `--format markdown` is for `kiln diff` only");
        return Status::Failure;
    }
    let result = match &cli.command {
        Command::Check => check::run(cli),
        Command::Build(args) => build::run(cli, args),
        Command::Diff(args) => diff::run(cli, args),
        Command::Publish(args) => publish::run(cli, args),
        Command::Explain(args) => explain::run(cli, args),
        Command::Schema(args) => schema::run(cli, args),
        Command::Defaults => defaults::run(cli),
    }
    .and_then(|done| {
        if let Some(r) = &done.report {
            report::print(cli.format, r.as_ref())?;
        }
        Ok(done.status)
    });
    match result {
        Ok(code) => code,
        // Output piped into a program that stopped reading (`| head`) is not a failure.
        Err(e) if is_broken_pipe(&e) => Status::Ok,
        Err(e) => {
            let mut stderr = std::io::stderr().lock();
            // kiln's own errors may quote an input (a path, a URL): hidden and escaped
            // like every diagnostic.
            let shown =
                |s: String| diagnostic::printable(&crate::secret::hide_shapes(&s)).into_owned();
            let _ = writeln!(stderr, "error: {}", shown(e.to_string()));
            for cause in e.chain().skip(1) {
                let _ = writeln!(stderr, "  caused by: {}", shown(cause.to_string()));
            }
            Status::Failure
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

/// Prints a compilation's diagnostics (text on stderr). Returns whether it had errors.
fn print_diagnostics(cli: &Cli, c: &Compilation, verb: &str) -> bool {
    let diags = c.diagnostics.sorted();
    let errors = c.diagnostics.error_count();
    if cli.format != Format::Json && !diags.is_empty() {
        let mut stderr = std::io::stderr().lock();
        let _ = write!(
            stderr,
            "{}",
            diagnostic::render_human(&diags, &c.sources.texts())
        );
        let warnings = c.diagnostics.warning_count();
        let summary = diagnostic::summary(errors, warnings);
        if errors > 0 {
            let _ = writeln!(stderr, "{verb} failed: {summary}");
        } else if warnings > 0 {
            let _ = writeln!(stderr, "{summary}");
        }
    }
    errors > 0
}

fn print_json(value: &serde_json::Value) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(
        stdout,
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

/// Exit 1 after problems; in JSON, the diagnostics on stdout.
fn fail(cli: &Cli, diags: &[diagnostic::Diagnostic]) -> anyhow::Result<Status> {
    if cli.format == Format::Json {
        let mut v = diagnostic::render_json(diags);
        v.insert("ok".into(), false.into());
        print_json(&v.into());
    }
    Ok(Status::Problems)
}

/// Names this kiln binary: a build cache written by another one is not reused, since
/// it may render differently. `None` when the binary cannot be identified (then no
/// cache is used).
fn build_id() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let meta = std::fs::metadata(exe).ok()?;
    let mtime = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    Some(format!(
        "{}-{}-{mtime}",
        env!("CARGO_PKG_VERSION"),
        meta.len()
    ))
}

/// The output directory as the user names it: relative to the workspace, with a `/`.
fn shown(cli: &Cli, out_dir: &std::path::Path) -> String {
    out_dir
        .strip_prefix(&cli.workspace)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| out_dir.display().to_string())
        .trim_end_matches('/')
        .to_string()
        + "/"
}

/// A planned workspace, with what the cache next to its output says.
struct Planned {
    c: Compilation,
    /// The output directory, once the settings are valid.
    out_dir: Option<PathBuf>,
    previous: Previous,
    id: Option<String>,
    timings: timings::Timings,
    /// The output's lock, held until the command ends.
    _guard: Option<Guard>,
}

impl Planned {
    /// Loads, validates and plans; takes the output's lock (finishing what an
    /// interrupted build left); reads the build cache when the inputs are valid.
    fn new(cli: &Cli, access: Access) -> anyhow::Result<Planned> {
        let mut timings = timings::Timings::new(cli.timings);
        let mut c = compile::compile(&cli.workspace, Until::Plan)?;
        timings.mark("load, validate and plan");
        let out_dir = c
            .workspace
            .as_ref()
            .map(|ws| cli.workspace.join(&ws.settings.output_dir));
        let mut guard = None;
        if let Some(out) = &out_dir {
            let name = shown(cli, out);
            let waiting = |lock: &std::path::Path| {
                let file = lock
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let _ = writeln!(
                    std::io::stderr(),
                    "waiting for another kiln run to finish with `{name}` (lock `{file}`)"
                );
            };
            match lock::acquire(&cli.workspace, out, &name, access, &waiting)? {
                Ok(g) => {
                    if g.recovered == Recovered::Journal && cli.format != Format::Json {
                        let _ = writeln!(
                            std::io::stderr(),
                            "note: finished writing `{name}` as an interrupted build left it"
                        );
                    }
                    guard = Some(g);
                }
                Err(d) => c.diagnostics.push(d),
            }
        }
        let id = build_id();
        let previous = match (&out_dir, &id, c.ok()) {
            (Some(out), Some(id), true) => cache::load(out, id),
            _ => Previous::default(),
        };
        timings.mark("lock, read the build cache");
        Ok(Planned {
            c,
            out_dir,
            previous,
            id,
            timings,
            _guard: guard,
        })
    }

    /// Builds the units the cache cannot vouch for, handing their files to `sink`.
    fn build(&mut self, sink: &dyn Sink) -> anyhow::Result<()> {
        let id = self.id.clone().unwrap_or_default();
        let built = compile::build(&mut self.c, &self.previous.units, &id, sink);
        self.timings.mark("render, check and serialise");
        built
    }
}
