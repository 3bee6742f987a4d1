# wcmon 的中文消息。每条消息在 en.ftl 中也有（有测试检查），issue-* 除外：
# 它们是 issues.parquet 的 message_zh（英文即问题本身的 message）。
# Fluent 不保留值开头的空格：缩进由代码给出。

## wcmon run / rebuild：运行摘要
run-unchanged = wcmon {$mode}：共 {$files} 个文件，没有新增或更改的：读取 0 个；当前版本仍为 {$version}（{$ms} 毫秒）
run-unchanged-issues = 该版本中的问题：错误 {$errors} 个，警告 {$warnings} 个，提示 {$info} 条
run-files = wcmon {$mode}：共 {$files} 个文件（载入 {$loaded} 个，被更正版本取代 {$superseded} 个，失败或未识别 {$failed} 个）；读取 {$read} 个，{$cached} 个未变、取自缓存
run-cells = 读取单元格 {$cells}  入库数值 {$landed}  拒收 {$rejected}  推算 {$derived}（男 = 合计 − 女 {$male} 个，合计 = 女 + 男 {$total} 个）  汇总 {$aggregated}
run-issues = 问题：错误 {$errors} 个，警告 {$warnings} 个，提示 {$info} 条
run-indicators = 已计算指标：{$total} 项中 {$with} 项有数据（{$values} 个值）
run-numerators-left-out = 因缺分母而未计入比率的分子：{$n} 个（规则 rate_denominator_missing）
run-progress = 2030 年目标进展（{$top}，共 {$rows} 行）：{$list}
run-warnings = 预警（{$top}，2030 年）：{$list}
run-warned = 有预警的指标，按状态：{$list}
list-none = 无
run-parts = 按 {$parts} 个完整的地区子树分块计算，再算顶层（其中 {$reused} 块自上次运行以来未变，直接沿用）
run-changes = 自上一版本以来报告值的变更：{$changes} 条
run-returns = {$year} 年报表（截至 {$asof}）：应报 {$expected}，已报 {$received}，迟报 {$late}，未报 {$missing}，未到期 {$pending}
run-return-missing = 未报：{$what}
run-return-late = 迟报：{$what}
run-database = 数据库：{$db}（版本 {$version}，{$ms} 毫秒）
run-errors-see = 报表中有错误：见 {$db}/issues.parquet（severity = 'error'）

## 错误
err-pipelines-folder = wcmon：{$error}
err-pipeline = wcmon：流程配置文件错误：{$error}
err-run = wcmon：运行失败：{$error}
err-locked = wcmon：另一次运行正在使用数据库：{$error}
err-guard = wcmon：未发布任何内容：{$error}
err-check-history = wcmon check：无法读取 {$db} 中的历史数据：{$error}
err-status = wcmon status：{$error}
err-draft-needs-pipelines = wcmon inspect --draft：生成草稿需要流程配置文件：{$error}
err-command = wcmon {$command}：{$error}

## wcmon check：检查报告
check-form = 报表格式 {$form} · {$status} · 读取单元格 {$cells} 个，入库 {$landed} 个，拒收 {$rejected} 个 · 错误 {$errors} 个，警告 {$warnings} 个，提示 {$info} 条
check-rule = 【{$severity}】{$rule}（{$n} 条）
check-place-file = （整个文件）
check-observed = 实际值 {$v}
check-expected = 应为 {$v}
check-info-hidden = （另有 {$n} 条提示未列出；加 --all 显示）
check-total = 共检查 {$files} 个文件：{$errors} 个错误，{$warnings} 个警告，{$info} 条提示{$history}
check-history = （历史数据：数据库中的 {$series} 个序列）

## 显示的严重程度和状态（数据中仍是代码）
severity-error = 错误
severity-warning = 警告
severity-info = 提示
status-loaded = 已载入
status-superseded = 已被更正版本取代
status-failed = 失败
status-unrecognised = 未识别

