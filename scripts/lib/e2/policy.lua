-- e2.policy -- the machinery shared by the migration policies: option
-- parsing, selection, ordering, budgets, batching, progress and the summary.
-- A policy script only says which options it takes and how it loops:
--
--   local policy = require "e2.policy"
--   local opts = policy.options(arg, { name = "mine", groups = { "select" } })
--   if not opts then return end                 -- --help was printed
--   local run <close> = policy.runner(fs, opts) -- rolls back if we fail
--   for inode, path in policy.select(fs, opts) do
--     if not run:offer(inode, path) then break end   -- false: budget spent
--   end
--   return run:finish()                          -- commits, prints, returns
--
-- doc/policies.md describes every function and option.

local e2 = require "e2"

local M = {}

-- A batch is committed once the transaction is full (8192 inodes
-- with indirect or index blocks, which keep a record each, or 1024 index
-- blocks: tx:full()), or after opts.batch staged inodes (--batch) if that
-- comes first.  The other inodes keep a bit each, so what a transaction
-- holds stays bounded however many inodes it stages, and few commits mean
-- few fsyncs.

-- Fail the way the rest of e2lua does: an e2.error "NAME: message" (the
-- shell prints it without a traceback; pcall callers get .message).
function M.fail(name, fmt, ...)
	error(e2.error(string.format(fmt, ...), name or "policy"))
end

-- Options -----------------------------------------------------------------

-- Parse "10", "4K", "1.5M", "2G", "1T" (binary units) into bytes.
function M.parse_size(s)
	local num, unit = tostring(s):match("^(%d+%.?%d*)([kKmMgGtT]?)$")
	if not num then
		error(string.format("bad size '%s' (expected N, NK, NM, NG or NT)", s), 0)
	end
	local mult = { [""] = 1, k = 1024, m = 1024 ^ 2, g = 1024 ^ 3, t = 1024 ^ 4 }
	return math.floor(tonumber(num) * mult[unit:lower()])
end

-- Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm),
-- so dates mean UTC whatever the local time zone is.
local function days_from_civil(y, m, d)
	if m <= 2 then y = y - 1 end
	local era = (y >= 0 and y or y - 399) // 400
	local yoe = y - era * 400
	local mp = (m + 9) % 12
	local doy = (153 * mp + 2) // 5 + d - 1
	local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
	return era * 146097 + doe - 719468
end

-- Parse "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]" (also with a "T"), all UTC,
-- or epoch seconds, into epoch seconds.
function M.parse_date(s)
	s = tostring(s)
	if s:match("^%d+$") then return math.tointeger(tonumber(s)) end
	local y, mo, d, rest = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)(.*)$")
	local h, mi, sec = 0, 0, 0
	if rest and rest ~= "" then
		h, mi, sec = rest:match("^[T ](%d%d):(%d%d):?(%d?%d?)$")
		if sec == "" then sec = 0 end
	end
	y, mo, d, h, mi, sec = tonumber(y), tonumber(mo), tonumber(d),
		tonumber(h), tonumber(mi), tonumber(sec)
	if not (y and h) or mo < 1 or mo > 12 or d < 1 or d > 31 or h > 23 or
		mi > 59 or sec > 60 then
		error(string.format("bad date '%s' (expected YYYY-MM-DD, " ..
			"YYYY-MM-DD HH:MM[:SS] in UTC, or epoch seconds)", s), 0)
	end
	return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec
end

-- A non-negative integer (min: smallest allowed).
local function parse_count(s, min)
	local n = tostring(s):match("^%d+$") and math.tointeger(tonumber(s))
	if not n or n < (min or 0) then
		error(string.format("bad number '%s' (expected an integer >= %d)",
			s, min or 0), 0)
	end
	return n
end

-- A percentage 0..100, fractions allowed ("12.5", "5%").
local function parse_percent(s)
	local n = tonumber((tostring(s):gsub("%%$", "")))
	if not n or n < 0 or n > 100 then
		error(string.format("bad percentage '%s' (expected 0 to 100)", s), 0)
	end
	return n
