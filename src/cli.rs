//! The command line: its commands, arguments and their help (clap), apart
//! from what `main` does with them.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use wcmon::i18n::Lang;
use wcmon::pipeline;

#[derive(Parser)]
#[command(name = "wcmon", version, about = "Monitoring of the women's and children's development plans: Excel returns in, Parquet database out")]
pub struct Cli {
    /// Folder of pipeline files (indicators.toml, areas.toml, rules.toml, forms/). Default: ./pipelines,
    /// else the pipelines folder beside the installed binary (BIN/.., BIN/../share/wcmon).
    #[arg(long, global = true, value_name = "DIR")]
    pub pipelines: Option<PathBuf>,
    /// Log format on stderr: auto (JSON lines when stderr is not a terminal, e.g. under cron or
    /// systemd; text on a terminal), text, or json. The level is WCMON_LOG's (default: a line per stage).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Auto)]
    pub log_format: LogFormat,
    /// Language of the run summary, the check report, the status report and errors: zh (中文) or en.
    /// Default: the locale's (LC_ALL, LC_MESSAGES, LANG): zh for zh_*, else en. Codes (rules, statuses) stay codes.
    #[arg(long, global = true, value_enum)]
    pub lang: Option<Lang>,
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(clap::Args)]
pub struct RunArgs {
    /// Folder of returns (any subfolders).
    #[arg(long, default_value = "sample_data")]
    pub inbox: PathBuf,
    /// The monitoring database (created if missing).
    #[arg(long, default_value = "monitoring_db")]
    pub db: PathBuf,
    /// Versions of the database to keep under DB/versions (the current one included).
    #[arg(long, default_value_t = 5)]
    pub keep_versions: usize,
    /// Values per part: a larger run is computed and written part by part (groups of
    /// whole area subtrees, e.g. a province's counties), so memory stays flat as the
    /// inbox grows. The database holds the same rows either way.
    #[arg(long, default_value_t = pipeline::DEFAULT_PART_VALUES)]
    pub part_values: usize,
    /// Parts computed at the same time (1 lowers the peak memory of a large run
    /// by a quarter to a third, and the run takes as long or up to 15% longer).
    #[arg(long, default_value_t = pipeline::PARTS_AT_ONCE, value_parser = clap::value_parser!(u16).range(1..))]
    pub parts_at_once: u16,
    /// Publish even if more than --max-removals of the current version's returns are gone from the inbox.
    #[arg(long)]
    pub allow_removals: bool,
    /// The share (0–1) of the current version's returns that may be gone from the inbox before the run refuses to publish.
    #[arg(long, default_value_t = pipeline::DEFAULT_MAX_REMOVED_SHARE, value_parser = share)]
    pub max_removals: f64,
}

fn share(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("{s:?} is not a share between 0 and 1")),
    }
}

#[derive(Subcommand)]
pub enum Cmd {
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
pub enum LogFormat {
    /// JSON lines when stderr is not a terminal, text on a terminal.
    Auto,
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}
