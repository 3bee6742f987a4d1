# wcmon's messages in English. Every message is also in zh.ftl (tested); zh.ftl
# alone has the issue-*, warning-*, trend-* and relational-* messages: the Chinese
# texts of the data (issues.message_zh, progress.warning_text_zh), whose English is
# the issue's own message and the code's warning_text.
# Leading spaces of a value are not kept by Fluent: indentation is the code's.

## wcmon run / rebuild: the summary
run-unchanged = wcmon {$mode}: {$files} files, none new or changed: 0 read; version {$version} stays current ({$ms} ms)
run-unchanged-issues = issues in that version: {$errors} errors, {$warnings} warnings, {$info} info
run-files = wcmon {$mode}: {$files} files ({$loaded} loaded, {$superseded} superseded, {$failed} failed or unrecognised); {$read} read, {$cached} unchanged from the cache
run-cells = cells read {$cells}  values landed {$landed}  rejected {$rejected}  derived {$derived} (M = total − F {$male}, total = F + M {$total})  aggregated {$aggregated}
run-issues = issues: {$errors} errors, {$warnings} warnings, {$info} info
run-indicators = indicators computed: {$with} of {$total} have data ({$values} values)
run-numerators-left-out = numerators left out of rates for want of a denominator: {$n} (rule rate_denominator_missing)
run-progress = progress to 2030 ({$top}, {$rows} rows in all): {$list}
run-warnings = early warnings ({$top}, 2030): {$list}
run-warned = indicators with warnings, by status: {$list}
list-none = none
run-parts = computed in {$parts} parts of whole area subtrees and the top ({$reused} unchanged since the last run, taken as they were)
run-changes = changes to reported values since the last version: {$changes}
run-returns = returns for {$year} (as of {$asof}): {$expected} expected, {$received} received, {$late} late, {$missing} missing, {$pending} pending
run-return-missing = missing: {$what}
run-return-late = late: {$what}
run-database = database: {$db} (version {$version}, {$ms} ms)
run-errors-see = errors in returns: see {$db}/issues.parquet (severity = 'error')

## Errors
err-pipelines-folder = wcmon: {$error}
err-pipeline = wcmon: pipeline file error: {$error}
err-run = wcmon: run failed: {$error}
err-locked = wcmon: {$error}
err-guard = wcmon: nothing published: {$error}
err-check-history = wcmon check: cannot read the history in {$db}: {$error}
err-status = wcmon status: {$error}
err-draft-needs-pipelines = wcmon inspect --draft: a draft needs the pipeline files: {$error}
err-command = wcmon {$command}: {$error}

## wcmon check: the report
check-form = form {$form} · {$status} · {$cells} cells read, {$landed} landed, {$rejected} rejected · {$errors} errors, {$warnings} warnings, {$info} info
check-rule = [{$severity}] {$rule} ({$n})
check-place-file = (file)
check-observed = observed {$v}
check-expected = expected {$v}
check-info-hidden = ({$n} info findings not shown; --all shows them)
check-total = checked {$files} files: {$errors} errors, {$warnings} warnings, {$info} info{$history}
check-history = {" "}(history: {$series} series from the database)

## Severities and statuses as shown (the data keeps the codes)
severity-error = error
severity-warning = warning
severity-info = info
status-loaded = loaded
status-superseded = superseded
status-failed = failed
status-unrecognised = unrecognised

## wcmon status
status-year = returns of {$year}: {$expected} expected, {$received} received ({$late} late, {$corrected} corrected), {$missing} missing, {$pending} not yet due
status-body = {$body}  expected {$expected}  received {$received}  late {$late}  missing {$missing}  pending {$pending}  corrected {$corrected}
status-received = first received {$first}
status-received-corrected = first received {$first}, corrected {$corrected}
status-due = due {$due}
return-status-received = received
return-status-late = late
return-status-missing = missing
return-status-pending = pending
return-status-corrected = corrected
status-err-missing = {$path}: no reporting table (run `wcmon run` first, with forms that declare a [schedule])
status-err-read = {$path}: {$error}
status-err-empty = {$path}: no return is expected or received yet
status-err-no-year = {$path}: no return of year {$year} is expected or received (years in the table: {$years})

## errors (typed errors of the store and the run: src/store/error.rs, src/pipeline/error.rs)
err-store-io = {$path}: {$error}
err-store-parquet = {$path}: {$error}
err-store-json = {$path}: unreadable ({$error})
err-store-extra = {$path}: a file the part did not have when it was written
err-store-changed = {$path}: its content changed since it was written (checksum differs)
err-as-of = {$var}={$value} is not a date (YYYY-MM-DD)
err-changes = the changes table: {$error}
err-run-inbox = cannot list the inbox {$path}: {$error}
err-run-compute = compute: {$error}
err-parts-missing = part {$part} of {$of} was neither kept nor computed
err-parts-thread = cannot start a thread to compute parts: {$error}
err-parts-panicked = a part's computation panicked
err-guard-no-inbox = the inbox {$inbox} does not exist (not mounted? a wrong path?): nothing was published, the database stays as it was
err-guard-empty-inbox = the inbox {$inbox} holds no returns (not mounted? the wrong folder?): nothing was published, the database stays as it was
err-guard-removals = {$gone} of the {$of} returns of the current version are gone from the inbox {$inbox} (e.g. {$some}), more than the {$allowed}% allowed: nothing was published; if they were removed on purpose, run again with --allow-removals (or a larger --max-removals)
err-lock-busy = another wcmon run is writing {$db} ({$holder}); try again when it has finished
err-lock-io = cannot lock {$path}: {$error}
err-lock-not-a-folder = the database path {$db} is a file, not a folder: give --db a folder (new or a wcmon database)
err-pipelines-missing = the pipelines folder {$dir} (--pipelines) does not exist
err-pipelines-none = no pipelines folder (one with indicators.toml) in {$tried}; give it with --pipelines DIR
err-inspect-from-one = --header-row and --header-rows count from 1
err-inspect-draft-needs-pipelines = a draft needs the pipeline files (indicators.toml, areas.toml): see --pipelines
err-inspect-no-table = no sheet holds a table of numbers
err-generate-io = {$path}: {$error}
err-generate-xlsx = writing {$path}: {$error}
err-generate-no-script = the helper script {$script} (--write-xls) does not exist
err-generate-script-not-found = no tools/write_xls.py (it writes the legacy .xls return) in {$tried}; give it with --write-xls FILE
err-generate-script-failed = {$script} failed ({$status}); pip install xlwt
err-generate-template = the templates do not match the generator: {$what}
