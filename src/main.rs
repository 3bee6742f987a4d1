//! The `wcmon` binary: parse the command line, call the library, map outcomes to exit codes.
//!
//! Exit codes of `run`/`rebuild` (a contract for schedulers): 0 published
//! (warnings allowed), 1 published but returns had errors, 2 usage or
//! pipeline-file error, 3 another run holds the database's lock, 4 nothing
//! published (the inbox guard, or the run failed).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;

/// mimalloc: normalising allocates small strings per cell, and the compute stage
/// allocates and frees large column buffers; glibc's allocator is slower at both
/// and keeps more memory.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// println! that ignores a closed stdout (`wcmon run | head` must not panic).
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

/// print! likewise.
macro_rules! say_raw {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($t)*);
    }};
}
use wcmon::config::Config;
use wcmon::i18n::Lang;
use wcmon::pipeline::{self, RunError, RunOptions};
use wcmon::t;

mod cli;
use cli::{Cli, Cmd, LogFormat, RunArgs};

/// The log: `WCMON_LOG` sets the filter (e.g. `warn`, `info`, `wcmon::validate=trace`);
/// without it, warnings from everything and wcmon's own info events (a line per stage
/// with its counts and time, and the run's outcome).
fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("WCMON_LOG").unwrap_or_else(|_| "warn,wcmon=info".into());
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    };
    if json {
        tracing_subscriber::fmt().json().with_env_filter(filter).with_writer(std::io::stderr).init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    }
}

/// How memory is taken from the system, each unless the environment says
/// otherwise (`MIMALLOC_PURGE_DELAY`, `MIMALLOC_ALLOW_THP`):
///
/// - **Freed memory is kept** (mimalloc's `purge_delay` −1). mimalloc returns
///   freed memory to the system a second after it is freed; a run frees and
///   allocates a part's worth of columns for every part, and paid for the system
///   zeroing those pages again. The peak is set by the largest parts either way.
/// - **No transparent huge pages** for this process (`prctl(PR_SET_THP_DISABLE)`,
///   as mimalloc itself does when `MIMALLOC_ALLOW_THP=0`; it applies to memory
///   mimalloc reserved before `main`). With them, every first touch of a fresh
///   2 MB region zeroes all of it.
///
/// Measured together on the provincial corpus (rebuild, 2 cores, two A/B pairs):
/// system time 5.5–6.7 s → 3.3–3.7 s, peak RSS about +130 MB (BENCHMARKS.md).
///
/// The mimalloc crate exports no constant for `purge_delay`: 15 is its index in
/// `mi_option_e` of the mimalloc v3 that libmimalloc-sys 0.1.49 builds, and the
/// option's default (1000 ms) is checked before it is set, so another mimalloc
/// leaves the option alone.
fn tune_allocator() {
    use libmimalloc_sys::{mi_option_get, mi_option_set, mi_option_t};
    /// `mi_option_purge_delay` (default 1000 ms in mimalloc v3).
    const PURGE_DELAY: mi_option_t = 15;
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: reading and setting a mimalloc option has no preconditions; the
        // option's default value identifies it before it is changed.
        unsafe {
            if mi_option_get(PURGE_DELAY) == 1000 {
                mi_option_set(PURGE_DELAY, -1);
            }
        }
    }
    #[cfg(target_os = "linux")]
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // SAFETY: PR_SET_THP_DISABLE takes integer arguments only and changes a
        // flag of this process; on failure THP simply stays as the system has it.
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1 as libc::c_ulong, 0 as libc::c_ulong, 0 as libc::c_ulong, 0 as libc::c_ulong);
        }
    }
}

/// Every thread's stack, unless `RUST_MIN_STACK` says otherwise: a split run
/// computes two parts at once, and a pool thread (Polars' or rayon's) waiting in
/// one part's join runs the other part's work on top of its own stack. Set before
/// any thread starts; it is address space, touched only as deep as a thread goes.
fn deep_thread_stacks() {
    if std::env::var_os("RUST_MIN_STACK").is_none() {
        std::env::set_var("RUST_MIN_STACK", (64usize << 20).to_string());
    }
}

