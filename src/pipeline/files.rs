//! One input file: read, recognised and normalised (`process_bytes`), validated
//! with the others (`validate_and_derive`), and what the run keeps of it while its
//! values wait in the state cache (`FileFacts`, `restore`).

use std::path::Path;
use std::time::Instant;

use rayon::prelude::*;

use crate::config::{Config, Form};
use crate::ingest::{self, InputFile, Workbook};
pub use crate::model::{FileFacts, FileResult};
use crate::model::{Issue, Severity, Submission, SubmissionStatus};
use crate::normalise::{self, FileCtx, Normalised};
use crate::validate;

/// Which forms a workbook is; errors are issues for the file.
pub fn recognise<'c>(wb: &Workbook, file_name: &str, cfg: &'c Config) -> Vec<&'c Form> {
    cfg.forms
        .iter()
        .filter(|f| f.file_name_re.as_ref().is_none_or(|re| re.is_match(file_name)))
        .filter(|f| normalise::workbook_has_labels(wb, &f.raw.matching.header_labels))
        .filter(|f| f.raw.matching.file_name.is_some() || !f.raw.matching.header_labels.is_empty())
        .collect()
}

/// Read, recognise and normalise one file. Never panics on bad input.
pub fn process_file(file: &InputFile, cfg: &Config) -> FileResult {
    match ingest::read_bytes(&file.path) {
        Ok((bytes, sha)) => process_bytes(file, bytes, sha, cfg),
        Err(e) => process_ingest_error(file, &e),
    }
}

/// Recognise, normalise one file already read (its bytes and SHA-256).
pub fn process_bytes(file: &InputFile, bytes: Vec<u8>, sha: String, cfg: &Config) -> FileResult {
    let file_name = file.path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let mut sub = Submission::new(String::new(), &file.rel);
    let fail = |sub: Submission, rule: &'static str, msg: String| {
        let mut issue = Issue::new(Severity::Error, rule, msg).at(&sub.source_file, None, None);
        issue.submission = Some(sub.submission.clone());
        FileResult { submission: sub, observations: Vec::new(), issues: vec![issue], controls: Vec::new() }
    };
    sub.submission = sha[..16].to_string();
    sub.source_sha256 = Some(sha.clone());
    let wb = match ingest::read_workbook_caught(bytes) {
        Ok(wb) => wb,
        Err(e) => {
            let (msg, detail) = ingest::errors::explain(&e);
            let mut r = fail(sub, "unreadable_file", msg);
            r.issues[0].detail = Some(detail);
            return r;
        }
    };
    sub.format = Some(wb.format.to_string());
    let mut issues: Vec<Issue> = Vec::new();
    for (sheet, what) in &wb.skipped {
        let mut i = Issue::new(Severity::Info, "sheet_not_read", format!("sheet {sheet:?} is {what}: it holds no table and was not read")).at(
            &file.rel,
            Some(sheet),
            None,
        );
        i.submission = Some(sub.submission.clone());
        issues.push(i);
    }
    let forms = recognise(&wb, &file_name, cfg);
    // A refused sheet the form does not map (its sheet names exclude it, or it is a
    // hidden helper sheet of a return whose table is elsewhere) is info, not an error.
    let maps = |sheet: &str| match forms.as_slice() {
        [f] => f.sheet_name_re.as_ref().is_none_or(|re| re.is_match(sheet)) && (wb.sheets.is_empty() || !wb.hidden.iter().any(|h| h == sheet)),
        _ => true,
    };
    for (sheet, reason) in &wb.sheet_errors {
        let (sev, rule) = if maps(sheet) { (Severity::Error, "unreadable_sheet") } else { (Severity::Info, "sheet_not_read") };
        let mut i = Issue::new(sev, rule, format!("sheet {sheet:?} refused: {reason}")).at(&file.rel, Some(sheet), None);
        i.submission = Some(sub.submission.clone());
        issues.push(i);
    }
    let form = match forms.as_slice() {
        [f] => *f,
        [] => {
            sub.status = SubmissionStatus::Unrecognised;
            let sheets: Vec<&str> = wb.sheets.iter().map(|s| s.name.as_str()).collect();
            let mut r = fail(
                sub,
                "unrecognised_file",
                format!("no pipeline file recognises this return (sheets {sheets:?}); add a form under pipelines/forms/ (see `wcmon inspect`)"),
            );
            r.submission.status = SubmissionStatus::Unrecognised;
            r.issues.extend(issues);
            return r;
        }
        many => {
            let ids: Vec<&str> = many.iter().map(|f| f.id()).collect();
            let mut r = fail(sub, "ambiguous_form", format!("several forms recognise this file: {ids:?}; make their [match] stricter"));
            r.issues.extend(issues);
            return r;
        }
    };
    sub.form = Some(form.id().to_string());
    sub.reporter = Some(form.raw.form.body.clone());
    let ctx = FileCtx { rel: &file.rel, file_name: &file_name, sha256: &sha, submission: &sub.submission };
    let mut n: Normalised = normalise::normalise_workbook(&wb, form, cfg, &ctx);
    issues.append(&mut n.issues);
    sub.cells_read = n.cells_read;
    sub.values_landed = n.landed;
    sub.values_rejected = n.rejected;
    sub.values_derived = n.derived;
    sub.year = n.years.first().copied().filter(|_| n.years.len() == 1);
    sub.status = if n.tables_found > 0 { SubmissionStatus::Loaded } else { SubmissionStatus::Failed };
    FileResult { submission: sub, observations: n.observations, issues, controls: n.controls }
}