end

-- Look name up in the host's passwd or group file (like find -user/-group:
-- the names the system running e2lua knows).  Numbers pass through.
local function host_id(name, file, what)
	if tostring(name):match("^%d+$") then return math.tointeger(tonumber(name)) end
	local f = io.open(file)
	if f then
		for line in f:lines() do
			local n, id = line:match("^([^:]*):[^:]*:(%d+):")
			if n == name then
				f:close()
				return math.tointeger(tonumber(id))
			end
		end
		f:close()
	end
	error(string.format("unknown %s '%s' (not in %s; give a number)",
		what, name, file), 0)
end

local TYPES = { regular = true, directory = true, symlink = true }

-- Option groups.  Each option: flag (takes no value), key in opts, value
-- name for the usage text, parse (string -> value), multi (repeatable:
-- values collected in an array, or a set with set=true).
local GROUPS = {
	common = {
		{ "--dry-run", key = "dry_run", flag = true,
		  help = "plan only: print what would be done, write nothing" },
		{ "--verbose", "-v", key = "verbose", flag = true,
		  help = "one line per inode (migrated or skipped)" },
		{ "--batch", key = "batch", value = "N", parse = function(s) return parse_count(s, 1) end,
		  help = "commit every N inodes (default: only when the transaction is full)" },
		{ "--help", "-h", key = "help", flag = true, help = "show this help" },
	},
	select = {
		{ "--path", key = "paths", value = "PATTERN", multi = true,
		  help = "a prefix (file or subtree) or a glob (* ? [..]; ** crosses /); repeatable" },
		{ "--paths-from", key = "paths", value = "FILE", multi = true,
		  parse = function(s) return M.read_list(s) end,
		  help = "patterns as for --path, one per line (- = stdin)" },
		{ "--type", key = "types", value = "TYPE", multi = true, set = true,
		  parse = function(s)
			  if not TYPES[s] then
				  error("bad type '" .. s .. "' (expected regular, directory or symlink)", 0)
			  end
			  return s
		  end, help = "regular, directory or symlink; repeatable" },
		{ "--owner", key = "uid", value = "USER",
		  parse = function(s) return host_id(s, "/etc/passwd", "user") end,
		  help = "owned by USER (a name known to this host, or a uid)" },
		{ "--group", key = "gid", value = "GROUP",
		  parse = function(s) return host_id(s, "/etc/group", "group") end,
		  help = "group GROUP (a name known to this host, or a gid)" },
		{ "--uid", key = "uid", value = "N", parse = parse_count, help = "owner uid N" },
		{ "--gid", key = "gid", value = "N", parse = parse_count, help = "group gid N" },
		{ "--mtime-before", key = "mtime_before", value = "DATE", parse = M.parse_date,
		  help = "modified before DATE (YYYY-MM-DD[ HH:MM[:SS]] UTC, or epoch seconds)" },
		{ "--mtime-after", key = "mtime_after", value = "DATE", parse = M.parse_date,
		  help = "modified at or after DATE" },
		{ "--min-fragments", key = "min_fragments", value = "N", parse = parse_count,
		  help = "at least N data runs (current fragmentation)" },
	},
	size = {
		{ "--min-size", key = "min_size", value = "SIZE", parse = M.parse_size,
		  help = "i_size at least SIZE (bytes, or with K, M, G, T)" },
		{ "--max-size", key = "max_size", value = "SIZE", parse = M.parse_size,
		  help = "i_size at most SIZE" },
	},
	budget = {
		{ "--max-files", key = "max_files", value = "N", parse = parse_count,
		  help = "stop after N files" },
		{ "--max-data-blocks", key = "max_data_blocks", value = "N", parse = parse_count,
		  help = "stop before the files' data blocks would exceed N" },
		{ "--max-index-blocks", key = "max_index_blocks", value = "N", parse = parse_count,
		  help = "stop before the new index blocks would exceed N" },
		{ "--keep-free", key = "keep_free", value = "PCT", parse = parse_percent,
		  help = "stop before free blocks would drop below PCT% of all blocks" },
	},
	order = {
		{ "--order", key = "order", value = "ORDER",
		  parse = function(s)
			  if not M.orders[s] then
				  error("bad order '" .. s .. "' (expected largest, smallest or fragmented)", 0)
			  end
			  return s
		  end, help = "largest, smallest (by i_size) or fragmented (most runs) first" },
	},
}