/// A panic prints one line, never a backtrace, in the process's language (English
/// until `--lang` or the locale is read), with where it happened; one inside a
/// spreadsheet reader prints nothing (it is caught and reported as the file's issue,
/// with its message).
fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let msg = wcmon::ingest::panic_message(info.payload());
        if wcmon::ingest::in_reader() {
            tracing::debug!("the spreadsheet reader panicked: {msg}");
            return;
        }
        let lang = wcmon::i18n::lang();
        let line = match info.location() {
            Some(l) => t!(lang, "config-panic-at", msg = &msg, location = &format!("{}:{}", l.file(), l.line())),
            None => t!(lang, "config-panic", msg = &msg),
        };
        eprintln!("{line}");
    }));
}

fn main() -> ExitCode {
    deep_thread_stacks();
    tune_allocator();
    quiet_panics();
    let cli = Cli::parse();
    init_logs(cli.log_format);
    let lang = cli.lang.unwrap_or_else(Lang::from_env);
    wcmon::i18n::set_lang(lang);
    // Test hook (a `test-hooks` build only): WCMON_PANIC_AT=main panics here, for the test of the panic line.
    #[cfg(feature = "test-hooks")]
    if std::env::var("WCMON_PANIC_AT").ok().as_deref() == Some("main") {
        panic!("WCMON_PANIC_AT=main");
    }
    // The pipeline files, for the commands that read them (generate reads the areas and the catalogue).
    let pipelines = || {
        let cwd = std::env::current_dir().unwrap_or_default();
        wcmon::commands::paths::pipelines_dir(cli.pipelines.as_deref(), &cwd, std::env::current_exe().ok().as_deref())
    };
    let missing = |e: wcmon::commands::paths::PipelinesDirError| {
        eprintln!("{}", t!(lang, "err-pipelines-folder", error = &e.message(lang)));
        ExitCode::from(2)
    };
    match cli.cmd {
        Cmd::Run(a) => match pipelines() {
            Ok(p) => run(p, a, wcmon::model::RunMode::Run, lang),
            Err(e) => missing(e),
        },
        Cmd::Rebuild(a) => match pipelines() {
            Ok(p) => run(p, a, wcmon::model::RunMode::Rebuild, lang),
            Err(e) => missing(e),
        },
        Cmd::Check { files, db, format, all } => {
            let dir = match pipelines() {
                Ok(p) => p,
                Err(e) => return missing(e),
            };
            let cfg = match Config::load(&dir) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("{}", t!(lang, "err-pipeline", error = &e.message(lang)));
                    return ExitCode::from(2);
                }
            };
            match wcmon::commands::check::check(&files, &cfg, Some(&db)) {
                Ok(report) => {
                    if format == "json" {
                        match serde_json::to_string_pretty(&report) {
                            Ok(j) => say!("{j}"),
                            Err(e) => {
                                eprintln!("{}", t!(lang, "err-command", command = "check", error = &e.to_string()));
                                return ExitCode::from(1);
                            }
                        }
                    } else {
                        say_raw!("{}", wcmon::commands::check::render_text_in(&report, all, lang));
                    }
                    ExitCode::from(report.exit_code())
                }
                Err(e) => {
                    eprintln!("{}", t!(lang, "err-check-history", db = &db.display().to_string(), error = &e.to_string()));
                    ExitCode::from(1)
                }
            }
        }
        Cmd::Inspect { file, rows, header_row, header_rows, draft } => {
            // Without pipeline files it still shows the workbook (not which form recognises it).
            let loaded = pipelines().map_err(|e| e.message(lang)).and_then(|p| Config::load(&p).map_err(|e| e.message(lang)));
            if let (true, Err(e)) = (draft, &loaded) {
                eprintln!("{}", t!(lang, "err-draft-needs-pipelines", error = e.as_str()));
                return ExitCode::from(2);
            }
            let cfg = loaded.ok();
            let opts = wcmon::commands::inspect::InspectOptions { header_row, header_rows, draft };
            match wcmon::commands::inspect::inspect_with(&file, cfg.as_ref(), rows, &opts) {
                Ok(report) => {
                    say_raw!("{report}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("{}", t!(lang, "err-command", command = "inspect", error = &format!("{}: {e}", file.display())));
                    ExitCode::from(1)
                }
            }
        }
        Cmd::Status { db, year, format } => match wcmon::commands::status::status(&db, year) {
            Ok(report) => {
                if format == "json" {
                    match serde_json::to_string_pretty(&report) {
                        Ok(j) => say!("{j}"),
                        Err(e) => {
                            eprintln!("{}", t!(lang, "err-command", command = "status", error = &e.to_string()));
                            return ExitCode::from(1);
                        }
                    }
                } else {
                    say_raw!("{}", wcmon::commands::status::render_text_in(&report, lang));
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{}", t!(lang, "err-status", error = &e.message(lang)));
                ExitCode::from(1)
            }
        },
        Cmd::Template { year, body, area, out } => match pipelines() {
            Ok(p) => template(&p, wcmon::commands::template::TemplateOptions { year, body, area, out }, lang),
            Err(e) => missing(e),
        },
        Cmd::Report { db, year, kind, area, out, since, public } => {
            // --public needs the pipeline files (which counts are sensitive, the [disclosure] rules).
            let cfg = match (public, pipelines()) {
                (false, _) => None,
                (true, Ok(p)) => match Config::load(&p) {
                    Ok(c) => Some(c),
                    Err(e) => {
                        eprintln!("{}", t!(lang, "err-pipeline", error = &e.message(lang)));
                        return ExitCode::from(2);
                    }
                },
                (true, Err(e)) => return missing(e),
            };
            report(db, year, &kind, area, out, since, cfg)
        }
        Cmd::Export { public: _, db, out } => match pipelines() {
            Ok(p) => export(&p, db, &out, lang),
            Err(e) => missing(e),
        },
        Cmd::Generate { out, seed, faults, scale, counties, years, write_xls } => {
            let cwd = std::env::current_dir().unwrap_or_default();
            let p = match pipelines() {
                Ok(p) => p,
                Err(e) => return missing(e),
            };
            match wcmon::generate::Assets::new(p, write_xls, &cwd) {
                Ok(assets) => generate(&out, seed, faults, scale.then_some((counties, years)), &assets, lang),
                Err(e) => {
                    eprintln!("{}", t!(lang, "err-command", command = "generate", error = &e.to_string()));
                    ExitCode::from(2)
                }
            }
        }
    }
}

