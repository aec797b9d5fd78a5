-- e2.policy.run -- the runner: selection in the core (fs:select), batches
-- staged and committed, progress, the summary and the exit status
-- (policy.runner, policy.run, policy.exit).  Part of e2.policy
-- (doc/policies.md).

local e2 = require "e2"
local options = require "e2.policy.options"
local walk = require "e2.policy.walk"

local M = {}

local core = options.core	-- the core's e2.errors: messages for the user

-- A batch is committed once the transaction is full (8192 inodes
-- with indirect or index blocks, which keep a record each, or 1024 index
-- blocks: tx:full()), or after opts.batch staged inodes (--batch) if that
-- comes first.  The other inodes keep a bit each, so what a transaction
-- holds stays bounded however many inodes it stages, and few commits mean
-- few fsyncs.

-- The exit statuses a summary asks for (policy.exit; doc/policies.md).
M.STATUS_LEFT = 3		-- some inodes left: not enough free space
M.STATUS_CORRUPT = 4		-- corrupt inodes found (not migrated)

-- "1 file", "2 files".
local function count(n, one, many)
	return string.format("%d %s", n, n == 1 and one or many or one .. "s")
end

-- Progress ----------------------------------------------------------------

local Progress = {}
Progress.__index = Progress

-- A progress line on stderr (or nothing: enabled false or not a tty).
local function progress_new(label, total, enabled)
	if enabled == nil then enabled = io.stderr ~= nil and e2.isatty(io.stderr) end
	return setmetatable({ label = label, total = total, on = enabled,
		start = os.time(), last = os.time(), n = 0, shown = false }, Progress)
end

