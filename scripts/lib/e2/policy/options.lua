-- e2.policy.options -- what a policy is asked to do: the command-line
-- parser (policy.options), the check of an opts table built in Lua
-- (every policy entry point runs it), the value parsers, and the errors
-- for the user (policy.fail).  Part of e2.policy (doc/policies.md).

local e2 = require "e2"

local M = {}

-- Fail the way the rest of e2lua does: an e2.error "NAME: message".  Its
-- status (1) makes it a message for the user: e2lua prints it without a
-- script line and exits with that status; pcall callers get .message.
function M.fail(name, fmt, ...)
	local err = e2.error(string.format(fmt, ...), name or "policy")
	err.status = 1
	error(err)
end

local E2ERROR = getmetatable(e2.error("", "policy"))

-- Call f(...), a function of the core (fs:select, sel:scan, tx:commit,
-- a walk's iterator...).  The e2.error it may raise ("select disk.img:
-- Block bitmap disagrees ...") is a message for the user, not a fault of
-- the Lua calling it: it leaves with status 1, so e2lua prints it as it
-- is, without a file and line of e2.policy, and exits with 1.  Anything
-- else goes on as raised.  Call no user function (a filter, accept,
-- order) through it: a bug there keeps its traceback that way.
function M.core(f, ...)
	local r = table.pack(pcall(f, ...))
	if r[1] then return table.unpack(r, 2, r.n) end
	local err = r[2]
	if getmetatable(err) == E2ERROR and err.status == nil then err.status = 1 end
	error(err, 0)
end

-- Value parsers: a string in, the value out, or a plain error saying why
-- (options() puts the option's name in front).

local function bad(fmt, ...)
	error(string.format(fmt, ...), 0)
end

-- An integer from a string of digits, or nil past math.maxinteger.
local function digits_value(s)
	if #s > 18 then			-- 10^18 < 2^63: the check is exact below that
		s = s:gsub("^0+(%d)", "%1")
		if #s > 19 or (#s == 19 and s > tostring(math.maxinteger)) then return nil end
	end
	return math.tointeger(tonumber(s))
end

-- A non-negative integer of digits only, at least min (default 0).
local function parse_count(s, min)
	min = min or 0
	s = tostring(s)
	if not s:match("^%d+$") then bad("bad number '%s' (expected an integer >= %d)", s, min) end
	local n = digits_value(s)
	if not n then bad("bad number '%s' (too large)", s) end
	if n < min then bad("bad number '%s' (expected an integer >= %d)", s, min) end
	return n
end

local MAX_ID = 0xFFFFFFFF	-- uids and gids are 32 bits on disk

-- A uid or gid: digits, 0 to 2^32 - 1.
local function parse_id(s, what)
	s = tostring(s)
	local n = s:match("^%d+$") and digits_value(s)
	if not n or n > MAX_ID then
		bad("bad %s '%s' (expected 0 to %d)", what, s, MAX_ID)
	end
	return n
end

-- A user or group: a number (as parse_id), or a name the host knows
-- (getpwnam/getgrnam: NSS, as find -user does).
local function host_id(s, what)
	if s:match("^%d+$") then return parse_id(s, what .. " id") end
	local id = (what == "user" and e2.user or e2.group)(s)
	if not id then bad("unknown %s '%s' (not known to this host; give a number)", what, s) end
	return id
end

local UNITS = { [""] = 0, k = 1, m = 2, g = 3, t = 4 }

-- Parse a size: "N" bytes, or "N" or "N.F" with K, M, G or T (either
-- case; powers of 1024), coming to a whole number of bytes.
function M.parse_size(s)
	s = tostring(s)
	local int, frac, unit = s:match("^(%d+)(%.?%d*)([kKmMgGtT]?)$")
	if not int or (frac ~= "" and (frac == "." or unit == "")) then
		bad("bad size '%s' (expected N bytes, or N or N.F followed by K, M, G or T)", s)
	end
	local fdigits = frac:sub(2)
	local num = digits_value(int .. fdigits)
	local mult = 1 << (10 * UNITS[unit:lower()])
	local den = math.tointeger(10 ^ #fdigits)
	if not num or not den or num > math.maxinteger // mult then
		bad("bad size '%s' (too large)", s)
	end
	if num * mult % den ~= 0 then
		bad("bad size '%s' (not a whole number of bytes)", s)
	end
	return num * mult // den
end

-- A percentage from 0 to 100: digits with an optional fraction and "%".
local function parse_percent(s)
	s = tostring(s)
	local num = s:match("^(%d+%.?%d*)%%?$")
	local n = num and not num:match("%.$") and tonumber(num)
	if not n or n > 100 then
		bad("bad percentage '%s' (expected 0 to 100, like 5, 12.5 or 12.5%%)", s)
	end
	return n
end

local function is_leap(y)
	return y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0)
end

local MONTH_DAYS = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }

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

local DATE_FORMS = "expected YYYY-MM-DD, YYYY-MM-DD HH:MM or YYYY-MM-DD HH:MM:SS " ..
	"(a T or a space before the time; UTC), or epoch seconds"

-- Parse "YYYY-MM-DD", "YYYY-MM-DD HH:MM", "YYYY-MM-DD HH:MM:SS" (a "T"
-- instead of the space too), all UTC, or epoch seconds, into epoch
-- seconds.  A date or time that does not exist is an error.
function M.parse_date(s)
	s = tostring(s)
	if s:match("^%d+$") then
		local n = digits_value(s)
		if not n then bad("bad date '%s' (too large)", s) end
		return n
	end
	local y, mo, d, rest = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)(.*)$")
	local h, mi, sec = "0", "0", "0"
	if rest and rest ~= "" then
		h, mi = rest:match("^[T ](%d%d):(%d%d)$")
		if not h then h, mi, sec = rest:match("^[T ](%d%d):(%d%d):(%d%d)$") end
	end
	if not (y and h) then bad("bad date '%s' (%s)", s, DATE_FORMS) end
	y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
	h, mi, sec = tonumber(h), tonumber(mi), tonumber(sec)
	if mo < 1 or mo > 12 then bad("bad date '%s' (no month %d)", s, mo) end
	local days = mo == 2 and is_leap(y) and 29 or MONTH_DAYS[mo]
	if d < 1 or d > days then
		bad("bad date '%s' (%04d-%02d has %d days)", s, y, mo, days)
	end
	if h > 23 or mi > 59 or sec > 59 then
		bad("bad time in '%s' (hours 00 to 23, minutes and seconds 00 to 59)", s)
	end
	return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec
