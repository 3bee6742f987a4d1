//! The `wcmon` binary: parse the command line, call the library, map outcomes to exit codes.
//!
//! Exit codes of `run`/`rebuild` (a contract for schedulers): 0 published
//! (warnings allowed), 1 published but returns had errors, 2 usage or
//! pipeline-file error, 3 another run holds the database's lock, 4 nothing
//! published (the inbox guard, or the run failed).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

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

#[derive(Parser)]
#[command(name = "wcmon", version, about = "Monitoring of the women's and children's development plans: Excel returns in, Parquet database out")]
struct Cli {
    /// Folder of pipeline files (indicators.toml, areas.toml, rules.toml, forms/). Default: ./pipelines,
    /// else the pipelines folder beside the installed binary (BIN/.., BIN/../share/wcmon).
    #[arg(long, global = true, value_name = "DIR")]
    pipelines: Option<PathBuf>,
    /// Log format on stderr: auto (JSON lines when stderr is not a terminal, e.g. under cron or
    /// systemd; text on a terminal), text, or json. The level is WCMON_LOG's (default: a line per stage).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Auto)]
    log_format: LogFormat,
    /// Language of the run summary, the check report, the status report and errors: zh (中文) or en.
    /// Default: the locale's (LC_ALL, LC_MESSAGES, LANG): zh for zh_*, else en. Codes (rules, statuses) stay codes.
    #[arg(long, global = true, value_enum)]
    lang: Option<Lang>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Args)]
struct RunArgs {
    /// Folder of returns (any subfolders).
    #[arg(long, default_value = "sample_data")]
    inbox: PathBuf,
    /// The monitoring database (created if missing).
    #[arg(long, default_value = "monitoring_db")]
    db: PathBuf,
    /// Versions of the database to keep under DB/versions (the current one included).
    #[arg(long, default_value_t = 5)]
    keep_versions: usize,
    /// Values per part: a larger run is computed and written part by part (groups of
    /// whole area subtrees, e.g. a province's counties), so memory stays flat as the
    /// inbox grows. The database holds the same rows either way.
    #[arg(long, default_value_t = pipeline::DEFAULT_PART_VALUES)]
    part_values: usize,
    /// Parts computed at the same time (1 lowers the peak memory of a large run
    /// by a quarter to a third, and the run takes as long or up to 15% longer).
    #[arg(long, default_value_t = pipeline::PARTS_AT_ONCE, value_parser = clap::value_parser!(u16).range(1..))]
    parts_at_once: u16,
    /// Publish even if more than --max-removals of the current version's returns are gone from the inbox.
    #[arg(long)]
    allow_removals: bool,
    /// The share (0–1) of the current version's returns that may be gone from the inbox before the run refuses to publish.
    #[arg(long, default_value_t = pipeline::DEFAULT_MAX_REMOVED_SHARE, value_parser = share)]
    max_removals: f64,
}