-- The option list of spec (common first, then spec.groups in order).
local function spec_options(spec)
	local list = {}
	for _, g in ipairs({ "common", table.unpack(spec.groups or {}) }) do
		assert(GROUPS[g], "e2.policy: unknown option group " .. tostring(g))
		for _, o in ipairs(GROUPS[g]) do list[#list + 1] = o end
	end
	return list
end

-- The --help text of spec.
function M.usage(spec)
	local out = { string.format("usage: e2lua -w IMAGE %s.lua [OPTIONS]   (or, at the prompt: run %s [OPTIONS])",
		spec.name, spec.name) }
	if spec.about then out[#out + 1] = spec.about end
	out[#out + 1] = "options:"
	for _, o in ipairs(spec_options(spec)) do
		local names = table.concat(o, ", ")
		if o.value then names = names .. " " .. o.value end
		out[#out + 1] = string.format("  %-26s %s", names, o.help)
	end
	return table.concat(out, "\n")
end

-- Read a list file (one pattern per line; blank lines and # comments
-- skipped) into an array.
function M.read_list(file)
	local f, err = io.stdin, nil
	if file ~= "-" then f, err = io.open(file) end
	if not f then error("cannot read " .. err, 0) end
	local list = {}
	for line in f:lines() do
		line = line:match("^%s*(.-)%s*$")
		if line ~= "" and not line:match("^#") then list[#list + 1] = line end
	end
	if f ~= io.stdin then f:close() end
	return list
end

-- Parse the argument array args against spec = {name=, about=, groups=}.
-- Returns the opts table for runner/select, or nil after printing the
-- usage for --help.  Bad options raise "NAME: ..." with a usage hint.
function M.options(args, spec)
	local byname = {}
	for _, o in ipairs(spec_options(spec)) do
		for _, n in ipairs(o) do byname[n] = o end
	end
	local opts = { name = spec.name }
	local given = {}
	local function fail(msg)
		M.fail(spec.name, "%s\nusage: %s [OPTIONS]; --help lists them", msg, spec.name)
	end
	local i = 1
	while i <= #args do
		local a = args[i]
		local name, inline = a:match("^(%-%-[^=]+)=(.*)$")
		name = name or a
		local o = byname[name]
		if not o then
			fail(a:match("^%-") and "unknown option " .. name or "unexpected argument '" .. a .. "'")
		end
		local value
		if o.flag then
			if inline then fail(name .. " takes no value") end
			value = true
		else
			value = inline
			if not value then
				i = i + 1
				value = args[i]
				if value == nil then fail(name .. " needs a value (" .. o.value .. ")") end
			end
			if o.parse then
				local ok, v = pcall(o.parse, value)
				if not ok then fail(name .. ": " .. tostring(v)) end
				value = v
			end
		end
		if o.multi then
			local t = opts[o.key] or {}
			if o.set then
				t[value] = true
			elseif type(value) == "table" then
				table.move(value, 1, #value, #t + 1, t)
			else
				t[#t + 1] = value
			end
			opts[o.key] = t
		else
			if given[o.key] then
				fail(given[o.key] == name and name .. " given twice"
					or name .. " conflicts with " .. given[o.key])
			end
			given[o.key] = name
			opts[o.key] = value
		end
		i = i + 1
	end
	if opts.help then
		print(M.usage(spec))
		return nil
	end
	return opts
end

-- True if opts holds at least one selection criterion.
function M.has_criteria(opts)
	for _, k in ipairs({ "paths", "types", "uid", "gid", "mtime_before", "mtime_after",
		"min_fragments", "min_size", "max_size", "filter", "accept" }) do
		if opts[k] ~= nil then return true end
	end
	return false
end

-- Paths and globs ---------------------------------------------------------

-- True if s contains glob characters.
local function is_glob(s) return s:find("[%*%?%[]") ~= nil end

-- Does the bracket expression at p[i] (just after "[") match char c?
-- Returns the match and the index after "]", or nil if unterminated.
local function match_class(p, i, c)
	local neg = false
	if p:sub(i, i) == "!" or p:sub(i, i) == "^" then neg, i = true, i + 1 end
	local hit, first = false, true
	while i <= #p do
		local ch = p:sub(i, i)
		if ch == "]" and not first then return hit ~= neg, i + 1 end
		first = false
		if p:sub(i + 1, i + 1) == "-" and i + 2 <= #p and p:sub(i + 2, i + 2) ~= "]" then
			if c >= ch and c <= p:sub(i + 2, i + 2) then hit = true end
			i = i + 3
		else
			if c == ch then hit = true end
			i = i + 1
		end
	end
	return nil
end

-- Does path s match glob p?  "*", "?" and "[...]" never match "/"; "**"
-- matches anything, "/" included, and "**/" also matches nothing.
function M.glob_match(p, s)
	local function m(i, j)
		while i <= #p do
			local c = p:sub(i, i)
			if c == "*" and p:sub(i + 1, i + 1) == "*" then
				local k = i + 2
				if p:sub(k, k) == "/" and m(k + 1, j) then return true end
				for t = j, #s + 1 do
					if m(k, t) then return true end
				end
				return false
			elseif c == "*" then
				for t = j, #s + 1 do
					if m(i + 1, t) then return true end
					if s:sub(t, t) == "/" then return false end
				end
				return false
			elseif c == "?" then
				if j > #s or s:sub(j, j) == "/" then return false end
			elseif c == "[" then
				local ch = s:sub(j, j)
				if ch == "" or ch == "/" then return false end
				local hit, nexti = match_class(p, i + 1, ch)
				if hit == nil then		-- no "]": a literal "["
					if ch ~= "[" then return false end
				elseif not hit then
					return false
				else
					i = nexti - 1
				end
			elseif s:sub(j, j) ~= c then
				return false
			end
			i, j = i + 1, j + 1
		end
		return j > #s
	end
	return m(1, 1)
end

-- Clean an absolute path: no "//", ".", "..", or trailing "/".
local function clean(path)
	local parts = {}
	for c in path:gmatch("[^/]+") do
		if c == ".." then parts[#parts] = nil
		elseif c ~= "." then parts[#parts + 1] = c end
	end
	return "/" .. table.concat(parts, "/")
end

-- Is path equal to, or under, directory prefix (both clean)?
local function under(path, prefix)
	return prefix == "/" or path == prefix or path:sub(1, #prefix + 1) == prefix .. "/"
end

-- Compile opts.paths into {match=function(path), roots={...}}: the
-- patterns made absolute (relative ones start at the fs's cwd), and the
-- fewest directories whose walks cover every possible match.
local function compile_paths(fs, patterns, name)
	local cwd = fs:path(fs:cwd()) or "/"
	local pats, roots = {}, {}
	for _, p in ipairs(patterns) do
		local abs = p:sub(1, 1) == "/" and p or cwd .. "/" .. p
		local glob = is_glob(abs)
		local root = abs
		if glob then
			-- the literal directories before the first wildcard
			root = abs:sub(1, abs:find("[%*%?%[]")):match("^(.*)/") or "/"
			abs = abs:gsub("//+", "/")
		end
		root = clean(root)
		if not fs:lookup(root) then
			M.fail(name, "--path %s: %s not found in %s", p, root, fs.image)
		end
		pats[#pats + 1] = { glob = glob, text = glob and abs or clean(abs) }
		roots[#roots + 1] = root
	end
	table.sort(roots)
	local minimal = {}
	for _, r in ipairs(roots) do
		if #minimal == 0 or not under(r, minimal[#minimal]) then minimal[#minimal + 1] = r end
	end
	local function match(path)
		for _, pat in ipairs(pats) do
			if pat.glob then
				if M.glob_match(pat.text, path) then return true end
			elseif under(path, pat.text) then
				return true
			end
		end
		return false
	end
	return { match = match, roots = minimal }
end

-- Selection ---------------------------------------------------------------

-- The criteria of opts the core applies (fs:select): fields, plan, order
-- and budgets.
local function criteria(opts)
	local order = opts.order
	if type(order) == "function" then order = "custom" end
	return {
		types = opts.types, uid = opts.uid, gid = opts.gid,
		mtime_before = opts.mtime_before, mtime_after = opts.mtime_after,
		min_size = opts.min_size, max_size = opts.max_size,
		min_runs = opts.min_fragments, order = order,
		max_files = opts.max_files, max_data_blocks = opts.max_data_blocks,
		max_index_blocks = opts.max_index_blocks, keep_free = opts.keep_free,
		log = opts.verbose and true or false,
	}
end

-- Iterate (inode, path) over the inodes opts' paths and opts.filter pick
-- (the criteria on inode fields are the runner's, applied in C).  Without
-- paths it is the sequential inode scan (path is nil); with them, walks
-- of the directories the patterns start from, each inode once.  A
-- generic-for iterator: leaving the loop early closes the walk.
function M.select(fs, opts)
	local filter = opts.filter
	if not opts.paths then
		return fs:inodes(filter)
	end
	local paths = compile_paths(fs, opts.paths, opts.name or "policy")
	local seen = {}		-- hard links: each inode once
	local function wanted(path, inode)
		if not paths.match(path) or (filter and not filter(inode, path)) then
			return false
		end
		if inode.type ~= "directory" and inode.links > 1 then
			if seen[inode.ino] then return false end
			seen[inode.ino] = true
		end
		return true
	end
	local r, walk, state, cursor, last = 0, nil, nil, nil, nil	-- root index, current walk
	local function step()
		while true do
			if walk then
				local path, inode = walk(state, last)
				last = path
				if path == nil then
					walk, state, cursor = nil, nil, nil	-- a finished walk closes itself
				elseif wanted(path, inode) then
					return inode, path
				end
			else
				r = r + 1
				local root = paths.roots[r]
				if not root then return nil end
				local top = fs:inode(root)
				if top.type ~= "directory" then
					if wanted(root, top) then return top, root end
				else
					walk, state, last, cursor = fs:walk(root)
				end
			end
		end
	end
	return step, nil, nil, setmetatable({}, { __close = function()
		if cursor then cursor:close() end
	end })
end

-- Progress ----------------------------------------------------------------

-- Is stderr a terminal?
local function stderr_is_tty()
	return io.stderr ~= nil and e2.isatty(io.stderr)
end

local Progress = {}
Progress.__index = Progress

-- A progress line on stderr (or nothing: enabled false or not a tty).
local function progress_new(label, total, enabled)
	if enabled == nil then enabled = stderr_is_tty() end
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

-- Ordering ----------------------------------------------------------------

-- The orders the core knows (--order); opts.order may also be a Lua
-- comparator over plan tables with .size and .path added.
M.orders = { largest = true, smallest = true, fragmented = true }

-- The runner --------------------------------------------------------------

local Runner = {}
Runner.__index = Runner

-- Inodes the core considers per call of a scan: between calls the runner
-- shows progress and Ctrl-C is seen.
local SCAN_CHUNK = 16384

-- Start a run over fs with opts (from M.options, or built by hand; see
-- doc/policies.md).  Use it as a to-be-closed variable: leaving the scope
-- by an error rolls back the batch being staged.
function M.runner(fs, opts)
	if not opts.dry_run and not fs.writable then
		M.fail(opts.name, "%s is open read-only: open it with -w, or use --dry-run", fs.image)
	end
	if type(opts.order) == "string" and not M.orders[opts.order] then
		error("e2.policy: unknown order " .. opts.order, 2)
	end
	local super = fs.super
	local self = setmetatable({
		fs = fs, opts = opts, name = opts.name or "policy",
		batch = opts.batch or 0, staged = 0, committed = 0,
		rejected = 0, paths = opts.verbose and {} or nil,
		out = opts.out or print,
		summary = {
			policy = opts.name or "policy", dry_run = opts.dry_run and true or false,
			examined = 0, filtered = 0, files = 0, data_blocks = 0, extents = 0,
			index_blocks = 0, meta_freed = 0, used_delta = 0, batches = 0,
			skipped = {}, skipped_total = 0,
			free_before = super.free_blocks_count,
		},
		start = os.time(),
	}, Runner)
	self.sel = fs:select(criteria(opts))
	-- a scan's total is known (the inodes in use); a walk's is not
	local total = opts.total or (not opts.paths and super.inodes_count - super.free_inodes_count)
	self.progress = progress_new(self.name, total or nil, opts.progress)
	return self
end

-- Print one line per inode for --verbose.
function Runner:say(plan, path, what)
	if not self.opts.verbose then return end
	path = path or self.fs:path(plan.ino)
	local who = path and string.format("<%d> %s", plan.ino, path) or string.format("<%d>", plan.ino)
	if what then
		self.out(string.format("  skip %s: %s", who, what))
	else
		self.out(string.format("  %s: %d data blocks, %d runs -> %d extents, depth %d, " ..
			"+%d index, -%d indirect", who, plan.data_blocks, plan.runs,
			plan.extents, plan.depth, plan.index_blocks, plan.meta_freed))
	end
end

-- The --verbose lines of what the core decided since last asked.
function Runner:drain()
	if not self.opts.verbose then return end
	for _, plan in ipairs(self.sel:log()) do
		self:say(plan, self.paths[plan.ino], plan.reason)
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
		if type(inode) ~= "userdata" and type(inode) ~= "table" then inode = self.fs:inode(inode) end
		if not o.accept(inode:plan(), inode, path) then
			self.rejected = self.rejected + 1
			return true
		end
	end
	local ino = type(inode) == "number" and inode or inode.ino
	if self.paths and path then self.paths[ino] = path end
	local more = self.sel:offer(ino)
	self:drain()
	if not o.order then self:flush(false) end
	if not more then self.stopped = true end
	return more
end

-- Offer every inode opts selects: with paths or opts.filter a Lua walk or
-- scan, else one scan in the core (no Lua per inode).
function Runner:select()
	if self.opts.paths or self.opts.filter or self.opts.accept then
		for inode, path in M.select(self.fs, self.opts) do
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
		local done = sel:scan(SCAN_CHUNK, tx, self.batch)
		self.progress:tick(math.min(SCAN_CHUNK, (self.progress.total or math.huge) - self.progress.n))
		self:drain()
	until done
	if tx then self.staged = #tx end
end

-- The transaction, begun on first use.
function Runner:begin()
	self.tx = self.tx or self.fs:begin()
	return self.tx
end

-- Stage the selected inodes not staged yet and commit each batch that is
-- complete (opts.batch inodes, or a full transaction); final: commit the
-- last one too.
function Runner:flush(final)
	if self.summary.dry_run then return end
	while true do
		local tx = self:begin()
		tx:stage(self.sel, self.batch)
		self.staged = #tx
		local full = tx:full() or (self.batch > 0 and self.staged >= self.batch)
		if self.staged == 0 or not (full or final) then return end
		self.committing = true		-- for __close's message if it fails
		tx:commit()
		self:batch_written()
	end
end

-- Account for a batch that reached the disk.
function Runner:batch_written()
	self.committing = false
	self.committed = self.committed + self.staged
	self.staged = 0
	self.summary.batches = self.summary.batches + 1
end

-- A custom order (opts.order a function): the candidates' plans, sorted.
function Runner:custom_order()
	local plans = {}
	for i, ino in ipairs(self.sel:candidates()) do
		local plan = self.fs:plan(ino)
		plan.size, plan.path = self.fs:inode(ino).size, self.paths and self.paths[ino]
		plans[i] = plan
	end
	table.sort(plans, self.opts.order)
	for i, plan in ipairs(plans) do plans[i] = plan.ino end
	return plans
end

-- Finish the run: order (ordered runs), stage and commit what is left,
-- print the summary and return it (see doc/policies.md for its fields).
function Runner:finish()
	if self.opts.order then
		self.sel:finish(type(self.opts.order) == "function" and self:custom_order() or nil)
		self:drain()
	end
	self:flush(true)
	if self.tx then
		self.tx:close()
		self.tx = nil
	end
	self.progress:clear()
	local s, t = self.summary, self.sel:totals()
	for _, k in ipairs({ "examined", "files", "data_blocks", "extents", "index_blocks",
		"meta_freed", "used_delta" }) do
		s[k] = t[k]
	end
	s.examined = s.examined + self.rejected
	s.filtered = t.filtered + self.rejected
	s.skipped, s.skipped_total = t.reasons, t.skipped
	s.stopped_by = t.stopped_by and "--" .. t.stopped_by:gsub("_", "-")
	s.seconds = os.time() - self.start
	s.free_after = s.dry_run and s.free_before - s.used_delta or self.fs.super.free_blocks_count
	self.sel:close()
	self.finished = true
	self:report()
	return s
end

-- Print the summary.
function Runner:report()
	local s, out = self.summary, self.out
	if s.dry_run then
		out(string.format("%s: dry run, nothing written: %d files would be migrated", s.policy, s.files))
	else
		out(string.format("%s: migrated %d files in %d batch%s", s.policy, s.files,
			s.batches, s.batches == 1 and "" or "es"))
	end
	out(string.format("  data blocks:    %d", s.data_blocks))
	out(string.format("  extents:        %d", s.extents))
	out(string.format("  index blocks:   %d needed", s.index_blocks))
	out(string.format("  indirect freed: %d", s.meta_freed))
	out(string.format("  free blocks:    %d -> %d (%+d)", s.free_before, s.free_after,
		s.free_after - s.free_before))
	local reasons = {}
	for r, n in pairs(s.skipped) do reasons[#reasons + 1] = { r, n } end
	table.sort(reasons, function(a, b)
		if a[2] ~= b[2] then return a[2] > b[2] end
		return a[1] < b[1]
	end)
	for i, rn in ipairs(reasons) do reasons[i] = string.format("%s: %d", rn[1], rn[2]) end
	out(string.format("  skipped:        %d%s", s.skipped_total,
		#reasons > 0 and " (" .. table.concat(reasons, ", ") .. ")" or ""))
	if s.stopped_by then out(string.format("  stopped by:     %s", s.stopped_by)) end
end

-- Leaving the scope: roll back whatever is still staged, and say what was
-- already committed if an error cut the run short.
function Runner:__close(err)
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
	if self.committing then
		io.stderr:write(string.format("%s: the commit of batch %d (%d inodes) failed; " ..
			"%d inodes committed before it stay migrated\n", self.name,
			self.summary.batches + 1, self.staged, self.committed))
	elseif self.committed == 0 then
		io.stderr:write(string.format("%s: stopped: nothing was written " ..
			"(%d staged inodes rolled back)\n", self.name, staged))
	else
		io.stderr:write(string.format("%s: stopped: %d inodes committed in %d " ..
			"batch%s stay migrated; the %d inodes staged since were not committed\n",
			self.name, self.committed, self.summary.batches,
			self.summary.batches == 1 and "" or "es", staged))
	end
end

-- The whole run for opts: select, finish.  Returns the summary.
function M.run(fs, opts)
	local run <close> = M.runner(fs, opts)
	run:select()
	return run:finish()
end

return M
