-- api_spec.lua -- the e2 module's objects, fields, errors and lifetimes,
-- checked against debugfs (stats, stat, testi) on images made at test time.
-- images: ext3:1024 ext4:4096
local t = require "spec"

local globals = {}
for k in pairs(_G) do globals[k] = true end

local e2 = require "e2"
local tmp = os.getenv("E2L_TMP")
local images = { arg[1], arg[2] }
local sums = {}
for _, img in ipairs(images) do sums[img] = t.sha256(img) end

-- ------------------------------------------------------------------
-- The module
-- ------------------------------------------------------------------
t.eq(type(e2.version), "string", "e2.version")
t.eq(e2.strerror(e2.errors.EXT2_ET_FILE_NOT_FOUND), "File not found by ext2_lookup", "strerror libext2fs")
t.eq(e2.strerror(e2.errors.E2C_ERR_MOUNTED), "Filesystem is mounted: refusing to open it for write", "strerror core")
-- Shell commands are the e2lua shell's (tests/lua/shell_registry.lua).
t.eq(e2.commands, nil, "no e2.commands outside e2lua")
t.raises(function() e2.command { name = "x", run = print } end,
	"e2.command: shell commands need the e2lua shell", "e2.command outside e2lua")
t.raises(function() e2.run("stat /") end,
	"e2.run: shell commands need the e2lua shell", "e2.run outside e2lua")
t.raises(function() e2.strerror("x") end, "bad argument #1 to 'strerror'", "strerror type")
local notty = io.open(os.getenv("E2L_TMP") .. "/notty", "w")
t.eq(e2.isatty(notty), false, "isatty: a file is not a terminal")
notty:close()
t.raises(function() e2.isatty(notty) end, "closed file", "isatty: a closed file")
t.raises(function() e2.isatty(1) end, "bad argument #1 to 'isatty'", "isatty: not a file")
local mk = e2.error(e2.errors.EXT2_ET_FILE_NOT_FOUND, "stat", "/a/b")
t.eq(tostring(mk), "stat /a/b: File not found by ext2_lookup", "e2.error tostring")
t.eq(tostring(e2.error("went wrong", "policy")), "policy: went wrong", "e2.error with a message")

-- ------------------------------------------------------------------
-- Superblock and groups against debugfs stats
-- ------------------------------------------------------------------
local stats_keys = {
	["Inode count"] = "inodes_count", ["Block count"] = "blocks_count",
	["Reserved block count"] = "r_blocks_count", ["Free blocks"] = "free_blocks_count",
	["Free inodes"] = "free_inodes_count", ["First block"] = "first_data_block",
	["Block size"] = "block_size", ["Blocks per group"] = "blocks_per_group",
	["Inodes per group"] = "inodes_per_group", ["Inode blocks per group"] = "inode_blocks_per_group",
	["First inode"] = "first_ino", ["Inode size"] = "inode_size",
	["Reserved GDT blocks"] = "reserved_gdt_blocks", ["Mount count"] = "mnt_count",
	["Maximum mount count"] = "max_mnt_count", ["Journal inode"] = "journal_inum",
	["Filesystem UUID"] = "uuid", ["Directory Hash Seed"] = "hash_seed",
	["Required extra isize"] = "min_extra_isize", ["Desired extra isize"] = "want_extra_isize",
	["Group descriptor size"] = "desc_size",
}