## wcmon status
status-year = {$year} 年报表报送情况：应报 {$expected}，已报 {$received}（迟报 {$late}，更正 {$corrected}），未报 {$missing}，未到期 {$pending}
status-body = {$body}  应报 {$expected}  已报 {$received}  迟报 {$late}  未报 {$missing}  未到期 {$pending}  更正 {$corrected}
status-received = {$first} 首次收到
status-received-corrected = {$first} 首次收到，{$corrected} 更正
status-due = 应于 {$due} 前报送
return-status-received = 已报
return-status-late = 迟报
return-status-missing = 未报
return-status-pending = 未到期
return-status-corrected = 已更正
status-err-missing = {$path}：没有报送情况表（请先运行 `wcmon run`，并在报表格式中声明 [schedule]）
status-err-read = {$path}：{$error}
status-err-empty = {$path}：尚无应报或已收到的报表
status-err-no-year = {$path}：没有 {$year} 年应报或已收到的报表（表中的年份：{$years}）

## issues.parquet 的 message_zh：每个规则代码一条（声明的规则见 issue-declared）。
## 参数：place（工作表!单元格）、de（数据元素代码）、area、year、observed、expected、indicator、form、rule、message（英文原文）。
issue-unreadable-file = 无法读取文件：{$message}
issue-unrecognised-file = 没有一种报表格式能识别此文件（请检查文件是否为规定的报表，或在流程配置中为它增加报表格式）
issue-ambiguous-form = 有多种报表格式都能识别此文件，请把它们的 [match] 写得更严格（{$message}）
issue-table-not-found = 工作表 {$place} 中找不到报表格式规定的表头（{$message}）
issue-year-not-found = {$place}：找不到报表格式规定位置上的年份（{$message}）
issue-unknown-area = {$place}：地区名称不在 areas.toml 中（实际为 {$observed}）
issue-unmapped-cell = {$place}：该数值单元格无法对应到数据元素、地区或年份（标签 {$observed}）
issue-unknown-label = {$place}：无法识别的性别或年龄标签 {$observed}
issue-unparseable-value = {$place}：单元格内容 {$observed} 不是数字
issue-unit-mismatch = {$place}：填写的单位无法换算为数据元素 {$de} 的单位
issue-unreadable-sheet = 无法读取工作表 {$place}（报表格式需要该表）：{$message}
issue-sheet-not-read = 工作表 {$place} 不含数据表，未读取
issue-inbox-entry = 收件箱中的条目无法遍历（链接失效、循环或文件夹不可读）：{$message}
issue-part-recomputed = 上次运行保留的分块校验失败，已重新计算
issue-unknown-flag = {$place}：报表格式未列出的标注 {$observed}（作为备注保留）
issue-flag-without-value = {$place}：标注 {$observed} 旁边没有数值
issue-rate-denominator-missing = {$place}：{$message}
issue-skipped-total = {$place}：报表自带的合计，不入库（wcmon 自行汇总各地区）
issue-return-missing = {$message}
issue-return-late = {$message}
issue-superseded = 此报表已被同一报表格式、同一年度的更新报表取代，其数值不再使用
issue-supersession-ambiguous = 同一报表格式、同一年度有两份报表（另一份：{$observed}），且都未标明“更正/修订”：仅因此文件修改时间较晚而采用它；请给更正报表改名（如 …_更正.xlsx）或删除另一份
issue-negative-count = {$place}：{$de} 为计数，不能为负数（实际值 {$observed}）
issue-non-integer-count = {$place}：{$de} 为计数，应为整数（实际值 {$observed}）
issue-negative-amount = {$place}：{$de} 为负数（实际值 {$observed}）
issue-rate-out-of-range = {$place}：{$de} 超出允许范围 {$expected}（实际值 {$observed}）
issue-out-of-range = {$place}：{$de} 超出允许范围 {$expected}（实际值 {$observed}）
issue-duplicate = {$place}：同一数值已在别处填报，此处重复的一份不入库（{$expected}）
issue-conflict = {$place}：同一项目填报了不同的数值（实际值 {$observed}；其他：{$expected}）
issue-female-exceeds-total = {$place}：“其中：女”大于合计（实际值 {$observed}，应 {$expected}）
issue-repeated-last-year = 本报表的数值与上一年几乎完全相同（{$observed}）：是否误将去年的报表再次报送？
issue-unpaired-aggregate = 指标 {$indicator}（{$area}，{$year} 年）：汇总比率的分子与分母覆盖的地区数不同（{$observed}）
issue-indicator-out-of-range = 指标 {$indicator}（{$area}，{$year} 年）计算结果 {$observed} 超出 {$expected}：某处分子大于分母
issue-yoy-outlier = {$place}：{$de} 的数值 {$observed} 与本地区历年数据相差过大（应约为 {$expected}）
issue-withheld = {$place}：该数值属于 {$at} 处发现的 {$rule} 问题，一并暂不入库
issue-declared = {$place}：未通过校验规则 {$rule}（实际值 {$observed}，应为 {$expected}）
issue-declared-described = {$place}：未通过校验规则 {$rule}：{$description}（实际值 {$observed}，应为 {$expected}）
issue-other = {$place}：{$rule}：{$message}