end

-- Read a list file (one pattern per line; blank lines and # comments
-- skipped) into an array.
function M.read_list(file)
	local f, err = io.stdin, nil
	if file ~= "-" then f, err = io.open(file) end
	if not f then bad("cannot read %s", err) end
	local list = {}
	for line in f:lines() do
		line = line:match("^%s*(.-)%s*$")
		if line ~= "" and not line:match("^#") then list[#list + 1] = line end
	end
	if f ~= io.stdin then f:close() end
	return list
end

-- The orders the core knows (--order); opts.order may also be a Lua
-- comparator over plan tables with .size and .path added.
M.orders = { largest = true, smallest = true, fragmented = true }

M.types = { regular = true, directory = true, symlink = true }

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
			  if not M.types[s] then
				  bad("bad type '%s' (expected regular, directory or symlink)", s)
			  end
			  return s
		  end, help = "regular, directory or symlink; repeatable" },
		{ "--owner", key = "uid", value = "USER",
		  parse = function(s) return host_id(s, "user") end,
		  help = "owned by USER (a name known to this host, or a uid)" },
		{ "--group", key = "gid", value = "GROUP",
		  parse = function(s) return host_id(s, "group") end,
		  help = "group GROUP (a name known to this host, or a gid)" },
		{ "--uid", key = "uid", value = "N", parse = function(s) return parse_id(s, "uid") end,
		  help = "owner uid N (0 to 4294967295)" },
		{ "--gid", key = "gid", value = "N", parse = function(s) return parse_id(s, "gid") end,
		  help = "group gid N (0 to 4294967295)" },
		{ "--mtime-before", key = "mtime_before", value = "DATE", parse = M.parse_date,
		  help = "modified before DATE (YYYY-MM-DD[ HH:MM[:SS]] UTC, or epoch seconds)" },
		{ "--mtime-after", key = "mtime_after", value = "DATE", parse = M.parse_date,
		  help = "modified at or after DATE" },
		{ "--min-runs", key = "min_runs", value = "N", parse = parse_count,
		  help = "at least N data runs (as ino:runs() and plan.runs count them)" },
		{ "--min-fragments", key = "min_runs", value = "N", parse = parse_count,
		  help = "the old name of --min-runs (deprecated)" },
	},
	size = {
		{ "--min-size", key = "min_size", value = "SIZE", parse = M.parse_size,
		  help = "i_size at least SIZE (bytes, or N[.F] with K, M, G, T)" },
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
	revert = {
		{ "--clear-feature", key = "clear_feature", flag = true,
		  help = "then turn the extent feature off (refused while an extent-mapped inode is left)" },
	},
	order = {
		{ "--order", key = "order", value = "ORDER",
		  parse = function(s)
			  if not M.orders[s] then
				  bad("bad order '%s' (expected largest, smallest or fragmented)", s)
			  end
			  return s
		  end, help = "largest, smallest (by i_size) or fragmented (most runs) first" },
	},
}