/// Validate all files' values together (rules span returns), then derive the
/// sexes each return implies from what was kept, and update the counts.
pub fn validate_and_derive(results: &mut [FileResult], cfg: &Config, history: &validate::History) -> Vec<crate::model::RuleStat> {
    let mut batches: Vec<validate::Batch> = results
        .iter_mut()
        .map(|r| validate::Batch {
            form: r.submission.form.as_deref(),
            file: r.submission.source_file.as_str(),
            observations: &mut r.observations,
            controls: &r.controls,
            issues: &mut r.issues,
            withheld: 0,
        })
        .collect();
    let t = Instant::now();
    let stats = validate::validate(&mut batches, cfg, history);
    tracing::debug!(ms = t.elapsed().as_millis() as u64, "validated");
    let withheld: Vec<u64> = batches.iter().map(|b| b.withheld).collect();
    drop(batches);
    // Each file on its own, on every core.
    results.par_iter_mut().zip(withheld).for_each(|(r, w)| {
        r.submission.values_landed -= w;
        r.submission.values_rejected += w;
        if let Some(form) = r.submission.form.as_deref().and_then(|id| cfg.forms.iter().find(|f| f.id() == id)) {
            let derived = normalise::derive_sexes(form, cfg, &r.observations);
            r.submission.values_derived = derived.len() as u64;
            r.submission.values_derived_total = derived.iter().filter(|o| &*o.sex == "_T").count() as u64;
            r.observations.extend(derived);
        }
    });
    tracing::debug!(ms = t.elapsed().as_millis() as u64, "sexes derived");
    stats
}

/// Bring back the values and controls of files whose result waits in the cache
/// (read again from the inbox if the cache entry is gone).
pub(super) fn restore(results: &mut [FileResult], facts: &mut [FileFacts], files: &[InputFile], state: &crate::store::state::State, cfg: &Config, db: &Path) {
    results.par_iter_mut().zip(facts.par_iter_mut()).zip(files.par_iter()).for_each(|((r, fact), f)| {
        if !fact.stripped {
            return;
        }
        fact.stripped = false;
        let cached = state
            .files
            .get(&f.rel)
            .and_then(|s| Some((s, s.cache.as_ref()?)))
            .and_then(|(s, loc)| crate::store::state::read_cached(db, &f.rel, &s.sha256, loc));
        let fresh = cached.unwrap_or_else(|| {
            tracing::warn!(file = %f.rel, "the cached values are gone: reading the file again");
            REREAD.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            process_file(f, cfg)
        });
        r.observations = fresh.observations;
        r.controls = fresh.controls;
        if fact.issues_stripped {
            r.issues = fresh.issues;
            fact.issues_stripped = false;
        }
    });
}

/// Files [`restore`] had to read again (their cache entry was gone) since the last call.
static REREAD: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How many files were read again instead of coming from the cache (and reset the count).
pub(super) fn take_rereads() -> usize {
    REREAD.swap(0, std::sync::atomic::Ordering::Relaxed)
}

/// Stands in for a file's result while its part is being computed.
pub(super) fn placeholder() -> FileResult {
    FileResult { submission: Submission::new(String::new(), ""), observations: Vec::new(), issues: Vec::new(), controls: Vec::new() }
}

/// A file that could not be read: the plain sentence, the reader's words as the detail.
pub(super) fn process_ingest_error(f: &InputFile, e: &ingest::IngestError) -> FileResult {
    let (msg, detail) = ingest::errors::explain(e);
    let mut r = process_file_error(f, msg);
    for i in &mut r.issues {
        i.detail = Some(detail.clone());
    }
    r
}

pub(super) fn process_file_error(f: &InputFile, msg: String) -> FileResult {
    let sub = Submission::new(format!("file:{}", f.rel), &f.rel);
    let mut issue = Issue::new(Severity::Error, "unreadable_file", msg).at(&f.rel, None, None);
    issue.submission = Some(sub.submission.clone());
    FileResult { submission: sub, observations: Vec::new(), issues: vec![issue], controls: Vec::new() }
}
