-- blockmap_spec.lua -- fs:blockmap{} and e2.render: the table's shape and
-- invariants (cells tile the range, counts add up, the kind rule, the
-- totals against the superblock and the maps the iterators walk), every
-- way of choosing inodes, the picture after a staged commit against the
-- transaction's plans, option checks, and the render module's pieces.
-- (t_inspect_map.sh compares the cells with a dumpe2fs/debugfs model.)
-- images: ext3:1024:24M ext4noext:4096:64M ext4:1024:24M
local t = require "spec"
local e2 = require "e2"
package.path = os.getenv("E2LUA_SCRIPTS") .. "/lib/?.lua;" .. package.path
local render = require "e2.render"
local tmp = os.getenv("E2L_TMP")

local KINDS = { "free", "meta", "other", "data", "ind" }

-- The rule of doc/lua-api.md, coded again: any new, freed, ind, data (in
-- that order), else free if more than half, else the more of meta and
-- other (meta on a tie).
local function rule(c)
	for _, k in ipairs({ "new", "freed", "ind", "data" }) do
		if (c[k] or 0) > 0 then return k end
	end
	if 2 * c.free > c.count then return "free" end
	return c.other > c.meta and "other" or "meta"
end

-- Cells tile start..start+count-1 in per_cell steps, counts add up to
-- each cell's blocks and to the totals, kinds follow the rule.
local function check_shape(bm, what)
	local kinds = { table.unpack(KINDS) }
	if bm.after then kinds[#kinds + 1] = "new"; kinds[#kinds + 1] = "freed" end
	local next_start, totals = bm.start, {}
	local ok = true
	for i, c in ipairs(bm.cells) do
		local sum = 0
		for _, k in ipairs(kinds) do
			sum = sum + c[k]
			totals[k] = (totals[k] or 0) + c[k]
		end
		ok = ok and t.check(c.start == next_start and sum == c.count and
			(c.count == bm.per_cell or i == #bm.cells) and c.kind == rule(c) and
			#c.names == math.min(c.files, 8) and #c.inodes == #c.names,
			"%s: cell %d (start %d count %d kind %s, %d files)", what, i, c.start, c.count, c.kind, c.files)
		if not ok then break end
		next_start = c.start + c.count
	end
	t.eq(next_start, bm.start + bm.count, what .. ": cells end with the range")
	t.eq(#bm.cells, (bm.count + bm.per_cell - 1) // bm.per_cell, what .. ": cells")
	for _, k in ipairs(kinds) do t.eq(bm.totals[k], totals[k], what .. ": total " .. k) end
	t.eq(bm.after and bm.totals.new ~= nil or bm.totals.new == nil, true, what .. ": new only after")
end

-- Every block of the chosen inodes, from the iterators: data and
-- metadata sets.
local function blocks_of(fs, paths)
	local data, meta = {}, {}
	for _, p in ipairs(paths) do
		local ino = fs:inode(p)
		for _, pblk, kind in ino:blocks() do
			if kind == "data" then data[pblk] = true else meta[pblk] = true end
		end
		if ino.file_acl ~= 0 then meta[ino.file_acl] = true end
	end
	return data, meta
end

local function count(set)
	local n = 0
	for _ in pairs(set) do n = n + 1 end
	return n
end

local function check_image(img)
	local fs <close> = e2.open(img)
	local sb = fs.super
	local whole = sb.blocks_count - sb.first_data_block

	-- defaults: the whole fs in at most 1024 cells
	local bm = fs:blockmap()
	t.eq(bm.start, sb.first_data_block, "default start")
	t.eq(bm.count, whole, "default count")
	t.eq(bm.per_cell, (whole + 1023) // 1024, "default per_cell")
	t.eq(bm.block_size, fs.block_size, "block_size")
	t.eq(bm.after, false, "after")
	check_shape(bm, "default")
	t.eq(bm.totals.data + bm.totals.ind, 0, "nothing chosen: no data, no ind")
	t.eq(bm.totals.free, sb.free_blocks_count, "free = the superblock's free count")
	t.eq(#bm.legend, 5, "legend of five kinds")
	t.eq(bm.legend[1].kind .. bm.legend[5].kind, "indfree", "legend in the rule's order")
	t.eq(#bm.errors + bm.errors_total, 0, "no errors")

	-- the chosen files: exactly their blocks, block by block
	local paths = { "/dind", "/frag", "/sparse_tind", "/dir/big" }
	local data, meta = blocks_of(fs, paths)
	bm = fs:blockmap { files = paths, per_cell = 1 }
	check_shape(bm, "files, 1 a cell")
	local wrong = 0
	for _, c in ipairs(bm.cells) do
		local want = meta[c.start] and "ind" or data[c.start] and "data"
		if want and c.kind ~= want or not want and (c.kind == "ind" or c.kind == "data") then
			wrong = wrong + 1
		end
	end
	t.eq(wrong, 0, "cells of the chosen files' blocks")
	t.eq(bm.totals.data, count(data), "data total = the iterators' data blocks")
	t.eq(bm.totals.ind, count(meta), "ind total = the iterators' metadata blocks")

	-- names: the arguments as given; inode numbers alongside
	local frag = fs:lookup("/frag")
	local named = 0
	for _, c in ipairs(bm.cells) do
		for i, ino in ipairs(c.inodes) do
			if ino == frag then
				named = named + 1
				t.eq(c.names[i], "/frag", "name of /frag's cells")
			end
		end
	end
	t.check(named > 0, "/frag listed in its cells")

	-- every form of inode argument chooses the same inode
	local a = fs:blockmap { files = { "/frag" }, cells = 64 }
	for _, x in ipairs({ frag, "<" .. frag .. ">", fs:inode(frag) }) do
		local b = fs:blockmap { files = { x }, cells = 64 }
		local same = true
		for i, c in ipairs(a.cells) do same = same and c.kind == b.cells[i].kind and c.data == b.cells[i].data end
		t.check(same, "files = { %s } draws what '/frag' does", tostring(x))
	end
	-- a name for an inode given by number comes from the tree; names=false: none
	local b = fs:blockmap { files = { frag }, per_cell = 1 }
	local c0
	for _, c in ipairs(b.cells) do if c.files > 0 then c0 = c break end end
	t.eq(c0 and c0.names[1], "/frag", "a number named by its path")
	b = fs:blockmap { files = { frag }, per_cell = 1, names = false }
	for _, c in ipairs(b.cells) do if c.files > 0 then c0 = c break end end
	t.eq(c0 and c0.names[1], "<" .. frag .. ">", "names = false: <ino>")
	-- hard links: one inode, chosen once, named as first given
	b = fs:blockmap { files = { "/hardlink_a", "/hardlink_b" }, per_cell = 1 }
	local listed = 0
	for _, c in ipairs(b.cells) do
		if c.files > 0 then
			listed = listed + 1
			t.eq(#c.names == 1 and c.names[1], "/hardlink_a", "a hard link chosen twice counts once")
		end
	end
	t.check(listed > 0, "the hard-linked file has cells")

	-- dir = the tree under it, as fs:walk sees it
	local tree = {}
	for p in fs:walk("/dir") do tree[#tree + 1] = p end
	local d1 = fs:blockmap { dir = "/dir", cells = 512 }
	local d2 = fs:blockmap { files = tree, cells = 512 }
	local same = true
	for i, c in ipairs(d1.cells) do
		for _, k in ipairs(KINDS) do same = same and c[k] == d2.cells[i][k] end
	end
	t.check(same, "dir = '/dir' is the files fs:walk('/dir') yields")
	t.raises(function() fs:blockmap { dir = "/nope" } end, "blockmap /nope: File not found", "dir that does not exist")

	-- all: nothing left for "other" on a clean image
	local all = fs:blockmap { all = true, cells = 2048 }
	check_shape(all, "all")
	t.eq(all.totals.other, 0, "all: every used block is metadata or some file's")
	t.eq(all.totals.free, sb.free_blocks_count, "all: free")

	-- a range: the same cells as the whole picture's there
	local g = fs:blockmap { files = paths, start = sb.first_data_block + 100, count = 1000, per_cell = 10 }
	check_shape(g, "range")
	local w = fs:blockmap { files = paths, per_cell = 10 }
	t.eq(g.cells[1].data, w.cells[11].data, "a range's cell is the whole picture's cell")
	t.eq(g.cells[100].ind, w.cells[110].ind, "a range's last cell")

	-- options
	t.raises(function() fs:blockmap { bogus = 1 } end, "fs:blockmap: unknown option 'bogus'", "unknown key")
	t.raises(function() fs:blockmap { cells = 10, per_cell = 10 } end, "give 'cells' or 'per_cell', not both", "both")
	t.raises(function() fs:blockmap { start = sb.blocks_count } end, "outside the filesystem", "start past the end")
	if sb.first_data_block > 0 then
		t.raises(function() fs:blockmap { start = 0 } end, "outside the filesystem", "start before the first data block")
	end
	t.raises(function() fs:blockmap { start = sb.blocks_count - 10, count = 11 } end,
		"go past the end of the filesystem", "count past the end")
	t.raises(function() fs:blockmap { per_cell = 0 } end, "option 'per_cell' must be an integer", "per_cell 0")
	t.raises(function() fs:blockmap { cells = 0 } end, "option 'cells' must be an integer", "cells 0")
	t.raises(function() fs:blockmap { cells = (1 << 20) + 1 } end, "option 'cells' must be an integer", "cells too many")
	t.raises(function() fs:blockmap { files = "/frag" } end, "option 'files' must be an array", "files not a table")
	t.raises(function() fs:blockmap { files = { "/nope" } } end, "blockmap /nope: File not found", "a missing file")
	t.raises(function() fs:blockmap { files = { {} } } end, "inode number, \"<n>\" or path expected", "a bad file")
	t.raises(function() fs:blockmap { all = 1 } end, "option 'all' must be a boolean", "all not a boolean")
	t.raises(function() fs:blockmap { staged = true } end, "no open transaction", "staged without a tx")
	t.raises(function() fs:blockmap { after = true } end, "no open transaction", "after without a tx")
	t.raises(function() fs:blockmap({}, 1) end, "no value expected", "surplus argument")
end

-- The picture after a staged commit: new = the plans' index blocks,
-- freed = their indirect blocks, and nothing else moves.
local function check_after(img)
	local copy = tmp .. "/after.img"
	t.sh("cp '" .. img .. "' '" .. copy .. "'")
	local fs <close> = e2.open(copy, { write = true })
	local tx <close> = fs:begin()
	local paths = { "/dind", "/frag", "/sparse_tind", "/dir/big" }
	for _, p in ipairs(paths) do tx:migrate(p) end
	local _, totals = tx:pending()
	local before = fs:blockmap { staged = true, per_cell = 1 }
	local after = fs:blockmap { staged = true, after = true, per_cell = 1 }
	check_shape(before, "staged")
	check_shape(after, "after")
	t.eq(after.totals.new, totals.index_blocks, "after: new = the index blocks the plans allocate")
	t.eq(after.totals.freed, totals.meta_freed, "after: freed = the indirect blocks the plans free")
	t.eq(after.totals.ind, 0, "after: the staged files keep no indirect block")
	t.eq(before.totals.ind, totals.meta_freed, "before: their indirect blocks")
	t.eq(before.totals.data, totals.data_blocks, "before: their data blocks")
	t.eq(after.totals.data, totals.data_blocks, "after: the same data blocks")
	t.eq(after.totals.free, before.totals.free - totals.index_blocks, "after: free less the new blocks")
	local moved = 0
	for i, c in ipairs(after.cells) do
		local bc = before.cells[i]
		if c.kind == "freed" then
			t.eq(bc.kind, "ind", "a freed block was an indirect block")
		elseif c.kind == "new" then
			t.eq(bc.kind, "free", "a new block was free")
		elseif c.kind ~= bc.kind then
			moved = moved + 1
		end
	end
	t.eq(moved, 0, "after: nothing else changes")
	t.eq(#after.legend, 7, "after: the legend has new and freed")
	t.eq(after.legend[1].kind .. after.legend[2].kind, "newfreed", "new and freed first")
	-- the staged set also works with files of one's own choosing
	local one = fs:blockmap { files = { "/frag" }, after = true, cells = 64 }
	t.eq(one.totals.new, totals.index_blocks, "after with files: the whole tx's new blocks")
	tx:rollback()
	local empty = fs:blockmap { staged = true, after = true }
	t.eq(empty.totals.new + empty.totals.freed + empty.totals.data, 0, "an empty tx: nothing")
end

local function check_render(img)
	local fs <close> = e2.open(img)
	-- escape: markup, control characters and bytes that are not UTF-8
	t.eq(render.escape([[a&b<c>"d']]), "a&amp;b&lt;c&gt;&quot;d&apos;", "escape markup")
	t.eq(render.escape("x\1y\127z"), "x\\x01y\\x7Fz", "escape control characters")
	t.eq(render.escape("\xff\xc3(\xe2\x82"), "\\xFF\\xC3(\\xE2\\x82", "escape bytes that are not UTF-8")
	t.eq(render.escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\ttab"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\ttab",
		"UTF-8 kept")
	t.eq(render.escape("\xed\xa0\x80"), "\\xED\\xA0\\x80", "a surrogate is not UTF-8")
	t.eq(render.escape("\xc0\xaf"), "\\xC0\\xAF", "an overlong form is not UTF-8")
	-- fit: a power of two blocks a cell, the grid within the window
	t.eq(render.fit(8191, 64, 16), 8, "fit 8191 in 64x16")
	t.eq(render.fit(1024, 64, 16), 1, "fit 1024 in 64x16")
	t.eq(render.fit(1025, 64, 16), 2, "fit 1025 in 64x16")
	t.raises(function() render.fit(0, 1, 1) end, "counts must be positive", "fit 0")
	-- text: header, rows of cols cells with their range, legend, rule
	local bm = fs:blockmap { files = { "/frag" }, cells = 100 }
	local txt = render.text(bm, { cols = 10 })
	local rows = 0
	for line in txt:gmatch("[^\n]+") do
		local a, z, g = line:match("^ *(%d+)%-(%d+) +([.#oDI]+)$")
		if not a then goto next end
		rows = rows + 1
		local first = bm.cells[(rows - 1) * 10 + 1]
		t.eq(tonumber(a), first.start, "row label start")
		t.check(#g == 10 or rows == (#bm.cells + 9) // 10, "row %d has 10 cells", rows)
		if rows == 1 then t.eq(tonumber(z), first.start + 10 * bm.per_cell - 1, "row label end") end
		::next::
	end
	t.eq(rows, (#bm.cells + 9) // 10, "rows")
	t.check(txt:find("1 cell = " .. bm.per_cell .. " blocks of " .. fs.block_size .. " bytes", 1, true), "scale in the text")
	t.check(txt:find("  D  data of the chosen files: " .. bm.totals.data .. " blocks", 1, true), "legend with counts")
	t.check(not txt:find("\27", 1, true), "no colours unless asked")
	t.check(render.text(bm, { cols = 10, color = true }):find("\27[42;30mD", 1, true), "colour when asked")
	t.eq(render.rule(bm), "A cell shows the first of ind data it holds any block of; else free if more than "
		.. "half its blocks are free; else the more numerous of meta and other (meta on a tie).", "the rule")
	-- svg: a document with one cell rect per cell
	local svg = render.svg(bm, { cols = 10, title = "<frag>" })
	t.check(svg:match("^<%?xml"), "svg starts with the XML declaration")
	local n = 0
	for _ in svg:gmatch('<rect class="cell ') do n = n + 1 end
	t.eq(n, #bm.cells, "a rect per cell")
	t.check(svg:find("&lt;frag&gt;", 1, true), "the title escaped")
	-- termsize: nothing when not a terminal
	t.eq(select("#", e2.termsize(io.stdout)) == 0 or e2.isatty(io.stdout), true, "termsize off a terminal")
	t.raises(function() e2.termsize(1) end, "FILE* expected", "termsize of a number")
end

-- e2.getopt's long options (map's --plan, --color[=WHEN], --no-color)
package.path = os.getenv("E2LUA_SCRIPTS") .. "/lib/?.lua;" .. package.path
local getopt = require "e2.getopt"
local spec = { "aw:", plan = true, color = "optional", out = "value" }
local o, rest = getopt("m", "U", spec, "-aw", "12", "--plan", "--color", "--out=x", "f", "-a")
t.eq(table.concat({ tostring(o.a), o.w, tostring(o.plan), tostring(o.color), o.out }, " "),
	"true 12 true true x", "getopt: short and long options")
t.eq(table.concat(rest, " "), "f -a", "getopt: operands from the first one on")
o, rest = getopt("m", "U", spec, "--color=never", "--out", "y", "--", "--plan")
t.eq(o.color .. o.out .. rest[1], "nevery--plan", "getopt: --name=VALUE, --name VALUE, --")
t.raises(function() getopt("m", "U", spec, "--nope") end, "m: unknown option '--nope'\nUsage: m U", "getopt: unknown long")
t.raises(function() getopt("m", "U", "aw:", "--plan") end, "m: unknown option '--plan'", "getopt: no long options")
t.raises(function() getopt("m", "U", spec, "--out") end, "m: option '--out' needs an argument", "getopt: no value")
t.raises(function() getopt("m", "U", spec, "--plan=1") end, "m: option '--plan' takes no value", "getopt: a flag's value")
t.raises(function() getopt("m", "U", spec, "--plan", "--plan") end, "m: option '--plan' given twice", "getopt: twice")

for i = 1, #arg do
	local sum = t.sha256(arg[i])
	check_image(arg[i])
	-- (the files are extent-mapped already on an ext4 image)
	local fs <close> = e2.open(arg[i])
	if not fs:inode("/dind").extent_mapped then check_after(arg[i]) end
	fs:close()
	check_render(arg[i])
	t.eq(t.sha256(arg[i]), sum, arg[i] .. ": unchanged")
end
local cfs <close> = e2.open(arg[1], { catastrophic = true })
t.raises(function() cfs:blockmap() end, "blockmap " .. arg[1] .. ": ", "no bitmaps (catastrophic)")
local fs = e2.open(arg[1])
fs:close()
t.raises(function() fs:blockmap() end, "attempt to use a closed e2.fs", "closed fs")
t.done()
