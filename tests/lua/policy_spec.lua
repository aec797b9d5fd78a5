-- policy_spec.lua -- e2.policy's input checks, value parsers, glob
-- matcher, summary and exit status, and the e2 functions it relies on
-- (e2.user, e2.group, e2.skip_class), under a stock lua5.4.
-- images: ext2:1024:16M
local t = require "spec"
local e2 = require "e2"

package.path = os.getenv("E2LUA_SCRIPTS") .. "/lib/?.lua;" .. package.path
local policy = require "e2.policy"
local img = arg[1]
local sum = t.sha256(img)

-- ------------------------------------------------------------------
-- The module layout: e2.policy re-exports its four modules' functions
-- ------------------------------------------------------------------
for name, mod in pairs { options = "options", usage = "options", check = "options",
	has_criteria = "options", fail = "options", parse_size = "options",
	parse_date = "options", read_list = "options", orders = "options",
	glob_match = "glob", walk = "walk", runner = "run", run = "run", exit = "run" } do
	local m = require("e2.policy." .. mod)
	local own = name == "glob_match" and "match" or name
	t.eq(policy[name], m[own], "e2.policy." .. name .. " is e2.policy." .. mod .. "." .. own)
end

-- ------------------------------------------------------------------
-- opts tables: unknown keys and wrong types raise, nothing is written
-- ------------------------------------------------------------------
do
	local fs <close> = e2.open(img, { write = true })
	local function rejects(opts, msg, what)
		local err = t.raises(function() policy.run(fs, opts) end, msg, what)
		t.eq(type(err) == "table" and err.status, 1, what .. ": a user error (status 1)")
		t.check(not tostring(err):find("policy.lua", 1, true) and not tostring(err):find("%.lua:%d"),
			"%s: no Lua position in [%s]", what, tostring(err))
	end
	rejects({ min_frags = 5 }, "policy: unknown option 'min_frags' (did you mean 'min_fragments'?)",
		"misspelt key")
	rejects({ name = "mine", maxfiles = 3 }, "mine: unknown option 'maxfiles'", "misspelt key, named")
	rejects({ paths = "/var" }, "option 'paths' must be an array of patterns (strings), got '/var'",
		"paths as a string")
	rejects({ paths = { "/dir", 7 } }, "option 'paths' must be an array", "paths with a number")
	rejects({ paths = { "" } }, "option 'paths' must be an array", "an empty pattern")
	rejects({ uid = 4294967296 }, "option 'uid' must be an integer from 0 to 4294967295, got integer",
		"uid 2^32")
	rejects({ gid = -1 }, "option 'gid' must be an integer from 0 to 4294967295", "gid -1")
	rejects({ uid = 1.5 }, "option 'uid' must be an integer from 0 to 4294967295, got float", "uid 1.5")
	rejects({ types = "regular" }, "option 'types' must be a set or an array", "types as a string")
	rejects({ types = { fifo = true } }, "option 'types' must be a set or an array", "types: fifo")
	rejects({ types = { "regular", "other" } }, "option 'types' must be", "types: other")
	rejects({ batch = 0 }, "option 'batch' must be an integer >= 1", "batch 0")
	rejects({ order = "biggest" }, "option 'order' must be 'largest', 'smallest', 'fragmented' or a function",
		"order biggest")
	rejects({ keep_free = 101 }, "option 'keep_free' must be a number from 0 to 100", "keep_free 101")
	rejects({ mtime_before = "2020-01-01" }, "option 'mtime_before' must be an integer (epoch seconds)",
		"mtime as a string")
	rejects({ dry_run = "yes" }, "option 'dry_run' must be a boolean", "dry_run as a string")
	rejects({ filter = true }, "option 'filter' must be a function", "filter not a function")
	rejects({ min_size = 1 << 20, max_files = -3 }, "option 'max_files' must be an integer >= 0",
		"max_files -3")
	t.raises(function() policy.run(fs, "all") end, "options must be a table, got string", "opts a string")
	t.raises(function() for _ in policy.walk(fs, { pathz = { "/" } }) do end end,
		"unknown option 'pathz'", "policy.walk checks too")
	-- well-formed tables pass: sets and arrays of types, counts, a comparator
	local s = policy.run(fs, { name = "ok", dry_run = true, out = function() end,
		types = { "regular", "directory" }, uid = 0, order = function(a, b) return a.ino < b.ino end,
		keep_free = 0.5, progress = false })
	t.check(s.files > 0, "a well-formed opts table runs (%d files)", s.files)