fn share(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("{s:?} is not a share between 0 and 1")),
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// Read new or changed returns of the inbox and publish a new version of the database (nightly).
    Run(RunArgs),
    /// Read every return again, ignoring what the last run remembered, and publish a new version.
    Rebuild(RunArgs),
    /// Dry run: read and validate the given returns, write nothing, report findings by file and rule.
    Check {
        /// Returns to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Database whose values are the history for the year-over-year checks (skipped when absent).
        #[arg(long, default_value = "monitoring_db")]
        db: PathBuf,
        /// Output: text (for people) or json (for programs).
        #[arg(long, default_value = "text", value_parser = ["text", "json"])]
        format: String,
        /// Also list info findings (the return's own totals that are skipped, ...).
        #[arg(long)]
        all: bool,
    },
    /// Show a workbook's sheets, merged regions and header rows (to write a pipeline file).
    Inspect {
        /// The workbook to look at (xlsx, xls, xlsb, ods).
        file: PathBuf,
        /// Rows to print per sheet.
        #[arg(long, default_value_t = 40)]
        rows: usize,
        /// The header's first row (1-based, as Excel numbers it); default: found from the data or the form
        #[arg(long)]
        header_row: Option<usize>,
        /// How many rows the header has; default: found from the data or the form
        #[arg(long)]
        header_rows: Option<usize>,
        /// Print only a draft pipeline file for the file's table
        #[arg(long)]
        draft: bool,
    },
    /// Who has sent what: per body, the year's returns expected, received, late and missing, and their files.
    Status {
        /// The monitoring database (its published reporting.parquet).
        #[arg(long, default_value = "monitoring_db")]
        db: PathBuf,
        /// Reporting year (default: the latest in the database).
        #[arg(long)]
        year: Option<i32>,
        /// Output: text (for people) or json (for programs).
        #[arg(long, default_value = "text", value_parser = ["text", "json"])]
        format: String,
    },
    /// Write blank returns (.xlsx) generated from the pipeline files, one per form (per area where the form is per area).
    Template {
        /// The reporting year (in the titles and file names).
        #[arg(long)]
        year: i32,
        /// Only the forms of this body (e.g. 卫健局).
        #[arg(long)]
        body: Option<String>,
        /// The area whose sub-areas are listed (code or name; default: the root of areas.toml).
        #[arg(long)]
        area: Option<String>,
        /// Output folder (a subfolder per body).
        #[arg(long, default_value = "templates")]
        out: PathBuf,
    },
    /// Write the monitoring report (annual, mid-term or final evaluation) from the published database.
    Report {
        /// The monitoring database (its current version is read).
        #[arg(long, default_value = "monitoring_db")]
        db: PathBuf,
        /// The report year (default: the latest year with data).
        #[arg(long)]
        year: Option<i32>,
        /// annual (latest year against both targets), midterm (2025) or final (2030).
        #[arg(long, default_value = "annual", value_parser = ["annual", "midterm", "final"])]
        kind: String,
        /// The area code: a town, the county, or a county of a province database (default: the root).
        #[arg(long)]
        area: Option<String>,
        /// Output folder.
        #[arg(long, default_value = "report")]
        out: PathBuf,
        /// List the values corrected after this version (vNNNNNN).
        #[arg(long)]
        since: Option<String>,
        /// The public report: built from the public export only (small sensitive counts withheld,
        /// see `wcmon export --public`), written as 监测报告_<area>_<year>_<kind>_公开.html/.xlsx.
        #[arg(long)]
        public: bool,
    },
    /// Write the tables fit to leave the office: small sensitive counts withheld, with the cells that would give them back.
    Export {
        /// The public export (the only kind): OUT/public/ (data_values without source columns, indicator_values,
        /// progress, gaps, each with conf_status) and OUT/internal/suppression.parquet (what was withheld, and why).
        #[arg(long, required = true)]
        public: bool,
        /// The monitoring database (its current version is read, never written).
        #[arg(long, default_value = "monitoring_db")]
        db: PathBuf,
        /// Output folder.
        #[arg(long, default_value = "export")]
        out: PathBuf,
    },
    /// Write the synthetic sample returns (and their truth) for 2020–2024.
    Generate {
        /// Folder to write into (created if missing; with --scale, OUT/inbox and OUT/pipelines).
        #[arg(long, default_value = "sample_data")]
        out: PathBuf,
        /// Seed of the random numbers: the same seed writes the same workbooks.
        #[arg(long, default_value_t = 20210)]
        seed: u64,
        /// Plant known faults in the 2024 returns and list the findings they must produce
        /// in _truth/expected_findings.csv (test fixtures for the validation rules).
        #[arg(long)]
        faults: bool,
        /// Write a provincial benchmark corpus instead: OUT/inbox and OUT/pipelines.
        #[arg(long)]
        scale: bool,
        /// With --scale: counties (21 towns each, 9 returns a year).
        #[arg(long, default_value_t = 100)]
        counties: usize,
        /// With --scale: years, ending in 2024.
        #[arg(long, default_value_t = 10)]
        years: usize,
        /// The helper that writes the legacy .xls return (xlwt). Default: tools/write_xls.py
        /// beside the pipelines folder, else in the current folder.
        #[arg(long)]
        write_xls: Option<PathBuf>,
    },
}

/// How log lines are written on stderr.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    /// JSON lines when stderr is not a terminal, text on a terminal.
    Auto,
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

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
                Ok(assets) => generate(&out, seed, faults, scale, counties, years, &assets, lang),
                Err(e) => {
                    eprintln!("{}", t!(lang, "err-command", command = "generate", error = &e.to_string()));
                    ExitCode::from(2)
                }
            }
        }
    }
}

/// `wcmon generate`: the sample (with faults, or a scale corpus) into `out`.
fn generate(out: &Path, seed: u64, faults: bool, scale: bool, counties: usize, years: usize, assets: &wcmon::generate::Assets, lang: Lang) -> ExitCode {
    match (scale, faults) {
        (true, _) => match wcmon::generate::scale::write_scale_corpus(out, counties, years, seed, assets) {
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
        (false, true) => match wcmon::generate::faults::write_faulty_sample(out, seed, assets) {
            Ok(f) => {
                say!("wrote the sample with faults to {}: {} expected findings in _truth/expected_findings.csv", out.display(), f.len());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{}", t!(lang, "err-command", command = "generate", error = &e.to_string()));
                ExitCode::from(1)
            }
        },
        (false, false) => match wcmon::generate::write_sample(out, seed, assets) {
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

fn report(
    db: PathBuf,
    year: Option<i32>,
    kind: &str,
    area: Option<String>,
    out: PathBuf,
    since: Option<String>,
    public: Option<Config>,
) -> ExitCode {
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