## progress.parquet 的 warning_text_zh（英文即 warning_text）
warning-projected-miss = 按目前趋势预计 {$year} 年为 {$projected}，达不到目标 {$target}
warning-deteriorating = 自基期以来该指标偏离了目标
warning-fluctuating = 年际变化（中位幅度 {$median}）相对于趋势（每年 {$trend}）过大
warning-regressed-after-meeting = {$year} 年曾达标，但最新年份未达标
warning-latest-missing = 最新数值为 {$latest} 年的，缺 {$expected} 年的数值
warning-not-distinguishable = 与目标差异不显著：最新数值的 95% 置信区间包含目标值
warning-pooled = （合并多年计算：每年事件数少于 {$events} 例）
warning-no-data = 尚无报表填报此指标
trend-class-improving = 趋于改善
trend-class-no-clear-change = 无明显变化
trend-class-deteriorating = 趋于恶化
trend-class-insufficient-data = 数据不足
trend-text = {$class}：Theil–Sen 斜率每年 {$slope}（{$n} 年），Mann–Kendall S = {$s}，p = {$p}
trend-text-short = {$class}：不足 3 年
trend-gap-few-events = 某组最新合并窗口内事件少于 {$min} 例（{$counts}）
relational-gap = {$year} 年 {$code} − {$reference} = {$gap}
issue-balance-checked-nothing = 报表格式 {$form} 的平衡校验规则 {$rule} 在本次运行的 {$n} 份报表中一项也未检查：找不到可比较的合计（合计行或全县列是否被当作地区载入，而不是跳过？），或它所涉及的数值都未填报

