-- free_spec.lua -- fs:free_ranges and fs:freefrag: the free extents of
-- every group agree with dumpe2fs's lists, the whole filesystem's with
-- e2freefrag's count and histogram; the iterator is to-be-closed (break,
-- an error in the loop and fs:close() close it); bad arguments raise.
-- images: ext3:1024 ext4:4096:256M
local t = require "spec"
local e2 = require "e2"

-- dumpe2fs's groups: { {first=, last=, free = { {start, len}, ... }}, ... }
local function dumpe2fs_groups(img)
	local out = t.sh("dumpe2fs '" .. img .. "' 2>/dev/null")
	local groups = {}
	for first, last, list in out:gmatch("\nGroup %d+: %(Blocks (%d+)%-(%d+)%)[^\n]*\n.-\n  Free blocks: ([^\n]*)") do
		local g = { first = tonumber(first), last = tonumber(last), free = {} }
		for a, b in list:gmatch("(%d+)%-?(%d*)") do
			a = tonumber(a)
			g.free[#g.free + 1] = { a, (b ~= "" and tonumber(b) or a) - a + 1 }
		end
		groups[#groups + 1] = g
	end
	return groups
end

local function fmt(list)
	local s = {}
	for i, r in ipairs(list) do s[i] = r[1] .. "+" .. r[2] end
	return table.concat(s, " ")
end

-- A copy of img whose free space debugfs cut into pieces: 300 one-block
-- files, two of every three deleted (holes of 1 and 2 blocks).
local function fragmented(img, n)
	local tmp = os.getenv("E2L_TMP")
	local copy, cmds = tmp .. "/free" .. n .. ".img", tmp .. "/free.cmds"
	t.sh(string.format("cp '%s' '%s' && head -c 4096 /dev/urandom >'%s/one'", img, copy, tmp))
	local f = assert(io.open(cmds, "w"))
	for i = 0, 299 do f:write(string.format("write %s/one f%d\n", tmp, i)) end
	for i = 0, 299 do if i % 3 ~= 1 then f:write(string.format("rm f%d\n", i)) end end
	f:close()
	local _, ok = t.sh(string.format("debugfs -w -f '%s' '%s' >/dev/null 2>&1", cmds, copy))
	t.check(ok, "debugfs on %s", copy)
	return copy
end

for n, orig in ipairs({ arg[1], arg[2] }) do
	local img = fragmented(orig, n)
	local before = t.sha256(img)
	local fs <close> = e2.open(img)
	local groups = dumpe2fs_groups(img)
	t.eq(#groups, fs.super.group_count, img .. ": dumpe2fs groups")

	-- Per group: exactly dumpe2fs's list.  Whole fs: the groups' lists
	-- joined where an extent runs on into the next group.
	local joined = {}
	for g, want in ipairs(groups) do
		local got = t.collect(fs:free_ranges(g - 1))
		t.eq(fmt(got), fmt(want.free), img .. ": free_ranges(" .. (g - 1) .. ")")
		for _, r in ipairs(want.free) do
			local last = joined[#joined]
			if last and last[1] + last[2] == r[1] then
				last[2] = last[2] + r[2]
			else
				joined[#joined + 1] = { r[1], r[2] }
			end
		end
	end
	t.eq(fmt(t.collect(fs:free_ranges())), fmt(joined), img .. ": free_ranges()")
	t.check(#joined > 20, "%s: only %d free extents: the test needs fragmented free space", img, #joined)

	-- A range: the joined list cut at its ends.
	local s, c = joined[3][1] + 1, joined[8][1] - joined[3][1]
	local want = {}
	for _, r in ipairs(joined) do
		local a, b = math.max(r[1], s), math.min(r[1] + r[2], s + c)
		if a < b then want[#want + 1] = { a, b - a } end
	end
	t.eq(fmt(t.collect(fs:free_ranges({ s, c }))), fmt(want), img .. ": free_ranges{start, count}")
	t.eq(#t.collect(fs:free_ranges({ s, 0 })), 0, img .. ": an empty range")

	-- fs:freefrag: the histogram of the joined list, and e2freefrag's
	-- count of extents.
	local ff = fs:freefrag()
	local blocks, hist = 0, {}
	for _, r in ipairs(joined) do
		blocks = blocks + r[2]
		local b = 0
		while (1 << b) <= r[2] do b = b + 1 end
		hist[b] = (hist[b] or 0) + 1
	end
	t.eq(ff.extents, #joined, img .. ": freefrag extents")
	t.eq(ff.free_blocks, blocks, img .. ": freefrag free blocks")
	t.eq(#ff.histogram, 31, img .. ": 31 buckets")
	for b, h in ipairs(ff.histogram) do
		t.eq(h.extents, hist[b] or 0, img .. ": bucket " .. b)
		t.eq(h.min, 1 << (b - 1), img .. ": bucket min")
		t.eq(h.max, b < 31 and (1 << b) - 1 or nil, img .. ": bucket max")
	end
	local e2ff = t.sh("e2freefrag '" .. img .. "'")
	t.eq(ff.extents, tonumber(e2ff:match("Num. free extent: (%d+)")), img .. ": e2freefrag's count")
	local c16 = fs:freefrag(1, 16)
	t.eq(c16.chunk_kb, 16, img .. ": chunk_kb")
	t.eq(c16.chunk_blocks, 16 * 1024 // fs.block_size, img .. ": chunk_blocks")
	t.eq(c16.start, groups[2].first, img .. ": group 1 start")
	t.eq(c16.count, groups[2].last - groups[2].first + 1, img .. ": group 1 count")
	t.eq(ff.chunk_kb, nil, img .. ": no chunks unless asked")

	-- To-be-closed: break, an error in the body and fs:close() close it.
	local it, st, ctl, cur = fs:free_ranges()
	t.eq(tostring(cur), "e2.cursor (free_ranges, open)", img .. ": cursor open")
	for _ in it, st, ctl, cur do break end
	t.eq(tostring(cur), "e2.cursor (free_ranges, closed)", img .. ": break closes")
	t.raises(function() it(st) end, "attempt to use a closed e2.cursor", img .. ": after close")
	local it2, st2, ctl2, cur2 = fs:free_ranges(0)
	pcall(function() for _ in it2, st2, ctl2, cur2 do error("in the loop") end end)
	t.eq(tostring(cur2), "e2.cursor (free_ranges, closed)", img .. ": an error closes")
	local it3, st3, ctl3, cur3 = fs:free_ranges()
	for _ in it3, st3, ctl3, cur3 do end
	t.eq(tostring(cur3), "e2.cursor (free_ranges, closed)", img .. ": the end closes")

	-- Bad arguments.
	local n = fs.super.group_count
	local total = fs.super.blocks_count
	t.raises(function() fs:free_ranges(n) end, "no group " .. n .. " (groups 0 to " .. (n - 1) .. ")", "group past the last")
	t.raises(function() fs:free_ranges(-1) end, "no group -1", "negative group")
	t.raises(function() fs:free_ranges(1.5) end, "number has no integer representation", "fractional group")
	t.raises(function() fs:free_ranges("1") end, "group number or {start, count} expected", "a string")
	t.raises(function() fs:free_ranges({ 1 }) end, "two integers", "a range of one")
	t.raises(function() fs:free_ranges({ 1, 2, 3 }) end, "no other keys", "a range of three")
	t.raises(function() fs:free_ranges({ start = 1, count = 2 }) end, "no other keys", "named fields")
	t.raises(function() fs:free_ranges({ total - 5, 6 }) end, "outside the filesystem", "range past the end")
	t.raises(function() fs:free_ranges({ -1, 6 }) end, "outside the filesystem", "negative start")
	t.raises(function() fs:free_ranges(0, 1) end, "bad argument #2 to 'free_ranges' (no value expected)", "surplus argument")
	t.raises(function() fs:freefrag(nil, 3) end, "power of 2", "chunk not a power of 2")
	t.raises(function() fs:freefrag(nil, 0) end, "power of 2", "chunk 0")
	if fs.block_size > 1024 then
		t.raises(function() fs:freefrag(nil, 1) end, "at least the block size", "chunk below a block")
	end
	t.raises(function() fs:freefrag(n) end, "no group", "freefrag: bad group")
	t.raises(function() fs:freefrag(nil, 16, 1) end, "no value expected", "freefrag: surplus")

	-- fs:close() closes an open iterator; then the fs refuses.
	local it4, st4, _, cur4 = fs:free_ranges()
	it4(st4)
	fs:close()
	t.eq(tostring(cur4), "e2.cursor (free_ranges, closed)", img .. ": fs:close closes it")
	t.raises(function() fs:free_ranges() end, "attempt to use a closed e2.fs", "closed fs")

	-- Without bitmaps (-c): an error naming why.
	local cfs <close> = e2.open(img, { catastrophic = true })
	local err = t.raises(function() for _ in cfs:free_ranges() do end end, "bitmaps", img .. ": -c")
	t.eq(type(err) == "table" and err.code, e2.errors.E2C_ERR_NO_BITMAPS, img .. ": -c code")
	t.raises(function() cfs:freefrag() end, "bitmaps", img .. ": freefrag -c")
	t.eq(t.sha256(img), before, img .. ": unchanged")
end
t.done()
