-- select_spec.lua -- fs:select (core/select.c) against an oracle written
-- here in plain Lua over fs:inodes() and inode:plan(): the same inodes in
-- the same order, the same counts and the same budget stop, for criteria
-- on fields, fragmentation, the three orders, a custom order and every
-- budget; then staging a selection with tx:stage, and bad criteria.
-- images: ext3:1024:24M ext4noext:4096:32M
local t = require "spec"
local e2 = require "e2"
local tmp = os.getenv("E2L_TMP")

-- The oracle: every in-use inode, fields checked, planned; unordered,
-- each candidate is admitted as it comes and a budget ends the scan;
-- ordered, the candidates are sorted first.  Returns the selected inos
-- and the totals.
local function oracle(fs, c)
	local tot = { examined = 0, filtered = 0, skipped = 0, files = 0, data_blocks = 0,
		extents = 0, index_blocks = 0, meta_freed = 0, used_delta = 0, reasons = {} }
	local super, out, cands = fs.super, {}, {}
	local function admit(p)
		local stop
		if c.max_files and tot.files + 1 > c.max_files then stop = "max_files"
		elseif c.max_data_blocks and tot.data_blocks + p.data_blocks > c.max_data_blocks then stop = "max_data_blocks"
		elseif c.max_index_blocks and tot.index_blocks + p.index_blocks > c.max_index_blocks then stop = "max_index_blocks"
		elseif c.keep_free and (super.free_blocks_count - (tot.used_delta + p.used_delta)) * 100 <
			c.keep_free * super.blocks_count then stop = "keep_free" end
		if stop then tot.stopped_by = stop return false end
		out[#out + 1] = p.ino
		tot.files = tot.files + 1
		for _, k in ipairs { "data_blocks", "extents", "index_blocks", "meta_freed", "used_delta" } do
			tot[k] = tot[k] + p[k]
		end
		return true
	end
	for i in fs:inodes() do
		local type = (i.type == "regular" or i.type == "directory" or i.type == "symlink")
			and i.type or "other"
		if (not c.types or c.types[type]) and (not c.uid or i.uid == c.uid) and
			(not c.min_size or i.size >= c.min_size) and
			(not c.max_size or i.size <= c.max_size) and
			(not c.mtime_before or i.mtime < c.mtime_before) and
			(not c.mtime_after or i.mtime >= c.mtime_after) then
			tot.examined = tot.examined + 1
			local p = i:plan()
			if not p.ok then
				tot.skipped = tot.skipped + 1
				tot.reasons[p.reason] = (tot.reasons[p.reason] or 0) + 1
			elseif c.min_runs and p.runs < c.min_runs then
				tot.filtered = tot.filtered + 1
			elseif c.order then
				p.size = i.size
				cands[#cands + 1] = p
			elseif not admit(p) then
				break
			end
		end
	end
	local key = {
		largest = function(a, b) if a.size ~= b.size then return a.size > b.size end return a.ino < b.ino end,
		smallest = function(a, b) if a.size ~= b.size then return a.size < b.size end return a.ino < b.ino end,
		fragmented = function(a, b) if a.runs ~= b.runs then return a.runs > b.runs end return a.ino < b.ino end,
	}
	if c.order then
		table.sort(cands, key[c.order] or c.custom)
		for _, p in ipairs(cands) do
			if not admit(p) then break end
		end
	end
	return out, tot
end

local function select_all(fs, c)
	local crit = {}
	for k, v in pairs(c) do if k ~= "custom" then crit[k] = v end end
	local sel <close> = fs:select(crit)
	repeat until sel:scan(7)	-- small chunks: resuming works
	if c.custom then
		local plans = {}
		for i, ino in ipairs(sel:candidates()) do
			plans[i] = fs:plan(ino)
			plans[i].size = fs:inode(ino).size
		end
		table.sort(plans, c.custom)
		for i, p in ipairs(plans) do plans[i] = p.ino end
		sel:finish(plans)
	else
		sel:finish()
	end
	return sel:inodes(), sel:totals()
end

local function compare(img, fs, name, c)
	local want, wt = oracle(fs, c)
	local got, gt = select_all(fs, c)
	t.eq(table.concat(got, ","), table.concat(want, ","), img .. " " .. name .. ": inodes")
	for _, k in ipairs { "examined", "filtered", "skipped", "files", "data_blocks", "extents",
		"index_blocks", "meta_freed", "used_delta", "stopped_by" } do
		t.eq(gt[k], wt[k], img .. " " .. name .. ": " .. k)
	end
	for r, n in pairs(wt.reasons) do t.eq(gt.reasons[r], n, img .. " " .. name .. ": skipped " .. r) end
	return want, wt
end

-- Plans against the cursor: for every in-use inode a plan walks (most by
-- a short cut for maps that are all direct slots), its counts are those
-- of ino:runs() and ino:blocks().
local function plans_match_cursor(img, fs)
	local n = 0
	for i in fs:inodes() do
		local p = i:plan()
		if p.ok then
			local runs, data, meta = 0, 0, 0
			for _, _, len in i:runs() do runs, data = runs + 1, data + len end
			for _, _, kind in i:blocks() do if kind ~= "data" then meta = meta + 1 end end
			t.eq(p.runs .. "/" .. p.data_blocks .. "/" .. p.meta_freed,
				runs .. "/" .. data .. "/" .. meta, img .. ": plan of <" .. i.ino .. "> = its walk")
			n = n + 1
		end
	end
	t.check(n > 20, "%s: %d plans checked against the cursor", img, n)
end

for _, img in ipairs(arg) do
	local fs <close> = e2.open(img)
	local super = fs.super
	plans_match_cursor(img, fs)
	local all = compare(img, fs, "everything", {})
	t.check(#all > 20, "%s: a few inodes to migrate (%d)", img, #all)
	local med = fs:inode("/dir/big").mtime
	local cases = {
		{ "regular files", { types = { regular = true } } },
		{ "directories and symlinks", { types = { directory = true, symlink = true } } },
		{ "size range", { min_size = 2000, max_size = 200000 } },
		{ "uid", { uid = fs:inode("/frag").uid } },
		{ "mtime window", { mtime_before = med + 1, mtime_after = med } },
		{ "fragmented", { min_runs = 3 } },
		{ "largest 5", { order = "largest", max_files = 5 } },
		{ "smallest, data budget", { order = "smallest", max_data_blocks = 40 } },
		{ "most fragmented, index budget", { order = "fragmented", max_index_blocks = 1 } },
		{ "in inode order, file budget", { max_files = 7 } },
		{ "ordered, nothing matches", { order = "largest", min_size = 1 << 50, max_files = 3 } },
		{ "keep free", { keep_free = 100 * (super.free_blocks_count + 3) / super.blocks_count } },
		{ "custom order", { order = "custom", max_files = 4,
			custom = function(a, b) if a.runs ~= b.runs then return a.runs < b.runs end return a.ino > b.ino end } },
	}
	for _, case in ipairs(cases) do compare(img, fs, case[1], case[2]) end
	fs:close()

	-- Staging a selection: exactly the selected inodes, in batches.
	local copy = tmp .. "/stage.img"
	t.sh("cp '" .. img .. "' '" .. copy .. "'")
	local wfs <close> = e2.open(copy, { write = true })
	local want = oracle(wfs, { order = "largest", max_files = 6 })
	local sel <close> = wfs:select { order = "largest", max_files = 6 }
	repeat until sel:scan()
	sel:finish()
	t.eq(sel:pending(), 6, img .. ": 6 pending")
	local tx <close> = wfs:begin()
	local n = tx:stage(sel, 4)
	t.eq(n, 4, img .. ": stage 4 of them")
	t.eq(sel:pending(), 2, img .. ": 2 left")
	local staged = {}
	for i, p in ipairs((tx:pending())) do staged[i] = p.ino end
	t.eq(table.concat(staged, ","), table.concat(want, ",", 1, 4), img .. ": staged in order")
	tx:commit()
	t.eq(tx:stage(sel), 2, img .. ": the rest")
	tx:commit()
	t.eq(tx:stage(sel), 0, img .. ": nothing more")
	for _, ino in ipairs(want) do t.eq(wfs:inode(ino).extent_mapped, true, img .. ": <" .. ino .. "> migrated") end
	wfs:close()
	local out, clean = t.sh("e2fsck -fn '" .. copy .. "' 2>&1")
	t.check(clean, "%s: e2fsck -fn after staging a selection: %s", img, out)
end

-- Unordered, offered inodes first (here against inode order), then the
-- scan's in inode order, each once; staged in that order, in batches
-- that stop inside a run of consecutive inodes.
do
	local img = arg[1]
	local copy = tmp .. "/offer.img"
	t.sh("cp '" .. img .. "' '" .. copy .. "'")
	local wfs <close> = e2.open(copy, { write = true })
	local want = oracle(wfs, { types = { regular = true } })
	t.check(#want > 12, "%s: regular files to offer and scan (%d)", img, #want)
	local a, b = want[#want], want[3]
	local sel <close> = wfs:select { types = { regular = true } }
	sel:offer(a)
	sel:offer(b)
	repeat until sel:scan()
	local order = { a, b }
	for _, ino in ipairs(want) do
		if ino ~= a and ino ~= b then order[#order + 1] = ino end
	end
	t.eq(table.concat(sel:inodes(), ","), table.concat(order, ","), img .. ": offered, then scanned")
	-- Each batch the next five (in the order tx:pending lists them).
	local tx <close> = wfs:begin()
	local done = 0
	repeat
		local n = tx:stage(sel, 5)
		local got, batch = {}, table.move(order, done + 1, done + n, 1, {})
		for _, p in ipairs((tx:pending())) do got[#got + 1] = p.ino end
		table.sort(got)
		table.sort(batch)
		t.eq(table.concat(got, ","), table.concat(batch, ","), img .. ": batch after " .. done)
		done = done + n
		tx:commit()
	until n == 0
	t.eq(done, #order, img .. ": every selected inode staged")
	t.eq(sel:pending(), 0, img .. ": nothing left to stage")
	wfs:close()
	local out, clean = t.sh("e2fsck -fn '" .. copy .. "' 2>&1")
	t.check(clean, "%s: e2fsck -fn after staging offers and a scan: %s", img, out)
end

-- A scan staging as it selects: while it builds the owners map nothing
-- may commit or plan elsewhere; once done, one commit migrates exactly
-- what it selected.
do
	local img = arg[2]
	local copy = tmp .. "/scanstage.img"
	t.sh("cp '" .. img .. "' '" .. copy .. "'")
	local rfs = e2.open(img)
	local want = oracle(rfs, { types = { regular = true } })
	rfs:close()
	local wfs <close> = e2.open(copy, { write = true })
	local sel <close> = wfs:select { types = { regular = true } }
	local tx <close> = wfs:begin()
	t.eq(sel:scan(20, tx), false, "scan: not done after 20 inodes")
	t.check(#tx > 0, "scan: staged as it selects (%d)", #tx)
	t.raises(function() tx:commit() end, "selection scan", "commit during the first scan")
	t.raises(function() wfs:plan("/dind") end, "selection scan", "plan during the first scan")
	t.raises(function() sel:offer("/dind") end, "selection scan", "offer during a scan")
	repeat until sel:scan(64, tx)
	t.eq(#tx, #want, "scan: every selected inode staged")
	t.eq(sel:pending(), 0, "scan: nothing left to stage")
	t.eq(wfs:plan("/dind").ok, true, "plan after the scan")
	tx:commit()
	for _, ino in ipairs(want) do
		t.eq(wfs:inode(ino).extent_mapped, true, "scan-staged <" .. ino .. "> migrated")
	end
	local other = 0
	for i in wfs:inodes() do
		if i.extent_mapped then other = other + 1 end
	end
	t.eq(other, #want, "nothing else migrated")
	wfs:close()
	local out, clean = t.sh("e2fsck -fn '" .. copy .. "' 2>&1")
	t.check(clean, "e2fsck -fn after a scan-staged commit: %s", out)
end

-- Bad criteria are Lua errors naming what is wrong; a selection of a
-- closed fs cannot be used.
local fs = e2.open(arg[1])
for _, bad in ipairs {
	{ { colour = "red" }, "colour" },
	{ { types = { "regular", "pipe" } }, "pipe" },
	{ { types = 3 }, "types must be a type name or a table of them" },
	{ { max_files = -1 }, "max_files" },
	{ { keep_free = 101 }, "keep_free" },
	{ { order = "random" }, "random" },
	{ { min_size = "big" }, "min_size" },
} do
	local ok, err = pcall(fs.select, fs, bad[1])
	t.eq(ok, false, "bad criteria " .. bad[2])
	t.check(tostring(err):find(bad[2], 1, true), "message names %s: %s", bad[2], tostring(err))
end
local sel = fs:select()
fs:close()
local ok, err = pcall(sel.scan, sel)
t.eq(ok, false, "selection of a closed fs")
t.check(tostring(err):find("closed", 1, true), "says closed: %s", tostring(err))
t.done()
