-- map.lua -- the "map" command: a picture of where blocks lie.
--
--   e2lua: map /big
--   Blocks 1-65535, 1 cell = 64 blocks of 1024 bytes
--       1-4096  ######################....DDDDDDDDIDDDooooo.....
--    4097-8192  .................................................
--   ...
--     I  indirect/index/xattr blocks of the chosen files: 3 blocks
--     D  data of the chosen files: 700 blocks
--   ...
--
-- Each cell is a span of blocks and shows what dominates it (the rule is
-- printed under the legend).  The data is fs:blockmap{}'s table; the
-- drawing is e2.render's (doc/lua-api.md), so scripts can draw their own.

local e2 = require "e2"
local render = require "e2.render"
local getopt = require "e2.getopt"

local USAGE = "[-j] [-w COLS] [-s BLOCKS] [-g GROUP | -b START+COUNT] [-o FILE.svg] "
	.. "[--color[=WHEN] | --no-color] [FILE... | -d DIR | -a | --plan]"

local function fail(fmt, ...)
	error(e2.error(string.format(fmt, ...), "map"))
end

-- A whole number, at least min.
local function number(s, what, min)
	return getopt.number("map", USAGE, s, what, min)
end

-- The options and the files, from the command's arguments.
local function parse(...)
	local opts, files = getopt("map", USAGE, { "w:s:g:b:o:d:a", plan = true, color = "optional",
		["no-color"] = true }, ...)
	local o = { files = files, cols = opts.w, per_cell = opts.s, group = opts.g, range = opts.b,
		svg = opts.o, dir = opts.d, all = opts.a, plan = opts.plan, color = "auto" }
	if opts["no-color"] and opts.color then getopt.usage("map", USAGE, "give --color or --no-color, not both") end
	if opts["no-color"] then
		o.color = "never"
	elseif opts.color == true then
		o.color = "always"
	elseif opts.color then
		o.color = opts.color
		if o.color ~= "always" and o.color ~= "never" and o.color ~= "auto" then
			getopt.usage("map", USAGE, "bad --color '%s' (always, never or auto)", o.color)
		end
	end
	if o.plan and (#o.files > 0 or o.dir or o.all) then
		getopt.usage("map", USAGE, "--plan shows the staged inodes: give no FILE, -d or -a with it")
	end
	if o.group and o.range then getopt.usage("map", USAGE, "give -g or -b, not both") end
	return o
end

-- The blocks to show: the whole filesystem, a group (-g) or a range (-b
-- START+COUNT or START-END).
local function range(o)
	local sb = fs.super
	local first, total = sb.first_data_block, sb.blocks_count
	if o.group then
		local g = number(o.group, "group", 0)
		if g >= sb.group_count then fail("no group %d (the filesystem has %d)", g, sb.group_count) end
		o.group = g	-- as a number, for the title
		local start = first + g * sb.blocks_per_group
		return start, math.min(sb.blocks_per_group, total - start)
	end
	if o.range then
		local a, sep, b = o.range:match("^(%d+)([+-])(%d+)$")
		if not a then fail("bad block range '%s' (START+COUNT or START-END)", o.range) end
		local start = number(a, "block", 0)
		local count = sep == "+" and number(b, "block count", 1) or number(b, "block", 0) - start + 1
		if start < first or start >= total then
			fail("block %d is outside the filesystem (%d to %d)", start, first, total - 1)
		end
		if count < 1 or start + count > total then
			fail("block range '%s' goes past the end of the filesystem (%d blocks)", o.range, total)
		end
		return start, count
	end
	return first, total - first
end

-- Whether to colour: --color=always/never, else when the output is a
-- terminal (the shell's stream: e2.run captures it), TERM is not "dumb"
-- and NO_COLOR is unset or empty.
local function use_color(o)
	if o.color ~= "auto" then return o.color == "always" end
	local nc, term = os.getenv("NO_COLOR"), os.getenv("TERM")
	return e2.isatty(io.output()) and (not nc or nc == "") and term ~= "dumb"
end

-- Cells a row and blocks a cell.  A terminal is filled (side by side for
-- --plan); otherwise, and for SVG, 64 cells a row (32 each side by side
-- in text) and at most 1024 cells (4096 in SVG).
local function geometry(o, start, count)
	local labw = 2 * #tostring(start + count - 1) + 1
	local panels = o.plan and not o.svg and 2 or 1
	local tcols, trows
	if not o.svg and e2.isatty(io.output()) then tcols, trows = e2.termsize(io.output()) end
	local cols, rows
	if tcols then
		cols = (tcols - labw - 1 - 3 * panels) // panels
		rows = trows - 12
	elseif o.svg then
		cols, rows = 64, 64
	else
		cols, rows = 64 // panels, 16 * panels
	end
	cols = o.cols and number(o.cols, "width", 1) or math.max(cols, 8)
	rows = math.max(rows, 4)
	local per = o.per_cell and number(o.per_cell, "scale", 1) or render.fit(count, cols, rows)
	return cols, per, tcols
end

local function write_svg(file, doc, what)
	local f, err = io.open(file, "w")
	if not f then fail("%s", err) end
	local ok, werr = f:write(doc)
	local cok, cerr = f:close()
	if not ok or not cok then fail("%s: %s", file, werr or cerr) end
	print(string.format("Wrote %s: %s", file, what))
end

-- Say on stderr which maps could not be walked whole; true if any.
local function report_errors(bm)
	for _, e in ipairs(bm.errors) do
		io.stderr:write(string.format("map: %s<%d>: %s\n", e.name and e.name .. " " or "", e.ino, e.message))
	end
	if bm.errors_total > #bm.errors then
		io.stderr:write(string.format("map: ... and %d more\n", bm.errors_total - #bm.errors))
	end
	return bm.errors_total > 0
end

local function draw_plan(o, start, count, cols, per, width, color)
	local geo = { start = start, count = count, per_cell = per }
	local ok, before = pcall(fs.blockmap, fs, { staged = true, start = start, count = count, per_cell = per })
	if not ok then
		if tostring(before):find("no open transaction", 1, true) then
			fail("nothing staged (stage inodes with migrate first)")
		end
		error(before, 0)
	end
	local after = fs:blockmap { staged = true, after = true, start = geo.start, count = geo.count, per_cell = geo.per_cell }
	local t = after.totals
	local summary = string.format("The commit frees %s (old indirect blocks) and allocates %s (new index "
		.. "blocks) in blocks %d-%d.", t.freed == 1 and "1 block" or t.freed .. " blocks",
		t.new == 1 and "1 block" or t.new .. " blocks", start, start + count - 1)
	if o.svg then
		write_svg(o.svg, render.svg({ { map = before, title = "Before the commit" },
			{ map = after, title = "After the commit" } }, { cols = cols, title = "Staged migration" }),
			string.format("%d cells a side, %s", #after.cells, render.scale(after)))
	else
		-- Not a terminal: nothing to overflow, always side by side.
		io.write(render.text_pair(before, after, { cols = cols, width = width or math.huge, color = color,
			title = o.group and "Group " .. o.group,
			titles = { "Before the commit", "After the commit" } }))
		print(summary)
	end
	return report_errors(after), before, after
end

e2.command{
	name = "map",
	usage = USAGE,
	help = "A picture of where blocks lie: files, metadata, free space; -o writes SVG",
	example = "map /big\nmap -g 0\nmap -j -g 0 -s 512 /big",
	min = 0, max = -1, needs = "bitmaps", args = "inode",
	-- -j: {map = fs:blockmap{...}}, with --plan {before=, after=}
	-- (doc/json.md)
	json = true,
	run = function(...)
		local o = parse(...)
		local start, count = range(o)
		local cols, per, width = geometry(o, start, count)
		local color = use_color(o)
		local bad, data
		if o.plan then
			data = {}
			bad, data.before, data.after = draw_plan(o, start, count, cols, per, width, color)
		else
			local bm = fs:blockmap { files = o.files, dir = o.dir, all = o.all or nil,
				start = start, count = count, per_cell = per, names = o.svg ~= nil }
			if o.svg then
				local title = o.all and "All files" or o.dir and "Files under " .. o.dir or
					#o.files > 0 and table.concat(o.files, " ") or "Block map"
				write_svg(o.svg, render.svg(bm, { cols = cols, title = title }),
					string.format("%d cells, %s", #bm.cells, render.scale(bm)))
			else
				io.write(render.text(bm, { cols = cols, color = color, title = o.group and "Group " .. o.group }))
			end
			bad = report_errors(bm)
			data = { map = bm }
		end
		return data, bad and e2.error("some maps could not be read whole (see above): run e2fsck -f", "map") or nil
	end,
}
