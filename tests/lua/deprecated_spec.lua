-- deprecated_spec.lua -- every name doc/lua-api.md lists as deprecated
-- still works and gives what its new name gives; sel:scan's options
-- table; fs.super kept until the superblock changes; the one-time
-- warning of an old name, printed only with warnings on.
-- images: ext3:1024:16M
local t = require "spec"
local e2 = require "e2"
local tmp = os.getenv("E2L_TMP")

package.path = os.getenv("E2LUA_SCRIPTS") .. "/lib/?.lua;" .. package.path
local policy = require "e2.policy"
local img = arg[1]

local function copy(name)
	local c = tmp .. "/" .. name
	t.sh("cp '" .. img .. "' '" .. c .. "'")
	return c
end

-- e2.open{blocksize=} -> block_size
do
	local a <close> = e2.open(img, { superblock = 8193, block_size = 1024 })
	local b <close> = e2.open(img, { superblock = 8193, blocksize = 1024 })
	t.eq(b.block_size, a.block_size, "open blocksize = block_size")
	t.eq(b.super.blocks_count, a.super.blocks_count, "open blocksize: the same superblock")
	t.raises(function() e2.open(img, { superblock = 8193, block_size = 1024, blocksize = 1024 }) end,
		"options 'block_size' and 'blocksize' (its old name) both given", "both names")
end

-- ino.i_blocks -> ino.sectors; plan.iblocks_* -> plan.sectors_*
do
	local fs <close> = e2.open(img)
	for _, f in ipairs { "/dind", "/frag", "/slowlink", "/empty" } do
		local ino = fs:inode(f)
		t.check(math.type(ino.sectors) == "integer", "%s: sectors", f)
		t.eq(ino.i_blocks, ino.sectors, f .. ": i_blocks = sectors")
		t.eq(ino:stat().i_blocks, ino:stat().sectors, f .. ": stat() i_blocks = sectors")
		local p = fs:plan(f)
		t.eq(p.sectors_before, ino.sectors, f .. ": plan sectors_before")
		t.eq(p.iblocks_before, p.sectors_before, f .. ": plan iblocks_before = sectors_before")
		t.eq(p.iblocks_after, p.sectors_after, f .. ": plan iblocks_after = sectors_after")
	end
end

-- sel:scan(max, tx, tx_max) -> sel:scan{max=, tx=, tx_max=}
local function scanned(positional)
	local fs <close> = e2.open(copy(positional and "pos.img" or "opt.img"), { write = true })
	local tx <close> = fs:begin()
	local sel <close> = fs:select { types = { regular = true } }
	local calls, done = 0, false
	repeat
		calls = calls + 1
		if positional then
			done = sel:scan(7, tx, 5)
		else
			done = sel:scan { max = 7, tx = tx, tx_max = 5 }
		end
	until done
	t.eq(sel:totals().files, sel:totals().inodes, "sel:totals(): files = inodes")
	return calls, #tx, sel:totals().inodes, sel:totals().examined
end
do
	local c1, n1, f1, e1 = scanned(true)
	local c2, n2, f2, e2_ = scanned(false)
	t.eq(n1, 5, "positional: tx_max 5 staged")
	t.eq(c2, c1, "options table: as many calls of 7 inodes")
	t.eq(n2, n1, "options table: as many staged")
	t.eq(f2, f1, "options table: as many selected")
	-- sel:totals().files -> inodes
	t.eq(e2_, e1, "options table: as many examined")
	local fs <close> = e2.open(img)
	local sel <close> = fs:select {}
	t.eq(sel:scan {}, true, "sel:scan{} scans everything")
	local s2 <close> = fs:select {}
	t.raises(function() s2:scan { max = 1, maxx = 2 } end, "sel:scan: unknown option 'maxx'", "unknown key")
	t.raises(function() s2:scan { max = -1 } end, "option 'max' must be an integer from 0", "max -1")
	t.raises(function() s2:scan({ max = 1 }, 2) end, "bad argument #2 to 'scan' (no value expected)",
		"options table and more")
end

-- policy.select (inode, path) -> policy.walk (path, inode); min_fragments -> min_runs
do
	local fs <close> = e2.open(img)
	for _, opts in ipairs { { paths = { "/dir/**", "/frag" } }, { types = { "regular" } } } do
		local old, new = {}, {}
		for inode, path in policy.select(fs, opts) do old[#old + 1] = inode.ino .. "=" .. tostring(path) end
		for path, inode in policy.walk(fs, opts) do
			new[#new + 1] = inode.ino .. "=" .. (path == "<" .. inode.ino .. ">" and "nil" or path)
		end
		t.check(#new > 0, "policy.walk yields something")
		t.same(new, old, "policy.walk = policy.select, swapped (paths " .. tostring(opts.paths) .. ")")
	end
	local function selected(opts)
		opts.dry_run, opts.out = true, function() end
		local run <close> = policy.runner(fs, opts)
		run:select()
		local s = run:finish()
		t.eq(s.files, s.inodes, "policy summary: files = inodes")
		return s.inodes, s.filtered, s.examined
	end
	local f1, x1, e1 = selected { min_fragments = 3 }
	local f2, x2, e2_ = selected { min_runs = 3 }
	t.check(x2 > 0, "min_runs 3 filters something (%d)", x2)
	t.same({ f1, x1, e1 }, { f2, x2, e2_ }, "min_fragments = min_runs")
	t.raises(function() selected { min_runs = 3, min_fragments = 3 } end,
		"options 'min_runs' and 'min_fragments' (its old name) both given", "both names")
end

-- fs.super: one table per open until the superblock changes
do
	local fs <close> = e2.open(copy("super.img"), { write = true })
	local s = fs.super
	t.eq(rawequal(fs.super, s), true, "fs.super is kept")
	local free = s.free_blocks_count
	local delta = fs:plan("/dind").used_delta
	local tx <close> = fs:begin()
	tx:migrate("/dind")
	t.eq(rawequal(fs.super, s), true, "staging changes no superblock")
	tx:commit()
	local s2 = fs.super
	t.eq(rawequal(s2, s), false, "a commit: a new table")
	t.check(delta ~= 0, "migrating /dind changes the free blocks")
	t.eq(s2.free_blocks_count, free - delta, "free_blocks_count read again")
	t.eq(s2.free_blocks_count, fs.super.free_blocks_count, "and kept again")
end

-- The warning: once per name, only when warnings are on
do
	local cmd = "lua5.4 %s -e \"package.cpath = '%s'; local e2 = require 'e2'; " ..
		"local fs = e2.open('%s'); local i = fs:inode('/dind'); local _ = i.i_blocks, i.i_blocks; " ..
		"local sel = fs:select {}; sel:scan(5); sel:scan(5); " ..
		-- no lua_close: under SANITIZE=1 the dlclose of e2.so would
		-- make com_err's table registrations look leaked
		"os.exit(0)\" 2>&1"
	local cpath = package.cpath:gsub("'", "")
	local on = t.sh(string.format(cmd, "-W", cpath, img))
	local off = t.sh(string.format(cmd, "", cpath, img))
	t.eq(off, "", "warnings off: nothing printed")
	local _, n = on:gsub("'ino.i_blocks' is deprecated: use 'ino.sectors'", "")
	t.eq(n, 1, "warnings on: i_blocks warned once [" .. on .. "]")
	_, n = on:gsub("'sel:scan%(max, tx, tx_max%)' is deprecated: use 'sel:scan{max=, tx=, tx_max=}'", "")
	t.eq(n, 1, "warnings on: positional scan warned once [" .. on .. "]")
end

t.done()