-- Relocation (scripts/defrag.lua): which files, how much to copy, what to
-- keep free; --path and --keep-free as the other groups have them.
GROUPS.defrag = {
	GROUPS.select[1], GROUPS.select[2],
	{ "--ratio", key = "ratio", value = "K",
	  parse = function(s)
		  local n = tonumber(s)
		  if not n or n < 1 or not tostring(s):match("^%d+%.?%d*$") then
			  bad("bad ratio '%s' (expected a number >= 1, like 2 or 1.5)", s)
		  end
		  return n
	  end,
	  help = "relocate files with more than K times the extents their data needs (default 2)" },
	{ "--max-copy-blocks", key = "max_copy_blocks", value = "N", parse = parse_count,
	  help = "stop before the blocks copied would exceed N" },
	GROUPS.budget[4],
	{ "--verify", key = "verify", flag = true,
	  help = "read every copied block back before the inode is written" },
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
				-- an option where the value should be: the value is
				-- missing (--path --dry-run must not make a pattern)
				if value and (value:match("^%-%-") or byname[value]) then
					fail(string.format("%s needs a value (%s), not the option %s " ..
						"(write %s=%s if that is the value)", name, o.value, value, name, value))
				end
			end
			if value == nil or value == "" then
				fail(name .. " needs a value (" .. o.value .. ")")
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

-- The keys of an opts table and what each must be.
local function is_count(v) return math.type(v) == "integer" and v >= 0 end
local function is_id(v) return is_count(v) and v <= MAX_ID end
local function is_strings(v)
	if type(v) ~= "table" then return false end
	for k, p in pairs(v) do
		if math.type(k) ~= "integer" or k < 1 or k > #v or type(p) ~= "string" or p == "" then
			return false
		end
	end
	return true
end
local function is_types(v)
	if type(v) ~= "table" then return false end
	for k, t in pairs(v) do
		local name = math.type(k) == "integer" and t or k
		if not M.types[name] or (name == k and type(t) ~= "boolean") then return false end
	end
	return true
end

local KEYS = {
	name = { "a string", function(v) return type(v) == "string" end },
	dry_run = { "a boolean", function(v) return type(v) == "boolean" end },
	verbose = { "a boolean", function(v) return type(v) == "boolean" end },
	progress = { "a boolean", function(v) return type(v) == "boolean" end },
	batch = { "an integer >= 1", function(v) return is_count(v) and v >= 1 end },
	paths = { "an array of patterns (strings)", is_strings },
	types = { "a set or an array of 'regular', 'directory', 'symlink'", is_types },
	uid = { "an integer from 0 to 4294967295", is_id },
	gid = { "an integer from 0 to 4294967295", is_id },
	mtime_before = { "an integer (epoch seconds)", function(v) return math.type(v) == "integer" end },
	mtime_after = { "an integer (epoch seconds)", function(v) return math.type(v) == "integer" end },
	min_runs = { "an integer >= 0", is_count },
	min_fragments = { "an integer >= 0 (the old name of min_runs)", is_count },
	min_size = { "an integer >= 0 (bytes)", is_count },
	max_size = { "an integer >= 0 (bytes)", is_count },
	max_files = { "an integer >= 0", is_count },
	max_data_blocks = { "an integer >= 0", is_count },
	max_index_blocks = { "an integer >= 0", is_count },
	keep_free = { "a number from 0 to 100", function(v)
		return type(v) == "number" and v >= 0 and v <= 100 end },
	order = { "'largest', 'smallest', 'fragmented' or a function", function(v)
		return type(v) == "function" or M.orders[v] == true end },
	filter = { "a function", function(v) return type(v) == "function" end },
	accept = { "a function", function(v) return type(v) == "function" end },
	out = { "a function", function(v) return type(v) == "function" end },
	total = { "an integer >= 0", is_count },
	unmigrate = { "a boolean", function(v) return type(v) == "boolean" end },
	clear_feature = { "a boolean", function(v) return type(v) == "boolean" end },
	ratio = { "a number >= 1", function(v) return type(v) == "number" and v >= 1 end },
	max_copy_blocks = { "an integer >= 0", is_count },
	verify = { "a boolean", function(v) return type(v) == "boolean" end },
}

-- The known key closest to a misspelt one: the longest common prefix, of
-- at least 3 characters.
local function closest(key)
	local best, len = nil, 2
	for k in pairs(KEYS) do
		local n = 0
		while n < #k and k:byte(n + 1) == key:byte(n + 1) do n = n + 1 end
		if n > len then best, len = k, n end
	end
	return best
end

-- Check an opts table (from options(), or built in Lua): every key known,
-- every value of the right type, as fs:select checks its criteria.  A
-- misspelt key would otherwise widen the run ("min_frags = 5" selecting
-- everything).  Raises "NAME: unknown option 'key'".
function M.check(opts)
	if type(opts) ~= "table" then
		M.fail("policy", "options must be a table, got %s", type(opts))
	end
	local name = type(opts.name) == "string" and opts.name or "policy"
	for k, v in pairs(opts) do
		local want = KEYS[k]
		if not want then
			local near = type(k) == "string" and closest(k)
			M.fail(name, "unknown option '%s'%s", tostring(k),
				near and string.format(" (did you mean '%s'?)", near) or "")
		end
		if not want[2](v) then
			M.fail(name, "option '%s' must be %s, got %s", k, want[1],
				type(v) == "string" and string.format("'%s'", v) or
				math.type(v) or type(v))
		end
	end
	if opts.min_fragments ~= nil then
		if opts.min_runs ~= nil then
			M.fail(name, "options 'min_runs' and 'min_fragments' (its old name) both given")
		end
		M.deprecated("min_fragments", "min_runs")
	end
	return opts
end

-- An old name (doc/lua-api.md, "Deprecated names") was used: a warning
-- through warn(), printed only when warnings are on (warn("@on"),
-- lua5.4 -W), once per name.
local warned = {}
function M.deprecated(old, new)
	if not warned[old] then
		warned[old] = true
		warn("e2.policy: '", old, "' is deprecated: use '", new,
			"' (it goes in the next release)")
	end
end

-- True if opts holds at least one selection criterion.
function M.has_criteria(opts)
	for _, k in ipairs({ "paths", "types", "uid", "gid", "mtime_before", "mtime_after",
		"min_runs", "min_fragments", "min_size", "max_size", "filter", "accept" }) do
		if opts[k] ~= nil then return true end
	end
	return false
end

return M
