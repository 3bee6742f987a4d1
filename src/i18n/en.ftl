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

## config: the pipeline files' mistakes (src/config/: ConfigError, ConfigMsg), the pipelines folder, the panic line
config-io = cannot read {$file}: {$error}
config-io-not-found = the file does not exist
config-io-permission = permission denied
config-io-not-utf8 = not UTF-8 text
config-io-directory = a folder, not a file
config-toml = {$file}: {$error}
config-toml-at = {$file}: line {$line}, column {$column}: {$error}
config-invalid = {$file}: {$msg}
config-at-line = {$file}: line {$line}: {$msg}
config-form-id-twice = form id {$id} is also used by {$other}
config-form-area-unknown = area.value {$value} is not in areas.toml
config-schedule-level = [schedule] areas = {$level}: no area of areas.toml has that level (levels: {$levels})
config-schedule-due-format = due must be a month and day like "03-31", not {$value}
config-schedule-due-day = due {$value} is not a day of the year (month 01-12, a day the month has; not 02-29)
config-form-match-needs = [match] needs file_name and/or header_labels
config-form-header-labels = [table] header_labels must name at least one label of the header row
config-form-header-rows = [table] header_rows must be between 1 and {$max}
config-form-header-skip-row = [table] header_skip: row {$row} is not a row of the {$rows}-row header block (1 = its first row)
config-form-header-skip-all = [table] header_skip leaves no header row
config-form-severity = [severity] {$name} is not an ingest finding ({$list})
config-form-column-ref-letter = {$place}: {$column} is not a column letter (A, B, … XFD)
config-form-regex = {$what}: invalid regex {$regex}: {$error}
config-form-year-pattern-group = year.pattern needs one capture group around the year
config-form-needs = {$key} = {$value} needs {$needs}
config-form-year-row-grid = year.from = "row" is for grids (a long list has year.from = "column")
config-form-year-row-needs = year.from = "row" needs year.row (the row of the header block holding the years, 1 = its first row)
config-form-year-row-range = year.row = {$row} is not a row of the {$rows}-row header block
config-form-long-needs-section = layout = "long" needs a [long] section
config-form-grid-long-sections = [long] and [[items]] belong to layout = "long"
config-form-grid-needs-mapping = a grid form needs [[columns]], [[rows]] or [fixed] data_element
config-place-fixed = [fixed]
config-place-columns = [[columns]] {$name}
config-place-columns-letter = [[columns]] "column {$column}"
config-place-rows = [[rows]] {$label}
config-place-items = [[items]] {$label}
config-form-unknown-data-element = {$place}: unknown data element {$value} (not in pipelines/indicators.toml)
config-form-bad-sex = {$place}: sex must be F, M or _T, not {$value}
config-form-bad-residence = {$place}: residence must be U, R or _T, not {$value}
config-form-bad-age = {$place}: age {$value} is not an age code like _T, Y0T4, Y_LT1, Y_GE65
config-form-empty-unit = {$place}: empty unit
config-form-unit-convert = {$place}: unit {$value} cannot be converted to {$de_unit}, the unit of {$de}
config-form-columns-both = {$place}: give header or column, not both
config-form-columns-neither = [[columns]]: each entry needs header = "…" or column = "C"
config-form-columns-letter = [[columns]] column = {$column} is not a column letter (A, B, … XFD)
config-form-columns-letter-twice = [[columns]] column {$column} is mapped twice
config-form-columns-header-twice = [[columns]] header {$header} is mapped twice
config-form-flag-of-dims = {$place}: a flag column (flag_of) sets no data_element, sex, age, residence, unit or flag
config-form-flag-of-needs-flags = {$place}: flag_of needs [table.flags] saying what each mark means
config-form-flag-of-long = {$place}: a long list names its flag column in [long] flag_column
config-form-flag-next-needs-flags = {$place}: flag = "next" needs [table.flags]
config-form-flag-value = {$place}: flag = {$value}: the only value is "next" (or use flag_of on the flag column)
config-form-flag-empty-def = [table.flags] {$mark}: give obs_status and/or note
config-form-flag-status = [table.flags] {$mark}: obs_status {$status} is not an SDMX OBS_STATUS code ({$list})
config-form-flag-empty-mark = [table.flags]: an empty mark
config-form-value-map = [long] {$what}_values: {$label} = {$code} is not a {$what} code
config-form-rows-twice = [[rows]] label {$label} is mapped twice
config-form-items-twice = [[items]] label {$label} is mapped twice
config-area-code-twice = area code {$code} appears twice
config-area-cycle = area {$code} has a cycle in its parents
config-area-unknown-parent = area {$code} names unknown parent {$parent}
config-area-group-parent = area {$code} is a group (group = true): groups stand outside the tree and have no parent
config-area-under-group = area {$code} names the group {$group} as its parent: a group has no areas under it (its values are reported, not summed)
config-area-label-twice = label {$label} names two areas ({$a} and {$b})
config-disclosure-threshold = [disclosure] threshold must be a number >= 1, not {$value}
config-disclosure-protection = [disclosure] protection must be a number > 0, not {$value}
config-disclosure-cost = [disclosure] {$name} must be a number >= 1, not {$value}
config-pipelines-missing = the pipelines folder {$dir} (--pipelines) does not exist
config-pipelines-none = no pipelines folder (one with indicators.toml) in {$list}; give it with --pipelines DIR
config-panic = wcmon: internal error: {$msg}
config-panic-at = wcmon: internal error: {$msg} ({$location})
## rules: mistakes in a rules file (rules.toml, a form's [[rule]]), config/rules/
config-rule-line = line {$line}: {$msg}
config-rule-in = rule "{$rule}": {$msg}
config-rule-severity-unknown = [severity] "{$name}" is not a built-in rule ({$names})
config-rule-id-chars = rule id "{$rule}" must be letters, digits and _
config-rule-id-twice = the id is used twice (or by a built-in rule)
config-rule-kind = kind "{$kind}" is not a rule kind ({$kinds})
config-rule-fields = {$error}
config-rule-unknown-data-element = unknown data element "{$de}" (not in indicators.toml)
config-rule-sex = sex must be F, M or _T, not "{$sex}"
config-rule-age = age "{$age}" is not an age code like _T, Y0T4, Y_GE65
config-rule-part = part "{$part}" is not an age code like Y0T4
config-rule-tolerance = tolerance must be a number >= 0
config-rule-compare-sides = kind = "compare" needs left and right
config-rule-compare-op = kind = "compare" needs op (<=, <, >=, >, ==, !=)
config-rule-op = op "{$op}" is not one of <=, <, >=, >, ==, !=
config-rule-pair-sides = kind = "pair" needs left (the value) and right (what it requires)
config-rule-balance-over = kind = "balance" needs over = "sex", "age", "residence" or "area"
config-rule-range = kind = "range" needs data_elements and min, max or integer
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
err-parts-whole-incomplete = the run's only part came back without its indicator rows and changes
err-parts-thread = cannot start a thread to compute parts: {$error}
err-parts-panicked = a part's computation panicked
err-guard-no-inbox = the inbox {$inbox} does not exist (not mounted? a wrong path?): nothing was published, the database stays as it was
err-guard-empty-inbox = the inbox {$inbox} holds no returns (not mounted? the wrong folder?): nothing was published, the database stays as it was
err-guard-removals = {$gone} of the {$of} returns of the current version are gone from the inbox {$inbox} (e.g. {$some}), more than the {$allowed}% allowed: nothing was published; if they were removed on purpose, run again with --allow-removals (or a larger --max-removals)
err-lock-busy = another wcmon run is writing {$db} ({$holder}); try again when it has finished
err-lock-io = cannot lock {$path}: {$error}
err-lock-not-a-folder = the database path {$db} is a file, not a folder: give --db a folder (new or a wcmon database)
err-inspect-from-one = --header-row and --header-rows count from 1
err-inspect-draft-needs-pipelines = a draft needs the pipeline files (indicators.toml, areas.toml): see --pipelines
err-inspect-no-table = no sheet holds a table of numbers
err-generate-io = {$path}: {$error}
err-generate-xlsx = writing {$path}: {$error}
err-generate-no-script = the helper script {$script} (--write-xls) does not exist
err-generate-script-not-found = no tools/write_xls.py (it writes the legacy .xls return) in {$tried}; give it with --write-xls FILE
err-generate-script-failed = {$script} failed ({$status}); pip install xlwt
err-generate-template = the templates do not match the generator: {$what}
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
