-- spec.lua -- the smallest harness for the e2 module's specs: checks that
-- count and go on, and runners for debugfs and other tools whose output
-- the specs compare with.  A spec ends with t.done(), which prints
-- "N passed, N failed" and exits non-zero on failure.
local M = {}
local passed, failed = 0, 0

local function where()
	-- the first frame outside this file
	for level = 3, 10 do
		local info = debug.getinfo(level, "Sl")
		if not info then break end
		if not info.short_src:match("spec%.lua$") or info.short_src:match("_spec%.lua$") then
			return info.short_src .. ":" .. (info.currentline or 0)
		end
	end
	return "?"
end

function M.check(cond, fmt, ...)
	if cond then
		passed = passed + 1
	else
		failed = failed + 1
		io.stderr:write("FAIL ", where(), ": ", string.format(fmt, ...), "\n")
	end
	return cond
end

function M.eq(got, want, what)
	return M.check(got == want, "%s: expected [%s], got [%s]", what,
		tostring(want), tostring(got))
end

-- Deep equality: tables by their contents (a plan's features_on array).
local function same(a, b)
	if type(a) ~= "table" or type(b) ~= "table" then return a == b end
	for k, v in pairs(a) do if not same(v, b[k]) then return false end end
	for k in pairs(b) do if a[k] == nil then return false end end
	return true
end

local function show(v)
	if type(v) ~= "table" then return tostring(v) end
	local parts = {}
	for k, x in pairs(v) do parts[#parts + 1] = tostring(k) .. "=" .. show(x) end
	table.sort(parts)
	return "{" .. table.concat(parts, ", ") .. "}"
end

-- eq, with tables compared by contents.
function M.same(got, want, what)
	return M.check(same(got, want), "%s: expected [%s], got [%s]", what,
		show(want), show(got))
end

-- fn must raise; the error's tostring must match pattern (plain find).
-- Returns the error value.
function M.raises(fn, pattern, what)
	local ok, err = pcall(fn)
	if M.check(not ok, "%s: no error raised", what) then
		M.check(tostring(err):find(pattern, 1, true) ~= nil,
			"%s: error [%s] lacks [%s]", what, tostring(err), pattern)
	end
	return err
end

-- Run a shell command, return its stdout (and whether it succeeded).
function M.sh(cmd)
	local p = assert(io.popen(cmd, "r"))
	local out = p:read("a")
	local ok = p:close()
	return out, ok
end

-- A file that cannot be read is a failure, and its sum equals nothing.
function M.sha256(path)
	local sum = M.sh("sha256sum '" .. path .. "' 2>/dev/null"):match("^(%x+)")
	if M.check(sum ~= nil, "sha256sum %s failed", path) then return sum end
	return {}
end

-- Run debugfs -f over cmds (array of strings) on img; returns an array of
-- outputs, one per command (debugfs echoes "debugfs: CMD" before each).
function M.debugfs(img, cmds, opts)
	local file = os.getenv("E2L_TMP") .. "/spec.cmds"
	local f = assert(io.open(file, "w"))
	f:write(table.concat(cmds, "\n"), "\n")
	f:close()
	local out = M.sh("debugfs " .. (opts or "") .. " -f '" .. file .. "' '" .. img .. "' 2>/dev/null")
	local res, cur = {}, nil
	for line in out:gmatch("([^\n]*)\n") do
		if line:sub(1, 9) == "debugfs: " then
			cur = {}
			res[#res + 1] = cur
		elseif cur then
			cur[#cur + 1] = line
		end
	end
	for i, lines in ipairs(res) do res[i] = table.concat(lines, "\n") end
	M.check(#res == #cmds, "debugfs: %d outputs for %d commands", #res, #cmds)
	return res
end

-- The block list of debugfs stat, as entries {kind=, lblk=, len=, pblk=,
-- uninit=}; metadata entries (IND..., ETBn) have len 1 and no lblk.
function M.stat_entries(st)
	local list = st:match("\nBLOCKS:\n(.-)\n[TE\n]") or st:match("\nBLOCKS:\n(.*)$")
		or st:match("\nEXTENTS:\n(.-)\n") or st:match("\nEXTENTS:\n(.*)$") or ""
	local r = {}
	for item in list:gmatch("[^,]+") do
		item = item:gsub("^%s+", "")
		local meta, p = item:match("^%((%u+)%d*%):(%d+)$")
		if meta then
			r[#r + 1] = { kind = meta == "ETB" and "node" or meta:lower(), pblk = tonumber(p), len = 1 }
		else
			local a, b, u, p1 = item:match("^%((%d+)%-?(%d*)(%[?u?%]?)%):(%d+)")
			if a then
				a = tonumber(a)
				r[#r + 1] = { kind = "data", lblk = a, len = (b ~= "" and tonumber(b) or a) - a + 1,
					pblk = tonumber(p1), uninit = u == "[u]" }
			end
		end
	end
	return r
end

-- The data entries of stat_entries coalesced into runs {lblk, pblk, len,
-- uninit} when contiguous logically and physically with the same flag.
function M.data_runs(entries)
	local runs = {}
	for _, e in ipairs(entries) do
		local last = runs[#runs]
		if e.kind == "data" then
			if last and last[1] + last[3] == e.lblk and last[2] + last[3] == e.pblk and last[4] == e.uninit then
				last[3] = last[3] + e.len
			else
				runs[#runs + 1] = { e.lblk, e.pblk, e.len, e.uninit }
			end
		end
	end
	return runs
end

-- Array of the values an iterator yields (each step as a table).
function M.collect(...)
	local r = {}
	for a, b, c, d in ... do r[#r + 1] = { a, b, c, d } end
	return r
end

function M.done()
	M.check(passed + failed > 0, "the spec checked nothing")
	print(string.format("%d passed, %d failed", passed, failed))
	os.exit(failed == 0 and 0 or 1)
end

return M
