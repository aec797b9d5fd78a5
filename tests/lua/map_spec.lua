-- map_spec.lua -- the map walks and whole-fs queries of the e2 module,
-- for every in-use inode, against debugfs: blocks() with `blocks` and the
-- block list of `stat`, runs()/holes() derived from `stat`, extents() and
-- tree() with `ex`; fs:bmap with `bmap`, fs:owner with `icheck`, fs:path
-- and fs:walk with `ncheck`, fs:testb with `testb`.
-- images: ext3:1024 ext4:1024+uninit ext4noext:4096
local t = require "spec"
local e2 = require "e2"

-- Rows of debugfs ex: {level, depth, entry, entries, lblk, pblk, len,
-- leaf, uninit}.
local function ex_rows(out)
	local rows = {}
	for line in out:gmatch("[^\n]+") do
		local lv, dp, en, ens, l1, l2, rest = line:match("^%s*(%d+)/%s*(%d+)%s+(%d+)/%s*(%d+)%s+(%d+)%s+%-%s+(%d+)%s+(.*)$")
		if lv then
			local row = { level = tonumber(lv), depth = tonumber(dp), entry = tonumber(en),
				entries = tonumber(ens), lblk = tonumber(l1) }
			local p1, p2, len, flags = rest:match("^(%d+)%s+%-%s+(%d+)%s+(%d+)%s*(%a*)")
			if p1 then
				row.leaf, row.pblk, row.len, row.uninit = true, tonumber(p1), tonumber(len), flags == "Uninit"
			else
				p1, len = rest:match("^(%d+)%s+(%d+)")
				row.leaf, row.pblk, row.len, row.uninit = false, tonumber(p1), tonumber(len), false
			end
			rows[#rows + 1] = row
		end
	end
	return rows
end

local function fmt(list)
	local s = {}
	for i, v in ipairs(list) do
		local f = {}
		for k = 1, 4 do if v[k] ~= nil then f[k] = tostring(v[k]) end end
		s[i] = table.concat(f, ",")
	end
	return table.concat(s, " ")
end

local function check_maps(fs, img, ino, st, blocks_out, ex_out)
	local what = img .. " <" .. ino.ino .. ">"
	local bs = fs.block_size
	local entries = t.stat_entries(st)

	-- blocks(): every block, kinds as in stat's list, order as in `blocks`
	local want, got = {}, {}
	for _, e in ipairs(entries) do
		for k = 0, e.len - 1 do
			want[#want + 1] = { e.kind == "data" and e.lblk + k or "-", e.pblk + k, e.kind, e.uninit and "u" or "" }
		end
	end
	local pblks = {}
	for lblk, pblk, kind, uninit in ino:blocks() do
		got[#got + 1] = { kind == "data" and lblk or "-", pblk, kind, uninit and "u" or "" }
		pblks[#pblks + 1] = pblk
	end
	t.eq(fmt(got), fmt(want), what .. " blocks() = stat's block list")
	if ino.has_blocks then
		t.eq(table.concat(pblks, " "), (blocks_out:gsub("%s+$", "")), what .. " blocks() = debugfs blocks")
	end

	-- runs(): stat's data entries coalesced when contiguous both ways
	want = t.data_runs(entries)
	t.eq(fmt(t.collect(ino:runs())), fmt(want), what .. " runs()")

	-- holes(): the gaps between data entries below ceil(size / bs)
	local holes, nxt = {}, 0
	local size_blocks = (ino.size + bs - 1) // bs
	if ino.has_blocks then
		for _, e in ipairs(want) do
			if nxt >= size_blocks then break end
			if e[1] > nxt then holes[#holes + 1] = { nxt, math.min(e[1], size_blocks) - nxt } end
			nxt = math.max(nxt, e[1] + e[3])
		end
		if nxt < size_blocks then holes[#holes + 1] = { nxt, size_blocks - nxt } end
	end
	t.eq(fmt(t.collect(ino:holes())), fmt(holes), what .. " holes()")

	-- extents() and tree(): the rows of debugfs ex
	local rows = ex_rows(ex_out)
	local ents = {}
	if ino.extent_mapped then
		for e in ino:extents() do ents[#ents + 1] = e end
	end
	t.eq(#ents, #rows, what .. " extents() count")
	for i, r in ipairs(rows) do
		local e = ents[i] or {}
		for _, f in ipairs { "level", "depth", "entry", "entries", "lblk", "pblk", "len", "leaf", "uninit" } do
			t.eq(e[f], r[f], what .. " extent " .. i .. " " .. f)
		end
	end
	local tree = ino:tree()
	if not ino.extent_mapped or not ino.has_blocks then
		t.eq(tree, nil, what .. " tree() of a block map")
		t.eq(#rows, 0, what .. " no ex rows")
	else
		t.eq(tree.depth, rows[1] and rows[1].depth or 0, what .. " tree depth")
		local index = { 0 }
		for _, r in ipairs(rows) do if not r.leaf then index[#index + 1] = r.pblk end end
		local nodes = {}
		for i, n in ipairs(tree.nodes) do
			nodes[i] = n.pblk
			local cap = n.level == 0 and 4 or (bs - 12) // 12
			t.eq(n.max_entries, cap, what .. " node " .. i .. " max_entries")
		end
		t.eq(table.concat(nodes, " "), table.concat(index, " "), what .. " tree nodes")
		t.eq(tree.nodes[1].entries, rows[1] and rows[1].entries or 0, what .. " root entries")
	end
	return want, holes, pblks
end

local function check_image(img)
	local fs = e2.open(img)
	local bs = fs.block_size
	local inodes = {}
	for ino in fs:inodes() do inodes[#inodes + 1] = ino end
	local cmds = {}
	for _, ino in ipairs(inodes) do
		local n = "<" .. ino.ino .. ">"
		cmds[#cmds + 1] = "stat " .. n
		cmds[#cmds + 1] = "blocks " .. n
		cmds[#cmds + 1] = "ex " .. n
	end
	local out = t.debugfs(img, cmds)
	local bmaps, owners, runs_of = {}, {}, {}
	local saw = { uninit = false, depth2 = false, tind = false }
	for i, ino in ipairs(inodes) do
		local runs, holes, pblks = check_maps(fs, img, ino, out[3 * i - 2], out[3 * i - 1], out[3 * i])
		runs_of[ino.ino] = runs
		for _, r in ipairs(runs) do if r[4] then saw.uninit = true end end
		local tr = ino:tree()
		if tr and tr.depth >= 2 then saw.depth2 = true end
		for _, _, kind in ino:blocks() do if kind == "tind" then saw.tind = true end end
		-- sample for bmap: first block, a hole, the last data block
		if ino.has_blocks and ino.ino % 3 == 0 or #holes > 0 then
			bmaps[#bmaps + 1] = { ino.ino, 0 }
			if holes[1] then bmaps[#bmaps + 1] = { ino.ino, holes[1][1] } end
			local last = runs[#runs]
			if last then bmaps[#bmaps + 1] = { ino.ino, last[1] + last[3] - 1 } end
		end
		-- sample for owner: the blocks of one inode in 25
		if ino.ino % 25 == 0 or ino.ino == fs:lookup("/frag") then
			for k = 1, #pblks, math.max(1, #pblks // 20) do owners[#owners + 1] = pblks[k] end
		end
	end
	t.check(saw.tind or bs > 1024 or fs.super.features.extent, "%s: a triple-indirect block was seen", img)
	if fs.super.features.extent then
		t.check(saw.depth2 or bs > 1024, "%s: a tree of depth 2 was seen", img)
		t.check(saw.uninit or not fs:lookup("/unwritten"), "%s: uninit extents were seen", img)
	end

	-- fs:bmap against debugfs bmap
	cmds = {}
	for i, b in ipairs(bmaps) do cmds[i] = "bmap <" .. b[1] .. "> " .. b[2] end
	out = t.debugfs(img, cmds)
	for i, b in ipairs(bmaps) do
		local pblk, uninit = fs:bmap(b[1], b[2])
		t.eq(pblk .. (uninit and " (uninit)" or ""), out[i], img .. " bmap <" .. b[1] .. "> " .. b[2])
	end

	-- fs:owner against icheck: blocks of files, plus blocks all over
	-- (debugfs refuses block 0, on 1 KiB blocks it is outside the fs)
	for b = 1, fs.super.blocks_count - 1, fs.super.blocks_count // 40 do owners[#owners + 1] = b end
	cmds = {}
	for i = 1, #owners, 20 do
		cmds[#cmds + 1] = "icheck " .. table.concat(owners, " ", i, math.min(#owners, i + 19))
	end
	local icheck = {}
	for _, o in ipairs(t.debugfs(img, cmds)) do
		for b, who in o:gmatch("(%d+)\t([^\n]+)") do icheck[tonumber(b)] = tonumber(who) or false end
	end
	for _, b in ipairs(owners) do
		local ino, kind = fs:owner(b)
		t.eq(ino or false, icheck[b], img .. " owner(" .. b .. ")")
		if ino then
			local k
			for _, p, kk in fs:inode(ino):blocks() do if p == b then k = kk end end
			t.eq(kind, k or "xattr", img .. " owner(" .. b .. ") kind")
		end
	end

	-- fs:testb against debugfs testb
	cmds = {}
	for i, b in ipairs(owners) do cmds[i] = "testb " .. b end
	out = t.debugfs(img, cmds)
	for i, b in ipairs(owners) do
		t.eq(fs:testb(b), out[i]:find("marked in use", 1, true) ~= nil, img .. " testb " .. b)
	end

	-- fs:path and fs:walk against ncheck
	cmds = {}
	for i, ino in ipairs(inodes) do cmds[i] = "ncheck " .. ino.ino end
	out = t.debugfs(img, cmds)
	local names, nnames = {}, 0
	for i, ino in ipairs(inodes) do
		local set = {}
		for path in out[i]:gmatch("\n%d+\t([^\n]+)") do
			set[(path:gsub("^//", "/"))] = true
			nnames = nnames + 1
		end
		names[ino.ino] = set
		local p = fs:path(ino.ino)
		if ino.ino == 2 then
			t.eq(p, "/", img .. " path of the root")
		elseif next(set) then
			t.check(p and set[p], "%s: path(%d) = %s, not a name ncheck gives", img, ino.ino, tostring(p))
			t.eq(ino:path(), p, img .. " ino:path()")
		else
			t.eq(p, nil, img .. " path of an unnamed inode <" .. ino.ino .. ">")
		end
	end
	local walked, first = 0, nil
	local last_dir = {}
	for path, ino in fs:walk("/") do
		walked = walked + 1
		first = first or path
		if path ~= "/" then
			t.check(names[ino.ino][path], "%s: walk yielded %s for <%d>, unknown to ncheck", img, path, ino.ino)
			-- depth first: the parent was yielded before, and is the
			-- innermost directory on the path
			local parent = path:match("^(.*)/[^/]+$")
			t.check(last_dir[parent ~= "" and parent or "/"], "%s: %s before its directory", img, path)
		end
		if ino.type == "directory" then last_dir[path] = true end
		t.eq(fs:lookup(path), ino.ino, img .. " walk path resolves: " .. path)
	end
	t.eq(first, "/", img .. " walk starts at its start")
	t.eq(walked, nnames + 1, img .. " walk yields every name once (+ the start)")
	local sub = {}
	for path in fs:walk("dir/sub") do sub[#sub + 1] = path end
	t.eq(table.concat(sub, " "), "dir/sub dir/sub/deep dir/sub/deep/x", img .. " walk of a subtree, relative")
	sub = {}
	for path, ino in fs:walk("/slowlink") do sub[#sub + 1] = path .. "=" .. ino.type end
	t.eq(table.concat(sub, " "), "/slowlink=symlink", img .. " walk does not follow symlinks")
	fs:close()
end

-- A directory loop: /dir/sub/loop is a second name of /dir (made with
-- debugfs link, which does not check).  The walk must stop with an error.
local function check_loop(img)
	local copy = os.getenv("E2L_TMP") .. "/loop.img"
	t.sh("cp '" .. img .. "' '" .. copy .. "'; debugfs -w -R 'link /dir /dir/sub/loop' '" .. copy .. "' 2>/dev/null")
	local fs = e2.open(copy)
	local err = t.raises(function() for _ in fs:walk("/dir") do end end,
		"walk /dir/sub/loop: directory <" .. fs:lookup("/dir") .. "> reached twice (a directory loop)", "directory loop")
	t.eq(err.code, e2.errors.EXT2_ET_DIR_CORRUPTED, "loop error code")
	fs:close()
end

local sums = {}
for i = 1, #arg do sums[i] = t.sha256(arg[i]) end
for i = 1, #arg do check_image(arg[i]) end
check_loop(arg[1])
for i = 1, #arg do t.eq(t.sha256(arg[i]), sums[i], arg[i] .. ": unchanged") end
t.done()