local function check_super(fs, img)
	local out = t.debugfs(img, { "stats" })[1]
	local sb = fs.super
	local seen = 0
	for key, val in out:gmatch("\n?([%w #]+):%s+([^\n]*)") do
		local field = stats_keys[key]
		if field then
			seen = seen + 1
			t.eq(tostring(sb[field]), val, img .. ": super." .. field)
		end
	end
	t.check(seen >= 18, "%s: only %d stats fields parsed", img, seen)
	t.eq(table.concat(sb.feature_list, " "), out:match("Filesystem features:%s+([^\n]*)"), "features")
	for _, name in ipairs(sb.feature_list) do t.eq(sb.features[name], true, "features." .. name) end
	t.eq(string.format("0x%04X", sb.magic), out:match("magic number:%s+(%S+)"), "magic")
	t.eq(sb.rev_level, tonumber(out:match("revision #:%s+(%d+)")), "rev_level")
	t.eq(sb.volume_name, "", "volume_name <none>")
	t.eq(sb.group_count, #fs.groups, "group_count")
	t.eq(fs.block_size, sb.block_size, "fs.block_size")

	local g = 0
	for n, bb, ib, it, fb, fi, ud in out:gmatch(
		"Group +(%d+): block bitmap at (%d+)[^,]*, inode bitmap at (%d+)[^,]*, inode table at (%d+)[^\n]*\n"
		.. "%s+(%d+) free blocks?, (%d+) free inodes?, (%d+) used director") do
		g = g + 1
		local grp = fs.groups[tonumber(n) + 1]
		t.eq(grp.block_bitmap, tonumber(bb), "group " .. n .. " block_bitmap")
		t.eq(grp.inode_bitmap, tonumber(ib), "group " .. n .. " inode_bitmap")
		t.eq(grp.inode_table, tonumber(it), "group " .. n .. " inode_table")
		t.eq(grp.free_blocks, tonumber(fb), "group " .. n .. " free_blocks")
		t.eq(grp.free_inodes, tonumber(fi), "group " .. n .. " free_inodes")
		t.eq(grp.used_dirs, tonumber(ud), "group " .. n .. " used_dirs")
	end
	t.eq(g, #fs.groups, img .. ": groups parsed")
	return tonumber(out:match("Directories:%s+(%d+)"))
end

-- ------------------------------------------------------------------
-- Every in-use inode against debugfs testi and stat
-- ------------------------------------------------------------------
local debugfs_types = {
	regular = "regular", directory = "directory", symlink = "symlink",
	["character special"] = "chardev", ["block special"] = "blockdev",
	FIFO = "fifo", socket = "socket", ["bad type"] = "unknown",
}

local function check_inode(fs, ino, st)
	local n = ino.ino
	local what = fs.image .. " <" .. n .. ">"
	local ty, mode, flags = st:match("Type: (.-)%s+Mode:%s+(%d+)%s+Flags: (0x%x+)")
	t.eq(ino.type, debugfs_types[ty], what .. " type")
	t.eq(ino.mode & 0xfff, tonumber(mode, 8), what .. " mode")
	t.eq(ino.flags, tonumber(flags), what .. " flags")
	t.eq(ino.generation, tonumber(st:match("Generation: (%d+)")), what .. " generation")
	local uid, gid, size = st:match("User:%s+(%d+)%s+Group:%s+(%d+).-Size: (%d+)")
	t.eq(ino.uid, tonumber(uid), what .. " uid")
	t.eq(ino.gid, tonumber(gid), what .. " gid")
	t.eq(ino.size, tonumber(size), what .. " size")
	t.eq(ino.file_acl, tonumber(st:match("File ACL: (%d+)")), what .. " file_acl")
	local links, count = st:match("Links: (%d+)%s+Blockcount: (%d+)")
	t.eq(ino.links, tonumber(links), what .. " links")
	t.eq(ino.sectors, tonumber(count), what .. " sectors")
	for _, f in ipairs { "ctime", "atime", "mtime", "crtime", "dtime" } do
		local lo = st:match("\n *" .. f .. ": 0x(%x+)")
		if f == "crtime" or f == "dtime" then
			if f == "dtime" then t.eq(ino.dtime ~= 0, lo ~= nil, what .. " dtime shown") end
			if lo then t.eq(ino[f], tonumber(lo, 16), what .. " " .. f) end
			if f == "crtime" and not lo then t.eq(ino.crtime, nil, what .. " crtime absent") end
		else
			t.eq(ino[f], tonumber(lo, 16), what .. " " .. f)
		end
	end
	t.eq(ino.extent_mapped, ino.flags & 0x80000 ~= 0, what .. " extent_mapped")
	t.eq(ino.inline, ino.flags & 0x10000000 ~= 0, what .. " inline")
	-- a map to walk: files, directories and slow symlinks, not inline
	local mapped = (ino.type == "regular" or ino.type == "directory" or ino.type == "symlink")
		and not st:find("Fast link dest", 1, true) and not ino.inline
	t.eq(ino.has_blocks, mapped, what .. " has_blocks")
	local mapkind = (not ino.has_blocks) and "none" or ino.extent_mapped and "extents" or "blockmap"
	t.eq(ino.map, mapkind, what .. " map")
	t.eq(tostring(ino), "e2.inode <" .. n .. "> (" .. ino.type .. ", " .. mapkind .. ")", what .. " tostring")
end

local function check_inodes(fs, img, ndirs)
	local total = fs.super.inodes_count
	local cmds = {}
	for n = 1, total do cmds[n] = "testi <" .. n .. ">" end
	local used = {}
	for n, out in ipairs(t.debugfs(img, cmds)) do
		if out:find("marked in use", 1, true) then used[#used + 1] = n end
	end
	local got = {}
	for ino in fs:inodes() do got[#got + 1] = ino.ino end
	t.eq(table.concat(got, " "), table.concat(used, " "), img .. ": fs:inodes() = inodes marked in use")

	cmds = {}
	for i, n in ipairs(used) do cmds[i] = "stat <" .. n .. ">" end
	local stats = t.debugfs(img, cmds)
	local i = 0
	for ino in fs:inodes() do
		i = i + 1
		check_inode(fs, ino, stats[i])
		t.check(fs:inode(ino.ino) == ino, "%s: fs:inode(%d) == scanned inode", img, ino.ino)
	end

	local dirs = 0
	for _ in fs:inodes(function(x) return x.type == "directory" end) do dirs = dirs + 1 end
	t.eq(dirs, ndirs, img .. ": fs:inodes(filter) directories")
end

-- ------------------------------------------------------------------
-- Errors and argument checks
-- ------------------------------------------------------------------
local function check_errors(fs, img)
	local err = t.raises(function() fs:inode("/nope") end, "inode /nope: File not found by ext2_lookup", "missing path")
	t.eq(getmetatable(err).__name, "e2.error", "error metatable")
	t.eq(err.code, e2.errors.EXT2_ET_FILE_NOT_FOUND, "err.code")
	t.eq(err.op, "inode", "err.op")
	t.eq(err.object, "/nope", "err.object")
	t.eq(err.message, "File not found by ext2_lookup", "err.message")
	err = t.raises(function() fs:inode(0) end, "inode <0>: Illegal inode number", "inode 0")
	t.eq(err.code, e2.errors.EXT2_ET_BAD_INODE_NUM, "inode 0 code")
	t.raises(function() fs:inode(fs.super.inodes_count + 1) end, "Illegal inode number", "inode past the end")
	t.raises(function() fs:inode("<99999999>") end, "inode <99999999>: Illegal inode number", "<n> past the end")
	t.raises(function() fs:inode("/tiny/x") end, "inode /tiny/x: ", "path through a file")
	t.raises(function() fs:inode() end, "bad argument #1 to 'inode' (inode number, \"<n>\" or path expected, got no value)", "no argument")
	t.raises(function() fs:inode({}) end, "bad argument #1 to 'inode'", "table argument")
	t.raises(function() fs:inode(1.5) end, "no integer representation", "fractional inode")
	t.raises(function() fs:inode(2, 3) end, "bad argument #2 to 'inode' (no value expected)", "surplus argument")
	t.raises(function() fs.inode(nil, 2) end, "e2.fs expected, got nil", "method without self")
	t.raises(function() fs:testb(-1) end, "block number outside the filesystem", "testb -1")
	if fs.super.first_data_block == 1 then
		t.raises(function() fs:owner(0) end, "block number outside the filesystem", "owner 0 on 1 KiB blocks")
	end
	t.raises(function() fs:testb(fs.super.blocks_count) end, "block number outside the filesystem", "testb past the end")
	t.raises(function() fs:owner("x") end, "bad argument #1 to 'owner'", "owner type")
	t.raises(function() fs:bmap("/dind", -1) end, "logical block out of range", "bmap -1")
	t.raises(function() fs:walk("/nope") end, "walk /nope: File not found", "walk of a missing path")
	t.raises(function() fs:inodes(5) end, "bad argument #1 to 'inodes' (function expected", "inodes filter type")
	t.raises(function() fs:begin() end, "begin " .. img .. ": ", "begin on a read-only fs")

	t.eq(fs:lookup("/nope"), nil, "lookup of a missing path is nil")
	t.eq(fs:lookup("/dind"), fs:inode("/dind").ino, "lookup")
	t.eq(fs:lookup("<12>"), 12, "lookup <n>")
	t.eq(select("#", fs:path(fs.super.inodes_count)), 1, "path of an unused inode is one value")
	t.eq(fs:path(fs.super.inodes_count), nil, "path of an unused inode is nil")

	-- cd and relative paths
	t.eq(fs:cwd(), 2, "cwd at open")
	fs:cd("dir")
	t.eq(fs:cwd(), fs:lookup("/dir"), "cd")
	t.eq(fs:inode("sub").ino, fs:lookup("/dir/sub"), "relative path after cd")
	err = t.raises(function() fs:cd("/tiny") end, "cd /tiny: Not a directory", "cd to a file")
	t.eq(err.code, e2.errors.E2C_ERR_NOT_DIR, "cd error code")
	t.eq(fs:cwd(), fs:lookup("/dir"), "failed cd keeps the cwd")
	fs:cd("/")
	t.eq(fs:cwd(), 2, "cd /")
end

local function check_open_errors(img)
	local e = t.raises(function() e2.open(tmp .. "/nonexistent") end, "open " .. tmp .. "/nonexistent: No such file or directory", "open missing")
	t.eq(e.op, "open", "open error op")
	t.raises(function() e2.open(tmp) end, "open " .. tmp .. ": ", "open a directory")
	local f = io.open(tmp .. "/empty", "w") f:close()
	t.raises(function() e2.open(tmp .. "/empty") end, "open " .. tmp .. "/empty: ", "open an empty file")
	f = io.open(tmp .. "/junk", "w") f:write(string.rep("junk", 100000)) f:close()
	e = t.raises(function() e2.open(tmp .. "/junk") end, "Bad magic number in super-block", "open junk")
	t.eq(e.code, e2.errors.EXT2_ET_BAD_MAGIC, "bad magic code")
	t.raises(function() e2.open() end, "bad argument #1 to 'open' (string expected, got no value)", "open no path")
	t.raises(function() e2.open(img, {}, 3) end, "bad argument #3 to 'open' (no value expected)", "open surplus")
	t.raises(function() e2.open(img, { bogus = 1 }) end, "e2.open: unknown option 'bogus'", "open unknown option")
	t.raises(function() e2.open(img, { write = "yes" }) end, "option 'write' must be a boolean", "open write type")
	t.raises(function() e2.open(img, { undo = tmp .. "/u" }) end, "option 'undo' needs write=true", "undo without write")
	t.raises(function() e2.open(img, { superblock = 8193 }) end, "option 'superblock' needs 'block_size'", "superblock without block_size")

	-- Opening for write: the core's safety checks, with their reasons.
	local copy = tmp .. "/copy.img"
	assert(t.sh("cp '" .. img .. "' '" .. copy .. "' && echo ok"):find("ok"))
	local w = e2.open(copy, { write = true })
	t.eq(w.writable, true, "writable")
	t.eq(tostring(w), "e2.fs (" .. copy .. ", rw)", "rw tostring")
	e = t.raises(function() e2.open(copy, { write = true }) end,
		"open " .. copy .. ": Image is locked by another e2lua writer", "second writer")
	t.eq(e.code, e2.errors.E2C_ERR_LOCKED, "locked code")
	w:close()
	t.sh("debugfs -w -R 'ssv state 0' '" .. copy .. "' 2>/dev/null")
	e = t.raises(function() e2.open(copy, { write = true }) end,
		"open " .. copy .. ": Filesystem is not clean: run e2fsck -f first", "not clean")
	t.eq(e.code, e2.errors.E2C_ERR_NOT_CLEAN, "not clean code")
	local ro = e2.open(copy)	-- read-only still works
	t.eq(ro.writable, false, "read-only open of an unclean fs")
	ro:close()
	local c = e2.open(img, { catastrophic = true })
	t.eq(c.catastrophic, true, "catastrophic")
	e = t.raises(function() c:testb(1) end, "testb 1: Filesystem bitmaps not loaded", "testb without bitmaps")
	t.eq(e.code, e2.errors.E2C_ERR_NO_BITMAPS, "no bitmaps code")
	t.check(c:inode(2).type == "directory", "catastrophic reads inodes")
	c:close()
end

-- ------------------------------------------------------------------
-- Lifetimes: close, to-be-closed cursors, stale children
-- ------------------------------------------------------------------
local function ino_no(i) return tostring(i):match("<(%d+)>") end

local function check_lifetimes(img)
	local fs = e2.open(img)
	local ino = fs:inode("/dind")

	-- break closes the cursor (4-value generic for)
	local it, st, ctl, cur = ino:blocks()
	t.eq(tostring(cur), "e2.cursor (blocks, open)", "cursor open")
	for _ in it, st, ctl, cur do break end
	t.eq(tostring(cur), "e2.cursor (blocks, closed)", "break closes")
	t.raises(function() it(st) end, "attempt to use a closed e2.cursor", "iterate after close")

	-- an error in the body closes it too
	it, st, ctl, cur = ino:runs()
	local ok = pcall(function() for _ in it, st, ctl, cur do error("boom") end end)
	t.check(not ok, "error propagates")
	t.eq(tostring(cur), "e2.cursor (runs, closed)", "error closes")

	-- exhaustion closes; close is idempotent
	it, st, ctl, cur = ino:holes()
	for _ in it, st, ctl, cur do end
	t.eq(tostring(cur), "e2.cursor (holes, closed)", "end closes")
	cur:close()
	cur:close()

	-- a filter that closes its own fs
	t.raises(function()
		for _ in fs:inodes(function() fs:close() return true end) do end
	end, "closed e2.fs", "filter closing the fs")
	t.eq(tostring(fs), "e2.fs (closed)", "fs closed by the filter")

	-- stale children after fs:close()
	fs = e2.open(img)
	ino = fs:inode("/dind")
	it, st, ctl, cur = ino:blocks()
	local wit, wst = fs:walk()
	fs:close()
	fs:close()	-- idempotent
	t.eq(tostring(cur), "e2.cursor (blocks, closed)", "fs:close closes cursors")
	t.raises(function() it(st) end, "attempt to use an e2.cursor of a closed e2.fs", "cursor after fs close")
	t.raises(function() wit(wst) end, "closed e2.fs", "walk after fs close")
	t.raises(function() return ino.size end, "attempt to use an e2.inode of a closed e2.fs", "inode field after close")
	t.raises(function() ino:blocks() end, "closed e2.fs", "inode method after close")
	t.raises(function() fs:inode(2) end, "attempt to use a closed e2.fs", "fs method after close")
	t.raises(function() return fs.super end, "attempt to use a closed e2.fs", "fs field after close")
	t.eq(tostring(ino), "e2.inode <" .. ino_no(ino) .. "> (closed fs)", "inode tostring after close")

	-- to-be-closed fs, and garbage collection of everything
	do
		local fs2 <close> = e2.open(img)
		t.eq(fs2.writable, false, "tbc fs")
		for _ in fs2:inodes() do break end
	end
	for _ = 1, 3 do
		local g = e2.open(img)
		local i = g:inode(2)
		local _ = i:blocks()
		local _ = g:walk()
	end
	collectgarbage()
	collectgarbage()
	t.check(true, "garbage collection")
end

-- ------------------------------------------------------------------
for _, img in ipairs(images) do
	local fs = e2.open(img)
	t.eq(tostring(fs), "e2.fs (" .. img .. ", ro)", "tostring")
	t.eq(fs.writable, false, "read-only by default")
	t.eq(fs.image, img, "fs.image")
	t.eq(type(fs.path), "function", "fs.path is the method")
	t.eq(fs:path(2), "/", "fs:path(2)")
	local ndirs = check_super(fs, img)
	check_inodes(fs, img, ndirs)
	check_errors(fs, img)
	fs:close()
	check_open_errors(img)
	check_lifetimes(img)
end

for _, img in ipairs(images) do
	t.eq(t.sha256(img), sums[img], img .. ": unchanged by read-only use")
end
for k in pairs(_G) do
	t.check(globals[k], "global '%s' created", k)
end
t.check(rawget(_G, "e2") == nil, "require does not set a global e2")
t.done()
