-- misuse_spec.lua -- the e2 module misused, as a hostile or unlucky script
-- would (issue 8): objects of two filesystems joined (tx:stage of another
-- fs's selection wrote its block maps into the wrong image), two
-- selections scanning at once (SIGSEGV), paths with NUL bytes, bad select
-- criteria, write with catastrophic, an undo file that cannot be used, and
-- fs:owner of a block past a bad pointer.  Each raises a clear error and
-- writes nothing.
-- images: ext3:1024:16M ext3:4096:32M
local t = require "spec"
local e2 = require "e2"
local tmp = os.getenv("E2L_TMP")
local A, B = arg[1], arg[2]
local sumA, sumB = t.sha256(A), t.sha256(B)

local function unchanged(what)
	t.eq(t.sha256(A), sumA, what .. ": first image unchanged")
	t.eq(t.sha256(B), sumB, what .. ": second image unchanged")
end

-- Objects of two filesystems.  The selection is of A, the tx of B.
do
	local a <close> = e2.open(A, { write = true })
	local b <close> = e2.open(B, { write = true })
	local sel = a:select { types = "regular" }
	repeat until sel:scan()
	t.check(sel:pending() > 0, "selection of A has inodes")
	local tx = b:begin()
	t.raises(function() tx:stage(sel) end,
		"bad argument #1 to 'stage' (e2.selection of another e2.fs than the e2.tx's)",
		"tx:stage(selection of another fs)")
	t.eq(#tx, 0, "nothing staged from the other fs")
	tx:commit()
	-- A fresh selection staging as it scans into another fs's tx.
	local sel2 = a:select {}
	t.raises(function() sel2:scan(0, tx) end,
		"bad argument #2 to 'scan' (e2.tx of another e2.fs than the e2.selection's)",
		"sel:scan(n, tx of another fs)")
	-- An inode object of the other fs, to tx:migrate and sel:offer.
	local ia = a:inode("/dind")
	t.raises(function() tx:migrate(ia) end, "inode of another e2.fs",
		"tx:migrate(inode of another fs)")
	local sel3 = b:select {}
	t.raises(function() sel3:offer(ia) end, "inode of another e2.fs",
		"sel:offer(inode of another fs)")
	-- The same fs's objects still work together.
	local txa = a:begin()
	t.check(txa:stage(sel) > 0, "tx:stage(selection of its own fs)")
	txa:rollback()
end
unchanged("objects of two filesystems")

-- Two selections scanning at once: the second cannot start while the
-- first builds the owners map (the first one's close would end it).
do
	local fs <close> = e2.open(A)
	local a = fs:select {}
	a:scan(1)
	local b = fs:select {}
	t.raises(function() b:scan(1) end,
		"A selection scan is building the block owners map",
		"second scan while the first builds")
	t.raises(function() b:offer("/dind") end,
		"A selection scan is building the block owners map",
		"offer to another selection while the first builds")
	a:close()
	t.eq(b:scan(), true, "the second scans once the first is closed")
	-- Once the map is built, scans of several selections interleave.
	local c, d = fs:select {}, fs:select { types = "directory" }
	c:scan(3)
	d:scan(3)
	repeat until c:scan(5)
	repeat until d:scan(5)
	t.eq(c:totals().examined, b:totals().examined, "interleaved scans: all of them")
end

-- Paths with a NUL byte: C would read them cut short.
do
	local fs <close> = e2.open(A)
	t.check(fs:lookup("/") ~= nil, "/ exists")
	for _, f in ipairs {
		function() return fs:lookup("/\0/x") end,
		function() return fs:inode("/dind\0/x") end,
		function() return fs:walk("/\0") end,
		function() return fs:plan("/dind\0") end,
		function() return e2.open(A .. "\0.x") end,
		function() return e2.open(A, { write = true, undo = tmp .. "/u\0x" }) end,
	} do
		local ok, err = pcall(f)
		t.check(not ok and tostring(err):find("NUL", 1, true),
			"a path with a NUL byte refused: %s", tostring(err))
	end
end

-- Bad criteria name the key.
do
	local fs <close> = e2.open(A)
	for c, msg in pairs {
		[{ order = "bogus" }] = "criteria: order must be one of none, largest",
		[{ types = "bogus" }] = "criteria: types must be one of regular",
		[{ types = { "x" } }] = "criteria: types must be one of regular",
		[{ types = { regular = "yes" } }] = "criteria: types.regular must be a boolean",
		[{ mtime_before = "x" }] = "criteria: mtime_before must be an integer",
		[{ keep_free = "a" }] = "criteria: keep_free must be a number from 0 to 100",
		[{ uid = 1 << 32 }] = "criteria: uid must be an integer from 0 to 4294967295",
		[{ log = 1 }] = "criteria: log must be a boolean",
	} do
		local err = t.raises(function() fs:select(c) end, msg, "criteria " .. msg)
		t.check(not tostring(err):find("#-1", 1, true), "no argument #-1: %s", tostring(err))
	end
end

-- Write with catastrophic; an undo file that cannot be used.
t.raises(function() e2.open(A, { write = true, catastrophic = true }) end,
	"option 'catastrophic' is read-only; it cannot be combined with 'write'",
	"write + catastrophic")
t.raises(function() e2.open(A, { undo = tmp .. "/u" }) end, "needs write=true", "undo without write")
t.raises(function() e2.open(A, { write = true, undo = tmp .. "/no/dir/u" }) end,
	"open " .. tmp .. "/no/dir/u: cannot use it as the undo file: No such file or directory",
	"undo file in a missing directory")
t.raises(function() e2.open(A, { write = true, undo = tmp }) end,
	"open " .. tmp .. ": cannot use it as the undo file: Is a directory", "undo file a directory")
t.raises(function() e2.open(A, { write = true, undo = A }) end,
	"Undo file is the image itself (choose another name)", "undo file the image")
local notundo = tmp .. "/notundo"
local f = assert(io.open(notundo, "w"))
f:write("precious\n")
f:close()
t.eq(t.raises(function() e2.open(A, { write = true, undo = notundo }) end,
	"Undo file corrupt", "undo file not an undo file: code").code, e2.errors.EXT2_ET_UNDO_FILE_CORRUPT,
	"undo file not an undo file: e2.errors")
t.raises(function() e2.open(A, { write = true, undo = notundo }) end,
	"open " .. notundo .. ": Undo file corrupt (not an undo file, or a damaged one: remove it or choose another name)",
	"undo file not an undo file")
t.eq(io.open(notundo):read("a"), "precious\n", "the file given as undo file is untouched")
-- An undo file of another filesystem.
local u = tmp .. "/u.other"
do
	local b <close> = e2.open(B, { write = true, undo = u })
	local tx = b:begin()
	tx:migrate("/dind")
	tx:commit()
end
sumB = t.sha256(B)
t.raises(function() e2.open(A, { write = true, undo = u }) end,
	"open " .. u .. ": Wrong undo file for this filesystem (it records another filesystem, or this one before later changes: remove it or choose another name)",
	"undo file of another filesystem")
-- A session that writes nothing leaves no undo file behind.
do
	local fs <close> = e2.open(A, { write = true, undo = tmp .. "/u.none" })
end
t.eq(io.open(tmp .. "/u.none"), nil, "no undo file after a session that wrote nothing")
unchanged("open refusals")

-- fs:owner of a block past a bad pointer: unknown, not nobody's.
do
	local c = tmp .. "/bad.img"
	t.sh("cp '" .. A .. "' '" .. c .. "'")
	local fs = e2.open(c)
	local st = t.stat_entries(t.debugfs(c, { "stat /dind" })[1])
	local ind
	for _, e in ipairs(st) do if e.kind == "ind" then ind = e.pblk end end
	fs:close()
	t.check(ind ~= nil, "/dind has an indirect block")
	t.sh("debugfs -w -R 'sif /dind block[IND] 99999999' '" .. c .. "' 2>/dev/null")
	fs = e2.open(c)
	local ino, why, bad = fs:owner(ind + 1)
	t.eq(ino, nil, "owner past a bad pointer: no inode")
	t.eq(why, "unknown: map corrupt", "owner past a bad pointer: why")
	t.eq(bad, fs:lookup("/dind"), "owner past a bad pointer: the corrupt inode")
	local o, kind = fs:owner(st[1].pblk)
	t.eq(o, fs:lookup("/dind"), "owner before the bad pointer")
	t.eq(kind, "data", "owner before the bad pointer: kind")
	fs:close()
end

t.done()