end
t.eq(t.sha256(img), sum, "rejected runs wrote nothing")

-- ------------------------------------------------------------------
-- The command line: values that are options, ids, dates, sizes, numbers
-- ------------------------------------------------------------------
local SPEC = { name = "p", groups = { "select", "size", "budget", "order" } }
local function parses(args, key, want, what)
	local ok, opts = pcall(policy.options, args, SPEC)
	if t.check(ok, "%s: raised %s", what, tostring(opts)) then
		if type(want) == "table" then
			t.eq(table.concat(opts[key], "|"), table.concat(want, "|"), what)
		else
			t.eq(opts[key], want, what)
		end
	end
end
local function refuses(args, msg, what)
	local err = t.raises(function() policy.options(args, SPEC) end, msg, what)
	t.eq(type(err) == "table" and err.status, 1, what .. ": a user error (status 1)")
end

refuses({ "--path", "--dry-run" }, "p: --path needs a value (PATTERN), not the option --dry-run " ..
	"(write --path=--dry-run if that is the value)", "--path --dry-run")
refuses({ "--path", "-v" }, "--path needs a value (PATTERN), not the option -v", "--path -v")
refuses({ "--min-size", "--max-size", "5" }, "--min-size needs a value (SIZE)", "--min-size --max-size")
refuses({ "--path=" }, "--path needs a value (PATTERN)", "--path=")
refuses({ "--min-fragment", "5" }, "p: unknown option --min-fragment", "misspelt option")
parses({ "--path=--dry-run" }, "paths", { "--dry-run" }, "--path=--dry-run is a pattern")
parses({ "--path", "-" }, "paths", { "-" }, "a lone - is a value")

refuses({ "--uid", "4294967296" }, "--uid: bad uid '4294967296' (expected 0 to 4294967295)", "--uid 2^32")
refuses({ "--gid", "18446744073709551617" }, "--gid: bad gid", "--gid 2^64+1")
refuses({ "--owner", "4294967296" }, "--owner: bad user id '4294967296'", "--owner 2^32")
refuses({ "--group", "4294967297" }, "--group: bad group id '4294967297'", "--group 2^32+1")
refuses({ "--uid", "-1" }, "--uid: bad uid '-1'", "--uid -1")
refuses({ "--uid", "0x10" }, "--uid: bad uid '0x10'", "--uid 0x10")
parses({ "--uid", "4294967295" }, "uid", 4294967295, "--uid 2^32-1")
parses({ "--owner", "root" }, "uid", 0, "--owner root")
parses({ "--owner", "0" }, "uid", 0, "--owner 0")
refuses({ "--owner", "no-such-user-e2lua" }, "unknown user 'no-such-user-e2lua'", "--owner unknown")
refuses({ "--group", "no-such-group-e2lua" }, "unknown group 'no-such-group-e2lua'", "--group unknown")

for _, bad in ipairs { "2020-02-30", "2021-02-29", "1900-02-29", "2020-04-31", "2020-13-01",
	"2020-00-10", "2020-01-00", "2020-01-01T23:59:60", "2020-01-01 24:00", "2020-01-01T12:60",
	"2020-1-01", "2020-01-01T12:3045", "2020-01-01T12:30:4", "2020-01-01T1:30",
	"2020-01-01 ", "2020/01/01", "99999999999999999999", "-5", "1e9", "" } do
	t.raises(function() policy.parse_date(bad) end, "bad ", "parse_date '" .. bad .. "'")
end
t.raises(function() policy.parse_date("2021-02-29") end, "2021-02 has 28 days", "the reason")
for s, want in pairs { ["2020-02-29"] = 1582934400, ["2000-02-29"] = 951782400,
	["2020-01-01T23:59:59"] = 1577923199, ["2020-01-01 12:30"] = 1577881800,
	["1970-01-01"] = 0, ["1600000000"] = 1600000000, ["1969-12-31 23:59:59"] = -1 } do
	t.eq(policy.parse_date(s), want, "parse_date '" .. s .. "'")
end
refuses({ "--mtime-before", "2021-02-29" }, "--mtime-before: bad date '2021-02-29'", "--mtime-before")

for s, want in pairs { ["10"] = 10, ["4K"] = 4096, ["4k"] = 4096, ["1.5M"] = 1572864,
	["1.5m"] = 1572864, ["2G"] = 1 << 31, ["1t"] = 1 << 40, ["1T"] = 1 << 40,
	["0.5K"] = 512, ["007"] = 7, ["8191P"] = nil } do
	if want then t.eq(policy.parse_size(s), want, "parse_size '" .. s .. "'") end