/// `wcmon generate`: the sample (with faults, or a scale corpus of `scale` = (counties, years)) into `out`.
fn generate(out: &Path, seed: u64, faults: bool, scale: Option<(usize, usize)>, assets: &wcmon::generate::Assets, lang: Lang) -> ExitCode {
    match (scale, faults) {
        (Some((counties, years)), _) => match wcmon::generate::scale::write_scale_corpus(out, counties, years, seed, assets) {
            Ok(s) => {
                say!(
                    "wrote {} workbooks ({:.1} MB) for {} counties, {} towns, {} years to {}/inbox; pipeline files in {}/pipelines",
                    s.workbooks,
                    s.bytes as f64 / 1e6,
                    s.counties,
                    s.towns,
                    s.years,
                    out.display(),
                    out.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{}", t!(lang, "err-command", command = "generate --scale", error = &e.to_string()));
                ExitCode::from(1)
            }
        },
        (None, true) => match wcmon::generate::faults::write_faulty_sample(out, seed, assets) {
            Ok(f) => {
                say!("wrote the sample with faults to {}: {} expected findings in _truth/expected_findings.csv", out.display(), f.len());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{}", t!(lang, "err-command", command = "generate", error = &e.to_string()));
                ExitCode::from(1)
            }
        },
        (None, false) => match wcmon::generate::write_sample(out, seed, assets) {
            Ok(n) => {
                say!("wrote {n} files to {}", out.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{}", t!(lang, "err-command", command = "generate", error = &e.to_string()));
                ExitCode::from(1)
            }
        },
    }
}

fn run(pipelines: PathBuf, a: RunArgs, mode: wcmon::model::RunMode, lang: Lang) -> ExitCode {
    let RunArgs { inbox, db, keep_versions, part_values, parts_at_once, allow_removals, max_removals } = a;
    let opts = RunOptions {
        inbox,
        db: db.clone(),
        pipelines,
        mode,
        progress: std::io::stderr().is_terminal(),
        keep_versions,
        part_values,
        parts_at_once: parts_at_once.into(),
        max_removed_share: max_removals,
        allow_removals,
    };
    let dbs = db.display().to_string();
    match pipeline::run(&opts) {
        Ok(s) => {
            let sev = |k: &str| s.issues_by_severity.get(k).copied().unwrap_or(0);
            if s.outcome == wcmon::model::RunOutcome::Unchanged {
                say!("{}", t!(lang, "run-unchanged", mode = mode.as_str(), files = s.files, version = &s.version, ms = s.duration_ms));
                say!("  {}", t!(lang, "run-unchanged-issues", errors = sev("error"), warnings = sev("warning"), info = sev("info")));
                return ExitCode::from(u8::from(sev("error") > 0));
            }
            say!(
                "{}",
                t!(
                    lang,
                    "run-files",
                    mode = mode.as_str(),
                    files = s.files,
                    loaded = s.files_loaded,
                    superseded = s.files_superseded,
                    failed = s.files_failed,
                    read = s.files_read,
                    cached = s.files_cached
                )
            );
            say!(
                "  {}",
                t!(
                    lang,
                    "run-cells",
                    cells = s.cells_read,
                    landed = s.values_landed,
                    rejected = s.values_rejected,
                    derived = s.values_derived,
                    male = s.values_derived - s.values_derived_total,
                    total = s.values_derived_total,
                    aggregated = s.aggregated_values
                )
            );
            say!("  {}", t!(lang, "run-issues", errors = sev("error"), warnings = sev("warning"), info = sev("info")));
            say!("  {}", t!(lang, "run-indicators", with = s.indicators_with_data, total = s.indicators_total, values = s.indicator_values));
            say!("  {}", t!(lang, "run-numerators-left-out", n = s.numerators_left_out));
            // Statuses and warnings with their Chinese labels (the one table in wcmon::labels): "36 达标(achieved)".
            let labelled = |m: &std::collections::BTreeMap<String, usize>, t: &'static [wcmon::labels::Label]| {
                if m.is_empty() {
                    t!(lang, "list-none")
                } else {
                    m.iter().map(|(k, v)| format!("{v} {}", wcmon::labels::with_code(t, k))).collect::<Vec<_>>().join(", ")
                }
            };
            let (st, wt) = (wcmon::labels::STATUSES, wcmon::labels::WARNINGS);
            let top = &s.top_level;
            say!("  {}", t!(lang, "run-progress", top = top, rows = s.progress.rows, list = &labelled(&s.progress.county_status, st)));
            say!("  {}", t!(lang, "run-warnings", top = top, list = &labelled(&s.progress.county_warnings, wt)));
            say!("  {}", t!(lang, "run-warned", list = &labelled(&s.progress.county_warned_by_status, st)));
            if s.parts > 1 {
                say!("  {}", t!(lang, "run-parts", parts = s.parts, reused = s.parts_reused));
            }
            say!("  {}", t!(lang, "run-changes", changes = s.changes));
            for line in returns_lines(&s.returns, lang) {
                say!("{line}");
            }
            say!("  {}", t!(lang, "run-database", db = &dbs, version = &s.version, ms = s.duration_ms));
            if sev("error") > 0 {
                say!("  {}", t!(lang, "run-errors-see", db = &dbs));
                return ExitCode::from(1);
            }
            ExitCode::SUCCESS
        }
        Err(RunError::Config(e)) => {
            eprintln!("{}", t!(lang, "err-pipeline", error = &e.message(lang)));
            ExitCode::from(2)
        }
        Err(RunError::Lock(e @ wcmon::store::lock::LockError::Busy { .. })) => {
            eprintln!("{}", t!(lang, "err-locked", error = &e.to_string()));
            ExitCode::from(3)
        }
        Err(RunError::Guard(e)) => {
            eprintln!("{}", t!(lang, "err-guard", error = &e.to_string()));
            ExitCode::from(4)
        }
        Err(e) => {
            tracing::error!(outcome = "failed", "run failed: {e}");
            let text = e.to_string();
            if wcmon::ingest::errors::is_disk_full(&text) {
                let full = wcmon::ingest::errors::message(wcmon::ingest::errors::Kind::DiskFull);
                eprintln!("{}", t!(lang, "err-run", error = &format!("{full}: {text}")));
            } else {
                eprintln!("{}", t!(lang, "err-run", error = &text));
            }
            ExitCode::from(4)
        }
    }
}

/// The latest year's returns in the run's summary (none when nothing is expected).
fn returns_lines(r: &wcmon::reporting::ReportingSummary, lang: Lang) -> Vec<String> {
    let Some(year) = r.latest_year.filter(|_| r.expected > 0) else { return Vec::new() };
    let mut out = vec![format!(
        "  {}",
        t!(
            lang,
            "run-returns",
            year = i64::from(year),
            asof = &r.as_of,
            expected = r.expected,
            received = r.received,
            late = r.late.len(),
            missing = r.missing.len(),
            pending = r.pending
        )
    )];
    out.extend(r.missing.iter().map(|m| format!("    {}", t!(lang, "run-return-missing", what = m))));
    out.extend(r.late.iter().map(|m| format!("    {}", t!(lang, "run-return-late", what = m))));
    out
}

fn template(pipelines: &std::path::Path, opts: wcmon::commands::template::TemplateOptions, lang: Lang) -> ExitCode {
    let cfg = match Config::load(pipelines) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{}", t!(lang, "err-pipeline", error = &e.message(lang)));
            return ExitCode::from(2);
        }
    };
    match wcmon::commands::template::write_templates(&cfg, &opts) {
        Ok(written) => {
            say_raw!("{}", wcmon::commands::template::render_summary(&written));
            ExitCode::SUCCESS
        }
        Err(e @ (wcmon::commands::template::TemplateError::Usage(_) | wcmon::commands::template::TemplateError::Form { .. })) => {
            eprintln!("{}", t!(lang, "err-command", command = "template", error = &e.to_string()));
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("{}", t!(lang, "err-command", command = "template", error = &e.to_string()));
            ExitCode::from(1)
        }
    }
}

fn export(pipelines: &std::path::Path, db: PathBuf, out: &std::path::Path, lang: Lang) -> ExitCode {
    let cfg = match Config::load(pipelines) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{}", t!(lang, "err-pipeline", error = &e.message(lang)));
            return ExitCode::from(2);
        }
    };
    match wcmon::disclosure::export_public(&cfg, &wcmon::disclosure::ExportOptions::under(db, out)) {
        Ok(s) => {
            say_raw!("{}", wcmon::disclosure::export::render_summary(&s, &cfg.rules.disclosure));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}", t!(lang, "err-command", command = "export", error = &e.to_string()));
            ExitCode::from(1)
        }
    }
}

fn report(db: PathBuf, year: Option<i32>, kind: &str, area: Option<String>, out: PathBuf, since: Option<String>, public: Option<Config>) -> ExitCode {
    match wcmon::commands::report::run_command(db, year, kind, area, out, since, public) {
        Ok(lines) => {
            say_raw!("{lines}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}", t!(wcmon::i18n::lang(), "err-command", command = "report", error = &e.to_string()));
            ExitCode::from(1)
        }
    }
}