## config：流程配置文件中的错误（src/config/：ConfigError、ConfigMsg）、流程配置文件夹、程序内部错误
## 键名、代码和取值原样保留（[table] header_rows、"F"），它们是文件里写的内容。
config-io = 无法读取 {$file}：{$error}
config-io-not-found = 文件不存在
config-io-permission = 没有读取权限
config-io-not-utf8 = 不是 UTF-8 编码的文本（请用 UTF-8 编码保存）
config-io-directory = 这是一个文件夹，不是文件
config-toml = {$file}：{$error}
config-toml-at = {$file}：第 {$line} 行第 {$column} 列有误（TOML）：{$error}
config-invalid = {$file}：{$msg}
config-at-line = {$file}：第 {$line} 行：{$msg}
config-form-id-twice = 报表格式 id {$id} 已被 {$other} 使用
config-form-area-unknown = area.value {$value} 不在 areas.toml 中
config-schedule-level = [schedule] areas = {$level}：areas.toml 中没有这一级别（level）的地区（已有的级别：{$levels}）
config-schedule-due-format = due 应为“月-日”，如 "03-31"，而不是 {$value}
config-schedule-due-day = due {$value} 不是一年中的日期（月份为 01-12，日期须是该月有的一天；不能用 02-29）
config-form-match-needs = [match] 需要 file_name 或 header_labels（或两者都写）
config-form-header-labels = [table] header_labels 至少要写出表头第一行中的一个标签
config-form-header-rows = [table] header_rows 应在 1 到 {$max} 之间
config-form-header-skip-row = [table] header_skip：第 {$row} 行不在 {$rows} 行的表头区内（1 = 表头区第一行）
config-form-header-skip-all = [table] header_skip 去掉了全部表头行
config-form-severity = [severity] {$name} 不是读取阶段的问题代码（可用：{$list}）
config-form-column-ref-letter = {$place}：{$column} 不是列字母（A、B、… XFD）
config-form-regex = {$what}：正则表达式 {$regex} 无效：{$error}
config-form-year-pattern-group = year.pattern 需要用一个捕获组（一对括号）括住年份
config-form-needs = {$key} = {$value} 时需要 {$needs}
config-form-year-row-grid = year.from = "row" 只用于网格表（长表用 year.from = "column"）
config-form-year-row-needs = year.from = "row" 时需要 year.row（表头区中写年份的那一行，1 = 第一行）
config-form-year-row-range = year.row = {$row} 不在 {$rows} 行的表头区内
config-form-long-needs-section = layout = "long" 时需要 [long] 一节
config-form-grid-long-sections = [long] 和 [[items]] 只用于 layout = "long"
config-form-grid-needs-mapping = 网格表的报表格式需要 [[columns]]、[[rows]] 或 [fixed] data_element
config-place-fixed = [fixed]
config-place-columns = [[columns]] {$name}
config-place-columns-letter = [[columns]] 列 {$column}
config-place-rows = [[rows]] {$label}
config-place-items = [[items]] {$label}
config-form-unknown-data-element = {$place}：未知的数据元素 {$value}（不在 pipelines/indicators.toml 中）
config-form-bad-sex = {$place}：sex 应为 F、M 或 _T，而不是 {$value}
config-form-bad-residence = {$place}：residence 应为 U、R 或 _T，而不是 {$value}
config-form-bad-age = {$place}：age {$value} 不是年龄代码（如 _T、Y0T4、Y_LT1、Y_GE65）
config-form-empty-unit = {$place}：unit 为空
config-form-unit-convert = {$place}：单位 {$value} 无法换算为 {$de} 的单位 {$de_unit}
config-form-columns-both = {$place}：header 和 column 只能写一个
config-form-columns-neither = [[columns]]：每一项都需要 header = "…" 或 column = "C"
config-form-columns-letter = [[columns]] column = {$column} 不是列字母（A、B、… XFD）
config-form-columns-letter-twice = [[columns]] 列 {$column} 映射了两次
config-form-columns-header-twice = [[columns]] header {$header} 映射了两次
config-form-flag-of-dims = {$place}：标注列（flag_of）不能设置 data_element、sex、age、residence、unit 或 flag
config-form-flag-of-needs-flags = {$place}：使用 flag_of 时需要 [table.flags] 说明每个标注的含义
config-form-flag-of-long = {$place}：长表的标注列写在 [long] flag_column 中
config-form-flag-next-needs-flags = {$place}：flag = "next" 时需要 [table.flags]
config-form-flag-value = {$place}：flag = {$value}：只能是 "next"（或在标注列上用 flag_of）
config-form-flag-empty-def = [table.flags] {$mark}：需要 obs_status 或 note（或两者都写）
config-form-flag-status = [table.flags] {$mark}：obs_status {$status} 不是 SDMX OBS_STATUS 代码（可用：{$list}）
config-form-flag-empty-mark = [table.flags]：标注为空
config-form-value-map = [long] {$what}_values：{$label} = {$code} 不是 {$what} 代码
config-form-rows-twice = [[rows]] label {$label} 映射了两次
config-form-items-twice = [[items]] label {$label} 映射了两次
config-area-code-twice = 地区代码 {$code} 出现了两次
config-area-cycle = 地区 {$code} 的上级（parent）形成了循环
config-area-unknown-parent = 地区 {$code} 的上级 {$parent} 不在 areas.toml 中
config-area-group-parent = 地区 {$code} 是分组（group = true）：分组不在层级树中，不能有上级（parent）
config-area-under-group = 地区 {$code} 的上级是分组 {$group}：分组下面不能有地区（分组的数值直接填报，不由下级汇总）
config-area-label-twice = 名称 {$label} 同时指两个地区（{$a} 和 {$b}）
config-disclosure-threshold = [disclosure] threshold 应为不小于 1 的数，而不是 {$value}
config-disclosure-protection = [disclosure] protection 应为大于 0 的数，而不是 {$value}
config-disclosure-cost = [disclosure] {$name} 应为不小于 1 的数，而不是 {$value}
config-pipelines-missing = 流程配置文件夹 {$dir}（--pipelines）不存在
config-pipelines-none = 在以下位置都找不到流程配置文件夹（含 indicators.toml 的文件夹）：{$list}；请用 --pipelines 目录 指定
config-panic = wcmon：内部错误：{$msg}。请把这一行报告给维护者
config-panic-at = wcmon：内部错误：{$msg}（{$location}）。请把这一行报告给维护者
## rules：规则文件（rules.toml、报表格式的 [[rule]]）中的错误，config/rules/
config-rule-line = 第 {$line} 行：{$msg}
config-rule-in = 规则 "{$rule}"：{$msg}
config-rule-severity-unknown = [severity] 中的 "{$name}" 不是内置规则（内置规则：{$names}）
config-rule-id-chars = 规则 id "{$rule}" 只能由字母、数字和 _ 组成
config-rule-id-twice = 该 id 已被另一条规则（或内置规则）使用
config-rule-kind = "{$kind}" 不是规则类型（规则类型：{$kinds}）
config-rule-fields = 字段有误：{$error}
config-rule-unknown-data-element = 未知的数据元素 "{$de}"（indicators.toml 中没有）
config-rule-sex = 性别 sex 应为 F、M 或 _T，而不是 "{$sex}"
config-rule-age = 年龄 "{$age}" 不是年龄代码（如 _T、Y0T4、Y_GE65）
config-rule-part = parts 中的 "{$part}" 不是年龄代码（如 Y0T4）
config-rule-tolerance = tolerance 应为不小于 0 的数
config-rule-compare-sides = kind = "compare" 的规则需要 left 和 right
config-rule-compare-op = kind = "compare" 的规则需要 op（<=、<、>=、>、==、!=）
config-rule-op = op "{$op}" 不是 <=、<、>=、>、==、!= 之一
config-rule-pair-sides = kind = "pair" 的规则需要 left（填报的数值）和 right（它所需要的数值）
config-rule-balance-over = kind = "balance" 的规则需要 over = "sex"、"age"、"residence" 或 "area"
config-rule-range = kind = "range" 的规则需要 data_elements，以及 min、max 或 integer
## rules：issues.parquet 的 message_zh，在校验处给出（validate/）
issue-duplicate-kept = {$place}：同一数值已在别处填报，此处重复的一份不入库（保留 {$kept} 的一份）
issue-conflict-value = {$value}（{$at}）
issue-conflict-withheld = {$place}：同一项目填报了不同的数值（实际值 {$observed}；其他：{$others}），全部暂不入库
issue-conflict-first-kept = {$place}：同一项目填报了不同的数值（实际值 {$observed}；其他：{$others}），保留第一个
issue-yoy-outlier-history = {$place}：{$name} 的数值 {$observed} 与本地区历年数据相差过大：{$from}–{$to} 年的中位数为 {$median}，修正 z 值为 {$z}（限值 {$threshold}）
issue-repeated-last-year-share = 本报表 {$compared} 个数值中有 {$same} 个与 {$prev} 年完全相同：是否误将去年的报表再次报送？
issue-unpaired-aggregate-areas = 指标 {$indicator}（{$area}，{$year} 年）：汇总比率的分子来自 {$n} 个地区，分母来自 {$d} 个地区
issue-pair-missing = {$place}：未通过校验规则 {$rule}：已填报 {$left}，但 {$right} 未填报（或已被退回）
issue-pair-missing-described = {$place}：未通过校验规则 {$rule}：{$description}；已填报 {$left}，但 {$right} 未填报（或已被退回）
issue-term-value = {$term} {$value}（{$at}）
issue-range-between = {$min} 至 {$max} 之间
issue-range-min = 不小于 {$min}
issue-range-max = 不大于 {$max}
issue-range-integer = 整数
issue-range-between-integer = {$min} 至 {$max} 之间的整数
issue-range-min-integer = 不小于 {$min} 的整数
issue-range-max-integer = 不大于 {$max} 的整数
## errors（存储与运行的错误类型：src/store/error.rs、src/pipeline/error.rs）
err-store-io = 无法读写 {$path}：{$error}
err-store-parquet = 无法读写 Parquet 文件 {$path}：{$error}
err-store-json = 无法解析 {$path}（{$error}）
err-store-extra = {$path}：写入该分块时并无此文件
err-store-changed = {$path}：写入后内容已被改动（校验和不符）
err-as-of = {$var}={$value} 不是日期（应为 YYYY-MM-DD）
err-changes = 无法生成变更表：{$error}
err-run-inbox = 无法列出收件箱 {$path} 的内容：{$error}
err-run-compute = 计算出错：{$error}
err-parts-missing = 第 {$part} 块（共 {$of} 块）既未沿用也未计算
err-parts-whole-incomplete = 唯一的分块计算完毕却没有指标行和变更记录（程序错误）
err-parts-thread = 无法启动计算分块的线程：{$error}
err-parts-panicked = 某个分块的计算崩溃了
err-guard-no-inbox = 收件箱 {$inbox} 不存在（未挂载？路径有误？）：未发布任何内容，数据库保持原样
err-guard-empty-inbox = 收件箱 {$inbox} 中没有任何报表（未挂载？文件夹有误？）：未发布任何内容，数据库保持原样
err-guard-removals = 当前版本的 {$of} 份报表中有 {$gone} 份已不在收件箱 {$inbox} 中（例如 {$some}），超过允许的 {$allowed}%：未发布任何内容；如确系有意删除，请加 --allow-removals（或更大的 --max-removals）重新运行
err-lock-busy = 另一次 wcmon 运行正在写入 {$db}（{$holder}）；请待其结束后再试
err-lock-io = 无法锁定 {$path}：{$error}
err-lock-not-a-folder = 数据库路径 {$db} 是文件而不是文件夹：--db 应为一个文件夹（新建的或已有的 wcmon 数据库）
err-inspect-from-one = --header-row 和 --header-rows 从 1 开始计数
err-inspect-draft-needs-pipelines = 生成草稿需要流程配置文件（indicators.toml、areas.toml）：见 --pipelines
err-inspect-no-table = 没有哪个工作表含有数字表格
err-generate-io = 无法读写 {$path}：{$error}
err-generate-xlsx = 无法写入 {$path}：{$error}
err-generate-no-script = 辅助脚本 {$script}（--write-xls）不存在
err-generate-script-not-found = 在 {$tried} 中找不到 tools/write_xls.py（用于写出旧版 .xls 报表）；请用 --write-xls FILE 指定
err-generate-script-failed = {$script} 运行失败（{$status}）；请 pip install xlwt
err-generate-template = 模板与生成器不符：{$what}
## catalogue：pipelines/indicators.toml 中的错误（config/catalogue.rs）
config-catalogue-line = 第 {$line} 行：{$msg}
config-catalogue-and = 和
config-catalogue-not-monitored = not_monitored {$sentence}：plan 须为 women 或 children，sentence 不能为空
config-catalogue-element-empty-unit = 数据项 {$code}：unit 为空
config-catalogue-element-twice = 数据项 {$code} 重复定义
config-catalogue-element-count-type = 数据项 {$code}：kind = "{$kind}" 的数据项须设 count_type = "event" 或 "stock"
config-catalogue-sex = 指标 {$code}：sex 须为 F、M 或 _T，不能是 {$value}
config-catalogue-age = 指标 {$code}：age {$value} 不是年龄代码（应形如 _T、Y0T4、Y_LT1、Y_GE65）
config-catalogue-residence = 指标 {$code}：residence 须为 U、R 或 _T，不能是 {$value}
config-catalogue-empty-unit = 指标 {$code}：unit 为空
config-catalogue-unit-factor = 指标 {$code}：单位 {$unit} 对应 factor = {$implied}，而不是 {$factor}
config-catalogue-twice = 指标 {$code} 重复定义
config-catalogue-gap-formula = 指标 {$code}：差距指标（gap_of）没有自己的公式，且须 target_kind = "trend"
config-catalogue-value-and-ratio = 指标 {$code}：value 与 numerator/denominator 只能给出其一
config-catalogue-no-formula = 指标 {$code}：须给出 value，或 numerator 和 denominator
config-catalogue-half-ratio = 指标 {$code}：比率须同时给出 numerator 和 denominator
config-catalogue-unknown-element = 指标 {$code} 引用了未定义的数据项 {$element}
config-catalogue-target-needs = 指标 {$code}：target_kind {$kind} 须给出 {$fields}
config-catalogue-target-field = 指标 {$code}：{$field} 不是 target_kind {$kind} 的字段
config-catalogue-factor = 指标 {$code}：factor 须为正数
config-catalogue-gap-not-ratio = 指标 {$code}：gap_of {$base} 须为比率指标（numerator / denominator）
config-catalogue-gap-mismatch = 指标 {$code}：gap_of {$base} 须与本指标的 unit、sex 和 age 相同
config-catalogue-gap-unknown = 指标 {$code}：gap_of 引用了未定义的指标 {$base}
config-catalogue-compare-unknown = 指标 {$code}：compare_with 引用了未定义的指标 {$other}
config-catalogue-compare-unit = 指标 {$code}：compare_with {$other} 的单位为 {$other_unit}，而不是 {$unit}