end
for bad, msg in pairs { ["1.5"] = "expected N bytes", ["1e1"] = "expected N bytes",
	["1.K"] = "expected N bytes", [".5K"] = "expected N bytes", ["1KB"] = "expected N bytes",
	["0x10"] = "expected N bytes", [" 5"] = "expected N bytes", ["-1"] = "expected N bytes",
	["10Q"] = "expected N bytes", [""] = "expected N bytes",
	["1.1K"] = "not a whole number of bytes",
	["99999999999999999999999"] = "too large", ["8388608T"] = "too large",
	["9223372036854775808"] = "too large" } do
	t.raises(function() policy.parse_size(bad) end, msg, "parse_size '" .. bad .. "'")
end
t.eq(policy.parse_size("8388607T"), 8388607 << 40, "parse_size: the largest T")
refuses({ "--min-size", "99999999999999999999999" },
	"--min-size: bad size '99999999999999999999999' (too large)", "--min-size huge: a message")

refuses({ "--max-files", "99999999999999999999" }, "bad number '99999999999999999999' (too large)",
	"--max-files huge")
refuses({ "--max-files", "1e3" }, "bad number '1e3'", "--max-files 1e3")
refuses({ "--batch", "0" }, "bad number '0' (expected an integer >= 1)", "--batch 0")
for s, want in pairs { ["5"] = 5, ["12.5"] = 12.5, ["12.5%"] = 12.5, ["100"] = 100, ["0%"] = 0 } do
	parses({ "--keep-free", s }, "keep_free", want, "--keep-free " .. s)
end
for _, bad in ipairs { "1e1", "0x10", "101", "100.5", "12.", ".5", "-1", "5 %", "nan", "inf" } do
	refuses({ "--keep-free", bad }, "bad percentage '" .. bad .. "'", "--keep-free " .. bad)
end

-- ------------------------------------------------------------------
-- Globs: the documented forms, a pathological pattern, and an exhaustive
-- comparison with a plain recursive matcher of the same rules
-- ------------------------------------------------------------------
local G = policy.glob_match
for _, c in ipairs {
	{ "/a/**/b", "/a/b", true }, { "/a/**/b", "/a/x/y/b", true }, { "/a/**/b", "/ab", false },
	{ "/a/*", "/a/x", true }, { "/a/*", "/a/x/y", false }, { "/a/**", "/a/x/y", true },
	{ "/**/x", "/x", true }, { "/**/x", "/dir/sub/deep/x", true }, { "/x**/y", "/xy", false },
	{ "/x**/y", "/x/y", true }, { "/f00[0-4]?", "/f0042", true }, { "/f00[0-4]?", "/f0052", false },
	{ "/[!a]b", "/cb", true }, { "/[!a]b", "/ab", false }, { "/[]]", "/]", true },
	{ "/a[b", "/a[b", true }, { "/?", "//", false }, { "/[/]", "//", false },
} do
	t.eq(G(c[1], c[2]), c[3], string.format("glob %s ~ %s", c[1], c[2]))
end
-- With the old recursive matcher each of these takes hours (the number of
-- ways to place the stars); a test that hangs is stopped by the suite.
t.eq(G("/" .. ("*a"):rep(12) .. "*b", "/" .. ("a"):rep(60)), false, "pathological * glob")
t.eq(G("/" .. ("*a"):rep(12) .. "*b", "/" .. ("a"):rep(60) .. "b"), true, "pathological * glob, matching")
t.eq(G("/" .. ("**a"):rep(10) .. "**b", ("/" .. ("a"):rep(8)):rep(8)), false, "pathological ** glob")
t.eq(G(("/**"):rep(10) .. "/b", ("/a"):rep(60)), false, "pathological **/ glob")
t.eq(G(("/**"):rep(10) .. "/b", ("/a"):rep(60) .. "/b"), true, "pathological **/ glob, matching")