-- Count n units (default 1) done; redraw at most once a second.
function Progress:tick(n)
	self.n = self.n + (n or 1)
	if not self.on or (not n and self.n % 64 ~= 0) then return end
	local now = os.time()
	if now == self.last then return end
	self.last = now
	local secs = math.max(now - self.start, 1)
	local rate = self.n / secs
	local line = string.format("%s: %d", self.label, self.n)
	if self.total and self.total > 0 then
		local left = math.max(self.total - self.n, 0) / rate
		line = string.format("%s/%d inodes (%d%%), %.0f/s, ETA %d:%02d", line, self.total,
			math.min(100, self.n * 100 // self.total), rate, left // 60, math.floor(left % 60))
	else
		line = string.format("%s inodes, %.0f/s", line, rate)
	end
	io.stderr:write("\r", line, "\27[K")
	self.shown = true
end

-- Erase the progress line.
function Progress:clear()
	if self.shown then io.stderr:write("\r\27[K") end
	self.shown = false
end

M.progress = progress_new
M.count = count

-- The runner --------------------------------------------------------------

local Runner = {}
Runner.__index = Runner

-- Inodes the core considers per call of a scan: between calls the runner
-- shows progress and Ctrl-C is seen.
local SCAN_CHUNK = 16384

-- The criteria of opts the core applies (fs:select): fields, plan, order
-- and budgets.
local function criteria(opts)
	local order = opts.order
	if type(order) == "function" then order = "custom" end
	return {
		types = opts.types, uid = opts.uid, gid = opts.gid,
		mtime_before = opts.mtime_before, mtime_after = opts.mtime_after,
		min_size = opts.min_size, max_size = opts.max_size,
		min_runs = opts.min_runs or opts.min_fragments, order = order,
		max_files = opts.max_files, max_data_blocks = opts.max_data_blocks,
		max_index_blocks = opts.max_index_blocks, keep_free = opts.keep_free,
		batch = opts.batch,	-- the free-space check counts each batch's freed blocks
		log = opts.verbose and true or false,
		unmigrate = opts.unmigrate or false,	-- back to block maps (revert)
	}
end

-- Start a run over fs with opts (from policy.options, or built by hand;
-- see doc/policies.md).  Use it as a to-be-closed variable: leaving the
-- scope by an error rolls back the batch being staged.
function M.runner(fs, opts)
	options.check(opts)
	if opts.clear_feature and not opts.unmigrate then
		options.fail(opts.name, "clear_feature needs unmigrate (it clears the extent feature)")
	end
	if not opts.dry_run and not fs.writable then
		options.fail(opts.name, "%s is open read-only: open it with -w, or use --dry-run", fs.image)
	end
	local super = fs.super
	local self = setmetatable({
		fs = fs, opts = opts, name = opts.name or "policy",
		batch = opts.batch or 0, staged = 0, committed = 0,
		rejected = 0, paths = opts.verbose and {} or nil,
		out = opts.out or print,
		summary = {
			policy = opts.name or "policy", dry_run = opts.dry_run and true or false,
			examined = 0, filtered = 0, inodes = 0, files = 0, regular = 0, directories = 0,
			symlinks = 0, data_blocks = 0, extents = 0, index_blocks = 0,
			meta_freed = 0, used_delta = 0, batches = 0,
			skipped = {}, skipped_total = 0, corrupt = {}, corrupt_total = 0,
			left = {}, left_total = 0, reserved = 0, status = 0,
			free_before = super.free_blocks_count,
			-- what the commits do besides converting inodes
			features_on = {}, features_off = {}, backups_rewritten = 0,
			marks_not_clean = false,
		},
		start = os.time(),
	}, Runner)
	self.sel = core(fs.select, fs, criteria(opts))
	-- a scan's total is known (the inodes in use); a walk's is not
	local total = opts.total or (not opts.paths and super.inodes_count - super.free_inodes_count)
	self.progress = progress_new(self.name, total or nil, opts.progress)
	return self
end

-- How --verbose and the summary name each class of skip (e.skip_class).
local SKIP_WORD = { skip = "skip", no_space = "left", corrupt = "CORRUPT" }

-- Print one line per inode for --verbose (reserved inodes are not files:
-- no line).
function Runner:say(plan, path)
	if not self.opts.verbose or plan.skip_class == "reserved" then return end
	path = path or core(self.fs.path, self.fs, plan.ino)
	local who = path and string.format("<%d> %s", plan.ino, path) or string.format("<%d>", plan.ino)
	if plan.skip_class == "corrupt" then
		self.out(string.format("  CORRUPT %s: %s: run e2fsck -f", who, plan.reason))
	elseif plan.reason then
		self.out(string.format("  %s %s: %s", SKIP_WORD[plan.skip_class], who, plan.reason))
	elseif plan.operation == "unmigrate" then
		self.out(string.format("  %s: %s, %s -> block map of depth %d, +%d indirect, -%d tree, -%d unwritten",
			who, count(plan.data_blocks, "data block"), count(plan.extents, "extent"),
			plan.depth, plan.index_blocks, plan.meta_freed, plan.uninit_freed))
	else
		self.out(string.format("  %s: %s, %s -> %s, depth %d, +%d index, -%d indirect", who,
			count(plan.data_blocks, "data block"), count(plan.runs, "run"),
			count(plan.extents, "extent"), plan.depth, plan.index_blocks, plan.meta_freed))
	end
end

-- The --verbose lines of what the core decided since last asked.
function Runner:drain()
	if not self.opts.verbose then return end
	for _, plan in ipairs(self.sel:log()) do
		self:say(plan, self.paths[plan.ino])
	end
end

-- Offer one inode (an inode object or number; path optional): opts.accept
-- first (it gets the plan), then the core's criteria, plan and budgets.
-- Unordered, what is selected is staged in batches as it comes.  Returns
-- false once a budget is spent: stop offering.
function Runner:offer(inode, path)
	if self.stopped then return false end
	local o = self.opts
	self.progress:tick()
	if o.accept then
		if type(inode) ~= "userdata" and type(inode) ~= "table" then
			inode = core(self.fs.inode, self.fs, inode)
		end
		if not o.accept(core(inode.plan, inode), inode, path) then
			self.rejected = self.rejected + 1
			return true
		end
	end
	local ino = type(inode) == "number" and inode or inode.ino
	if self.paths and path then self.paths[ino] = path end
	local more = core(self.sel.offer, self.sel, ino)
	self:drain()
	if not o.order then self:flush(false) end
	if not more then self.stopped = true end
	return more
end

-- Offer every inode opts selects: with paths or opts.filter a Lua walk or
-- scan, else one scan in the core (no Lua per inode).
function Runner:select()
	if self.opts.paths or self.opts.filter or self.opts.accept then
		for inode, path in walk.select(self.fs, self.opts) do
			if not self:offer(inode, path) then break end
		end
		return
	end
	local sel = self.sel
	-- Unordered, the scan stages what it selects as it goes (one walk);
	-- nothing is committed before it ends: the first scan also builds
	-- the map of which blocks every inode owns, which staging relies on.
	local tx = not self.summary.dry_run and not self.opts.order and self:begin() or nil
	repeat
		local done = core(sel.scan, sel, { max = SCAN_CHUNK, tx = tx,
				tx_max = self.batch })
		self.progress:tick(math.min(SCAN_CHUNK, (self.progress.total or math.huge) - self.progress.n))
		self:drain()
	until done
	if tx then self.staged = #tx end
end

-- The transaction, begun on first use.
function Runner:begin()
	self.tx = self.tx or core(self.fs.begin, self.fs)
	return self.tx
end

-- Stage the selected inodes not staged yet and commit each batch that is
-- complete (opts.batch inodes, or a full transaction); final: commit the
-- last one too.
function Runner:flush(final)
	if self.summary.dry_run then return end
	while true do
		local tx = self:begin()
		core(tx.stage, tx, self.sel, self.batch)
		self.staged = #tx
		local full = tx:full() or (self.batch > 0 and self.staged >= self.batch)
		if self.staged == 0 or not (full or final) then return end
		self.committing = true		-- for __close's message if it fails
		self:batch_written(core(tx.commit, tx))
	end
end

-- The effects of a commit (done, its totals) added to those of the run's
-- commits before it: features turned on or off by any, the most backups
-- rewritten by one.
local function add_effects(s, done)
	for _, k in ipairs({ "features_on", "features_off" }) do
		for _, f in ipairs(done[k]) do
			local known = false
			for _, g in ipairs(s[k]) do known = known or g == f end
			if not known then s[k][#s[k] + 1] = f end
		end
	end
	s.backups_rewritten = math.max(s.backups_rewritten, done.backups_rewritten)
	s.marks_not_clean = s.marks_not_clean or done.marks_not_clean
end

-- Account for a batch that reached the disk (done: the commit's totals,
-- unknown when an error came right after it).
function Runner:batch_written(done)
	self.committing = false
	self.committed = self.committed + self.staged
	self.staged = 0
	self.summary.batches = self.summary.batches + 1
	if done then add_effects(self.summary, done) end
end

-- A custom order (opts.order a function): the candidates' plans, sorted.
function Runner:custom_order()
	local plans = {}
	for i, ino in ipairs(self.sel:candidates()) do
		local plan = core(self.fs.plan, self.fs, ino, { unmigrate = self.opts.unmigrate })
		plan.size = core(self.fs.inode, self.fs, ino).size
		plan.path = self.paths and self.paths[ino]
		plans[i] = plan
	end
	table.sort(plans, self.opts.order)
	for i, plan in ipairs(plans) do plans[i] = plan.ino end
	return plans
end

-- The skips of the core's totals sorted into the summary by class:
-- skipped, left (no space), corrupt; reserved inodes only counted.
local CLASS_FIELD = { skip = "skipped", no_space = "left", corrupt = "corrupt" }

local function sort_skips(s, skips)
	for _, k in ipairs(skips) do
		local field = CLASS_FIELD[k.class]
		if field then
			s[field][k.reason] = k.count
			s[field .. "_total"] = s[field .. "_total"] + k.count
		else
			s.reserved = s.reserved + k.count
		end
	end
	s.status = s.corrupt_total > 0 and M.STATUS_CORRUPT or
		s.left_total > 0 and M.STATUS_LEFT or 0
end

-- Finish the run: order (ordered runs), stage and commit what is left,
-- print the summary and return it (see doc/policies.md for its fields).
function Runner:finish()
	if self.opts.order then
		local order = type(self.opts.order) == "function" and self:custom_order() or nil
		core(self.sel.finish, self.sel, order)
		self:drain()
	end
	self:flush(true)
	if self.opts.clear_feature and not self.summary.dry_run then
		-- A commit of its own, once every batch is in: its scan of every
		-- inode refuses while one is still extent-mapped.
		local tx = self:begin()
		core(tx.clear_feature, tx, "extent")
		self.committing = true
		add_effects(self.summary, core(tx.commit, tx))
		self.committing = false
	end
	if self.tx then
		self.tx:close()
		self.tx = nil
	end
	self.progress:clear()
	local s, t = self.summary, self.sel:totals()
	for _, k in ipairs({ "inodes", "files", "regular", "directories", "symlinks", "data_blocks",
		"extents", "index_blocks", "meta_freed", "used_delta" }) do
		s[k] = t[k]
	end
	sort_skips(s, t.skips)
	if s.dry_run then		-- what committing the selection would do
		add_effects(s, t)
		if self.opts.clear_feature and self.fs.super.features.extent then
			add_effects(s, { features_on = {}, features_off = { "extent" },
				backups_rewritten = 0, marks_not_clean = true })
		end
	end
	s.examined = t.examined - s.reserved + self.rejected
	s.filtered = t.filtered + self.rejected
	s.stopped_by = t.stopped_by and "--" .. t.stopped_by:gsub("_", "-")
	s.seconds = os.time() - self.start
	s.free_after = s.dry_run and s.free_before - s.used_delta or self.fs.super.free_blocks_count
	self.sel:close()
	self.finished = true
	self:report()
	return s
end

-- "(reason: n, reason: n)", most frequent first.
local function reasons(t)
	local list = {}
	for r, n in pairs(t) do list[#list + 1] = { r, n } end
	table.sort(list, function(a, b)
		if a[2] ~= b[2] then return a[2] > b[2] end
		return a[1] < b[1]
	end)
	for i, rn in ipairs(list) do list[i] = string.format("%s: %d", rn[1], rn[2]) end
	return #list > 0 and " (" .. table.concat(list, ", ") .. ")" or ""
end

-- "5 inodes (3 files, 1 directory, 1 symlink)"
local function inodes_by_type(s)
	local kinds = {}
	if s.regular > 0 then kinds[#kinds + 1] = count(s.regular, "file") end
	if s.directories > 0 then kinds[#kinds + 1] = count(s.directories, "directory", "directories") end
	if s.symlinks > 0 then kinds[#kinds + 1] = count(s.symlinks, "symlink") end
	return count(s.files, "inode") ..
		(#kinds > 0 and " (" .. table.concat(kinds, ", ") .. ")" or "")
end

-- Print the summary.
function Runner:report()
	local s, out = self.summary, self.out
	local un = self.opts.unmigrate
	local done = un and "unmigrated" or "migrated"
	if s.dry_run then
		out(string.format("%s: dry run, nothing written: %s would be %s", s.policy,
			inodes_by_type(s), done))
	else
		out(string.format("%s: %s %s in %s", s.policy, done, inodes_by_type(s),
			count(s.batches, "batch", "batches")))
	end
	out(string.format("  examined:       %s%s", count(s.examined, "inode"),
		s.filtered > 0 and string.format(" (%d filtered out)", s.filtered) or ""))
	out(string.format("  data blocks:    %d", s.data_blocks))
	out(string.format("  extents:        %d", s.extents))
	out(string.format("  %s %d %s", un and "indirect blocks:" or "index blocks:  ", s.index_blocks,
		s.dry_run and "would be allocated" or "allocated"))
	out(string.format("  %s %d", un and "tree freed:    " or "indirect freed:", s.meta_freed))
	out(string.format("  free blocks:    %d -> %d (%+d)", s.free_before, s.free_after,
		s.free_after - s.free_before))
	for _, line in ipairs(e2.effect_lines(s, s.dry_run and "would" or "done")) do
		local key, text = line:match("^(%w+): (.*)$")
		out(string.format("  %-15s %s", key .. ":", text))
	end
	out(string.format("  skipped:        %d%s", s.skipped_total, reasons(s.skipped)))
	if s.stopped_by then out(string.format("  stopped by:     %s", s.stopped_by)) end
	if s.left_total > 0 then
		out(string.format("  left:           %s %s, not enough free space%s",
			count(s.left_total, "inode"), un and "extent-mapped" or "block-mapped",
			reasons(s.left)))
	end
	if s.corrupt_total > 0 then
		out(string.format("  CORRUPT:        %s not %s%s: run e2fsck -f",
			count(s.corrupt_total, "inode"), done, reasons(s.corrupt)))
	end
end

-- Leaving the scope: roll back whatever is still staged, and say what was
-- already committed if an error cut the run short.
function Runner:__close()
	self.progress:clear()
	if self.finished then return end
	local waiting = self.sel:pending()
	local ok, n = pcall(function() return #self.tx end)	-- before sel:close(),
	self.sel:close()		-- which unstages what an unfinished scan staged
	if self.summary.dry_run or (not self.tx and waiting == 0) then return end
	if self.tx then
		if self.committing then
			-- An error (Ctrl-C) raised just after tx:commit() returned:
			-- the commit finished if nothing is staged any more.
			if ok and n == 0 then self:batch_written() end
		elseif ok then
			self.staged = n		-- a scan stages as it goes
		end
		pcall(self.tx.close, self.tx)	-- rolls back; the error in flight matters more
		self.tx = nil
	end
	local staged = self.staged + waiting
	local done = self.opts.unmigrate and "unmigrated" or "migrated"
	if self.committing then
		io.stderr:write(string.format("%s: the commit of batch %d (%s) failed; " ..
			"%s committed before it stay %s\n", self.name,
			self.summary.batches + 1, count(self.staged, "inode"),
			count(self.committed, "inode"), done))
	elseif self.committed == 0 then
		io.stderr:write(string.format("%s: stopped: nothing was written " ..
			"(%s staged rolled back)\n", self.name, count(staged, "inode")))
	else
		io.stderr:write(string.format("%s: stopped: %s committed in %s " ..
			"stay %s; the %s staged since %s not committed\n",
			self.name, count(self.committed, "inode"),
			count(self.summary.batches, "batch", "batches"), done, count(staged, "inode"),
			staged == 1 and "was" or "were"))
	end
end

-- The whole run for opts: select, finish.  Returns the summary.
function M.run(fs, opts)
	local run <close> = M.runner(fs, opts)
	run:select()
	return run:finish()
end

-- End a policy script with the summary s: returns s when everything that
-- could be migrated was, else raises an error whose status e2lua exits
-- with: 4 when inodes were found corrupt (run e2fsck -f), 3 when some
-- were left for want of free space.
function M.exit(s)
	if s.status == 0 then return s end
	local what = {}
	if s.corrupt_total > 0 then
		what[#what + 1] = string.format("%s with a corrupt map or inode, left as %s: " ..
			"run e2fsck -f", count(s.corrupt_total, "inode"),
			s.corrupt_total == 1 and "it is" or "they are")
	end
	if s.left_total > 0 then
		what[#what + 1] = string.format("%s left block-mapped: not enough free space",
			count(s.left_total, "inode"))
	end
	local err = e2.error(table.concat(what, "; "), s.policy)
	err.status, err.summary = s.status, s
	error(err)
end

return M
