-- frag_spec.lua -- ino:frag() and fs:frag_survey(): the figures agree with
-- the map iterators (runs, extents) for every inode; a survey of a list
-- of every inode is the whole survey; the progress function is called as
-- documented, and an error in it or an fs:close() from it ends the
-- survey cleanly; bad options raise.
-- images: ext3:1024 ext4:4096+uninit
local t = require "spec"
local e2 = require "e2"

for _, img in ipairs({ arg[1], arg[2] }) do
	local before = t.sha256(img)
	local fs <close> = e2.open(img)

	-- ino:frag() against ino:runs() and ino:extents(), every inode.
	local all = {}
	for ino in fs:inodes() do
		all[#all + 1] = ino.ino
		local f = ino:frag{ runs = true }
		local runs = t.collect(ino:runs())
		local blocks, same = 0, #runs == #f.run_list
		for i, r in ipairs(runs) do
			blocks = blocks + r[3]
			local g = f.run_list[i]
			same = same and g and g.lblk == r[1] and g.pblk == r[2] and g.len == r[3]
				and g.uninit == r[4]
		end
		local what = img .. " <" .. ino.ino .. ">"
		t.check(same, "%s: run_list is ino:runs()", what)
		t.eq(f.runs, #runs, what .. ": runs")
		t.eq(f.data_blocks, blocks, what .. ": data blocks")
		t.eq(f.ino, ino.ino, what .. ": ino")
		t.eq(f.extent_mapped, ino.extent_mapped, what .. ": extent_mapped")
		if ino.extent_mapped then
			local leaves, nodes = 0, 0
			for e in ino:extents() do
				if e.leaf and e.len > 0 then leaves = leaves + 1 end
				if not e.leaf and e.entry == 1 then nodes = nodes + 1 end
			end
			t.eq(f.extents, leaves, what .. ": leaf extents")
		else
			t.eq(f.extents, f.extents_needed, what .. ": a block map's extents are those needed")
		end
		local frags = 0
		for i, r in ipairs(f.run_list) do
			if r.fragment then frags = frags + 1 end
			t.eq(r.expected == nil, i == 1, what .. ": expected absent for the first run only")
		end
		t.eq(f.fragments, frags, what .. ": fragments are the runs starting one")
		t.check(f.ideal <= f.extents_needed, "%s: ideal %d above needed %d", what, f.ideal, f.extents_needed)
		t.check(f.fragments <= f.runs, "%s: fragments above runs", what)
		if not ino.has_blocks then
			t.eq(f.data_blocks + f.runs + f.fragments + f.extents + f.holes, 0, what .. ": no map, all zero")
		end
	end
	t.eq(fs:inode(2):frag().run_list, nil, img .. ": run_list only when asked")
	t.raises(function() fs:inode(2):frag{ bogus = true } end, "unknown option 'bogus'", "frag: unknown key")
	t.raises(function() fs:inode(2):frag({}, 1) end, "no value expected", "frag: surplus")

	-- The whole survey, and the survey of a list of every inode.
	local calls, last, mono = 0, -1, true
	local whole = fs:frag_survey{ top = 3, progress = function(done, total)
		calls = calls + 1
		mono = mono and done >= last and done <= total
		last = done
		t.eq(total, fs.super.inodes_count, img .. ": progress total")
	end }
	t.check(calls >= 1 and mono and last == fs.super.inodes_count,
		"%s: progress: %d calls, last %d", img, calls, last)
	local list = fs:frag_survey{ top = 3, inodes = all }
	for _, k in ipairs({ "inodes", "files", "fragmented", "excess", "holey", "data_blocks",
		"runs", "fragments", "extents", "ideal", "holes", "bad" }) do
		t.eq(list[k], whole[k], img .. ": list survey " .. k)
	end
	t.eq(list.e2fsck, nil, img .. ": no e2fsck figure for a list")
	t.eq(type(whole.e2fsck), "table", img .. ": e2fsck figure for a whole survey")
	local hist = 0
	for _, h in ipairs(whole.histogram) do hist = hist + h.files end
	t.eq(hist, whole.files, img .. ": the histogram holds every file")
	t.check(#whole.top <= 3 and #whole.top > 0, "%s: top 3 (%d)", img, #whole.top)
	for i, f in ipairs(whole.top) do
		t.check(f.fragments > 1, "%s: top %d is fragmented", img, i)
		if i > 1 then t.check(whole.top[i - 1].fragments >= f.fragments, "%s: top order", img) end
		t.eq(fs:lookup(f.path), f.ino, img .. ": top path names its inode")
	end
	t.eq(#fs:frag_survey{ top = 0 }.top, 0, img .. ": top = 0")

	-- Progress that fails, or closes the fs.
	t.raises(function() fs:frag_survey{ progress = function() error("stop here") end } end,
		"stop here", img .. ": an error in progress")
	t.eq(fs:frag_survey().files, whole.files, img .. ": usable after that")
	local fs2 = e2.open(img)
	t.raises(function() fs2:frag_survey{ progress = function() fs2:close() end } end,
		"closed e2.fs", img .. ": progress closing the fs")

	-- Bad options.
	t.raises(function() fs:frag_survey{ bogus = 1 } end, "unknown option 'bogus'", "unknown key")
	t.raises(function() fs:frag_survey{ top = -1 } end, "top", "negative top")
	t.raises(function() fs:frag_survey{ progress = 5 } end, "must be a function", "progress type")
	t.raises(function() fs:frag_survey{ inodes = 5 } end, "must be an array", "inodes type")
	t.raises(function() fs:frag_survey{ inodes = { 0 } } end, "array of inode numbers", "inode 0")
	t.raises(function() fs:frag_survey{ inodes = { "x" } } end, "array of inode numbers", "inode name")
	t.raises(function() fs:frag_survey{ inodes = { fs.super.inodes_count + 1 } } end,
		"Inode number out of range", "inode past the end")
	t.raises(function() fs:frag_survey({}, 1) end, "no value expected", "surplus argument")
	t.eq(t.sha256(img), before, img .. ": unchanged")
end
t.done()