local function ref_class(p, i, c)
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
end
-- The rules, written as directly as possible (exponential, fine here).
local function ref(p, s)
	local function m(i, j)
		while i <= #p do
			local c = p:sub(i, i)
			if c == "*" and p:sub(i + 1, i + 1) == "*" then
				local k = i + 2
				if p:sub(k, k) == "/" and (i == 1 or p:sub(i - 1, i - 1) == "/") and m(k + 1, j) then
					return true
				end
				for at = j, #s + 1 do if m(k, at) then return true end end
				return false
			elseif c == "*" then
				for at = j, #s + 1 do
					if m(i + 1, at) then return true end
					if s:sub(at, at) == "/" then return false end
				end
				return false
			elseif c == "?" then
				if j > #s or s:sub(j, j) == "/" then return false end
			elseif c == "[" then
				local ch = s:sub(j, j)
				if ch == "" or ch == "/" then return false end
				local hit, nexti = ref_class(p, i + 1, ch)
				if hit == nil then
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
-- Every pattern of up to 4 pieces against every path of up to 5
-- characters over a small alphabet.
local PIECES = { "a", "/", "*", "**", "?", "[ab]", "[!a]", "**/", "[" }
local CHARS = { "a", "b", "/", "[" }
local function all(parts, n)
	local out = { "" }
	for _ = 1, n do
		local more = {}
		for _, x in ipairs(out) do
			for _, y in ipairs(parts) do more[#more + 1] = x .. y end
		end
		for _, x in ipairs(more) do out[#out + 1] = x end
		-- keep the shorter ones too (out grows to every length up to n)
	end
	local seen, uniq = {}, {}
	for _, x in ipairs(out) do if not seen[x] then seen[x], uniq[#uniq + 1] = true, x end end
	return uniq
end
local pats, strs, differ, n = all(PIECES, 3), all(CHARS, 5), 0, 0
for _, p in ipairs(pats) do
	for _, s in ipairs(strs) do
		n = n + 1
		if ref(p, s) ~= G(p, s) then
			differ = differ + 1
			if differ <= 5 then t.check(false, "glob %q ~ %q: rules say %s", p, s, tostring(ref(p, s))) end
		end
	end
end
t.eq(differ, 0, string.format("glob against the rules: %d cases", n))

-- ------------------------------------------------------------------
-- e2.user, e2.group against getent (the same NSS sources)
-- ------------------------------------------------------------------
t.eq(select(2, e2.user("root")), "root", "e2.user('root') name")
t.eq((e2.user("root")), 0, "e2.user('root') uid")
t.eq(select(2, e2.user(0)), "root", "e2.user(0)")
t.eq(e2.user("no-such-user-e2lua"), nil, "e2.user: unknown name")
t.eq((e2.group(0)), 0, "e2.group(0)")
t.eq(e2.group("no-such-group-e2lua"), nil, "e2.group: unknown name")
t.raises(function() e2.user(4294967296) end, "(id out of range (0 to 4294967295))", "e2.user(2^32)")
t.raises(function() e2.group(-1) end, "(id out of range (0 to 4294967295))", "e2.group(-1)")
t.raises(function() e2.user({}) end, "bad argument #1 to 'user' (number expected, got table)", "e2.user({})")
t.raises(function() e2.user("root", 1) end, "no value expected", "e2.user: extra argument")
for db, fn in pairs { passwd = e2.user, group = e2.group } do
	local checked = 0
	for line in t.sh("getent " .. db .. " | head -n 20"):gmatch("[^\n]+") do
		local name, id = line:match("^([^:]+):[^:]*:(%d+):")
		if name then
			local got_id, got_name = fn(name)
			t.eq(got_id, math.tointeger(id), "e2." .. db .. "(" .. name .. ") vs getent")
			t.eq(select(2, fn(got_id)) ~= nil, true, "e2." .. db .. "(" .. id .. ") finds a name")
			checked = checked + 1
		end
	end
	t.check(checked > 0, "getent %s listed nothing", db)
end

-- ------------------------------------------------------------------
-- Skip classes: the one classification, as Lua sees it
-- ------------------------------------------------------------------
local E = e2.errors
t.eq(e2.skip_class(0), nil, "skip_class(0)")
t.eq(e2.skip_class(E.E2C_ERR_SKIP_RESERVED), "reserved", "reserved")
for _, k in ipairs { "SKIP_NO_BLOCKS", "SKIP_INLINE", "SKIP_EXTENTS", "SKIP_UNLINKED", "SKIP_TYPE" } do
	t.eq(e2.skip_class(E["E2C_ERR_" .. k]), "skip", k)
end
for _, k in ipairs { "PTR_RANGE", "PTR_METADATA", "PTR_SHARED", "LBLK_RANGE", "EXTENT_DEPTH",
	"EXTENT_ORDER", "SIZE_RANGE" } do
	t.eq(e2.skip_class(E["E2C_ERR_" .. k]), "corrupt", k)
end

-- ------------------------------------------------------------------
-- The summary: counts by type, reserved inodes apart, the report's words
-- ------------------------------------------------------------------
do
	local fs <close> = e2.open(img)
	local lines = {}
	local s = policy.run(fs, { name = "sum", dry_run = true, out = function(l) lines[#lines + 1] = l end })
	local text = table.concat(lines, "\n")
	local by = { regular = 0, directory = 0, symlink = 0 }
	local reserved, examined = 0, 0
	for i in fs:inodes() do
		local p = i:plan()
		if p.skip_class == "reserved" then reserved = reserved + 1 else examined = examined + 1 end
		if p.ok then by[i.type] = by[i.type] + 1 end
	end
	t.eq(s.regular, by.regular, "summary.regular")
	t.eq(s.directories, by.directory, "summary.directories")
	t.eq(s.symlinks, by.symlink, "summary.symlinks")
	t.eq(s.files, by.regular + by.directory + by.symlink, "summary.files")
	t.eq(s.reserved, reserved, "summary.reserved")
	t.eq(s.examined, examined, "summary.examined leaves reserved inodes out")
	t.eq(s.status, 0, "summary.status")
	t.eq(s.corrupt_total + s.left_total, 0, "nothing corrupt or left")
	t.check(not text:find("Reserved inode"), "reserved inodes are not skips: %s", text)
	t.check(text:find(string.format("dry run, nothing written: %d inodes (%d files, %d directories, 1 symlink) " ..
		"would be migrated", s.files, by.regular, by.directory), 1, true), "first line: %s", text)
	t.check(text:find("\n  index blocks:   %d+ would be allocated\n"), "index blocks line: %s", text)
	t.check(text:find("\n  examined:       " .. examined .. " inodes\n", 1, true), "examined line: %s", text)
	t.eq(policy.exit(s), s, "policy.exit returns a clean summary")
end

-- A selection the runner cannot tell from the core's: what the summary
-- makes of inodes left for want of space and of corrupt ones.
local function fake_run(skips)
	local fs <close> = e2.open(img)
	local lines = {}
	local run <close> = policy.runner(fs, { name = "fake", dry_run = true,
		out = function(l) lines[#lines + 1] = l end })
	run.sel:close()
	local totals = { examined = 20, filtered = 0, skipped = 0, files = 3, regular = 2, directories = 1,
		symlinks = 0, data_blocks = 30, extents = 3, index_blocks = 0, meta_freed = 0,
		used_delta = 0, reasons = {}, skips = skips,
		features_on = {}, features_off = {}, backups_rewritten = 0, marks_not_clean = true }
	run.sel = { totals = function() return totals end, close = function() end, pending = function() return 0 end }
	local s = run:finish()
	return s, table.concat(lines, "\n")
end
local NO_SPACE = { code = 1, reason = "Not enough free space for the index blocks", class = "no_space", count = 5 }
local CORRUPT = { code = E.E2C_ERR_PTR_SHARED, reason = "Block mapped twice", class = "corrupt", count = 1 }
local RESERVED = { code = E.E2C_ERR_SKIP_RESERVED, reason = "Reserved inode", class = "reserved", count = 9 }
do
	local s, text = fake_run { NO_SPACE, RESERVED }
	t.eq(s.left_total, 5, "left_total")
	t.eq(s.status, 3, "left: status 3")
	t.eq(s.examined, 11, "left: examined without the reserved")
	t.check(text:find("\n  left:           5 inodes block-mapped, not enough free space " ..
		"(Not enough free space for the index blocks: 5)", 1, true), "left line: %s", text)
	t.check(text:find("fake: dry run, nothing written: 3 inodes (2 files, 1 directory) would", 1, true),
		"first line: %s", text)
	local err = t.raises(function() policy.exit(s) end,
		"fake: 5 inodes left block-mapped: not enough free space", "policy.exit: left")
	t.eq(err.status, 3, "policy.exit: left: status")
	t.eq(err.summary, s, "policy.exit: the error carries the summary")
end
do
	local s, text = fake_run { NO_SPACE, CORRUPT }
	t.eq(s.status, 4, "corrupt and left: status 4")
	t.check(text:find("\n  CORRUPT:        1 inode not migrated (Block mapped twice: 1): run e2fsck -f", 1, true),
		"CORRUPT line: %s", text)
	local err = t.raises(function() policy.exit(s) end,
		"fake: 1 inode with a corrupt map or inode, left as it is: run e2fsck -f; " ..
		"5 inodes left block-mapped: not enough free space", "policy.exit: both")
	t.eq(err.status, 4, "policy.exit: both: status")
end

t.eq(t.sha256(img), sum, "the image is unchanged")
t.done()
