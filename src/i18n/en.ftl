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

## catalogue: mistakes in pipelines/indicators.toml (config/catalogue.rs)
config-catalogue-line = line {$line}: {$msg}
config-catalogue-and = and
config-catalogue-not-monitored = not_monitored {$sentence}: plan must be women or children and the sentence not empty
config-catalogue-element-empty-unit = data element {$code}: empty unit
config-catalogue-element-twice = data element {$code} is defined twice
config-catalogue-element-count-type = data element {$code}: a {$kind} needs count_type = "event" or "stock"
config-catalogue-sex = indicator {$code}: sex must be F, M or _T, not {$value}
config-catalogue-age = indicator {$code}: age {$value} is not an age code like _T, Y0T4, Y_LT1, Y_GE65
config-catalogue-residence = indicator {$code}: residence must be U, R or _T, not {$value}
config-catalogue-empty-unit = indicator {$code}: empty unit
config-catalogue-unit-factor = indicator {$code}: unit {$unit} means factor = {$implied}, not {$factor}
config-catalogue-twice = indicator {$code} is defined twice
config-catalogue-gap-formula = indicator {$code}: a gap (gap_of) has no formula of its own and target_kind = "trend"
config-catalogue-value-and-ratio = indicator {$code}: give either value or numerator/denominator, not both
config-catalogue-no-formula = indicator {$code}: needs value or numerator and denominator
config-catalogue-half-ratio = indicator {$code}: a ratio needs both numerator and denominator
config-catalogue-unknown-element = indicator {$code} names unknown data element {$element}
config-catalogue-target-needs = indicator {$code}: target_kind {$kind} needs {$fields}
config-catalogue-target-field = indicator {$code}: {$field} is not a field of target_kind {$kind}
config-catalogue-factor = indicator {$code}: factor must be positive
config-catalogue-gap-not-ratio = indicator {$code}: gap_of {$base} must be a ratio indicator (numerator / denominator)
config-catalogue-gap-mismatch = indicator {$code}: gap_of {$base} must have the same unit, sex and age
config-catalogue-gap-unknown = indicator {$code}: gap_of names unknown indicator {$base}
config-catalogue-compare-unknown = indicator {$code}: compare_with names unknown indicator {$other}
config-catalogue-compare-unit = indicator {$code}: compare_with {$other} is in {$other_unit}, not {$unit}
